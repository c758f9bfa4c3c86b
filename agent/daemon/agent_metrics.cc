#include "agent/daemon/agent_metrics.h"

namespace drover::agent {
namespace {

constexpr const char* kTransfersHelp = "Transfers finished on this agent, by role and result.";

// A non-negative integer field, or 0. Built bodies hold signed or unsigned
// integers depending on the C++ type they came from; parsed ones unsigned.
uint64_t Uint(const nlohmann::json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  int64_t v = it->get<int64_t>();
  return v < 0 ? 0 : static_cast<uint64_t>(v);
}

}  // namespace

AgentMetrics::AgentMetrics(metrics::MetricsRegistry* registry)
    : registry_(registry != nullptr ? registry : &own_) {
  bytes_sent_ = registry_->GetCounter("drover_agent_bytes_sent_total",
                                      "Payload bytes this agent sent to peers by transfers.");
  bytes_received_ = registry_->GetCounter("drover_agent_bytes_received_total",
                                          "Payload bytes this agent received from peers.");
  send_rate_ = registry_->GetGauge("drover_agent_transfer_rate_bytes_per_second",
                                   "Current rate summed over the transfers in flight.",
                                   {{"direction", "send"}});
  guests_running_ = registry_->GetGauge(
      "drover_agent_guests_running", "Guests running on this host, as of the last facts report.");
  // Every role and result from the start, at 0, so that rate() has a series.
  for (const char* role : {"source", "dest"}) {
    for (const char* result : {"done", "failed", "cancelled"}) {
      registry_->GetCounter("drover_agent_transfers_total", kTransfersHelp,
                            {{"role", role}, {"result", result}});
    }
  }
}

void AgentMetrics::OnTransferEvent(const nlohmann::json& e, Clock::time_point now) {
  if (!e.is_object()) return;
  std::string transfer = e.value("transfer", ""), side = e.value("side", "");
  std::string state = e.value("state", "");
  if (transfer.empty() || (side != "source" && side != "dest")) return;
  std::lock_guard lock(mu_);
  if (state == "running" && side == "source") {
    uint64_t sent = Uint(e, "bytes_sent");
    auto [it, first] = sending_.try_emplace(transfer);
    Sending& s = it->second;
    if (sent > s.bytes_sent) {
      bytes_sent_->Increment(static_cast<double>(sent - s.bytes_sent));
      double seconds = std::chrono::duration<double>(now - s.last).count();
      if (!first && seconds > 0) s.rate = static_cast<double>(sent - s.bytes_sent) / seconds;
      s.bytes_sent = sent;
    }
    s.last = now;
    return SetRate(now);
  }
  if (state != "done" && state != "failed") return;
  const nlohmann::json report = e.value("report", nlohmann::json::object());
  if (side == "source") {
    auto it = sending_.find(transfer);
    uint64_t counted = it == sending_.end() ? 0 : it->second.bytes_sent;
    uint64_t total = Uint(report, "bytes_sent");
    if (total > counted) bytes_sent_->Increment(static_cast<double>(total - counted));
    if (it != sending_.end()) sending_.erase(it);
    SetRate(now);
  } else {
    bytes_received_->Increment(static_cast<double>(Uint(report, "bytes_received")));
  }
  // A cancel shows as a failure whose error says so (sync: "sync cancelled").
  std::string result = state;
  if (state == "failed" && e.value("error", "").find("cancelled") != std::string::npos) {
    result = "cancelled";
  }
  registry_
      ->GetCounter("drover_agent_transfers_total", kTransfersHelp,
                   {{"role", side}, {"result", result}})
      ->Increment();
}

void AgentMetrics::OnFacts(const nlohmann::json& facts) {
  int running = 0;
  auto guests = facts.find("guests");
  if (guests == facts.end() || !guests->is_array()) return;
  for (const auto& g : *guests) {
    if (g.is_object() && g.value("state", "") == "running") ++running;
  }
  guests_running_->Set(running);
}

void AgentMetrics::Refresh(Clock::time_point now) {
  std::lock_guard lock(mu_);
  SetRate(now);
}

void AgentMetrics::SetRate(Clock::time_point now) {
  double sum = 0;
  for (auto it = sending_.begin(); it != sending_.end();) {
    auto silent = now - it->second.last;
    // Progress comes every 500 ms: a transfer silent for long has ended
    // without a word (its bytes so far stay counted); drop it to bound memory.
    if (silent > kForgotten) {
      it = sending_.erase(it);
      continue;
    }
    // One that stopped posting (stuck, or its worker died) is not sending at its last rate.
    if (silent <= kStale) sum += it->second.rate;
    ++it;
  }
  send_rate_->Set(sum);
}

}  // namespace drover::agent
