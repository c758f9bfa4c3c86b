#include "plans/placement/explain.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace drover::plans {
namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string Plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

const char* RejectName(Reject r) {
  switch (r) {
    case Reject::kOk:
      return "fits";
    case Reject::kSameHost:
      return "is its own host";
    case Reject::kExcluded:
      return "being emptied by this plan";
    case Reject::kDrained:
      return "drained";
    case Reject::kOffline:
      return "offline";
    case Reject::kNoBandwidth:
      return "unreachable (no bandwidth)";
    case Reject::kGroup:
      return "holding a member of its group";
    case Reject::kCpu:
      return "short of vcpus";
    case Reject::kMemory:
      return "short of memory";
    case Reject::kDisk:
      return "short of disk";
  }
  return "?";
}

std::string ExplainUnplaceable(const ClusterState& s, int item,
                               const std::function<bool(int)>& filter, int source) {
  const Inventory& inv = s.inventory();
  const Item& it = s.item(item);
  const int src = source == -2 ? s.location(item) : source;
  std::array<int, 10> count{};
  // Nearest miss: the host short of the least in the item's tightest dimension.
  int best = -1;
  double best_short = 0;
  Res best_missing;
  for (int h = 0; h < static_cast<int>(inv.hosts.size()); ++h) {
    if (filter && !filter(h)) continue;
    Reject r = s.Check(item, h, source);
    ++count[static_cast<int>(r)];
    if (r != Reject::kCpu && r != Reject::kMemory && r != Reject::kDisk) continue;
    Res f = s.final_use(h) + it.demand, c = s.cap(h);
    Res miss{std::max(0.0, f.cpu - c.cpu), std::max(0.0, f.mem - c.mem),
             std::max(0.0, f.disk - c.disk)};
    double shortfall = miss.cpu / std::max(1.0, it.demand.cpu) +
                       miss.mem / std::max(1.0, it.demand.mem) +
                       miss.disk / std::max(1.0, it.demand.disk);
    if (best < 0 || shortfall < best_short) best = h, best_short = shortfall, best_missing = miss;
  }
  std::string out = "guest \"" + it.name + "\" (" + Num(it.demand.cpu) + " vcpus, " +
                    Num(it.demand.mem) + " MiB, " + Num(it.demand.disk) + " GiB)" +
                    (src >= 0 ? " on " + inv.hosts[src].name : std::string()) +
                    ": no host can take it";
  for (int r = 1; r < static_cast<int>(count.size()); ++r) {
    if (count[r] == 0 || static_cast<Reject>(r) == Reject::kSameHost) continue;
    out += "\n    - " + Plural(count[r], "host") + " " + RejectName(static_cast<Reject>(r));
    if (static_cast<Reject>(r) == Reject::kGroup) {
      out += " \"" + s.group_name(it.group) + "\" (spread by " +
             std::string(SpreadPolicyName(inv.policy.spread_groups_across)) + ")";
    }
  }
  if (best >= 0) {
    std::string need;
    auto add = [&](double v, const char* what) {
      if (v <= 0) return;
      need += (need.empty() ? "" : " and ") + Num(v) + what;
    };
    add(best_missing.cpu, " vcpus");
    add(best_missing.mem, " MiB of memory");
    add(best_missing.disk, " GiB of disk");
    out += "\n    nearest: " + inv.hosts[best].name + " is short of " + need;
    out += "\n    fix: free " + need + " on " + inv.hosts[best].name + ", add a host with " +
           Num(it.demand.mem) + " MiB and " + Num(it.demand.disk) +
           " GiB free, or raise the overcommit policy";
  } else if (count[static_cast<int>(Reject::kGroup)] > 0) {
    out +=
        "\n    fix: add a host outside the group's current hosts/domains, or relax "
        "policy.spread_groups_across";
  } else {
    out += "\n    fix: bring a host online (or undrain one) with room for it";
  }
  return out;
}

}  // namespace drover::plans
