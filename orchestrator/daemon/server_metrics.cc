#include "orchestrator/daemon/server_metrics.h"

#include <string>

namespace drover::daemon {
namespace {

constexpr const char* kReceivedHelp = "Messages received from accepted keys that decoded, by type.";

const char* ReasonName(Rejection why) {
  switch (why) {
    case Rejection::kUnacceptedKey:
      return "unaccepted_key";
    case Rejection::kFrames:
      return "frames";
    case Rejection::kInvalid:
      return "invalid";
    case Rejection::kDuplicateId:
      return "duplicate_id";
    case Rejection::kRole:
      return "role";
    case Rejection::kRefused:
      return "refused";
  }
  return "unknown";
}

}  // namespace

ServerMetrics::ServerMetrics(metrics::MetricsRegistry* registry)
    : registry_(registry != nullptr ? registry : &own_) {
  connected_ = registry_->GetGauge("drover_agents_connected",
                                   "Agents with a live session (heartbeat within the timeout).");
  const char* by_state = "Agents this daemon heard from since it started, by state.";
  online_ = registry_->GetGauge("drover_agents", by_state, {{"state", "online"}});
  unreachable_ = registry_->GetGauge("drover_agents", by_state, {{"state", "unreachable"}});
  timed_out_ =
      registry_->GetCounter("drover_requests_timed_out_total",
                            "Requests to agents that got no answer within their deadline.");
  heartbeats_ = registry_->GetCounter("drover_messages_received_total", kReceivedHelp,
                                      {{"type", "heartbeat"}});
  // Every reason from the start, at 0: rate() needs the series before the first rejection.
  for (int r = 0; r < kRejections; ++r) {
    rejected_[r] = registry_->GetCounter("drover_messages_rejected_total",
                                         "Messages refused (error reply or dropped), by reason.",
                                         {{"reason", ReasonName(static_cast<Rejection>(r))}});
  }
}

void ServerMetrics::Received(std::string_view type) {
  if (type == "heartbeat") return heartbeats_->Increment();
  auto it = received_.find(type);
  if (it == received_.end()) {
    it = received_
             .emplace(type, registry_->GetCounter("drover_messages_received_total", kReceivedHelp,
                                                  {{"type", std::string(type)}}))
             .first;
  }
  it->second->Increment();
}

void ServerMetrics::Agents(size_t online, size_t known) {
  connected_->Set(static_cast<double>(online));
  online_->Set(static_cast<double>(online));
  unreachable_->Set(static_cast<double>(known - online));
}

}  // namespace drover::daemon
