// The heartbeat read and answered without building a JSON document.
//
// A thousand agents send one heartbeat a second each: it is the one message
// whose cost decides the orchestrator's idle CPU. ParseHeartbeat accepts only
// the exact bytes Encode writes for a heartbeat (keys sorted, no spaces):
//
//   {"body":{"ack":false,"seq":17},"drover":1,"id":"a4821-17","type":"heartbeat"}
//
// with an id of 1-64 characters of [A-Za-z0-9._-] and a seq of 0 to 18
// digits' worth (no sign, no leading zero). Anything else -- other spacing or
// key order, escapes, extra fields, another version -- gives nullopt and the
// caller decodes the frame with Decode, which stays the judge of what is
// valid: every frame ParseHeartbeat accepts, Decode accepts with the same id,
// seq and ack (tests/common/heartbeat_test.cc, and the codec fuzzer checks it
// on every input). Thread-safe (no state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace drover::wire {

struct Heartbeat {
  std::string_view id;  // points into the frame
  int64_t seq = 0;
  bool ack = false;
};

std::optional<Heartbeat> ParseHeartbeat(std::string_view frame);

// The reply to heartbeat `re`, byte for byte what
// Encode(MakeReply(heartbeat, id, {{"seq", seq}})) writes.
std::string EncodeHeartbeatAck(std::string_view id, std::string_view re, int64_t seq);

}  // namespace drover::wire
