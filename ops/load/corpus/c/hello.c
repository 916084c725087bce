#include <stdio.h>

int main(void) {
    const char *name = "world";
    printf("hello, %s!\n", name);
    return 0;
}
