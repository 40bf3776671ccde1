// The report's fixed style sheet and scripts, inlined into every page so that it opens offline.
#pragma once

#include <string_view>

namespace sextant::report {

// The style sheet (the content of a <style> element).
std::string_view report_css();

// Runs first: starts recording script errors (window.onerror) before any other script runs.
std::string_view report_error_trap_js();

// Runs last: draws every <canvas data-chart="key"> from the JSON in #sextant-charts, wires the
// period toggle, then checks that each canvas has non-blank pixels and sets
// document.body.dataset.reportStatus ("ok" or "error: ...") and dataset.chartsDrawn.
std::string_view report_main_js();

// Chart.js 4 (UMD build), as embedded at build time.
std::string_view chart_js_source();

}  // namespace sextant::report
