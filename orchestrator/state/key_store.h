// The keys an operator has accepted, refused or not yet looked at.
//
// A key that connects unannounced is recorded as pending (with the address it
// came from) and refused; `drover keys accept` makes it accepted with a role:
// "agent" keys may register as hosts, "operator" keys may run CLI commands.
// Revoking is immediate for new connections (the ZAP handler asks the cache)
// and for live ones (the daemon drops every message from a key that is not
// accepted any more).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "orchestrator/state/database.h"

namespace drover::state {

enum class KeyRole { kAgent, kOperator };
std::string_view RoleName(KeyRole role);
Result<KeyRole> ParseRole(std::string_view name);

struct KeyRecord {
  std::string public_key;
  std::string name;
  std::string role;
  std::string status;  // pending | accepted | revoked
  std::string address;
  int64_t first_seen = 0;
  int64_t changed_at = 0;
};

class KeyStore {
 public:
  explicit KeyStore(Database* db) : db_(db) {}

  // Records an unknown key as pending; a known key is left as it is.
  Status NotePending(const std::string& public_key, const std::string& address);
  // Accepts a pending, revoked or new key. NotFound is never returned: an
  // operator may accept a key before its owner ever connected.
  Status Accept(const std::string& public_key, KeyRole role, const std::string& name);
  // NotFound when the key was never seen or accepted.
  Status Revoke(const std::string& public_key);
  Result<std::vector<KeyRecord>> List();
  // Accepted keys and their roles.
  Result<std::map<std::string, KeyRole>> Accepted();
  // Resolves a unique prefix of a known key (as `keys list` prints them).
  Result<std::string> Resolve(const std::string& key_or_prefix);

 private:
  Database* db_;
};

}  // namespace drover::state
