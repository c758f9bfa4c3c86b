#include "common/config.h"

#include <fstream>
#include <sstream>

namespace drover {

Result<nlohmann::json> LoadConfigFile(const std::string& path, const std::vector<JsonField>& spec) {
  std::ifstream in(path);
  if (!in) return Err(InvalidArgument("config file " + path + ": cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json config = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) {
    return Err(InvalidArgument("config file " + path + ": not valid JSON"));
  }
  RETURN_IF_ERROR(CheckJsonFields(config, spec, "config file " + path, UnknownFields::kReject));
  return config;
}

}  // namespace drover
