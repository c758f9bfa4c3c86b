#include "plans/model/resources.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace drover::plans {
namespace {
constexpr double kEps = 1e-9;

std::string Fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
}  // namespace

bool Res::FitsIn(const Res& cap) const {
  return cpu <= cap.cpu + kEps && mem <= cap.mem + kEps && disk <= cap.disk + kEps;
}

Res Demand(const Guest& g) { return {g.vcpus, g.memory_mib, g.disk_gib}; }

Res Capacity(const Host& h, const Policy& p) {
  return {h.cpus * p.cpu_overcommit, h.memory_mib * p.memory_overcommit, h.disk_gib};
}

std::string DescribeExcess(const Res& used, const Res& cap) {
  std::string out;
  auto add = [&](const char* what, double over, const char* unit) {
    if (over <= kEps) return;
    if (!out.empty()) out += ", ";
    out += std::string(what) + " " + Fmt(over) + unit + " over";
  };
  add("vcpus", used.cpu - cap.cpu, "");
  add("memory", used.mem - cap.mem, " MiB");
  add("disk", used.disk - cap.disk, " GiB");
  return out;
}

const char* ResourceName(int r) {
  switch (r) {
    case kCpu:
      return "cpu";
    case kMemory:
      return "memory";
    default:
      return "io";
  }
}

int DominantResource(const Guest& g) {
  int best = kCpu;
  double v = g.load.cpu;
  if (g.load.memory > v) best = kMemory, v = g.load.memory;
  if (g.load.io > v) best = kIo;
  return best;
}

bool IsHeavy(const Guest& g, const Policy& p) {
  double v = std::max({g.load.cpu, g.load.memory, g.load.io});
  return v >= p.heavy_load;
}

std::array<double, kResources> UsageOn(const Guest& g, const Host& h) {
  std::array<double, kResources> u{};
  u[kCpu] = h.cpus > 0 ? g.load.cpu * g.vcpus / h.cpus : 0;
  u[kMemory] = h.memory_mib > 0 ? g.load.memory * g.memory_mib / h.memory_mib : 0;
  u[kIo] = g.load.io;
  return u;
}

std::string SpreadKey(const Inventory& inv, int host_index) {
  const Host& h = inv.hosts[host_index];
  if (inv.policy.spread_groups_across == SpreadPolicy::kFailureDomain &&
      !h.failure_domain.empty()) {
    return h.failure_domain;
  }
  return h.name;
}

}  // namespace drover::plans
