// One message of the control protocol, decoded.
//
// On the wire a message is one ZeroMQ frame holding a JSON object:
//   {"drover": 1, "type": "heartbeat", "id": "a7-12", "body": {...}}
// Replies name the request they answer in "re":
//   {"drover": 1, "type": "reply", "id": "o-99", "re": "a7-12", "body": {...}}
//   {"drover": 1, "type": "error", "id": "o-100", "re": "a7-12",
//    "body": {"code": "invalid argument", "message": "..."}}
// docs/wire.md is the full description.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace drover::wire {

struct Message {
  std::string type;
  std::string id;  // unique per sender; replies carry their own id too
  std::string re;  // for "reply" and "error": the id of the request answered
  nlohmann::json body = nlohmann::json::object();

  bool IsReply() const { return type == "reply" || type == "error"; }
};

Message MakeRequest(std::string type, std::string id, nlohmann::json body);
Message MakeReply(const Message& request, std::string id, nlohmann::json body);
Message MakeError(const std::string& re, std::string id, const Status& status);

// For an "error" message, the Status it carries; Ok for anything else.
Status ErrorOf(const Message& message);

}  // namespace drover::wire
