#include "test_util.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace fs = std::filesystem;

namespace sextant::testing {

std::optional<std::string> shared_data_dir() {
    if (const char* env = std::getenv("SEXTANT_DATA"); env != nullptr && *env != '\0') {
        if (fs::is_directory(env)) {
            return std::string(env);
        }
        return std::nullopt;
    }
    fs::path beside = fs::path(SEXTANT_SOURCE_DIR).parent_path() / "shared" / "data";
    if (fs::is_directory(beside)) {
        return beside.string();
    }
    return std::nullopt;
}

std::optional<std::string> shared_data_file(const std::string& relative) {
    auto dir = shared_data_dir();
    if (!dir) {
        return std::nullopt;
    }
    fs::path p = fs::path(*dir) / relative;
    if (!fs::exists(p)) {
        return std::nullopt;
    }
    return p.string();
}

std::string make_temp_dir(const std::string& tag) {
    std::random_device rd;
    fs::path p = fs::temp_directory_path() /
                 ("sextant-test-" + tag + "-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(p);
    return p.string();
}

void write_file(const std::string& path, const std::string& content) {
    fs::path p(path);
    if (p.has_parent_path()) {
        fs::create_directories(p.parent_path());
    }
    std::ofstream out(path, std::ios::binary);
    out << content;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + needle.size())) {
        ++n;
    }
    return n;
}

int run_command(const std::string& command, std::string* output) {
    std::string full = command + " 2>&1";
    FILE* pipe = popen(full.c_str(), "r");
    if (pipe == nullptr) {
        return -1;
    }
    std::array<char, 4096> buf{};
    std::string text;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
        text.append(buf.data(), n);
    }
    int status = pclose(pipe);
    if (output != nullptr) {
        *output = text;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string sextant_binary() {
    return SEXTANT_BINARY;
}

EventTable load_movielens_table(const std::string& path) {
    std::ifstream in(path);
    std::vector<Event> events;
    std::string line;
    while (std::getline(in, line)) {
        std::size_t a = line.find("::");
        std::size_t b = a == std::string::npos ? a : line.find("::", a + 2);
        std::size_t c = b == std::string::npos ? b : line.find("::", b + 2);
        if (c == std::string::npos) {
            continue;
        }
        Event e;
        e.user = line.substr(0, a);
        e.item = line.substr(a + 2, b - a - 2);
        e.name = "rating";
        e.value = std::stod(line.substr(b + 2, c - b - 2));
        e.time = std::stoll(line.substr(c + 2));
        events.push_back(std::move(e));
    }
    return EventTable::from_events(events);
}

}  // namespace sextant::testing
