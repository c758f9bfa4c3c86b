// Typed reading of one JSON object's fields with precise error paths, and
// warnings for fields the reader does not know.
//
// Each getter reports "PATH.FIELD: expected a number, got string" style
// errors into the reader; the first error wins and later getters are no-ops.
// Never throws.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover::plans {

class FieldReader {
 public:
  // `path` names the object in messages, e.g. `hosts[3] "h4"`.
  FieldReader(const nlohmann::json& obj, std::string path);

  void Number(const char* key, double* out, bool required);
  void Int(const char* key, int* out, bool required);
  void String(const char* key, std::string* out, bool required);
  void Bool(const char* key, bool* out);
  void Strings(const char* key, std::vector<std::string>* out);
  // Nested object, for example `load`; null when absent.
  const nlohmann::json* Object(const char* key);

  // Appends a warning for every key never asked for.
  void WarnUnknown(std::vector<std::string>* warnings) const;
  const std::string& path() const { return path_; }
  Status status() const { return status_; }

 private:
  const nlohmann::json* Find(const char* key, bool required);
  void Fail(const char* key, const std::string& what);

  const nlohmann::json& obj_;
  std::string path_;
  std::vector<std::string> seen_;
  Status status_;
};

std::string JsonTypeName(const nlohmann::json& j);

}  // namespace drover::plans
