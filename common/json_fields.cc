#include "common/json_fields.h"

namespace drover {

std::string_view JsonTypeName(JsonType type) {
  switch (type) {
    case JsonType::kString:
      return "a string";
    case JsonType::kInteger:
      return "an integer";
    case JsonType::kNumber:
      return "a number";
    case JsonType::kBool:
      return "true or false";
    case JsonType::kObject:
      return "an object";
    case JsonType::kArray:
      return "an array";
    case JsonType::kAny:
      return "any value";
  }
  return "?";
}

bool HasJsonType(const nlohmann::json& value, JsonType type) {
  switch (type) {
    case JsonType::kString:
      return value.is_string();
    case JsonType::kInteger:
      return value.is_number_integer();
    case JsonType::kNumber:
      return value.is_number();
    case JsonType::kBool:
      return value.is_boolean();
    case JsonType::kObject:
      return value.is_object();
    case JsonType::kArray:
      return value.is_array();
    case JsonType::kAny:
      return true;
  }
  return false;
}

Status CheckJsonFields(const nlohmann::json& object, const std::vector<JsonField>& fields,
                       std::string_view where, UnknownFields unknown) {
  const std::string at(where);
  if (!object.is_object()) return InvalidArgument(at + ": must be a JSON object");
  for (const JsonField& f : fields) {
    auto it = object.find(f.name);
    if (it == object.end()) {
      if (f.required) return InvalidArgument(at + ": missing field '" + f.name + "'");
      continue;
    }
    if (!HasJsonType(*it, f.type)) {
      return InvalidArgument(at + ": field '" + f.name + "' must be " +
                             std::string(JsonTypeName(f.type)) + ", not " + it->type_name());
    }
  }
  if (unknown == UnknownFields::kReject) {
    for (const auto& [key, value] : object.items()) {
      bool known = false;
      for (const JsonField& f : fields) known = known || f.name == key;
      if (!known) return InvalidArgument(at + ": unknown field '" + key + "'");
    }
  }
  return Status::Ok();
}

}  // namespace drover
