#include "sextant/core/progress.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "sextant/core/log.h"

namespace sextant {
namespace {

std::atomic<bool> g_line_showing{false};

std::string format_seconds(double s) {
    char buf[32];
    if (s < 60) {
        std::snprintf(buf, sizeof buf, "%.0fs", s);
    } else if (s < 3600) {
        std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60,
                      static_cast<int>(s) % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600,
                      static_cast<int>(s) / 60 % 60);
    }
    return buf;
}

}  // namespace

std::string seconds_text(double seconds) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f s", seconds);
    return buf;
}

std::string with_commas(std::uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    int count = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        if (count > 0 && count % 3 == 0) {
            out.push_back(',');
        }
        out.push_back(*it);
        ++count;
    }
    return {out.rbegin(), out.rend()};
}

void clear_progress_line() {
    if (g_line_showing.exchange(false)) {
        std::fputs("\r\033[K", stderr);
    }
}

Progress::Progress(std::string what, std::string unit, std::uint64_t total)
    : what_(std::move(what)),
      unit_(std::move(unit)),
      total_(total),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
    if (!finished_ && shown_ && tty_) {
        clear_progress_line();
    }
}

double Progress::elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(std::uint64_t done, const std::string& note, double fraction) {
    done_ = done;
    fraction_ = fraction;
    note_ = note;
    auto now = std::chrono::steady_clock::now();
    auto since = now - last_draw_;
    auto interval = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(10000);
    if (since >= interval) {
        last_draw_ = now;
        draw(false);
    }
}

void Progress::draw(bool final_line) {
    if (!log::enabled(log::Level::kInfo)) {
        return;
    }
    double seconds = elapsed();
    double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0.0;
    std::string line = what_ + ": " + with_commas(done_);
    double fraction = fraction_;
    if (fraction < 0 && total_ > 0) {
        fraction = static_cast<double>(done_) / static_cast<double>(total_);
        line += " / " + with_commas(total_);
    }
    line += " " + unit_;
    if (fraction >= 0) {
        char pct[16];
        std::snprintf(pct, sizeof pct, " (%.0f%%)", 100.0 * fraction);
        line += pct;
    }
    line += ", " + with_commas(static_cast<std::uint64_t>(rate)) + " " + unit_ + "/s";
    if (fraction > 0 && fraction < 1 && !final_line) {
        line += ", ETA " + format_seconds(seconds * (1 - fraction) / fraction);
    }
    if (!note_.empty()) {
        line += ", " + note_;
    }
    if (tty_) {
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
        std::fflush(stderr);
        g_line_showing = true;
    } else {
        log::info(line);
    }
    shown_ = true;
}

void Progress::close() {
    finished_ = true;
    clear_progress_line();
}

void Progress::finish(const std::string& summary) {
    if (finished_) {
        return;
    }
    finished_ = true;
    clear_progress_line();
    if (!summary.empty()) {
        log::info(summary);
        return;
    }
    double seconds = elapsed();
    char buf[160];
    std::snprintf(
        buf, sizeof buf, "%s: %s %s in %.2f s (%s %s/s)", what_.c_str(), with_commas(done_).c_str(),
        unit_.c_str(), seconds,
        with_commas(static_cast<std::uint64_t>(seconds > 0 ? done_ / seconds : 0)).c_str(),
        unit_.c_str());
    log::info(buf);
}

}  // namespace sextant
