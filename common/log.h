// Logging: spdlog to standard error, one line per event, level set at start.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "common/status.h"

namespace drover {

// Sets the global log level ("trace", "debug", "info", "warn", "error") and a
// pattern carrying the program name. An unknown level is InvalidArgument.
Status InitLogging(std::string_view program, std::string_view level);

}  // namespace drover
