// Escaping for the DOT and SVG renderers.
#pragma once

#include <string>
#include <string_view>

namespace drover::plans {

std::string XmlEscape(std::string_view s);
std::string DotEscape(std::string_view s);  // inside a double-quoted DOT string

}  // namespace drover::plans
