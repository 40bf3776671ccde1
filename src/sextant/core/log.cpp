#include "sextant/core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "sextant/core/progress.h"

namespace sextant::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::mutex g_mutex;
std::function<void(Level, std::string_view)> g_sink;

const char* prefix(Level level) {
    switch (level) {
        case Level::kDebug:
            return "debug: ";
        case Level::kWarn:
            return "warning: ";
        case Level::kError:
            return "error: ";
        default:
            return "";
    }
}

}  // namespace

void set_level(Level level) {
    g_level = level;
}
Level level() {
    return g_level;
}
bool enabled(Level level) {
    return level >= g_level.load();
}

void set_sink(std::function<void(Level, std::string_view)> sink) {
    std::lock_guard lock(g_mutex);
    g_sink = std::move(sink);
}

void write(Level level, std::string_view message) {
    if (!enabled(level)) {
        return;
    }
    std::lock_guard lock(g_mutex);
    if (g_sink) {
        g_sink(level, message);
        return;
    }
    // A progress line may be showing on the terminal; clear it so the log line stands alone.
    clear_progress_line();
    std::fprintf(stderr, "%s%.*s\n", prefix(level), static_cast<int>(message.size()),
                 message.data());
}

}  // namespace sextant::log
