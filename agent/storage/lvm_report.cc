#include "agent/storage/lvm_report.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace drover::storage {

const char kLvsFields[] =
    "lv_name,vg_name,lv_size,origin,snap_percent,data_percent,lv_attr,pool_lv,thin_id,lv_uuid,"
    "chunk_size";
const char kVgsFields[] = "vg_name,vg_size,vg_free";

namespace {

using nlohmann::json;

Result<std::string> Field(const json& row, const char* name, bool required) {
  auto it = row.find(name);
  if (it == row.end()) {
    if (required) return Err(InvalidArgument(std::string("lvm report lacks field ") + name));
    return std::string();
  }
  if (!it->is_string())
    return Err(InvalidArgument(std::string("lvm field ") + name + " is not a string"));
  return it->get<std::string>();
}

Result<uint64_t> Integer(const std::string& text, const char* name) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return Err(InvalidArgument(std::string("lvm field ") + name + " is not a byte count: '" + text +
                               "' (run with --units b --nosuffix)"));
  }
  return v;
}

Result<std::optional<uint64_t>> OptionalInteger(const json& row, const char* name) {
  ASSIGN_OR_RETURN(std::string text, Field(row, name, false));
  if (text.empty()) return std::optional<uint64_t>();
  ASSIGN_OR_RETURN(uint64_t v, Integer(text, name));
  return std::optional<uint64_t>(v);
}

Result<std::optional<double>> OptionalPercent(const json& row, const char* name) {
  ASSIGN_OR_RETURN(std::string text, Field(row, name, false));
  if (text.empty()) return std::optional<double>();
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size()) return std::optional<double>(v);
  } catch (const std::exception&) {
  }
  return Err(
      InvalidArgument(std::string("lvm field ") + name + " is not a percentage: '" + text + "'"));
}

// The rows of report[0][section].
Result<json> Rows(const std::string& text, const char* section) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Err(InvalidArgument("lvm output is not JSON"));
  if (!doc.is_object() || !doc.contains("report") || !doc["report"].is_array()) {
    return Err(InvalidArgument("lvm output has no \"report\" array"));
  }
  json rows = json::array();
  for (const json& part : doc["report"]) {
    if (part.is_object() && part.contains(section) && part[section].is_array()) {
      for (const json& r : part[section]) rows.push_back(r);
    }
  }
  return rows;
}

}  // namespace

bool LvRecord::IsInvalidSnapshot() const {
  if (lv_attr.size() >= 5 && (lv_attr[4] == 'I' || lv_attr[4] == 'S')) return true;
  return IsClassicSnapshot() && snap_percent && *snap_percent >= 100.0;
}

Result<std::vector<LvRecord>> ParseLvsReport(const std::string& json_text) {
  ASSIGN_OR_RETURN(json rows, Rows(json_text, "lv"));
  std::vector<LvRecord> out;
  for (const json& row : rows) {
    if (!row.is_object()) return Err(InvalidArgument("lvm report row is not an object"));
    LvRecord r;
    ASSIGN_OR_RETURN(r.lv_name, Field(row, "lv_name", true));
    ASSIGN_OR_RETURN(r.vg_name, Field(row, "vg_name", true));
    ASSIGN_OR_RETURN(std::string size, Field(row, "lv_size", true));
    ASSIGN_OR_RETURN(r.lv_size, Integer(size, "lv_size"));
    ASSIGN_OR_RETURN(r.lv_attr, Field(row, "lv_attr", true));
    ASSIGN_OR_RETURN(r.origin, Field(row, "origin", false));
    ASSIGN_OR_RETURN(r.pool_lv, Field(row, "pool_lv", false));
    ASSIGN_OR_RETURN(r.lv_uuid, Field(row, "lv_uuid", false));
    ASSIGN_OR_RETURN(r.snap_percent, OptionalPercent(row, "snap_percent"));
    ASSIGN_OR_RETURN(r.data_percent, OptionalPercent(row, "data_percent"));
    ASSIGN_OR_RETURN(r.thin_id, OptionalInteger(row, "thin_id"));
    ASSIGN_OR_RETURN(r.chunk_size, OptionalInteger(row, "chunk_size"));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<VgRecord>> ParseVgsReport(const std::string& json_text) {
  ASSIGN_OR_RETURN(json rows, Rows(json_text, "vg"));
  std::vector<VgRecord> out;
  for (const json& row : rows) {
    if (!row.is_object()) return Err(InvalidArgument("lvm report row is not an object"));
    VgRecord r;
    ASSIGN_OR_RETURN(r.vg_name, Field(row, "vg_name", true));
    ASSIGN_OR_RETURN(std::string size, Field(row, "vg_size", true));
    ASSIGN_OR_RETURN(r.vg_size, Integer(size, "vg_size"));
    ASSIGN_OR_RETURN(std::string free, Field(row, "vg_free", true));
    ASSIGN_OR_RETURN(r.vg_free, Integer(free, "vg_free"));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace drover::storage
