// The agent's part of a volume sync ordered by the orchestrator
// (`drover sync`, and the disk rounds of migrations and clones).
//
//   agent.sync.receive {transfer, ticket, source_key, volume, size_bytes,
//                       events?, accept_timeout_ms?}
//       creates the volume when missing, binds a data endpoint admitting only
//       `source_key` with `ticket`, replies {endpoint, public_key}, and
//       receives on a worker thread. `accept_timeout_ms` (default 60 s, at
//       most 10 min) lets a caller bind ahead of time (the final round of a
//       cutover is bound before the memory migration starts).
//   agent.sync.send {transfer, ticket, endpoint, server_key, volume,
//                    bandwidth_bytes_per_s?, events?, wait_ms?}
//       snapshots the volume (`drover-TRANSFER`, named by the driver),
//       streams the snapshot on a worker thread and replies
//       {snapshot, state, base?, report?, error?} after waiting up to
//       `wait_ms` (default 0, at most 3000) for the sync to end. A repeat of
//       a send (same transfer) starts nothing: it waits again and reports
//       (finished transfers are remembered, the last 256).
//   agent.sync.cancel {transfer}
//
// Change tracking: the snapshot of the last verified send of a volume to a
// destination (named by its public key `server_key`) is kept as the base of
// the next send to it (ChangeBases); that send asks the driver for the
// ranges changed between base and new snapshot and reads only those chunks.
// The older base is removed only after the new send is verified; a failed
// send removes its own snapshot and keeps the base. When the driver cannot
// tell (copied snapshots, classic LVM) or the base vanished, the sync hashes.
//
// Unless `events` is false, each worker posts `transfer.event` requests to
// the orchestrator: {transfer, side: "source"|"dest", state:
// "running"|"done"|"failed", phase, chunks_done, chunks_total, bytes_sent,
// report?, error?}, progress at most every 500 ms. A caller that follows a
// transfer through `wait_ms` instead sets `events` false (the orchestrator
// knows only transfers it registered). A failed receive never touches the
// source; a destination whose pool is full fails with the storage error
// named. At construction, snapshots of earlier sends that are not bases
// (left by an agent that died while sending) are removed. Thread-safe; the
// destructor cancels and joins every worker.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "agent/daemon/change_bases.h"
#include "agent/storage/storage_driver.h"
#include "agent/sync/discover.h"
#include "common/status.h"
#include "common/wire/keys.h"
#include "common/wire/message.h"

namespace drover::agent {

struct TransferConfig {
  storage::StorageDriver* driver = nullptr;  // not owned
  std::string pool;
  wire::KeyPair keys;                      // this agent's CURVE key pair
  std::string data_address = "127.0.0.1";  // where receivers bind
  std::string state_dir;                   // resume points and hash caches
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
  // Remembers how `transfer` ended and wakes its waiters.
  void Finish(const std::string& transfer, nlohmann::json outcome);
  // {state, report?, error?} of `transfer` after waiting up to `wait` for
  // it to end; nullopt when this agent never ran it.
  std::optional<nlohmann::json> Outcome(const std::string& transfer,
                                        std::chrono::milliseconds wait);
  // How a send of `snapshot` relates to the last verified one.
  struct BaseChoice {
    std::optional<sync::ChangeBase> base;  // nullopt: the send hashes
    std::string name;                      // the base snapshot, if there is one
    // Whether the driver tracks changes of this volume's snapshots; when it
    // cannot (copied snapshots, classic LVM), keeping a base only costs
    // room (a full copy, a COW area), so none is kept.
    bool trackable = true;
  };
  // The change-tracking base for sending `snapshot` of `volume` to `dest`;
  // the reason for hashing is logged.
  BaseChoice BaseFor(const std::string& volume, const std::string& dest,
                     const std::string& snapshot);
  // After a send: a verified snapshot of a trackable volume becomes the base
  // (the older one goes); a failed one goes; an untrackable one goes with
  // the older base.
  void SettleBase(const std::string& volume, const std::string& dest, const std::string& snapshot,
                  bool verified, bool trackable);
  void RemoveSnapshot(const std::string& snapshot);
  void RemoveLeftoverSnapshots();

  TransferConfig config_;
  PostFn post_;
  ChangeBases bases_;
  std::mutex mu_;
  std::condition_variable finished_cv_;
  std::map<std::string, std::unique_ptr<Worker>> workers_;  // GUARDED_BY(mu_)
  std::map<std::string, nlohmann::json> outcomes_;          // GUARDED_BY(mu_)
  std::deque<std::string> outcome_order_;                   // GUARDED_BY(mu_)
};

}  // namespace drover::agent
