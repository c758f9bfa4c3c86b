// Per-step estimates from disk size, memory size, dirty rate and bandwidth.
//
// Live migration follows DESIGN "Cutover": a full disk copy, then pre-copy
// rounds that each carry what the guest dirtied during the previous round,
// until the in-pause final round fits policy.max_downtime_ms or
// policy.max_precopy_rounds is reached (a guest that dirties faster than the
// link carries does not converge: `converges` is false). Memory is copied
// once by the hypervisor (its own dirtying is not modelled). Downtime is the
// final round plus policy.cutover_overhead_s. A cold move or a clone is one
// full disk copy; a stopped guest has no downtime to report.
#pragma once

#include <cstdint>

#include "plans/model/inventory.h"

namespace drover::plans {

struct TransferEstimate {
  double seconds = 0;
  int64_t bytes = 0;
  double downtime_seconds = 0;
  int rounds = 0;  // disk rounds before the pause, the full copy included
  bool converges = true;
};

// `mbps` must be above 0.
TransferEstimate EstimateLive(const Guest& g, double mbps, const Policy& p);
TransferEstimate EstimateCold(const Guest& g, double mbps);
TransferEstimate EstimateClone(const Guest& g, double mbps);

}  // namespace drover::plans
