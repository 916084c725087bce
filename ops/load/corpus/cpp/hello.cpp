#include <iostream>
#include <string>

int main() {
    std::string name = "world";
    std::cout << "hello, " << name << "!\n";
    return 0;
}
