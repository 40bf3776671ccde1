#include "browser_check.h"

#include <filesystem>
#include <regex>

#include "test_util.h"

namespace sextant::testing {
namespace {

std::string attribute(const std::string& tag, const std::string& name) {
    std::smatch m;
    std::regex re(name + "=\"([^\"]*)\"");
    return std::regex_search(tag, m, re) ? m[1].str() : "";
}

}  // namespace

PageCheck check_page_in_browser(const std::string& page) {
    std::string dir = make_temp_dir("browser");
    std::string command = "(timeout 120 " + std::string(kChromium) +
                          " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                          " --disable-background-networking --disable-component-update"
                          " --disable-sync --user-data-dir=" +
                          dir +
                          "/profile"
                          " --virtual-time-budget=5000 --dump-dom file://" +
                          std::filesystem::absolute(page).string() + " > " + dir + "/dom.html 2> " +
                          dir + "/chromium.log)";
    PageCheck check;
    check.rc = run_command(command, nullptr);
    std::string dom = read_file(dir + "/dom.html");
    // Chromium complains about the missing D-Bus on every run; keep only its other lines.
    std::string log = read_file(dir + "/chromium.log");
    check.log = std::regex_replace(log, std::regex(".*dbus.*\\n"), "");

    std::smatch body;
    if (std::regex_search(dom, body, std::regex("<body[^>]*>"))) {
        check.status = attribute(body[0].str(), "data-report-status");
        std::string drawn = attribute(body[0].str(), "data-charts-drawn");
        check.charts_drawn = drawn.empty() ? -1 : std::stoi(drawn);
    }
    for (std::size_t at = dom.find("<canvas"); at != std::string::npos;
         at = dom.find("<canvas", at + 1)) {
        ++check.n_canvases;
    }
    std::filesystem::remove_all(dir);
    return check;
}

}  // namespace sextant::testing
