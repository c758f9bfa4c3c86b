// The agents the orchestrator knows in this process's lifetime, by key.
//
// An agent is online from its registration until it misses heartbeats for
// longer than the configured timeout; then it is unreachable until it
// heartbeats or registers again. Not thread-safe: owned by the server loop.
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace drover::daemon {

using Clock = std::chrono::steady_clock;

struct AgentEntry {
  std::string public_key;
  std::string name;
  std::string routing_id;  // where replies go; changes when the agent reconnects
  std::string version;
  nlohmann::json facts;
  Clock::time_point last_heard;
  bool online = true;
  int64_t last_seq = 0;  // of the last heartbeat, to count the ones that never came
};

struct HeartbeatStats {
  uint64_t received = 0;
  uint64_t missed = 0;  // gaps in the agents' heartbeat sequence numbers
};

class AgentRegistry {
 public:
  // Adds or refreshes the agent. Fails (returns false) when another key holds
  // `name` and is online: two hosts must not share a name.
  bool Register(AgentEntry entry);
  // Refreshes liveness; false when the key has not registered.
  bool Heard(const std::string& public_key, const std::string& routing_id, Clock::time_point now);
  // Heard, for a heartbeat numbered `seq`: counts it and any gap before it.
  bool Heartbeat(const std::string& public_key, const std::string& routing_id,
                 Clock::time_point now, int64_t seq);
  const HeartbeatStats& heartbeats() const { return heartbeats_; }
  // Marks agents silent for longer than `timeout` unreachable; returns their
  // names. Cheap to call often: it scans the agents only when the oldest
  // heartbeat it knows of could have expired.
  std::vector<std::string> ExpireSilent(Clock::time_point now, Clock::duration timeout);
  void Remove(const std::string& public_key);

  AgentEntry* FindByKey(const std::string& public_key);
  AgentEntry* FindByName(const std::string& name);
  std::vector<AgentEntry*> Online();
  // How many agents are online, kept up to date as they come and go (O(1)).
  size_t online_count() const { return online_count_; }
  const std::unordered_map<std::string, AgentEntry>& all() const { return by_key_; }

 private:
  void NoteHeard(Clock::time_point t) { oldest_heard_ = std::min(oldest_heard_, t); }

  std::unordered_map<std::string, AgentEntry> by_key_;
  HeartbeatStats heartbeats_;
  size_t online_count_ = 0;
  // At most the oldest last_heard of the online agents (max: none online).
  // It only needs to be a lower bound: a heartbeat makes the true oldest
  // later, never earlier, so ExpireSilent can skip scanning a thousand agents
  // every tick until now - oldest_heard_ exceeds the timeout.
  Clock::time_point oldest_heard_ = Clock::time_point::max();
};

}  // namespace drover::daemon
