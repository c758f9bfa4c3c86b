#include "orchestrator/state/key_store.h"

#include <ctime>

namespace drover::state {
namespace {
int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }
}  // namespace

std::string_view RoleName(KeyRole role) {
  return role == KeyRole::kOperator ? "operator" : "agent";
}

Result<KeyRole> ParseRole(std::string_view name) {
  if (name == "agent") return KeyRole::kAgent;
  if (name == "operator") return KeyRole::kOperator;
  return Err(InvalidArgument("role '" + std::string(name) + "' is not agent or operator"));
}

Status KeyStore::NotePending(const std::string& public_key, const std::string& address) {
  return db_->Exec(
      "INSERT INTO keys (public_key, status, address, first_seen, changed_at) "
      "VALUES (?, 'pending', ?, ?, ?) ON CONFLICT(public_key) DO NOTHING",
      {public_key, address, Now(), Now()});
}

Status KeyStore::Accept(const std::string& public_key, KeyRole role, const std::string& name) {
  return db_->Exec(
      "INSERT INTO keys (public_key, name, role, status, first_seen, changed_at) "
      "VALUES (?, ?, ?, 'accepted', ?, ?) ON CONFLICT(public_key) DO UPDATE SET "
      "status='accepted', role=excluded.role, changed_at=excluded.changed_at, "
      "name=CASE WHEN excluded.name != '' THEN excluded.name ELSE keys.name END",
      {public_key, name, std::string(RoleName(role)), Now(), Now()});
}

Status KeyStore::Revoke(const std::string& public_key) {
  int64_t found = 0;
  RETURN_STATUS_IF_ERROR(db_->Exec("SELECT count(*) FROM keys WHERE public_key = ?", {public_key},
                                   [&](const Row& r) { found = r.Int(0); }));
  if (found == 0) return NotFound("key " + public_key + " is not known");
  return db_->Exec("UPDATE keys SET status='revoked', changed_at=? WHERE public_key=?",
                   {Now(), public_key});
}

Result<std::vector<KeyRecord>> KeyStore::List() {
  std::vector<KeyRecord> keys;
  RETURN_IF_ERROR(db_->Exec(
      "SELECT public_key, name, role, status, address, first_seen, changed_at FROM keys "
      "ORDER BY status, name, public_key",
      {}, [&](const Row& r) {
        keys.push_back({r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5), r.Int(6)});
      }));
  return keys;
}

Result<std::map<std::string, KeyRole>> KeyStore::Accepted() {
  std::map<std::string, KeyRole> keys;
  RETURN_IF_ERROR(
      db_->Exec("SELECT public_key, role FROM keys WHERE status='accepted'", {}, [&](const Row& r) {
        keys[r.Text(0)] = r.Text(1) == "operator" ? KeyRole::kOperator : KeyRole::kAgent;
      }));
  return keys;
}

Result<std::string> KeyStore::Resolve(const std::string& key_or_prefix) {
  if (key_or_prefix.size() < 6) {
    return Err(InvalidArgument("key prefix '" + key_or_prefix + "' is too short (6 or more)"));
  }
  std::vector<std::string> matches;
  RETURN_IF_ERROR(db_->Exec("SELECT public_key FROM keys WHERE substr(public_key, 1, ?) = ?",
                            {static_cast<int64_t>(key_or_prefix.size()), key_or_prefix},
                            [&](const Row& r) { matches.push_back(r.Text(0)); }));
  if (matches.empty()) return Err(NotFound("no known key starts with '" + key_or_prefix + "'"));
  if (matches.size() > 1) {
    return Err(InvalidArgument("key prefix '" + key_or_prefix + "' matches " +
                               std::to_string(matches.size()) + " keys"));
  }
  return matches[0];
}

}  // namespace drover::state
