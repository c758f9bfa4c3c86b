// Fuzzes the control-message decoder: whatever arrives on the wire must give
// a Message or a Status, never a crash, a hang or undefined behaviour; and a
// message that decodes must encode and decode to the same message; and the
// heartbeat fast path must accept nothing that Decode reads differently.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/wire/codec.h"
#include "common/wire/heartbeat.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view frame(reinterpret_cast<const char*>(data), size);
  auto message = drover::wire::Decode(frame, 1 << 16);
  (void)drover::wire::SalvageId(frame, 1 << 16);
  if (auto hb = drover::wire::ParseHeartbeat(frame)) {
    if (!message || message->type != "heartbeat" || message->id != hb->id ||
        message->body["seq"].get<int64_t>() != hb->seq ||
        message->body.value("ack", false) != hb->ack) {
      std::abort();
    }
  }
  if (!message) return 0;
  auto again = drover::wire::Decode(drover::wire::Encode(*message), 1 << 20);
  if (!again || again->type != message->type || again->id != message->id ||
      again->re != message->re || again->body != message->body) {
    std::abort();
  }
  return 0;
}
