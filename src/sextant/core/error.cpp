#include "sextant/core/error.h"

namespace sextant {

std::string_view to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::kInvalidInput:
            return "invalid input";
        case ErrorKind::kNotFound:
            return "not found";
        case ErrorKind::kIo:
            return "i/o error";
        case ErrorKind::kInternal:
            return "internal error";
    }
    return "error";
}

int exit_code(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::kInvalidInput:
            return 2;
        case ErrorKind::kNotFound:
            return 3;
        case ErrorKind::kIo:
            return 4;
        case ErrorKind::kInternal:
            return 70;
    }
    return 1;
}

void throw_invalid(const std::string& message) {
    throw Error(ErrorKind::kInvalidInput, message);
}
void throw_not_found(const std::string& message) {
    throw Error(ErrorKind::kNotFound, message);
}
void throw_io(const std::string& message) {
    throw Error(ErrorKind::kIo, message);
}

}  // namespace sextant
