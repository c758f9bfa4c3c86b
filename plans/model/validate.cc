#include "plans/model/validate.h"

#include <map>
#include <set>

#include "plans/model/resources.h"

namespace drover::plans {
namespace {

class Errors {
 public:
  void Add(std::string e) {
    if (lines_.size() < kMax) lines_.push_back(std::move(e));
    ++count_;
  }
  Status ToStatus() const {
    if (count_ == 0) return Status::Ok();
    std::string m =
        "invalid inventory (" + std::to_string(count_) + " error" + (count_ > 1 ? "s" : "") + ")";
    for (const auto& l : lines_) m += "\n  " + l;
    if (count_ > kMax) m += "\n  ...";
    return InvalidArgument(m);
  }

 private:
  static constexpr size_t kMax = 20;
  std::vector<std::string> lines_;
  size_t count_ = 0;
};

std::string Q(const std::string& s) { return "\"" + s + "\""; }

void CheckNames(const Inventory& inv, Errors* e) {
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < inv.hosts.size(); ++i) {
    auto [it, fresh] = seen.emplace(inv.hosts[i].name, i);
    if (!fresh)
      e->Add("hosts[" + std::to_string(i) + "].name: duplicate host " + Q(inv.hosts[i].name) +
             " (first at hosts[" + std::to_string(it->second) + "])");
  }
  seen.clear();
  for (size_t i = 0; i < inv.guests.size(); ++i) {
    const Guest& g = inv.guests[i];
    auto [it, fresh] = seen.emplace(g.name, i);
    if (!fresh)
      e->Add("guests[" + std::to_string(i) + "].name: duplicate guest " + Q(g.name) +
             " (first at guests[" + std::to_string(it->second) + "])");
    if (g.host_index < 0) e->Add("guest " + Q(g.name) + ".host: unknown host " + Q(g.host));
  }
}

void CheckLinks(const Inventory& inv, Errors* e) {
  for (size_t i = 0; i < inv.links.size(); ++i) {
    const Link& l = inv.links[i];
    std::string p = "links[" + std::to_string(i) + "]";
    if (inv.HostIndex(l.a) < 0) e->Add(p + ".a: unknown host " + Q(l.a));
    if (inv.HostIndex(l.b) < 0) e->Add(p + ".b: unknown host " + Q(l.b));
    if (l.a == l.b) e->Add(p + ": links host " + Q(l.a) + " to itself");
    if (l.mbps <= 0) e->Add(p + ".mbps: must be above 0");
  }
}

// Depth-first search for a cycle in the `after` relation.
void CheckAfter(const Inventory& inv, Errors* e) {
  const size_t n = inv.guests.size();
  std::vector<std::vector<int>> next(n);
  for (size_t i = 0; i < n; ++i) {
    for (const std::string& a : inv.guests[i].after) {
      int j = inv.GuestIndex(a);
      if (j < 0)
        e->Add("guest " + Q(inv.guests[i].name) + ".after: unknown guest " + Q(a));
      else if (static_cast<size_t>(j) == i)
        e->Add("guest " + Q(a) + ".after: names itself");
      else
        next[i].push_back(j);
    }
  }
  std::vector<char> color(n, 0);  // 0 new, 1 on stack, 2 done
  for (size_t root = 0; root < n; ++root) {
    if (color[root] != 0 || next[root].empty()) continue;
    std::vector<std::pair<int, size_t>> stack{{static_cast<int>(root), 0}};
    color[root] = 1;
    while (!stack.empty()) {
      auto& [v, k] = stack.back();
      if (k == next[v].size()) {
        color[v] = 2;
        stack.pop_back();
        continue;
      }
      int w = next[v][k++];
      if (color[w] == 1) {
        std::string cycle = Q(inv.guests[w].name);
        for (auto it = stack.rbegin(); it != stack.rend() && it->first != w; ++it) {
          cycle = Q(inv.guests[it->first].name) + " -> " + cycle;
        }
        e->Add("guests: `after` forms a cycle: " + Q(inv.guests[w].name) + " -> " + cycle);
        return;
      }
      if (color[w] == 0) {
        color[w] = 1;
        stack.push_back({w, 0});
      }
    }
  }
}

void CheckCapacity(const Inventory& inv, Errors* e) {
  std::vector<Res> used(inv.hosts.size());
  for (const Guest& g : inv.guests) {
    if (g.host_index >= 0) used[g.host_index] += Demand(g);
  }
  for (size_t h = 0; h < inv.hosts.size(); ++h) {
    Res cap = Capacity(inv.hosts[h], inv.policy);
    std::string over = DescribeExcess(used[h], cap);
    if (!over.empty()) e->Add("host " + Q(inv.hosts[h].name) + ": already over capacity: " + over);
  }
}

void CheckGroups(const Inventory& inv, std::vector<std::string>* warnings) {
  if (inv.policy.spread_groups_across == SpreadPolicy::kNone) return;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> where;
  for (const Guest& g : inv.guests) {
    if (g.group.empty() || g.host_index < 0) continue;
    where[{g.group, SpreadKey(inv, g.host_index)}].push_back(g.name);
  }
  for (const auto& [key, names] : where) {
    if (names.size() < 2) continue;
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    warnings->push_back("group " + Q(key.first) + " already has " + std::to_string(names.size()) +
                        " members on " +
                        std::string(SpreadPolicyName(inv.policy.spread_groups_across)) + " " +
                        Q(key.second) + " (" + list + ")");
  }
}

}  // namespace

Status ValidateInventory(const Inventory& inv, std::vector<std::string>* warnings) {
  Errors e;
  if (inv.hosts.empty()) e.Add("hosts: the inventory has no hosts");
  CheckNames(inv, &e);
  CheckLinks(inv, &e);
  CheckAfter(inv, &e);
  CheckCapacity(inv, &e);
  RETURN_STATUS_IF_ERROR(e.ToStatus());
  CheckGroups(inv, warnings);
  return Status::Ok();
}

}  // namespace drover::plans
