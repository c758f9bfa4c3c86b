#include "common/wire/codec.h"

#include "common/wire/protocol.h"

namespace drover::wire {

std::string Encode(const Message& message) {
  nlohmann::json j = {{"drover", kWireVersion},
                      {"type", message.type},
                      {"id", message.id},
                      {"body", message.body.is_null() ? nlohmann::json::object() : message.body}};
  if (!message.re.empty()) j["re"] = message.re;
  return j.dump();
}

namespace {

Status CheckId(const nlohmann::json& j, const char* field, bool required) {
  auto it = j.find(field);
  if (it == j.end()) {
    return required ? InvalidArgument(std::string("message: missing field '") + field + "'")
                    : Status::Ok();
  }
  if (!it->is_string() || it->get_ref<const std::string&>().empty() ||
      it->get_ref<const std::string&>().size() > kMaxIdLength) {
    return InvalidArgument(std::string("message: field '") + field +
                           "' must be a non-empty string of at most 64 characters");
  }
  return Status::Ok();
}

}  // namespace

Result<Message> Decode(std::string_view frame, size_t max_bytes) {
  if (frame.size() > max_bytes) {
    return Err(InvalidArgument("message of " + std::to_string(frame.size()) +
                               " bytes is over the limit of " + std::to_string(max_bytes)));
  }
  nlohmann::json j = nlohmann::json::parse(frame, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Err(InvalidArgument("frame is not a JSON message"));
  if (!j.is_object()) return Err(InvalidArgument("message must be a JSON object"));
  auto version = j.find("drover");
  if (version == j.end() || !version->is_number_integer()) {
    return Err(InvalidArgument("message: missing integer field 'drover' (the wire version)"));
  }
  if (*version != kWireVersion) {
    return Err(InvalidArgument("message: wire version " + version->dump() +
                               " is not supported (this side speaks " +
                               std::to_string(kWireVersion) + ")"));
  }
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) {
    return Err(InvalidArgument("message: missing string field 'type'"));
  }
  const std::string& type_name = type->get_ref<const std::string&>();
  const MessageSpec* spec = FindMessageSpec(type_name);
  if (spec == nullptr) {
    return Err(InvalidArgument("message: unknown type '" + type_name.substr(0, 64) + "'"));
  }
  RETURN_IF_ERROR(CheckId(j, "id", true));
  bool is_reply = type_name == "reply" || type_name == "error";
  RETURN_IF_ERROR(CheckId(j, "re", is_reply));
  Message m;
  m.type = type_name;
  m.id = j["id"].get<std::string>();
  if (j.contains("re")) m.re = j["re"].get<std::string>();
  if (j.contains("body")) m.body = std::move(j["body"]);
  // A reply's body is whatever the request asked for (an object or a list);
  // every other body is an object with the fields its type names.
  if (type_name != "reply") {
    RETURN_IF_ERROR(CheckJsonFields(m.body, spec->body, "message '" + type_name + "' body",
                                    UnknownFields::kAllow));
  }
  return m;
}

std::string SalvageId(std::string_view frame, size_t max_bytes) {
  if (frame.size() > max_bytes) return "";
  nlohmann::json j = nlohmann::json::parse(frame, nullptr, false);
  if (!j.is_object()) return "";
  auto id = j.find("id");
  if (id == j.end() || !id->is_string()) return "";
  std::string s = id->get<std::string>();
  return s.size() <= kMaxIdLength ? s : "";
}

}  // namespace drover::wire
