def average(values):
    if not values:
        return 0
    return sum(values) / len(values)


scores = [72, 88, 95, 61]
print("average:", average(scores)
print("best:", max(scores))
