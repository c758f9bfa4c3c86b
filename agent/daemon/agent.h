// The agent's control-plane loop: connect, register, heartbeat, answer.
//
//        +------------+  handshake ok   +-------------+  reply   +--------+
//  ----> | connecting | --------------> | registering | -------> | online |
//        +------------+                 +-------------+          +--------+
//          ^   ^   key refused: retry        | error: retry          |
//          |   +-----------------------------+                       |
//          +---- orchestrator silent > orchestrator_timeout ----------+
//
// In "online" the agent heartbeats every interval (the orchestrator's figure
// from the register reply) and answers agent.* requests. An orchestrator
// that restarted answers a heartbeat with "register first", which sends the
// agent back to registering. Messages that do not decode get an error reply;
// nothing the orchestrator sends can stop the loop. Single-threaded.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "agent/daemon/agent_metrics.h"
#include "agent/daemon/host_facts.h"
#include "common/status.h"
#include "common/wire/duplicate_guard.h"
#include "common/wire/keys.h"
#include "common/wire/message.h"
#include "common/wire/transport.h"

namespace drover::agent {

inline constexpr const char* kAgentVersion = "0.1.0";

struct AgentOptions {
  std::string name;
  std::string orchestrator;      // endpoint, e.g. tcp://127.0.0.1:7400
  std::string state_dir;         // transfers' resume points and hash caches
  std::string orchestrator_key;  // Z85 public key of the orchestrator
  wire::KeyPair key;
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds orchestrator_timeout{5000};
  FactsSources facts;
  // Where the agent's series go (agent_metrics.h); may be null. Not owned.
  metrics::MetricsRegistry* metrics = nullptr;
};

// Answers one request; the Result becomes the reply body or an error reply.
using Handler = std::function<Result<nlohmann::json>(const wire::Message&)>;

class Agent {
 public:
  explicit Agent(AgentOptions options);

  // Adds a handler for an orchestrator request type (agent.ping and
  // agent.facts are built in).
  void Handle(const std::string& type, Handler handler) { handlers_[type] = std::move(handler); }

  // Thread-safe: queues a request for the orchestrator (an event of a long
  // operation running on a worker thread); the loop sends it within 50 ms
  // while connected. Its id is assigned here. transfer.event bodies also
  // feed the agent's metrics.
  void Post(const std::string& type, nlohmann::json body);

  // Runs until `stop` is true. Returns an error only when the agent cannot
  // run at all (its facts cannot be collected at start).
  Status Run(const std::atomic<bool>& stop);

 private:
  enum class State { kConnecting, kRegistering, kOnline };

  void Connect();
  void SendRegister();
  void OnFrame(const std::string& frame);
  void OnReply(const wire::Message& m);
  void OnRequest(const wire::Message& m);
  void Send(const wire::Message& m);
  std::string NextId();
  void SendPosted();

  AgentOptions options_;
  AgentMetrics metrics_;
  std::map<std::string, Handler> handlers_;
  std::unique_ptr<wire::ClientSocket> socket_;
  State state_ = State::kConnecting;
  wire::DuplicateGuard duplicates_;
  std::string register_id_;
  std::atomic<uint64_t> next_id_{0};
  std::mutex outbox_mu_;
  std::deque<wire::Message> outbox_;  // GUARDED_BY(outbox_mu_)
  int64_t heartbeat_seq_ = 0;
  std::chrono::steady_clock::time_point last_heard_, next_heartbeat_, register_sent_;
  bool warned_refused_ = false;
};

}  // namespace drover::agent
