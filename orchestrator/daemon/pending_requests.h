// Requests the orchestrator sent to agents and is waiting on.
//
// Each has a deadline; Expire answers the overdue ones with a Timeout naming
// the agent, so an agent that stops answering in the middle of a request
// never blocks the operator who asked. Not thread-safe: owned by the loop.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "common/status.h"
#include "common/wire/message.h"

namespace drover::daemon {

class PendingRequests {
 public:
  using Clock = std::chrono::steady_clock;
  // Called exactly once: with the reply, or with the error (an error reply,
  // a timeout, or the agent's key revoked).
  using Callback = std::function<void(Result<wire::Message>)>;

  void Add(const std::string& id, const std::string& agent_key, const std::string& agent_name,
           Clock::time_point deadline, Callback done);
  // Delivers a reply; false when no request with that id from that key waits
  // (a late or forged reply, which the caller logs and drops).
  bool Complete(const wire::Message& reply, const std::string& from_key);
  // Answers the overdue requests with a Timeout; returns how many there were.
  size_t Expire(Clock::time_point now);
  // Fails every request waiting on `agent_key` with `why`.
  void FailAgent(const std::string& agent_key, const Status& why);
  size_t size() const { return pending_.size(); }

 private:
  struct Entry {
    std::string agent_key;
    std::string agent_name;
    Clock::time_point deadline;
    Clock::time_point sent;
    Callback done;
  };
  std::map<std::string, Entry> pending_;
};

}  // namespace drover::daemon
