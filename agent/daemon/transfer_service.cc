#include "agent/daemon/transfer_service.h"

#include <filesystem>

#include "agent/sync/receiver.h"
#include "agent/sync/sender.h"
#include "common/json_fields.h"
#include "common/log.h"

namespace drover::agent {
namespace {

using Clock = std::chrono::steady_clock;

// Posts progress at most every 500 ms, and every phase change at once.
class ProgressThrottle {
 public:
  ProgressThrottle(TransferService::PostFn post, std::string transfer, std::string side)
      : post_(std::move(post)), transfer_(std::move(transfer)), side_(std::move(side)) {}
  void operator()(const sync::Progress& p) {
    auto now = Clock::now();
    if (p.phase == last_phase_ && now - last_ < std::chrono::milliseconds(500)) return;
    last_phase_ = p.phase;
    last_ = now;
    post_("transfer.event", {{"transfer", transfer_},
                             {"side", side_},
                             {"state", "running"},
                             {"phase", sync::PhaseName(p.phase)},
                             {"chunks_done", p.chunks_done},
                             {"chunks_total", p.chunks_total},
                             {"bytes_sent", p.bytes_sent}});
  }

 private:
  TransferService::PostFn post_;
  std::string transfer_, side_;
  sync::Phase last_phase_ = sync::Phase::kDone;
  Clock::time_point last_{};
};

nlohmann::json Finished(const std::string& transfer, const std::string& side,
                        const Result<sync::SyncReport>& r) {
  nlohmann::json e = {{"transfer", transfer}, {"side", side}};
  if (r) {
    e["state"] = "done";
    e["report"] = nlohmann::json::parse(sync::ReportToJson(*r), nullptr, false);
  } else {
    e["state"] = "failed";
    e["error"] = r.error().ToString();
  }
  return e;
}

// The name under which Path/RemoveSnapshot find what CreateSnapshot(volume,
// snapshot) made: the file driver names snapshots VOLUME@SNAPSHOT, LVM by
// the snapshot LV's own name.
std::string SnapshotFullName(const storage::StorageDriver& driver, const std::string& volume,
                             const std::string& snapshot) {
  return driver.name() == "file" ? volume + "@" + snapshot : snapshot;
}

Status CheckBody(const wire::Message& m, const std::vector<JsonField>& fields) {
  return CheckJsonFields(m.body, fields, m.type, UnknownFields::kAllow);
}

}  // namespace

TransferService::TransferService(TransferConfig config, PostFn post)
    : config_(std::move(config)), post_(std::move(post)) {}

TransferService::~TransferService() {
  std::map<std::string, std::unique_ptr<Worker>> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& [id, w] : workers) *w->cancel = true;
  for (auto& [id, w] : workers) w->thread.join();
}

