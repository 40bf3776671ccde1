#include <cstdio>
int main() { std::puts("sextant"); return 0; }
