def collatz_length(n, cache={1: 1}):
    path = []
    while n not in cache:
        path.append(n)
        n = n // 2 if n % 2 == 0 else 3 * n + 1
    length = cache[n]
    for m in reversed(path):
        length += 1
        cache[m] = length
    return length


best = max(range(1, 120000), key=collatz_length)
print("longest chain under 120000 starts at", best, "with", collatz_length(best), "steps")
