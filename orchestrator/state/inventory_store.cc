#include "orchestrator/state/inventory_store.h"

namespace drover::state {

Status InventoryStore::Save(const HostRecord& record) {
  return db_->Exec(
      "INSERT INTO hosts (name, public_key, facts, version, last_seen) VALUES (?, ?, ?, ?, ?) "
      "ON CONFLICT(name) DO UPDATE SET public_key=excluded.public_key, facts=excluded.facts, "
      "version=excluded.version, last_seen=excluded.last_seen",
      {record.name, record.public_key, record.facts.dump(), record.version, record.last_seen});
}

Result<std::vector<HostRecord>> InventoryStore::List() {
  std::vector<HostRecord> hosts;
  RETURN_IF_ERROR(
      db_->Exec("SELECT name, public_key, facts, version, last_seen FROM hosts ORDER BY name", {},
                [&](const Row& r) {
                  nlohmann::json facts = nlohmann::json::parse(r.Text(2), nullptr, false);
                  if (facts.is_discarded()) facts = nlohmann::json::object();
                  hosts.push_back({r.Text(0), r.Text(1), std::move(facts), r.Text(3), r.Int(4)});
                }));
  return hosts;
}

}  // namespace drover::state
