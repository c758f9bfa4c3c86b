// Checks a JSON object against a list of expected fields and their types.
//
// Shared by the config loader and the wire codec, so that a config file and a
// message get the same precise errors: "<where>: field 'x' must be an integer".
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace drover {

enum class JsonType { kString, kInteger, kNumber, kBool, kObject, kArray, kAny };

struct JsonField {
  std::string name;
  JsonType type;
  bool required = false;
};

enum class UnknownFields { kReject, kAllow };

std::string_view JsonTypeName(JsonType type);

// True when `value` has `type` (an integer also counts as a number).
bool HasJsonType(const nlohmann::json& value, JsonType type);

// Ok when `object` is an object whose fields match `fields`; otherwise an
// InvalidArgument naming `where` and the first offending field.
Status CheckJsonFields(const nlohmann::json& object, const std::vector<JsonField>& fields,
                       std::string_view where, UnknownFields unknown);

}  // namespace drover
