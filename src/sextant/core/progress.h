// A throttled progress line for long work (ingest, training).
//
// On a terminal it redraws one line in place at most every 100 ms: what, % done, rate, ETA and a
// free note (the loss, say). Elsewhere (a pipe, a CI log) it writes a plain line at most every
// 10 s. finish() writes one summary line through the logger. Nothing is shown when the log level
// is above kInfo (`-q`). Not thread-safe: one Progress belongs to one loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sextant {

class Progress {
public:
    // `what` names the work ("ingest"), `unit` the counted things ("rows"); total 0 = unknown.
    Progress(std::string what, std::string unit, std::uint64_t total = 0);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Reports that `done` units are complete; `note` is appended as it is ("loss 3.21").
    // `fraction` (0..1), when given, is the share of the work done, for work whose units are
    // not known in advance (rows of a file measured in bytes); it replaces done / total.
    void update(std::uint64_t done, const std::string& note = "", double fraction = -1);

    // Ends the line and logs `summary` (or a default "what: N unit in S s (R unit/s)").
    void finish(const std::string& summary = "");

    // Ends the line without a summary (the caller logs its own).
    void close();

    // Seconds since construction.
    double elapsed() const;

private:
    void draw(bool final_line);

    std::string what_;
    std::string unit_;
    std::uint64_t total_;
    std::uint64_t done_ = 0;
    double fraction_ = -1;
    std::string note_;
    bool tty_;
    bool shown_ = false;
    bool finished_ = false;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};

// Erases a progress line that is showing on the terminal, if any (the logger calls this).
void clear_progress_line();

// Formats a duration for log lines: 0.2094 -> "0.21 s", 49.98 -> "49.98 s".
std::string seconds_text(double seconds);

// Formats a count with thousands separators: 541909 -> "541,909".
std::string with_commas(std::uint64_t n);

}  // namespace sextant
