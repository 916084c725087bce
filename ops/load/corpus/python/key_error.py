inventory = {"apples": 3, "pears": 0, "plums": 12}


def restock(item, amount):
    inventory[item] += amount
    return inventory[item]


print("apples:", restock("apples", 5))
print("cherries:", restock("cherries", 10))
