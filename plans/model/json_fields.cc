#include "plans/model/json_fields.h"

#include <algorithm>
#include <cmath>

namespace drover::plans {

std::string JsonTypeName(const nlohmann::json& j) { return j.type_name(); }

FieldReader::FieldReader(const nlohmann::json& obj, std::string path)
    : obj_(obj), path_(std::move(path)) {
  if (!obj_.is_object())
    status_ = InvalidArgument(path_ + ": expected an object, got " + JsonTypeName(obj_));
}

void FieldReader::Fail(const char* key, const std::string& what) {
  if (status_.ok()) status_ = InvalidArgument(path_ + "." + key + ": " + what);
}

const nlohmann::json* FieldReader::Find(const char* key, bool required) {
  if (!status_.ok()) return nullptr;
  seen_.emplace_back(key);
  auto it = obj_.find(key);
  if (it == obj_.end() || it->is_null()) {
    if (required) Fail(key, "missing");
    return nullptr;
  }
  return &*it;
}

void FieldReader::Number(const char* key, double* out, bool required) {
  const nlohmann::json* j = Find(key, required);
  if (j == nullptr) return;
  if (!j->is_number()) return Fail(key, "expected a number, got " + JsonTypeName(*j));
  double v = j->get<double>();
  if (!std::isfinite(v)) return Fail(key, "not a finite number");
  if (v < 0) return Fail(key, "negative value " + j->dump());
  *out = v;
}

void FieldReader::Int(const char* key, int* out, bool required) {
  double v = *out;
  Number(key, &v, required);
  if (!status_.ok()) return;
  if (v != std::floor(v) || v > 1e9) return Fail(key, "expected a whole number");
  *out = static_cast<int>(v);
}

void FieldReader::String(const char* key, std::string* out, bool required) {
  const nlohmann::json* j = Find(key, required);
  if (j == nullptr) return;
  if (!j->is_string()) return Fail(key, "expected a string, got " + JsonTypeName(*j));
  *out = j->get<std::string>();
  if (required && out->empty()) Fail(key, "empty");
}

void FieldReader::Bool(const char* key, bool* out) {
  const nlohmann::json* j = Find(key, false);
  if (j == nullptr) return;
  if (!j->is_boolean()) return Fail(key, "expected true or false, got " + JsonTypeName(*j));
  *out = j->get<bool>();
}

void FieldReader::Strings(const char* key, std::vector<std::string>* out) {
  const nlohmann::json* j = Find(key, false);
  if (j == nullptr) return;
  if (!j->is_array()) return Fail(key, "expected an array of strings, got " + JsonTypeName(*j));
  out->clear();
  for (size_t i = 0; i < j->size(); ++i) {
    const auto& e = (*j)[i];
    if (!e.is_string()) {
      return Fail(key, "[" + std::to_string(i) + "]: expected a string, got " + JsonTypeName(e));
    }
    out->push_back(e.get<std::string>());
  }
}

const nlohmann::json* FieldReader::Object(const char* key) {
  const nlohmann::json* j = Find(key, false);
  if (j != nullptr && !j->is_object()) {
    Fail(key, "expected an object, got " + JsonTypeName(*j));
    return nullptr;
  }
  return j;
}

void FieldReader::WarnUnknown(std::vector<std::string>* warnings) const {
  if (!obj_.is_object()) return;
  for (const auto& [k, v] : obj_.items()) {
    if (std::find(seen_.begin(), seen_.end(), k) == seen_.end()) {
      warnings->push_back(path_ + ": unknown field \"" + k + "\" ignored");
    }
  }
}

}  // namespace drover::plans
