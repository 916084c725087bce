#include <stdio.h>
#include <string.h>

struct entry { const char *key; int value; };

static struct entry table[] = {{"apples", 3}, {"pears", 7}, {"plums", 12}};

struct entry *lookup(const char *key) {
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].key, key) == 0) return &table[i];
    return NULL;
}

int main(int argc, char **argv) {
    const char *wanted[] = {"pears", "plums", argc > 5 ? argv[1] : "cherries"};
    for (int i = 0; i < 3; i++) {
        struct entry *volatile e = lookup(wanted[i]);
        printf("%s: %d\n", wanted[i], e->value);
        fflush(stdout);
    }
    return 0;
}
