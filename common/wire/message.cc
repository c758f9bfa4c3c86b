#include "common/wire/message.h"

namespace drover::wire {

Message MakeRequest(std::string type, std::string id, nlohmann::json body) {
  return Message{std::move(type), std::move(id), "", std::move(body)};
}

Message MakeReply(const Message& request, std::string id, nlohmann::json body) {
  return Message{"reply", std::move(id), request.id, std::move(body)};
}

Message MakeError(const std::string& re, std::string id, const Status& status) {
  return Message{"error",
                 std::move(id),
                 re,
                 {{"code", std::string(CodeName(status.code()))}, {"message", status.message()}}};
}

Status ErrorOf(const Message& message) {
  if (message.type != "error") return Status::Ok();
  Code code = Code::kInternal;
  std::string name = message.body.value("code", "");
  for (int c = 1; c <= static_cast<int>(Code::kInternal); ++c) {
    if (CodeName(static_cast<Code>(c)) == name) code = static_cast<Code>(c);
  }
  return Status(code, message.body.value("message", "(no message)"));
}

}  // namespace drover::wire
