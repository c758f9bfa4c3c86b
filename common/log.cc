#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace drover {

Status InitLogging(std::string_view program, std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return InvalidArgument("log level '" + std::string(level) +
                           "' is not one of trace, debug, info, warn, error, off");
  }
  auto logger = spdlog::get(std::string(program));
  if (!logger) logger = spdlog::stderr_color_mt(std::string(program));
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %n %l: %v");
  spdlog::set_level(parsed);
  return Status::Ok();
}

}  // namespace drover
