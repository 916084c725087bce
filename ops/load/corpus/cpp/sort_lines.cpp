#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

int main() {
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(std::cin, line)) {
        if (!line.empty()) lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end(), [](const std::string& a, const std::string& b) {
        return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    for (size_t i = 0; i < lines.size(); ++i) std::cout << i + 1 << ": " << lines[i] << '\n';
    std::cout << lines.size() << " lines\n";
}
