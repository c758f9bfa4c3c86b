#include "plans/planners/common.h"

#include <queue>
#include <tuple>
#include <unordered_map>

namespace drover::plans {

std::vector<char> MovableGuests(const Inventory& inv, const std::vector<bool>& excluded) {
  std::vector<char> out(inv.guests.size(), 1);
  for (size_t g = 0; g < inv.guests.size(); ++g) {
    const Guest& guest = inv.guests[g];
    if (guest.pinned || !guest.after.empty()) out[g] = 0;
    for (const std::string& a : guest.after) {
      int o = inv.GuestIndex(a);
      if (o >= 0) out[o] = 0;
    }
    int h = guest.host_index;
    if (h < 0 || inv.hosts[h].state == HostState::kOffline ||
        (h < static_cast<int>(excluded.size()) && excluded[h])) {
      out[g] = 0;
    }
  }
  return out;
}

std::vector<int> PlacementOrder(const Inventory& inv, const std::vector<int>& guests) {
  std::unordered_map<int, int> pos;
  for (size_t i = 0; i < guests.size(); ++i) pos[guests[i]] = static_cast<int>(i);
  std::vector<std::vector<int>> next(guests.size());
  std::vector<int> waiting(guests.size(), 0);
  for (size_t i = 0; i < guests.size(); ++i) {
    for (const std::string& a : inv.guests[guests[i]].after) {
      auto it = pos.find(inv.GuestIndex(a));
      if (it == pos.end()) continue;
      next[it->second].push_back(static_cast<int>(i));
      ++waiting[i];
    }
  }
  using Key = std::tuple<double, double, int>;  // (-memory, -disk, inventory index)
  std::priority_queue<Key, std::vector<Key>, std::greater<Key>> ready;
  auto push = [&](int i) {
    const Guest& g = inv.guests[guests[i]];
    ready.push({-g.memory_mib, -g.disk_gib, guests[i]});
  };
  for (size_t i = 0; i < guests.size(); ++i) {
    if (waiting[i] == 0) push(static_cast<int>(i));
  }
  std::vector<int> out;
  out.reserve(guests.size());
  while (!ready.empty()) {
    int g = std::get<2>(ready.top());
    ready.pop();
    out.push_back(g);
    for (int n : next[pos[g]]) {
      if (--waiting[n] == 0) push(n);
    }
  }
  return out;  // validation rejects `after` cycles, so every guest is here
}

Status InfeasibleReport(const std::vector<std::string>& explanations, size_t total) {
  std::string m = "cannot place " + std::to_string(explanations.size()) + " of " +
                  std::to_string(total) + " guest" + (total == 1 ? "" : "s") +
                  "; no plan was made:";
  for (const std::string& e : explanations) m += "\n  " + e;
  return Infeasible(m);
}

}  // namespace drover::plans
