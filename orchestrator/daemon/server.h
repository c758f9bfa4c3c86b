// `drover serve`: the control-plane loop of the orchestrator.
//
// One thread polls one CURVE ROUTER socket. Agents (keys accepted with role
// "agent") register and heartbeat; operators (role "operator") send op.*
// requests, some of which fan out to agents and are answered when every
// agent replied or its request timed out. Every inbound message is checked
// (decode, size, type, fields, sender role, duplicate id) before it can
// change anything; a bad one gets an error reply and a log line and the loop
// goes on. Keys are re-read when another process changes the database, so a
// revoke takes effect within one loop turn (<= 100 ms).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/metrics/registry.h"
#include "common/status.h"
#include "common/wire/duplicate_guard.h"
#include "common/wire/keys.h"
#include "common/wire/message.h"
#include "common/wire/transport.h"
#include "orchestrator/daemon/agent_client.h"
#include "orchestrator/daemon/agent_registry.h"
#include "orchestrator/daemon/jobs.h"
#include "orchestrator/daemon/loop_tasks.h"
#include "orchestrator/daemon/pending_requests.h"
#include "orchestrator/daemon/server_metrics.h"
#include "orchestrator/daemon/transfers.h"
#include "orchestrator/state/database.h"
#include "orchestrator/state/inventory_store.h"
#include "orchestrator/state/key_store.h"

namespace drover::daemon {

struct ServerOptions {
  std::string listen = "tcp://127.0.0.1:7400";
  wire::KeyPair key;
  std::chrono::milliseconds heartbeat_interval{1000};  // told to agents at registration
  std::chrono::milliseconds heartbeat_timeout{4000};   // silent this long: unreachable
  std::chrono::milliseconds request_timeout{5000};     // an agent's answer to a request
  size_t max_message_bytes = 1 << 20;
  // Where the control plane's series go (docs/metrics.md); may be null. Not
  // owned: the caller serves it and may register series of its own on it.
  metrics::MetricsRegistry* metrics = nullptr;
};

class Server : public AgentClient {
 public:
  // `db` must outlive the server.
  Server(ServerOptions options, state::Database* db);

  // AgentClient, for threads other than the loop's (calling these from the
  // loop thread would wait for itself).
  Result<nlohmann::json> Call(const std::string& host, const std::string& type, nlohmann::json body,
                              std::chrono::milliseconds timeout) override;
  Result<HostView> Host(const std::string& host) override;
  Result<std::vector<HostView>> Hosts() override;
  Result<nlohmann::json> Sync(const SyncRequest& request,
                              const std::function<void(const nlohmann::json&)>& progress,
                              const std::atomic<bool>* cancel) override;

  // Makes an operator request type start a job: `make` checks the request
  // body and returns the job's function (or an error for the operator).
  // Call before Run. The type must be in protocol.cc with Sender::kOperator.
  using JobFactory = std::function<Result<JobFn>(const nlohmann::json& body, AgentClient& agents)>;
  void RegisterJob(const std::string& type, const std::string& kind, JobFactory make);

  // Makes an operator request type answered by `handle`, which runs on the
  // loop thread and so must be quick (a database read, starting a thread).
  // Call before Run; the type must be in protocol.cc with Sender::kOperator.
  using RequestHandler = std::function<Result<nlohmann::json>(const nlohmann::json& body)>;
  void RegisterHandler(const std::string& type, RequestHandler handle);

  // Binds and serves until `stop` becomes true. Returns a Status only for a
  // failure to start (cannot bind, unreadable database).
  Status Run(const std::atomic<bool>& stop);

 private:
  using Reply = std::function<void(Result<nlohmann::json>)>;

  void Tick(Clock::time_point now);
  void ReloadKeysIfChanged();
  // `now` is when the loop took the message's batch from the socket.
  void OnInbound(const wire::Inbound& in, Clock::time_point now);
  void OnAgentMessage(const wire::Inbound& in, const wire::Message& m, Clock::time_point now);
  void OnOperatorMessage(const wire::Inbound& in, const wire::Message& m);
  void OnRegister(const wire::Inbound& in, const wire::Message& m, Clock::time_point now);
  // A heartbeat, from the fast path or the general decoder.
  void OnHeartbeat(const wire::Inbound& in, std::string_view id, int64_t seq, bool ack,
                   Clock::time_point now);
  // False (and an error reply sent) when the sender used `id` before.
  bool FirstTime(const wire::Inbound& in, std::string_view id);

  // Sends `type` to the named agent; `done` gets its reply body or an error.
  void AskAgent(const std::string& name, const std::string& type, nlohmann::json body,
                std::chrono::milliseconds timeout, Reply done);
  // Asks every online agent (or only `only_host`) for its facts, then calls `done`.
  void RefreshFacts(std::function<void()> done, const std::string& only_host = "");
  void Ping(const std::string& host, int count, std::chrono::milliseconds timeout, Reply done);
  // op.sync: the destination binds and receives, then the source sends.
  void StartSync(const nlohmann::json& request, Reply done);
  Result<uint64_t> VolumeSize(const std::string& host, const std::string& volume);
  // From a thread other than the loop's: asks the source of a quiet transfer
  // how it ended, and records the answer as its event.
  void AskSourceAgain(const std::string& id, const std::string& source_host);

  nlohmann::json HostsTable();
  nlohmann::json GuestsTable();

  void SendMessage(const std::string& routing_id, const wire::Message& m);
  void SendError(const wire::Inbound& in, const std::string& re, const Status& s);
  std::string NextId();

  ServerOptions options_;
  state::Database* db_;
  state::KeyStore keys_;
  state::InventoryStore inventory_;
  std::unique_ptr<wire::ServerSocket> socket_;
  std::unordered_map<std::string, state::KeyRole> accepted_;
  int64_t keys_version_ = -1;
  std::set<std::string> refused_;  // keys already warned about
  AgentRegistry agents_;
  PendingRequests pending_;
  TransferTable transfers_;
  LoopTasks tasks_;
  ServerMetrics metrics_;
  std::map<std::string, std::pair<std::string, JobFactory>> job_factories_;
  std::map<std::string, RequestHandler> handlers_;
  // Last member: its destructor cancels and joins jobs while all else lives.
  JobTable jobs_;
  wire::DuplicateGuard duplicates_;
  std::string id_prefix_;  // "o-<random>-", new at each start
  uint64_t next_id_ = 0;
  Clock::time_point last_tick_{};
};

}  // namespace drover::daemon
