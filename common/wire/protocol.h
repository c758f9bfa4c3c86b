// The control protocol's message types and what each body must contain.
//
// Version 1. Adding an optional field keeps the version; removing a field,
// changing a type or changing a meaning bumps kWireVersion (and CHANGELOG).
#pragma once

#include <string_view>
#include <vector>

#include "common/json_fields.h"

namespace drover::wire {

inline constexpr int kWireVersion = 1;
// Larger messages get an error reply; ZMQ_MAXMSGSIZE (kMaxFrameBytes) cuts
// off a peer that sends something absurd before it is even read.
inline constexpr size_t kMaxMessageBytes = 1 << 20;
inline constexpr int64_t kMaxFrameBytes = 16 << 20;
inline constexpr size_t kMaxIdLength = 64;

// Who may send a message type.
enum class Sender { kAgent, kOrchestrator, kOperator, kAny };

struct MessageSpec {
  std::string_view type;
  Sender sender;
  std::vector<JsonField> body;
};

// The spec of `type`, or nullptr for a type this version does not know.
const MessageSpec* FindMessageSpec(std::string_view type);

// Fields of the host facts an agent reports (register and agent.facts reply).
const std::vector<JsonField>& HostFactsFields();

}  // namespace drover::wire
