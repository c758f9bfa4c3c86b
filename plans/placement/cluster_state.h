// The cluster as the planner changes it: where every guest (and every clone
// being made) will be, what each host holds at every moment, and the
// complementarity index used to pick destinations.
//
// Items are the things placed: inventory guests (item id = guest index) and
// clones added with AddClone. Each host keeps
//   held  = its guests at the start + everything moving in (what it may hold
//           at some moment: a moving guest holds room on both hosts), and
//   final = held - everything that moved out.
// Commit() records a move and returns the moves it must wait for: the
// departures from the destination that free the room, in departure order, so
// that capacity holds at every moment of any schedule that honours them.
// Destinations are chosen from three ordered indexes, one per dominant
// resource, keyed by (heavy guests on that resource, real usage, host), so a
// lookup costs O(log hosts) plus the hosts it skips. Not thread-safe.
#pragma once

#include <array>
#include <functional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "plans/graph/host_graph.h"
#include "plans/model/inventory.h"
#include "plans/model/resources.h"

namespace drover::plans {

// Why a host cannot take an item (first reason found, in this order).
enum class Reject {
  kOk,
  kSameHost,
  kExcluded,
  kDrained,
  kOffline,
  kNoBandwidth,
  kGroup,
  kCpu,
  kMemory,
  kDisk
};

struct Item {
  std::string name;
  int guest = -1;  // the inventory guest it is (or is a clone of)
  bool is_clone = false;
  Res demand;
  int dominant = kCpu;
  bool heavy = false;
  int group = -1;  // index into group names; -1 none
};

struct PlacedMove {
  int item = -1;
  int from = -1;
  int to = -1;
  std::vector<int> capacity_deps;  // earlier moves (indices) freeing room on `to`
  std::string reason;
};

class ClusterState {
 public:
  // `excluded` hosts (for example those being evacuated) accept nothing.
  ClusterState(const Inventory& inv, const HostGraph& graph, std::vector<bool> excluded);

  const Inventory& inventory() const { return inv_; }
  const HostGraph& graph() const { return graph_; }
  const Item& item(int i) const { return items_[i]; }
  int num_items() const { return static_cast<int>(items_.size()); }
  int location(int i) const { return loc_[i]; }
  bool moved(int i) const { return moved_[i]; }
  const std::vector<PlacedMove>& moves() const { return moves_; }
  const std::string& group_name(int g) const { return group_names_[g]; }

  // Adds a clone of `guest` named `name` that does not exist yet (location -1).
  int AddClone(int guest, std::string name);

  // Whether `h` can take item `i` (from `source` when given, else its location).
  Reject Check(int i, int h, int source = -2) const;
  // The best host for `i` by the complementarity rule among hosts passing
  // Check and `filter` (when set); -1 when none.
  int FindHost(int i, const std::function<bool(int)>& filter = nullptr, int source = -2) const;
  // Records the move of `i` to `to` (a clone: created on `to`, read from `source`).
  int Commit(int i, int to, std::string reason, int source = -2);
  // Reverts the last Commit (for trying a cascade).
  void Uncommit();

  Res cap(int h) const { return cap_[h]; }
  Res held(int h) const { return held_[h]; }
  Res final_use(int h) const { return final_[h]; }
  bool accepts(int h) const { return accepts_[h]; }
  int heavy(int h, int r) const { return heavy_[h][r]; }
  double usage(int h, int r) const { return usage_[h][r]; }
  // Items whose final location is `h` and that have not moved.
  std::vector<int> Residents(int h) const;
  // Hosts in index order for resource r (for rebalance and explanations).
  template <typename F>
  void ForEachByResource(int r, F f) const {
    for (const auto& k : index_[r]) {
      if (!f(std::get<2>(k))) return;
    }
  }

 private:
  using Key = std::tuple<int, double, int>;
  void Unindex(int h);
  void Index(int h);
  void Apply(int i, int h, int sign);  // adds (+1) or removes (-1) i's footprint on h
  int SpreadCount(int group, int h) const;

  const Inventory& inv_;
  const HostGraph& graph_;
  std::vector<Item> items_;
  std::vector<int> loc_;
  std::vector<char> moved_;
  std::vector<Res> cap_, held_, final_;
  std::vector<std::array<int, kResources>> heavy_;
  std::vector<std::array<double, kResources>> usage_;
  std::vector<char> accepts_;
  std::vector<int> spread_id_;  // per host: the id of its spread key
  std::array<std::set<Key>, kResources> index_;
  std::vector<std::array<Key, kResources>> keys_;
  std::vector<std::string> group_names_;
  std::unordered_map<int64_t, int> group_count_;              // (group, spread id) -> members
  std::vector<std::vector<std::pair<int, Res>>> departures_;  // per host: (move, demand)
  std::vector<std::vector<int>> incoming_;                    // per host: items that moved in
  std::vector<PlacedMove> moves_;
  std::vector<int> move_source_;  // per move: the item's previous location (-1 clone)
};

}  // namespace drover::plans
