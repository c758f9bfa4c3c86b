#include "plans/model/document_io.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace drover::plans {

Result<nlohmann::json> ParseJsonText(const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Err(InvalidArgument(what + ": not valid JSON: " + e.what()));
  }
}

Result<nlohmann::json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err(InvalidArgument(path + ": cannot read: " + std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Err(InvalidArgument(path + ": read failed"));
  return ParseJsonText(ss.str(), path);
}

Status WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return IoError(path + ": cannot write: " + std::strerror(errno));
  out << text;
  out.close();
  if (!out) return IoError(path + ": write failed");
  return Status::Ok();
}

}  // namespace drover::plans
