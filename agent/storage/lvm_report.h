// Parsing lvm2's JSON reports: `lvs`/`vgs --reportformat json --units b
// --nosuffix -o ...`. In these reports every value, numbers included, is a
// string, and empty strings stand for "not applicable" (a snapshot percent
// of a plain volume). Unknown fields are ignored; a missing required field,
// a non-numeric size, or text that is not such a report is an
// InvalidArgument naming the field. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover::storage {

struct LvRecord {
  std::string lv_name, vg_name, origin, lv_attr, pool_lv, lv_uuid;
  uint64_t lv_size = 0;
  std::optional<double> snap_percent, data_percent;
  std::optional<uint64_t> thin_id;
  std::optional<uint64_t> chunk_size;  // bytes (thin pools and snapshots)

  bool IsThinPool() const { return !lv_attr.empty() && lv_attr[0] == 't'; }
  bool IsThinVolume() const { return !lv_attr.empty() && lv_attr[0] == 'V'; }
  bool IsClassicSnapshot() const {
    return !lv_attr.empty() && (lv_attr[0] == 's' || lv_attr[0] == 'S');
  }
  // Invalid (overflowed or dropped) classic snapshot: state 'I' or 'S', or 100 % full.
  bool IsInvalidSnapshot() const;
};

struct VgRecord {
  std::string vg_name;
  uint64_t vg_size = 0;
  uint64_t vg_free = 0;
};

// The fields the driver asks lvs for, in order.
extern const char kLvsFields[];
extern const char kVgsFields[];

Result<std::vector<LvRecord>> ParseLvsReport(const std::string& json_text);
Result<std::vector<VgRecord>> ParseVgsReport(const std::string& json_text);

}  // namespace drover::storage
