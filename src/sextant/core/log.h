// One logger for the whole library: levelled lines on stderr (or a sink the caller installs).
//
// The library logs through these functions and never prints otherwise. `-q` sets kWarn, `-v`
// sets kDebug; the default is kInfo. Thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace sextant::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void set_level(Level level);
Level level();
bool enabled(Level level);

// Replaces the sink (default: stderr). The sink receives the level and the message without a
// trailing newline. Passing nullptr restores the default.
void set_sink(std::function<void(Level, std::string_view)> sink);

void write(Level level, std::string_view message);
inline void debug(std::string_view message) {
    write(Level::kDebug, message);
}
inline void info(std::string_view message) {
    write(Level::kInfo, message);
}
inline void warn(std::string_view message) {
    write(Level::kWarn, message);
}
inline void error(std::string_view message) {
    write(Level::kError, message);
}

}  // namespace sextant::log
