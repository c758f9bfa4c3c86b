#include "agent/daemon/transfer_service.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "agent/daemon/region_changes.h"
#include "agent/sync/hash_cache.h"
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

Status CheckBody(const wire::Message& m, const std::vector<JsonField>& fields) {
  return CheckJsonFields(m.body, fields, m.type, UnknownFields::kAllow);
}

// Workers are registered per side, so that one agent can be both ends of a
// transfer (a copy between two volumes of its pool).
constexpr const char* kSourceSuffix = "/source";
constexpr const char* kDestSuffix = "/dest";
constexpr size_t kOutcomesKept = 256;
constexpr int64_t kMaxWaitMs = 3000;
constexpr int64_t kMaxAcceptTimeoutMs = 600000;

std::string HashCacheDir(const std::string& state_dir) {
  return state_dir.empty() ? "" : state_dir + "/hash-cache";
}

}  // namespace

TransferService::TransferService(TransferConfig config, PostFn post)
    : config_(std::move(config)), post_(std::move(post)), bases_(config_.state_dir) {
  RemoveLeftoverSnapshots();
}

void TransferService::RemoveLeftoverSnapshots() {
  auto volumes = config_.driver->ListVolumes(config_.pool);
  if (!volumes) {
    spdlog::warn("listing pool {} for leftover snapshots: {}", config_.pool,
                 volumes.error().ToString());
    return;
  }
  std::vector<std::string> bases = bases_.Snapshots();
  for (const auto& v : *volumes) {
    std::string ours = config_.driver->SnapshotName(v.origin, "drover-");
    if (!v.snapshot || v.name.rfind(ours, 0) != 0) continue;
    if (std::find(bases.begin(), bases.end(), v.name) != bases.end()) continue;
    spdlog::info("removing {}: the snapshot of a send that did not end", v.name);
    RemoveSnapshot(v.name);
  }
}

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

void TransferService::Finish(const std::string& transfer, nlohmann::json outcome) {
  std::lock_guard lock(mu_);
  if (!outcomes_.count(transfer)) outcome_order_.push_back(transfer);
  outcomes_[transfer] = std::move(outcome);
  while (outcome_order_.size() > kOutcomesKept) {
    outcomes_.erase(outcome_order_.front());
    outcome_order_.pop_front();
  }
  finished_cv_.notify_all();
}

std::optional<nlohmann::json> TransferService::Outcome(const std::string& transfer,
                                                       std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  auto known = [&] { return outcomes_.count(transfer) || workers_.count(transfer); };
  if (!known()) return std::nullopt;
  finished_cv_.wait_for(lock, wait, [&] { return outcomes_.count(transfer) > 0; });
  auto it = outcomes_.find(transfer);
  if (it == outcomes_.end()) return nlohmann::json{{"state", "running"}};
  return it->second;
}

void TransferService::RemoveSnapshot(const std::string& snapshot) {
  auto path = config_.driver->Path(config_.pool, snapshot);
  if (path) sync::HashCache(HashCacheDir(config_.state_dir)).Remove(*path);
  Status removed = config_.driver->RemoveSnapshot(config_.pool, snapshot);
  if (!removed.ok() && removed.code() != Code::kNotFound) {
    spdlog::warn("removing snapshot {}: {}", snapshot, removed.ToString());
  }
}

