// The inventory model: hosts, links, guests and policy, as read from the
// inventory document (docs/inventory.md) or exported live by the daemon.
//
// An Inventory is a plain value. After ParseInventory (inventory_json.h) it is
// validated and indexed: every guest's `host_index` names its host, and the
// lookup maps agree with the vectors. Not thread-safe to mutate; safe to share
// read-only between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace drover::plans {

enum class HostState { kOnline, kDrained, kOffline };
enum class SpreadPolicy { kNone, kHost, kFailureDomain };

std::string_view HostStateName(HostState s);
std::optional<HostState> ParseHostState(std::string_view s);
std::string_view SpreadPolicyName(SpreadPolicy s);
std::optional<SpreadPolicy> ParseSpreadPolicy(std::string_view s);

struct Host {
  std::string name;
  double cpus = 0;
  double memory_mib = 0;
  double disk_gib = 0;
  double nic_mbps = 1000;
  std::string failure_domain;  // empty: the host is its own domain
  HostState state = HostState::kOnline;
  std::vector<std::string> tags;
};

struct Link {
  std::string a;
  std::string b;
  double mbps = 0;
};

// Share (0..1) of the guest's allocation that it really uses.
struct Load {
  double cpu = 0;
  double io = 0;
  double memory = 0;
};

struct Guest {
  std::string name;
  std::string host;
  int host_index = -1;  // filled by indexing
  double vcpus = 0;
  double memory_mib = 0;
  double disk_gib = 0;
  Load load;
  double dirty_mib_s = 0;
  std::string group;  // redundancy group; empty: none
  std::vector<std::string> after;
  bool pinned = false;
  bool running = true;  // a stopped guest moves cold
};

struct Policy {
  double cpu_overcommit = 4.0;
  double memory_overcommit = 1.0;
  int max_migrations_per_host = 2;
  int max_migrations_per_link = 1;
  SpreadPolicy spread_groups_across = SpreadPolicy::kHost;
  double max_downtime_ms = 300;     // pre-copy stops when a round fits this
  int max_precopy_rounds = 30;      // and never loops longer than this
  double heavy_load = 0.5;          // a guest is heavy on its dominant resource from here
  double cutover_overhead_s = 0.2;  // fixed pause cost of a live cutover
};

struct Inventory {
  std::vector<Host> hosts;
  std::vector<Link> links;
  std::vector<Guest> guests;
  Policy policy;

  // Indexes, rebuilt by BuildIndex().
  std::unordered_map<std::string, int> host_by_name;
  std::unordered_map<std::string, int> guest_by_name;
  std::vector<std::vector<int>> guests_on_host;

  // Rebuilds the lookup maps and guests_on_host. Guests naming an unknown host
  // keep host_index -1 (validation reports them). Duplicate names keep the
  // first occurrence in the maps.
  void BuildIndex();
  int HostIndex(std::string_view name) const;   // -1 when unknown
  int GuestIndex(std::string_view name) const;  // -1 when unknown
};

}  // namespace drover::plans
