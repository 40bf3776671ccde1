// Opens an HTML page in a real browser (Debian's headless Chromium) and reads back the report's
// own self-check: no script error, and every canvas received pixels.
#pragma once

#include <string>

namespace sextant::testing {

inline constexpr const char* kChromium = "/usr/bin/chromium";

struct PageCheck {
    int rc = -1;
    std::string status;     // data-report-status of <body>
    int charts_drawn = -1;  // data-charts-drawn of <body>
    int n_canvases = 0;     // <canvas> elements in the DOM
    std::string log;        // chromium's own output, for failure messages
};

// Loads `page` in headless Chromium with a fresh profile and no network services, and reads the
// self-check from the dumped DOM.
PageCheck check_page_in_browser(const std::string& page);

}  // namespace sextant::testing
