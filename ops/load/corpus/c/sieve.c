#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    const int limit = 30000000;
    char *composite = calloc(limit + 1, 1);
    if (!composite) return 1;
    long count = 0, sum = 0;
    for (long i = 2; i <= limit; i++) {
        if (composite[i]) continue;
        count++;
        sum += i % 1000;
        for (long j = i * i; j <= limit; j += i) composite[j] = 1;
    }
    printf("%ld primes up to %d, checksum %ld\n", count, limit, sum);
    free(composite);
    return 0;
}
