// Helpers shared by the tests.
#pragma once

#include <optional>
#include <string>

#include "sextant/data/event_table.h"

namespace sextant::testing {

// The folder of the shared datasets: $SEXTANT_DATA, else ../shared/data beside the source tree.
// nullopt when neither exists (tests that need it then GTEST_SKIP with a visible message).
std::optional<std::string> shared_data_dir();

// Path of a dataset file inside shared_data_dir(), or nullopt when it is absent.
std::optional<std::string> shared_data_file(const std::string& relative);

// A fresh empty directory under the system temp folder, removed by the caller or at exit.
std::string make_temp_dir(const std::string& tag);

// Writes `content` to `path` (binary), creating parent folders.
void write_file(const std::string& path, const std::string& content);

// Reads a whole file.
std::string read_file(const std::string& path);

// How many times `needle` occurs in `text`, without overlaps.
std::size_t count_of(const std::string& text, const std::string& needle);

// Runs a shell command, capturing stdout and stderr together; returns the exit status.
int run_command(const std::string& command, std::string* output);

// MovieLens "user::movie::rating::time" lines as a table, read by a parser of the tests' own
// (independent of Sextant's reader, so the two check each other).
EventTable load_movielens_table(const std::string& path);

// The sextant executable built beside the tests.
std::string sextant_binary();

}  // namespace sextant::testing

// Skips the current test, visibly, when a shared dataset file is absent.
#define SEXTANT_REQUIRE_DATA(var, relative)                                              \
    auto var##_opt = ::sextant::testing::shared_data_file(relative);                     \
    if (!var##_opt) {                                                                    \
        GTEST_SKIP() << "dataset " << relative                                           \
                     << " not found (set SEXTANT_DATA or put ../shared/data beside the " \
                        "checkout); skipping";                                           \
    }                                                                                    \
    const std::string var = *var##_opt
