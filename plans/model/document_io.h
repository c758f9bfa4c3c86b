// Reading and writing JSON documents and text files (the planner's only I/O).
//
// ReadJsonFile returns InvalidArgument naming the file on a missing or
// unreadable file and on malformed JSON (with nlohmann's position). No
// exception escapes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace drover::plans {

Result<nlohmann::json> ParseJsonText(const std::string& text, const std::string& what);
Result<nlohmann::json> ReadJsonFile(const std::string& path);
Status WriteTextFile(const std::string& path, const std::string& text);

}  // namespace drover::plans
