// Daemon and CLI configuration files.
//
// A config file is a JSON object. Every key must be one the program documents
// and have the documented type: an unknown key or a wrong type is an error
// naming the file and the key, because a silently ignored typo in a config
// file is how clusters get misconfigured. Flags given on the command line
// override the file (the caller merges them after loading).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/json_fields.h"
#include "common/status.h"

namespace drover {

// Reads and checks `path`. A missing or unreadable file, bad JSON, an unknown
// key or a wrong type each give InvalidArgument naming the file.
Result<nlohmann::json> LoadConfigFile(const std::string& path, const std::vector<JsonField>& spec);

}  // namespace drover