TransferService::BaseChoice TransferService::BaseFor(const std::string& volume,
                                                     const std::string& dest,
                                                     const std::string& snapshot) {
  BaseChoice choice;
  storage::StorageDriver* driver = config_.driver;
  std::optional<std::string> base = bases_.Get(volume, dest);
  if (!base) {
    // The first send to this destination hashes. Can the driver track this
    // snapshot at all? Asked of the snapshot against itself (an empty
    // answer when it can); outside any pause, since a cutover's full sync
    // comes first.
    auto probe = driver->ChangedRanges(config_.pool, snapshot, snapshot);
    choice.trackable = probe && probe->has_value();
    return choice;
  }
  choice.name = *base;
  auto path = driver->Path(config_.pool, *base);
  struct stat st;
  if (!path || ::stat(path->c_str(), &st) != 0) {
    spdlog::warn("base {} of {} is gone: this send hashes the volume", *base, volume);
    (void)bases_.Forget(volume, dest, *base);
    return choice;
  }
  sync::ChangeBase cb;
  cb.base_path = *path;
  cb.base_cache_tag = config_.pool + "/" + *base;
  // Asked on the sender's discovery thread, region by region, so that
  // FIEMAP or thin_delta overlaps the connection and the first regions'
  // transfer (and never holds up this agent's loop); where it fails the
  // send hashes and its report says why.
  cb.find_changed_in = RegionChangeFinder(driver, config_.pool, *base, snapshot);
  choice.base = std::move(cb);
  return choice;
}

void TransferService::SettleBase(const std::string& volume, const std::string& dest,
                                 const std::string& snapshot, bool verified, bool trackable) {
  if (!verified) return RemoveSnapshot(snapshot);
  if (!trackable) {
    RemoveSnapshot(snapshot);
    if (auto old = bases_.Get(volume, dest)) {
      (void)bases_.Forget(volume, dest, *old);
      RemoveSnapshot(*old);
    }
    return;
  }
  auto old = bases_.Set(volume, dest, snapshot);
  if (!old) {
    spdlog::warn("cannot record base {} of {}: {}", snapshot, volume, old.error().ToString());
    return RemoveSnapshot(snapshot);
  }
  if (*old && **old != snapshot) RemoveSnapshot(**old);
}

Result<nlohmann::json> TransferService::Receive(const wire::Message& m) {
  using enum JsonType;
  RETURN_IF_ERROR(CheckBody(m, {{"transfer", kString, true},
                                {"ticket", kString, true},
                                {"source_key", kString, true},
                                {"volume", kString, true},
                                {"size_bytes", kInteger, true},
                                {"events", kBool},
                                {"accept_timeout_ms", kInteger}}));
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
  if (m.body.contains("accept_timeout_ms")) {
    o.accept_timeout = std::chrono::milliseconds(
        std::clamp<int64_t>(m.body["accept_timeout_ms"], 1, kMaxAcceptTimeoutMs));
  }
  bool events = m.body.value("events", true);
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  o.cancel = cancel.get();
  ASSIGN_OR_RETURN(auto receiver, sync::Receiver::Bind(std::move(o)));
  std::string endpoint = receiver->endpoint();
  std::shared_ptr<sync::Receiver> shared(std::move(receiver));
  RETURN_IF_ERROR(Start(transfer + kDestSuffix, cancel, [this, shared, cancel, transfer, events] {
    auto report = shared->Run();
    if (!report)
      spdlog::warn("transfer {}: receive failed: {}", transfer, report.error().ToString());
    nlohmann::json done = Finished(transfer, "dest", report);
    Finish(transfer + kDestSuffix, done);
    if (events) post_("transfer.event", std::move(done));
  }));
  spdlog::info("transfer {}: receiving {} on {}", transfer, volume, endpoint);
  return nlohmann::json{{"endpoint", endpoint}, {"public_key", config_.keys.public_z85}};
}

