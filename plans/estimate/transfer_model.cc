#include "plans/estimate/transfer_model.h"

#include <algorithm>

namespace drover::plans {
namespace {
constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

double BytesPerSecond(double mbps) { return mbps * 1e6 / 8.0; }
}  // namespace

TransferEstimate EstimateLive(const Guest& g, double mbps, const Policy& p) {
  const double bw = BytesPerSecond(mbps);
  const double disk = g.disk_gib * kGiB;
  const double dirty = g.dirty_mib_s * kMiB;
  const double budget = p.max_downtime_ms / 1000.0;
  TransferEstimate e;
  double round = disk / bw;  // the full copy
  double bytes = disk, seconds = round;
  e.rounds = 1;
  double final_round = std::min(disk, dirty * round) / bw;
  while (final_round > budget && e.rounds < std::max(1, p.max_precopy_rounds)) {
    round = final_round;  // one more pre-copy round carrying the dirtied data
    bytes += round * bw;
    seconds += round;
    ++e.rounds;
    final_round = std::min(disk, dirty * round) / bw;
  }
  e.converges = final_round <= budget;
  const double memory = g.memory_mib * kMiB;
  bytes += final_round * bw + memory;
  seconds += memory / bw + final_round + p.cutover_overhead_s;
  e.seconds = seconds;
  e.bytes = static_cast<int64_t>(bytes);
  e.downtime_seconds = final_round + p.cutover_overhead_s;
  return e;
}

TransferEstimate EstimateCold(const Guest& g, double mbps) {
  TransferEstimate e;
  const double disk = g.disk_gib * kGiB;
  e.seconds = disk / BytesPerSecond(mbps);
  e.bytes = static_cast<int64_t>(disk);
  e.rounds = 1;
  e.downtime_seconds = g.running ? e.seconds : 0;
  return e;
}

TransferEstimate EstimateClone(const Guest& g, double mbps) {
  TransferEstimate e = EstimateCold(g, mbps);
  e.downtime_seconds = 0;
  return e;
}

}  // namespace drover::plans
