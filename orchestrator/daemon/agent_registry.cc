#include "orchestrator/daemon/agent_registry.h"

namespace drover::daemon {

bool AgentRegistry::Register(AgentEntry entry) {
  AgentEntry* holder = FindByName(entry.name);
  if (holder != nullptr && holder->public_key != entry.public_key) {
    if (holder->online) return false;
    by_key_.erase(holder->public_key);  // the host came back with a new key
  }
  entry.online = true;
  NoteHeard(entry.last_heard);
  auto [it, added] = by_key_.try_emplace(entry.public_key);
  if (added || !it->second.online) ++online_count_;
  it->second = std::move(entry);
  return true;
}

bool AgentRegistry::Heard(const std::string& public_key, const std::string& routing_id,
                          Clock::time_point now) {
  auto it = by_key_.find(public_key);
  if (it == by_key_.end()) return false;
  it->second.last_heard = now;
  it->second.routing_id = routing_id;
  if (!it->second.online) ++online_count_;
  it->second.online = true;
  NoteHeard(now);
  return true;
}

bool AgentRegistry::Heartbeat(const std::string& public_key, const std::string& routing_id,
                              Clock::time_point now, int64_t seq) {
  auto it = by_key_.find(public_key);
  if (it == by_key_.end()) return false;
  AgentEntry& agent = it->second;
  agent.last_heard = now;
  agent.routing_id = routing_id;
  if (!agent.online) ++online_count_;
  agent.online = true;
  NoteHeard(now);
  ++heartbeats_.received;
  // A restarted agent counts from 1 again: only a forward jump is a gap.
  if (agent.last_seq > 0 && seq > agent.last_seq + 1) {
    heartbeats_.missed += static_cast<uint64_t>(seq - agent.last_seq - 1);
  }
  agent.last_seq = seq;
  return true;
}

std::vector<std::string> AgentRegistry::ExpireSilent(Clock::time_point now,
                                                     Clock::duration timeout) {
  std::vector<std::string> lost;
  if (now - oldest_heard_ <= timeout) return lost;
  oldest_heard_ = Clock::time_point::max();
  for (auto& [key, agent] : by_key_) {
    if (!agent.online) continue;
    if (now - agent.last_heard > timeout) {
      agent.online = false;
      --online_count_;
      lost.push_back(agent.name);
    } else {
      NoteHeard(agent.last_heard);
    }
  }
  return lost;
}

void AgentRegistry::Remove(const std::string& public_key) {
  auto it = by_key_.find(public_key);
  if (it == by_key_.end()) return;
  if (it->second.online) --online_count_;
  by_key_.erase(it);
}

AgentEntry* AgentRegistry::FindByKey(const std::string& public_key) {
  auto it = by_key_.find(public_key);
  return it == by_key_.end() ? nullptr : &it->second;
}

AgentEntry* AgentRegistry::FindByName(const std::string& name) {
  for (auto& [key, agent] : by_key_) {
    if (agent.name == name) return &agent;
  }
  return nullptr;
}

std::vector<AgentEntry*> AgentRegistry::Online() {
  std::vector<AgentEntry*> online;
  for (auto& [key, agent] : by_key_) {
    if (agent.online) online.push_back(&agent);
  }
  return online;
}

}  // namespace drover::daemon
