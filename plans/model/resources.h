// Resource arithmetic shared by validation, placement and estimates.
//
// A Res is the allocation a guest takes on a host (vCPUs, MiB of memory, GiB
// of disk); a host's capacity is its CPUs and memory times the policy's
// overcommit ratios, and its disk. Usage for the complementarity rule is the
// *real* use: load share times allocation, over the host's physical size.
#pragma once

#include <array>
#include <string>

#include "plans/model/inventory.h"

namespace drover::plans {

struct Res {
  double cpu = 0;
  double mem = 0;
  double disk = 0;

  Res& operator+=(const Res& o) {
    cpu += o.cpu, mem += o.mem, disk += o.disk;
    return *this;
  }
  Res& operator-=(const Res& o) {
    cpu -= o.cpu, mem -= o.mem, disk -= o.disk;
    return *this;
  }
  friend Res operator+(Res a, const Res& b) { return a += b; }
  friend Res operator-(Res a, const Res& b) { return a -= b; }
  // True when every dimension of *this fits in `cap` (with a tiny tolerance).
  bool FitsIn(const Res& cap) const;
};

Res Demand(const Guest& g);
Res Capacity(const Host& h, const Policy& p);

// "memory 2048 MiB over, disk 10 GiB over"; empty when `used` fits `cap`.
std::string DescribeExcess(const Res& used, const Res& cap);

// The three resources of the complementarity rule.
enum Resource { kCpu = 0, kMemory = 1, kIo = 2 };
inline constexpr int kResources = 3;
const char* ResourceName(int r);

// The resource the guest uses most of (by load share); ties go cpu, memory, io.
int DominantResource(const Guest& g);
// Whether the guest is heavy on its dominant resource under the policy.
bool IsHeavy(const Guest& g, const Policy& p);

// Contribution of a guest to a host's real usage per resource: cpu and memory
// as shares of the host's physical size; io in "fully IO-bound guests".
std::array<double, kResources> UsageOn(const Guest& g, const Host& h);

// The key redundancy groups are spread over: the host's name, or its failure
// domain (the host's own name when it has none), per the policy.
std::string SpreadKey(const Inventory& inv, int host_index);

}  // namespace drover::plans
