// Fuzzes the control-message decoder: whatever arrives on the wire must give
// a Message or a Status, never a crash, a hang or undefined behaviour; and a
// message that decodes must encode and decode to the same message.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/wire/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view frame(reinterpret_cast<const char*>(data), size);
  auto message = drover::wire::Decode(frame, 1 << 16);
  (void)drover::wire::SalvageId(frame, 1 << 16);
  if (!message) return 0;
  auto again = drover::wire::Decode(drover::wire::Encode(*message), 1 << 20);
  if (!again || again->type != message->type || again->id != message->id ||
      again->re != message->re || again->body != message->body) {
    std::abort();
  }
  return 0;
}
