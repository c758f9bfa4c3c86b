// Pieces of the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace drover::metrics {

// The Content-Type of a rendered registry.
inline constexpr std::string_view kExpositionContentType = "text/plain; version=0.0.4";

// A label value between double quotes: backslash, double quote and line feed
// become \\, \" and \n.
std::string EscapeLabelValue(std::string_view value);

// A HELP text: backslash and line feed become \\ and \n.
std::string EscapeHelp(std::string_view help);

// A sample value: the shortest text that reads back as the same double
// ("1", "0.25", "1e+21"), or "+Inf", "-Inf", "NaN".
std::string FormatValue(double value);

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(std::string_view name);

// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved).
bool IsValidLabelName(std::string_view name);

}  // namespace drover::metrics
