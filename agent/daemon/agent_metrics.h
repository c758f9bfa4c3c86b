// The agent's series (docs/metrics.md), taken from what the agent already
// reports to the orchestrator: the transfer.event messages its transfers post
// and the host facts it sends.
//
//   drover_agent_transfers_total{role, result}    finished transfers
//   drover_agent_bytes_sent_total                 payload bytes sent to peers
//   drover_agent_bytes_received_total             payload bytes received from peers
//   drover_agent_transfer_rate_bytes_per_second{direction="send"}
//   drover_agent_guests_running                   as of the last facts report
//
// Only transfers that post events are seen: the orchestrator turns events off
// for the final round of a cutover (agent.sync.* "events": false), which
// these series therefore leave out. A source posts progress (cumulative
// bytes_sent) at most every 500 ms and a report at the end; a destination
// posts only its report, so received bytes arrive at the end and there is no
// receive rate. Thread-safe: events come from transfer worker threads.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "common/metrics/registry.h"

namespace drover::agent {

class AgentMetrics {
 public:
  using Clock = std::chrono::steady_clock;
  // A transfer whose progress stopped this long ago no longer counts in the rate.
  static constexpr std::chrono::seconds kStale{3};
  // ... and after this long it is forgotten.
  static constexpr std::chrono::minutes kForgotten{10};

  // `registry` must outlive this; null keeps the series in a private
  // registry that nothing serves.
  explicit AgentMetrics(metrics::MetricsRegistry* registry);

  // A transfer.event body as the transfer service posts it. Malformed events
  // are ignored (the orchestrator is the one that refuses them).
  void OnTransferEvent(const nlohmann::json& event, Clock::time_point now);
  // The host facts the agent reports (register, agent.facts).
  void OnFacts(const nlohmann::json& facts);
  // Drops transfers that went silent from the rate; call now and then.
  void Refresh(Clock::time_point now);

 private:
  struct Sending {
    uint64_t bytes_sent = 0;  // as of the last event
    Clock::time_point last;
    double rate = 0;  // bytes/s between the last two events
  };
  void SetRate(Clock::time_point now);  // requires mu_

  metrics::MetricsRegistry own_;
  metrics::MetricsRegistry* registry_;
  metrics::Counter* bytes_sent_;
  metrics::Counter* bytes_received_;
  metrics::Gauge* send_rate_;
  metrics::Gauge* guests_running_;
  std::mutex mu_;
  std::map<std::string, Sending> sending_;  // GUARDED_BY(mu_), by transfer id
};

}  // namespace drover::agent
