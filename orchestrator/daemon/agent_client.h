// Blocking, thread-safe access to the agents, for long operations (a
// cutover, a run of a plan) that run on threads of their own while the
// server loop carries their requests. The seam between what to do
// (cutover/, executor/) and the control plane that does it; tests may put a
// fake behind it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover::daemon {

struct HostView {
  std::string name;
  std::string public_key;
  bool online = false;
  nlohmann::json facts;
};

struct SyncRequest {
  std::string source_host, source_volume, dest_host, dest_volume;
  uint64_t bandwidth_bytes_per_s = 0;  // 0: no cap
};

class AgentClient {
 public:
  virtual ~AgentClient() = default;

  // Sends `type` with `body` to `host` and waits for its reply body or error
  // (Timeout after `timeout`; Unavailable when the host is not connected).
  virtual Result<nlohmann::json> Call(const std::string& host, const std::string& type,
                                      nlohmann::json body, std::chrono::milliseconds timeout) = 0;

  // What the orchestrator knows of `host` now (NotFound when never seen).
  virtual Result<HostView> Host(const std::string& host) = 0;
  // Every host seen since the orchestrator started, online or not, by name.
  virtual Result<std::vector<HostView>> Hosts() = 0;

  // Runs one volume sync agent to agent (as `drover sync`) and waits for it.
  // `progress` sees the transfer's JSON (docs/wire.md, op.transfer) while it
  // runs; `cancel` stops it. Returns the final transfer JSON when verified.
  virtual Result<nlohmann::json> Sync(const SyncRequest& request,
                                      const std::function<void(const nlohmann::json&)>& progress,
                                      const std::atomic<bool>* cancel) = 0;
};

}  // namespace drover::daemon
