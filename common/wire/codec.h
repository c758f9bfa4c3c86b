// Encoding and decoding of control messages (see message.h for the format).
//
// Decode never throws and never trusts its input: anything that is not one
// well-formed message of a known type with the right fields gives an
// InvalidArgument that says what was wrong, for the error reply and the log.
// Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "common/wire/message.h"

namespace drover::wire {

std::string Encode(const Message& message);

// `max_bytes` bounds the frame size before any parsing.
Result<Message> Decode(std::string_view frame, size_t max_bytes);

// Best effort: the "id" of a frame that failed to decode, so the error reply
// can name the request it answers. Empty when there is none.
std::string SalvageId(std::string_view frame, size_t max_bytes);

}  // namespace drover::wire
