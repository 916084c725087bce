#include <iostream>
#include <vector>

int total(const std::vector<int>& xs) {
    int sum = 0;
    for (int x : xs) sum += x;
    return sum
}

int main() {
    std::vector<int> xs = {3, 1, 4, 1, 5, 9, 2, 6};
    std::cout << "total " << total(xs) << "\n";
}
