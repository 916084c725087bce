#include <iostream>
#include <vector>

int main() {
    std::vector<int> squares;
    for (int i = 0; i < 10; ++i) squares.push_back(i * i);
    std::cout << "fifth square " << squares.at(5) << "\n";
    std::cout << "tenth square " << squares.at(10) << "\n";
}
