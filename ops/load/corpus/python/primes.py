import math
import time


def sieve(limit):
    is_prime = bytearray([1]) * (limit + 1)
    is_prime[0:2] = b"\x00\x00"
    for p in range(2, int(math.isqrt(limit)) + 1):
        if is_prime[p]:
            is_prime[p * p :: p] = bytearray(len(range(p * p, limit + 1, p)))
    return [i for i, v in enumerate(is_prime) if v]


def count_twin_primes(primes):
    return sum(1 for a, b in zip(primes, primes[1:]) if b - a == 2)


start = time.perf_counter()
primes = sieve(2_000_000)
total = 0
for p in primes[:60000]:
    total += p * p % 7
print(len(primes), "primes below two million")
print(count_twin_primes(primes), "twin prime pairs")
print("checksum", total)
print(f"took {time.perf_counter() - start:.2f} s")