Result<nlohmann::json> TransferService::Send(const wire::Message& m) {
  using enum JsonType;
  RETURN_IF_ERROR(CheckBody(m, {{"transfer", kString, true},
                                {"ticket", kString, true},
                                {"endpoint", kString, true},
                                {"server_key", kString, true},
                                {"volume", kString, true},
                                {"bandwidth_bytes_per_s", kInteger},
                                {"events", kBool},
                                {"wait_ms", kInteger}}));
  std::string transfer = m.body["transfer"], volume = m.body["volume"];
  std::string dest = m.body["server_key"];
  RETURN_IF_ERROR(storage::ValidateName(volume));
  auto wait = std::chrono::milliseconds(
      std::clamp<int64_t>(m.body.value("wait_ms", int64_t{0}), 0, kMaxWaitMs));
  storage::StorageDriver* driver = config_.driver;
  std::string snapshot = driver->SnapshotName(volume, "drover-" + transfer);
  auto reply = [&](nlohmann::json outcome, const std::string& base) {
    outcome.erase("transfer");
    outcome.erase("side");
    outcome["snapshot"] = snapshot;
    if (!base.empty()) outcome["base"] = base;
    return outcome;
  };
  const std::string key = transfer + kSourceSuffix;
  if (auto repeat = Outcome(key, wait)) return reply(*repeat, "");

  // A classic LVM snapshot needs room for the changes made while it is read.
  uint64_t cow_bytes = 1ull << 30;
  Status snap = driver->CreateSnapshot(config_.pool, volume, "drover-" + transfer, cow_bytes);
  if (!snap.ok() && snap.code() != Code::kAlreadyExists) {
    return Err(snap.WithContext("snapshot of source volume " + volume));
  }
  auto path = driver->Path(config_.pool, snapshot);
  if (!path) {
    RemoveSnapshot(snapshot);
    return Err(path.error());
  }
  BaseChoice choice = BaseFor(volume, dest, snapshot);
  std::string base_name = choice.name;
  bool trackable = choice.trackable;
  sync::SenderOptions o;
  o.base = std::move(choice.base);
  o.endpoint = m.body["endpoint"];
  o.server_public_key = dest;
  o.own_keys = config_.keys;
  o.ticket = m.body["ticket"];
  o.source_path = *path;
  o.source_id = config_.pool + "/" + volume;
  o.cache_tag = config_.pool + "/" + snapshot;
  o.cache_dir = HashCacheDir(config_.state_dir);
  o.bandwidth_bytes_per_s = m.body.value("bandwidth_bytes_per_s", uint64_t{0});
  bool events = m.body.value("events", true);
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  o.cancel = cancel.get();
  Status started =
      Start(key, cancel,
            [this, o, cancel, transfer, key, volume, dest, snapshot, events, trackable]() mutable {
              if (events) o.progress = ProgressThrottle(post_, transfer, "source");
              auto report = sync::RunSender(o);
              SettleBase(volume, dest, snapshot, report.has_value(), trackable);
              if (!report)
                spdlog::warn("transfer {}: send failed: {}", transfer, report.error().ToString());
              if (report && !report->discovery_note.empty()) {
                spdlog::warn("transfer {}: {}", transfer, report->discovery_note);
              }
              nlohmann::json done = Finished(transfer, "source", report);
              Finish(key, done);
              if (events) post_("transfer.event", std::move(done));
            });
  if (!started.ok()) {
    RemoveSnapshot(snapshot);
    return Err(started);
  }
  spdlog::info("transfer {}: sending {} to {} ({})", transfer, volume, o.endpoint,
               o.base ? "changes since " + base_name : std::string("hashing"));
  auto outcome = Outcome(key, wait);
  return reply(outcome ? *outcome : nlohmann::json{{"state", "running"}},
               o.base ? base_name : std::string());
}

Result<nlohmann::json> TransferService::Cancel(const wire::Message& m) {
  if (!m.body.contains("transfer") || !m.body["transfer"].is_string()) {
    return Err(InvalidArgument(m.type + ": missing field 'transfer'"));
  }
  std::string transfer = m.body["transfer"];
  std::lock_guard lock(mu_);
  bool cancelled = false;
  for (const char* side : {kSourceSuffix, kDestSuffix}) {
    auto it = workers_.find(transfer + side);
    if (it == workers_.end()) continue;
    *it->second->cancel = true;
    cancelled = true;
  }
  return nlohmann::json{{"cancelled", cancelled}};
}

}  // namespace drover::agent
