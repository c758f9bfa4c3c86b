// The agent's part of a volume sync ordered by the orchestrator
// (`drover sync`, and the disk rounds of migrations and clones).
//
//   agent.sync.receive {transfer, ticket, source_key, volume, size_bytes}
//       creates the volume when missing, binds a data endpoint admitting only
//       `source_key` with `ticket`, replies {endpoint, public_key}, and
//       receives on a worker thread.
//   agent.sync.send {transfer, ticket, endpoint, server_key, volume}
//       snapshots the volume (`drover-TRANSFER`), replies {snapshot},
//       streams the snapshot on a worker thread, and removes the snapshot
//       when the sync ends (it is only a means of reading a consistent image).
//   agent.sync.cancel {transfer}
//
// Each worker posts `transfer.event` requests to the orchestrator:
// {transfer, side: "source"|"dest", state: "running"|"done"|"failed",
//  phase, chunks_done, chunks_total, bytes_sent, report?, error?},
// progress at most every 500 ms. A failed receive never touches the source;
// a destination whose pool is full fails with the storage error named.
// Thread-safe; the destructor cancels and joins every worker.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/storage/storage_driver.h"
#include "common/status.h"
#include "common/wire/keys.h"
#include "common/wire/message.h"

namespace drover::agent {

struct TransferConfig {
  storage::StorageDriver* driver = nullptr;  // not owned
  std::string pool;
  wire::KeyPair keys;                 // this agent's CURVE key pair
  std::string data_address = "127.0.0.1";  // where receivers bind
  std::string state_dir;              // resume points and hash caches
};

class TransferService {
 public:
  using PostFn = std::function<void(const std::string& type, nlohmann::json body)>;

  TransferService(TransferConfig config, PostFn post);
  ~TransferService();

  Result<nlohmann::json> Receive(const wire::Message& m);
  Result<nlohmann::json> Send(const wire::Message& m);
  Result<nlohmann::json> Cancel(const wire::Message& m);

 private:
  using CancelFlag = std::shared_ptr<std::atomic<bool>>;
  struct Worker {
    std::thread thread;
    CancelFlag cancel;
    std::atomic<bool> finished{false};
  };
  // Starts `body` on a thread registered under `transfer`, which `cancel`
  // stops; reaps finished ones.
  Status Start(const std::string& transfer, CancelFlag cancel, std::function<void()> body);
  void Reap();

  TransferConfig config_;
  PostFn post_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Worker>> workers_;  // GUARDED_BY(mu_)
};

}  // namespace drover::agent
