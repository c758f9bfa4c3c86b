// The control plane's series on the orchestrator's metrics registry
// (docs/metrics.md): agents by state, messages received by type and rejected
// by reason, requests that timed out.
//
// The series are looked up once, here; the server loop updates them through
// the kept pointers (relaxed atomics) and the metrics endpoint's thread
// renders them. Received and rejected counters are created on first use, one
// per type or reason: the types are the protocol's (a message is counted by
// type only once it decoded), the reasons the fixed list below, so the number
// of series stays bounded whatever peers send.
#pragma once

#include <string_view>
#include <unordered_map>

#include "common/metrics/registry.h"

namespace drover::daemon {

// Why the server refused a message (the `reason` label).
enum class Rejection {
  kUnacceptedKey,  // from a key that is not accepted: dropped unanswered
  kFrames,         // more than one frame
  kInvalid,        // does not decode: not JSON, over the size limit, unknown type, bad fields
  kDuplicateId,    // a request id the sender used before
  kRole,           // a type the key's role may not send
  kRefused,        // well-formed but refused: unregistered agent, bad registration or event
};
inline constexpr int kRejections = 6;

class ServerMetrics {
 public:
  // `registry` must outlive this; null gives series of a private registry
  // that nothing serves (a server without a metrics endpoint).
  explicit ServerMetrics(metrics::MetricsRegistry* registry);

  // Loop thread only (the lazily made counters are cached unguarded).
  // `type` must live as long as this: pass the protocol's MessageSpec::type.
  void Received(std::string_view type);
  void Rejected(Rejection why) { rejected_[static_cast<int>(why)]->Increment(); }
  void RequestsTimedOut(size_t n) { timed_out_->Increment(static_cast<double>(n)); }
  void Agents(size_t online, size_t known);

 private:
  metrics::MetricsRegistry own_;  // used when no registry is given
  metrics::MetricsRegistry* registry_;
  metrics::Gauge* connected_;
  metrics::Gauge* online_;
  metrics::Gauge* unreachable_;
  metrics::Counter* timed_out_;
  metrics::Counter* heartbeats_;  // the type received most, without a map lookup
  std::unordered_map<std::string_view, metrics::Counter*> received_;
  metrics::Counter* rejected_[kRejections];
};

}  // namespace drover::daemon
