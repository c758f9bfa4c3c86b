#include "plans/placement/cluster_state.h"

#include <cstdlib>

namespace drover::plans {
namespace {
int64_t GroupKey(int group, int spread) {
  return (static_cast<int64_t>(group) << 32) | static_cast<uint32_t>(spread);
}
}  // namespace

ClusterState::ClusterState(const Inventory& inv, const HostGraph& graph, std::vector<bool> excluded)
    : inv_(inv), graph_(graph) {
  const size_t nh = inv.hosts.size();
  cap_.resize(nh), held_.resize(nh), final_.resize(nh);
  heavy_.assign(nh, {}), usage_.assign(nh, {});
  accepts_.resize(nh), spread_id_.resize(nh), keys_.resize(nh);
  departures_.resize(nh), incoming_.resize(nh);
  excluded.resize(nh, false);
  std::unordered_map<std::string, int> domains;
  for (size_t h = 0; h < nh; ++h) {
    const Host& host = inv.hosts[h];
    cap_[h] = Capacity(host, inv.policy);
    accepts_[h] = host.state == HostState::kOnline && !excluded[h];
    const bool by_domain = inv.policy.spread_groups_across == SpreadPolicy::kFailureDomain;
    if (by_domain && !host.failure_domain.empty()) {
      spread_id_[h] =
          domains.emplace(host.failure_domain, static_cast<int>(domains.size())).first->second;
    } else {
      spread_id_[h] = -1 - static_cast<int>(h);  // its own key, disjoint from domain ids
    }
  }
  std::unordered_map<std::string, int> groups;
  items_.reserve(inv.guests.size());
  for (size_t g = 0; g < inv.guests.size(); ++g) {
    const Guest& guest = inv.guests[g];
    Item it{guest.name,
            static_cast<int>(g),
            false,
            Demand(guest),
            DominantResource(guest),
            IsHeavy(guest, inv.policy),
            -1};
    if (!guest.group.empty()) {
      auto [pos, fresh] = groups.emplace(guest.group, static_cast<int>(group_names_.size()));
      if (fresh) group_names_.push_back(guest.group);
      it.group = pos->second;
    }
    items_.push_back(std::move(it));
    loc_.push_back(guest.host_index);
    moved_.push_back(0);
  }
  for (size_t i = 0; i < items_.size(); ++i) {
    int h = loc_[i];
    if (h < 0) continue;
    held_[h] += items_[i].demand;
    Apply(static_cast<int>(i), h, +1);
  }
  for (size_t h = 0; h < nh; ++h) Index(static_cast<int>(h));
}

int ClusterState::AddClone(int guest, std::string name) {
  Item it = items_[guest];
  it.name = std::move(name);
  it.is_clone = true;
  it.group = -1;  // a clone is a new guest outside the original's group
  items_.push_back(std::move(it));
  loc_.push_back(-1);
  moved_.push_back(0);
  return static_cast<int>(items_.size()) - 1;
}

int ClusterState::SpreadCount(int group, int h) const {
  auto it = group_count_.find(GroupKey(group, spread_id_[h]));
  return it == group_count_.end() ? 0 : it->second;
}

Reject ClusterState::Check(int i, int h, int source) const {
  const Item& it = items_[i];
  const int src = source == -2 ? loc_[i] : source;
  if (h == loc_[i] || h == src) return Reject::kSameHost;
  if (!accepts_[h]) {
    if (inv_.hosts[h].state == HostState::kOffline) return Reject::kOffline;
    if (inv_.hosts[h].state == HostState::kDrained) return Reject::kDrained;
    return Reject::kExcluded;
  }
  if (src >= 0 && graph_.BandwidthMbps(src, h) <= 0) return Reject::kNoBandwidth;
  if (it.group >= 0 && inv_.policy.spread_groups_across != SpreadPolicy::kNone) {
    int count = SpreadCount(it.group, h);
    if (loc_[i] >= 0 && spread_id_[loc_[i]] == spread_id_[h]) --count;
    if (count > 0) return Reject::kGroup;
  }
  Res f = final_[h] + it.demand;
  const Res& c = cap_[h];
  if (!Res{f.cpu, 0, 0}.FitsIn(c)) return Reject::kCpu;
  if (!Res{0, f.mem, 0}.FitsIn(c)) return Reject::kMemory;
  if (!Res{0, 0, f.disk}.FitsIn(c)) return Reject::kDisk;
  return Reject::kOk;
}

int ClusterState::FindHost(int i, const std::function<bool(int)>& filter, int source) const {
  for (const Key& k : index_[items_[i].dominant]) {
    int h = std::get<2>(k);
    if (filter && !filter(h)) continue;
    if (Check(i, h, source) == Reject::kOk) return h;
  }
  return -1;
}

void ClusterState::Unindex(int h) {
  if (!accepts_[h]) return;
  for (int r = 0; r < kResources; ++r) index_[r].erase(keys_[h][r]);
}

void ClusterState::Index(int h) {
  if (!accepts_[h]) return;
  for (int r = 0; r < kResources; ++r) {
    keys_[h][r] = Key{heavy_[h][r], usage_[h][r], h};
    index_[r].insert(keys_[h][r]);
  }
}

void ClusterState::Apply(int i, int h, int sign) {
  const Item& it = items_[i];
  Unindex(h);
  if (sign > 0)
    final_[h] += it.demand;
  else
    final_[h] -= it.demand;
  auto u = UsageOn(inv_.guests[it.guest], inv_.hosts[h]);
  for (int r = 0; r < kResources; ++r) usage_[h][r] += sign * u[r];
  if (it.heavy) heavy_[h][it.dominant] += sign;
  if (it.group >= 0) group_count_[GroupKey(it.group, spread_id_[h])] += sign;
  Index(h);
}

int ClusterState::Commit(int i, int to, std::string reason, int source) {
  const Item& it = items_[i];
  const int m = static_cast<int>(moves_.size());
  const int from = loc_[i];
  PlacedMove pm{i, source == -2 ? from : source, to, {}, std::move(reason)};
  Res need = held_[to] + it.demand;
  Res freed;
  for (const auto& [dep, res] : departures_[to]) {
    if ((need - freed).FitsIn(cap_[to])) break;
    freed += res;
    pm.capacity_deps.push_back(dep);
  }
  if (!(need - freed).FitsIn(cap_[to])) std::abort();  // Check() was not honoured: a planner bug
  held_[to] += it.demand;
  Apply(i, to, +1);
  if (from >= 0) {
    Apply(i, from, -1);
    departures_[from].push_back({m, it.demand});
  }
  loc_[i] = to;
  moved_[i] = 1;
  incoming_[to].push_back(i);
  moves_.push_back(std::move(pm));
  move_source_.push_back(from);
  return m;
}

void ClusterState::Uncommit() {
  const PlacedMove& pm = moves_.back();
  const int i = pm.item, to = pm.to, from = move_source_.back();
  Apply(i, to, -1);
  held_[to] -= items_[i].demand;
  if (from >= 0) {
    Apply(i, from, +1);
    departures_[from].pop_back();
  }
  loc_[i] = from;
  moved_[i] = 0;
  incoming_[to].pop_back();
  moves_.pop_back();
  move_source_.pop_back();
}

std::vector<int> ClusterState::Residents(int h) const {
  std::vector<int> out;
  for (int g : inv_.guests_on_host[h]) {
    if (loc_[g] == h && !moved_[g]) out.push_back(g);
  }
  return out;
}

}  // namespace drover::plans
