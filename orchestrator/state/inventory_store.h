// The last facts each agent reported, kept so that `drover hosts` can show a
// host that is unreachable now with what it last said.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "orchestrator/state/database.h"

namespace drover::state {

struct HostRecord {
  std::string name;
  std::string public_key;
  nlohmann::json facts;
  std::string version;
  int64_t last_seen = 0;  // unix seconds
};

class InventoryStore {
 public:
  explicit InventoryStore(Database* db) : db_(db) {}

  // Replaces what is known of `record.name`.
  Status Save(const HostRecord& record);
  Result<std::vector<HostRecord>> List();

 private:
  Database* db_;
};

}  // namespace drover::state
