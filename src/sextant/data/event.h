// One event as read from an input file, before interning.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "sextant/core/time.h"

namespace sextant {

struct Event {
    std::string user;             // required, never empty
    std::string item;             // empty when the event has no item
    std::string name;             // event type ("view", "purchase", "rating"); never empty
    Seconds time = 0;             // UTC
    double value = std::nan("");  // NaN when the event has no value
    std::string id;               // empty when the input has no id column
};

}  // namespace sextant
