// Unguessable identifiers (transfer tickets) and short unique ids (transfers,
// runs), from the kernel's random source.
#pragma once

#include <string>

#include "common/status.h"

namespace drover {

// `bytes` random bytes from getrandom(2), as lowercase hex.
Result<std::string> RandomHex(size_t bytes);

}  // namespace drover
