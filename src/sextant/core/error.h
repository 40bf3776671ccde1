// The one error type of Sextant's library.
//
// Every failure a user can cause (bad input, a missing file, an unreadable store) is thrown as a
// sextant::Error carrying a category and a message that already holds the context the user needs,
// e.g. `ratings.csv:14: column "time": cannot read "31/02/2024"`. Errors are caught in exactly two
// places, the command line and the server, which map the category to an exit code or HTTP status.
// Hot loops (parsers) report per-row problems as values instead of throwing.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace sextant {

enum class ErrorKind {
    kInvalidInput,  // the user's data or arguments are wrong; fixing them fixes the error
    kNotFound,      // a file, user, item or model that was named does not exist
    kIo,            // the operating system refused a read or a write
    kInternal,      // a bug in Sextant or a library it calls
};

// Returns a short lower-case name of the kind ("invalid input", "not found", ...).
std::string_view to_string(ErrorKind kind);

// Returns the process exit code the command line uses for an error of this kind.
int exit_code(ErrorKind kind);

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

    ErrorKind kind() const { return kind_; }

private:
    ErrorKind kind_;
};

// Shorthands for the common kinds.
[[noreturn]] void throw_invalid(const std::string& message);
[[noreturn]] void throw_not_found(const std::string& message);
[[noreturn]] void throw_io(const std::string& message);

// Calls make(), prefixing the message of a kInvalidInput sextant::Error with `source`.
template <typename Make>
auto with_source(const std::string& source, Make make) {
    try {
        return make();
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::kInvalidInput) {
            throw;
        }
        throw Error(e.kind(), source + ": " + e.what());
    }
}

}  // namespace sextant