void TransferService::Reap() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->second->finished) {
      it->second->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

Status TransferService::Start(const std::string& transfer, CancelFlag cancel,
                              std::function<void()> body) {
  std::lock_guard lock(mu_);
  Reap();
  if (workers_.count(transfer)) return AlreadyExists("transfer " + transfer + " is running here");
  auto worker = std::make_unique<Worker>();
  Worker* w = worker.get();
  w->cancel = std::move(cancel);
  w->thread = std::thread([w, body = std::move(body)] {
    body();
    w->finished = true;
  });
  workers_[transfer] = std::move(worker);
  return Status::Ok();
}

Result<nlohmann::json> TransferService::Receive(const wire::Message& m) {
  using enum JsonType;
  RETURN_IF_ERROR(CheckBody(m, {{"transfer", kString, true}, {"ticket", kString, true},
                                {"source_key", kString, true}, {"volume", kString, true},
                                {"size_bytes", kInteger, true}}));
  std::string transfer = m.body["transfer"], volume = m.body["volume"];
  int64_t size = m.body["size_bytes"];
  if (size <= 0) return Err(InvalidArgument(m.type + ": size_bytes must be positive"));
  RETURN_IF_ERROR(storage::ValidateName(volume));
  storage::StorageDriver* driver = config_.driver;
  Status created = driver->CreateVolume(config_.pool, volume, static_cast<uint64_t>(size));
  if (!created.ok() && created.code() != Code::kAlreadyExists) {
    return Err(created.WithContext("creating destination volume " + volume));
  }
  ASSIGN_OR_RETURN(std::string path, driver->Path(config_.pool, volume));
  sync::ReceiverOptions o;
  o.ticket = m.body["ticket"];
  o.source_public_key = m.body["source_key"];
  o.own_keys = config_.keys;
  o.bind_endpoint = "tcp://" + config_.data_address + ":0";
  o.target_path = path;
  o.cache_tag = config_.pool + "/" + volume;
  o.state_dir = config_.state_dir.empty() ? "" : config_.state_dir + "/sync";
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  o.cancel = cancel.get();
  ASSIGN_OR_RETURN(auto receiver, sync::Receiver::Bind(std::move(o)));
  std::string endpoint = receiver->endpoint();
  std::shared_ptr<sync::Receiver> shared(std::move(receiver));
  RETURN_IF_ERROR(Start(transfer, cancel, [this, shared, cancel, transfer] {
    auto report = shared->Run();
    if (!report) spdlog::warn("transfer {}: receive failed: {}", transfer, report.error().ToString());
    post_("transfer.event", Finished(transfer, "dest", report));
  }));
  spdlog::info("transfer {}: receiving {} on {}", transfer, volume, endpoint);
  return nlohmann::json{{"endpoint", endpoint}, {"public_key", config_.keys.public_z85}};
}

Result<nlohmann::json> TransferService::Send(const wire::Message& m) {
  using enum JsonType;
  RETURN_IF_ERROR(CheckBody(m, {{"transfer", kString, true}, {"ticket", kString, true},
                                {"endpoint", kString, true}, {"server_key", kString, true},
                                {"volume", kString, true}, {"bandwidth_bytes_per_s", kInteger}}));
  std::string transfer = m.body["transfer"], volume = m.body["volume"];
  RETURN_IF_ERROR(storage::ValidateName(volume));
  storage::StorageDriver* driver = config_.driver;
  std::string short_name = "drover-" + transfer;
  std::string snapshot = SnapshotFullName(*driver, volume, short_name);
  // A classic LVM snapshot needs room for the changes made while it is read.
  uint64_t cow_bytes = 1ull << 30;
  Status snap = driver->CreateSnapshot(config_.pool, volume, short_name, cow_bytes);
  if (!snap.ok() && snap.code() != Code::kAlreadyExists) {
    return Err(snap.WithContext("snapshot of source volume " + volume));
  }
  auto path = driver->Path(config_.pool, snapshot);
  if (!path) {
    (void)driver->RemoveSnapshot(config_.pool, snapshot);
    return Err(path.error());
  }
  sync::SenderOptions o;
  o.endpoint = m.body["endpoint"];
  o.server_public_key = m.body["server_key"];
  o.own_keys = config_.keys;
  o.ticket = m.body["ticket"];
  o.source_path = *path;
  o.source_id = config_.pool + "/" + volume;
  o.cache_tag = o.source_id;
  o.cache_dir = config_.state_dir.empty() ? "" : config_.state_dir + "/hash-cache";
  o.bandwidth_bytes_per_s = m.body.value("bandwidth_bytes_per_s", uint64_t{0});
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  o.cancel = cancel.get();
  Status started = Start(transfer, cancel, [this, o, cancel, transfer, snapshot]() mutable {
    o.progress = ProgressThrottle(post_, transfer, "source");
    auto report = sync::RunSender(o);
    Status removed = config_.driver->RemoveSnapshot(config_.pool, snapshot);
    if (!removed.ok()) spdlog::warn("transfer {}: {}", transfer, removed.ToString());
    if (!report) spdlog::warn("transfer {}: send failed: {}", transfer, report.error().ToString());
    post_("transfer.event", Finished(transfer, "source", report));
  });
  if (!started.ok()) {
    (void)driver->RemoveSnapshot(config_.pool, snapshot);
    return Err(started);
  }
  spdlog::info("transfer {}: sending {} to {}", transfer, volume, o.endpoint);
  return nlohmann::json{{"snapshot", snapshot}};
}

Result<nlohmann::json> TransferService::Cancel(const wire::Message& m) {
  if (!m.body.contains("transfer") || !m.body["transfer"].is_string()) {
    return Err(InvalidArgument(m.type + ": missing field 'transfer'"));
  }
  std::lock_guard lock(mu_);
  auto it = workers_.find(m.body["transfer"].get<std::string>());
  if (it == workers_.end()) return nlohmann::json{{"cancelled", false}};
  *it->second->cancel = true;
  return nlohmann::json{{"cancelled", true}};
}

}  // namespace drover::agent
