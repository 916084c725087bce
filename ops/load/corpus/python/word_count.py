import sys
from collections import Counter

text = sys.stdin.read()
words = [w.strip(".,;:!?\"'()").lower() for w in text.split()]
counts = Counter(w for w in words if w)
print(f"{len(words)} words, {len(counts)} distinct")
for word, n in counts.most_common(5):
    print(f"{word:>12} {n}")
