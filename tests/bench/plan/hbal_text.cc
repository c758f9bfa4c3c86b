#include "tests/bench/plan/hbal_text.h"

#include <cmath>
#include <vector>

#include "plans/model/resources.h"

namespace drover::plans::bench {
namespace {
std::string I(double v) { return std::to_string(static_cast<long long>(std::llround(v))); }
}  // namespace

std::string HbalText(const Inventory& inv) {
  std::vector<Res> used(inv.hosts.size());
  for (const Guest& g : inv.guests) used[g.host_index] += Demand(g);
  std::string out = "default|00000000-0000-0000-0000-000000000001|preferred||\n\n";
  for (size_t h = 0; h < inv.hosts.size(); ++h) {
    const Host& host = inv.hosts[h];
    const double mem = host.memory_mib, disk = host.disk_gib * 1024;
    const bool offline = host.state != HostState::kOnline;
    out += host.name + "|" + I(mem) + "|0|" + I(mem - used[h].mem) + "|" + I(disk) + "|" +
           I(disk - used[h].disk * 1024) + "|" + I(host.cpus) + "|" + (offline ? "Y" : "N") +
           "|00000000-0000-0000-0000-000000000001|1\n";
  }
  out += "\n";
  for (const Guest& g : inv.guests) {
    out += g.name + "|" + I(g.memory_mib) + "|" + I(g.disk_gib * 1024) + "|" + I(g.vcpus) + "|" +
           (g.running ? "running" : "ADMIN_down") + "|Y|" + g.host + "||sharedfile||1\n";
  }
  const std::string ratio = std::to_string(inv.policy.cpu_overcommit);
  const std::string policy =
      "|128,1,1024,1,1,1|128,1,1024,1,1,1;1048576,64,16777216,16,8,12|"
      "diskless,file,sharedfile,plain,blockdev,drbd,rbd,ext|" +
      ratio + "|32.0\n";
  out += "\n\n" + policy;
  out += "default" + policy;
  return out;
}

}  // namespace drover::plans::bench
