#include "orchestrator/daemon/server.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <future>
#include <set>
#include <thread>

#include "common/log.h"
#include "common/random_id.h"
#include "common/wire/codec.h"
#include "common/wire/heartbeat.h"
#include "common/wire/protocol.h"
#include "orchestrator/daemon/live_inventory.h"

namespace drover::daemon {
namespace {

constexpr auto kTickEvery = std::chrono::milliseconds(100);
// Messages one loop turn takes from the socket before it runs posted work
// and the tick again: bounds how long a burst can hold those up.
constexpr size_t kMaxBatch = 256;
// Under load (a thousand agents heartbeating), a turn that handled messages
// and awaits no agent's answer waits this long for posted work only before
// reading the socket again. Heartbeats queue inside ZeroMQ meanwhile and the
// next turn takes them together: one wake-up of the loop, and of ZeroMQ's I/O
// thread for the replies, per batch instead of per heartbeat. Replies to the
// daemon's own requests are never held back (nothing is pending when it
// waits, and a posted task ends the wait at once); an operator's request may
// wait up to this long, which nobody can notice.
constexpr auto kCoalesce = std::chrono::milliseconds(10);

std::string Short(const std::string& key) { return key.substr(0, 8) + "…"; }

// 1-63 of [A-Za-z0-9._-], starting with a letter or digit.
bool ValidHostName(const std::string& name) {
  if (name.empty() || name.size() > 63 || !std::isalnum(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace

Server::Server(ServerOptions options, state::Database* db)
    : options_(std::move(options)), db_(db), keys_(db), inventory_(db), metrics_(options_.metrics) {
  auto boot = RandomHex(4);
  id_prefix_ = "o-" + (boot ? *boot : std::to_string(std::time(nullptr))) + "-";
}

// Ids carry a per-start prefix: agents remember the ids they saw, and a
// restarted orchestrator must not reuse one.
std::string Server::NextId() { return id_prefix_ + std::to_string(++next_id_); }

Status Server::Run(const std::atomic<bool>& stop) {
  auto accepted = keys_.Accepted();
  if (!accepted) return accepted.error().WithContext("loading keys");
  accepted_ = {accepted->begin(), accepted->end()};
  keys_version_ = db_->DataVersion();
  auto admit = [this](const wire::ZapRequest& r) {
    auto it = accepted_.find(r.public_key);
    if (it != accepted_.end()) return true;
    Status s = keys_.NotePending(r.public_key, r.address);
    if (!s.ok()) spdlog::error("recording pending key {}: {}", r.public_key, s.ToString());
    // Warn once per key: a refused agent retries every second.
    auto level = refused_.insert(r.public_key).second ? spdlog::level::warn : spdlog::level::debug;
    spdlog::log(level, "refused key {} from {}: not accepted (drover keys accept {})", r.public_key,
                r.address, r.public_key);
    return false;
  };
  auto socket = wire::ServerSocket::Bind(options_.listen, options_.key, admit);
  if (!socket) return socket.error();
  socket_ = std::move(*socket);
  socket_->WakeOn(tasks_.fd());
  spdlog::info("serving on {} with key {}", socket_->endpoint(), options_.key.public_z85);
  std::vector<wire::Inbound> batch;  // reused: see ServerSocket::Receive
  Clock::time_point last_batch{};
  while (!stop.load()) {
    auto until_tick =
        std::chrono::ceil<std::chrono::milliseconds>(last_tick_ + kTickEvery - Clock::now());
    auto got = socket_->Receive(std::clamp(until_tick, std::chrono::milliseconds(0), kTickEvery),
                                kMaxBatch, &batch);
    // One clock read per turn: every message of a batch counts as heard now.
    auto now = Clock::now();
    if (!got) spdlog::error("receive: {}", got.error().ToString());
    size_t messages = got ? got->messages : 0;
    for (size_t i = 0; i < messages; ++i) OnInbound(batch[i], now);
    if (got && got->woken) tasks_.RunPosted();
    if (now - last_tick_ >= kTickEvery) Tick(now);
    // Busy: this batch held several messages, or came soon after the last.
    bool busy = messages > 1 || (messages == 1 && now - last_batch < kCoalesce);
    if (messages > 0) last_batch = now;
    if (busy && pending_.size() == 0) {
      auto woken = socket_->WaitForWake(kCoalesce);
      if (woken && *woken) tasks_.RunPosted();
    }
  }
  spdlog::info("stopped");
  return Status::Ok();
}

void Server::Tick(Clock::time_point now) {
  last_tick_ = now;
  metrics_.RequestsTimedOut(pending_.Expire(now));
  for (const std::string& name : agents_.ExpireSilent(now, options_.heartbeat_timeout)) {
    spdlog::warn("host {} is unreachable: no heartbeat for {} ms", name,
                 options_.heartbeat_timeout.count());
    if (AgentEntry* a = agents_.FindByName(name)) {
      pending_.FailAgent(a->public_key, Unavailable("host " + name + " became unreachable"));
    }
  }
  ReloadKeysIfChanged();
  metrics_.Agents(agents_.online_count(), agents_.all().size());
}

void Server::ReloadKeysIfChanged() {
  int64_t version = db_->DataVersion();
  if (version == keys_version_) return;
  keys_version_ = version;
  auto accepted = keys_.Accepted();
  if (!accepted) {
    spdlog::error("reloading keys: {}", accepted.error().ToString());
    return;
  }
  accepted_ = {accepted->begin(), accepted->end()};
  std::vector<std::string> cut;
  for (const auto& [key, agent] : agents_.all()) {
    auto it = accepted_.find(key);
    if (it == accepted_.end() || it->second != state::KeyRole::kAgent) cut.push_back(key);
  }
  for (const std::string& key : cut) {
    spdlog::warn("key {} of host {} is no longer accepted: cut off", key,
                 agents_.FindByKey(key)->name);
    pending_.FailAgent(key, PermissionDenied("the key of this host was revoked"));
    agents_.Remove(key);
    duplicates_.Forget(key);
  }
}

void Server::SendMessage(const std::string& routing_id, const wire::Message& m) {
  Status s = socket_->Send(routing_id, wire::Encode(m));
  if (!s.ok()) spdlog::warn("could not send {} {}: {}", m.type, m.id, s.ToString());
}

void Server::SendError(const wire::Inbound& in, const std::string& re, const Status& s) {
  SendMessage(in.routing_id, wire::MakeError(re.empty() ? "-" : re, NextId(), s));
}

void Server::OnInbound(const wire::Inbound& in, Clock::time_point now) {
  auto role = accepted_.find(in.public_key);
  if (role == accepted_.end()) {
    spdlog::warn("dropped a message from key {}: the key is not accepted", Short(in.public_key));
    metrics_.Rejected(Rejection::kUnacceptedKey);
    return;
  }
  if (in.extra_frames > 0) {
    spdlog::warn("rejected a message of {} frames from {}", in.extra_frames + 1,
                 Short(in.public_key));
    SendError(in, wire::SalvageId(in.payload, options_.max_message_bytes),
              InvalidArgument("a message must be exactly one frame"));
    metrics_.Rejected(Rejection::kFrames);
    return;
  }
  // The heartbeat fast path: the exact bytes agents write, read without a
  // JSON document. Anything else, even a heartbeat spelt differently, takes
  // the general path, whose checks decide.
  if (role->second == state::KeyRole::kAgent && in.payload.size() <= options_.max_message_bytes) {
    if (auto hb = wire::ParseHeartbeat(in.payload)) {
      metrics_.Received("heartbeat");
      if (!FirstTime(in, hb->id)) return;
      return OnHeartbeat(in, hb->id, hb->seq, hb->ack, now);
    }
  }
  auto decoded = wire::Decode(in.payload, options_.max_message_bytes);
  if (!decoded) {
    spdlog::warn("rejected a message from {}: {}", Short(in.public_key), decoded.error().message());
    SendError(in, wire::SalvageId(in.payload, options_.max_message_bytes), decoded.error());
    metrics_.Rejected(Rejection::kInvalid);
    return;
  }
  const wire::Message& m = *decoded;
  const wire::MessageSpec* spec = wire::FindMessageSpec(m.type);
  metrics_.Received(spec->type);
  if (m.IsReply()) {
    if (!pending_.Complete(m, in.public_key)) {
      spdlog::warn("dropped a reply to unknown request {} from {}", m.re, Short(in.public_key));
    }
    return;
  }
  if (!FirstTime(in, m.id)) return;
  bool is_agent = role->second == state::KeyRole::kAgent;
  if (spec->sender == wire::Sender::kAgent && is_agent) return OnAgentMessage(in, m, now);
  if (spec->sender == wire::Sender::kOperator && !is_agent) return OnOperatorMessage(in, m);
  spdlog::warn("rejected {} from {} key {}", m.type, is_agent ? "agent" : "operator",
               Short(in.public_key));
  SendError(in, m.id,
            PermissionDenied("message type '" + m.type + "' is not accepted from an " +
                             (is_agent ? "agent" : "operator") + " key"));
  metrics_.Rejected(Rejection::kRole);
}

bool Server::FirstTime(const wire::Inbound& in, std::string_view id) {
  if (duplicates_.FirstTime(in.public_key, id)) return true;
  spdlog::warn("rejected duplicate request id {} from {}", id, Short(in.public_key));
  SendError(in, std::string(id), InvalidArgument("duplicate request id '" + std::string(id) + "'"));
  metrics_.Rejected(Rejection::kDuplicateId);
  return false;
}

void Server::OnHeartbeat(const wire::Inbound& in, std::string_view id, int64_t seq, bool ack,
                         Clock::time_point now) {
  if (!agents_.Heartbeat(in.public_key, in.routing_id, now, seq)) {
    SendError(in, std::string(id), NotFound("this agent has not registered: register first"));
    metrics_.Rejected(Rejection::kRefused);
    return;
  }
  if (!ack) return;
  Status s = socket_->Send(in.routing_id, wire::EncodeHeartbeatAck(NextId(), id, seq));
  if (!s.ok()) spdlog::warn("could not answer heartbeat {}: {}", id, s.ToString());
}

void Server::OnAgentMessage(const wire::Inbound& in, const wire::Message& m,
                            Clock::time_point now) {
  if (m.type == "register") return OnRegister(in, m, now);
  if (m.type == "transfer.event") {
    AgentEntry* agent = agents_.FindByKey(in.public_key);
    Status s = agent == nullptr ? NotFound("this agent has not registered")
                                : transfers_.OnEvent(agent->name, m.body);
    if (!s.ok()) {
      spdlog::warn("refused transfer.event from {}: {}", Short(in.public_key), s.message());
      metrics_.Rejected(Rejection::kRefused);
      return SendError(in, m.id, s);
    }
    agents_.Heard(in.public_key, in.routing_id, now);
    return SendMessage(in.routing_id, wire::MakeReply(m, NextId(), nlohmann::json::object()));
  }
  return OnHeartbeat(in, m.id, m.body["seq"].get<int64_t>(), m.body.value("ack", false), now);
}

void Server::OnRegister(const wire::Inbound& in, const wire::Message& m, Clock::time_point now) {
  std::string name = m.body["name"];
  Status s = CheckJsonFields(m.body["facts"], wire::HostFactsFields(), "register: facts",
                             UnknownFields::kAllow);
  if (s.ok() && !ValidHostName(name)) {
    s = InvalidArgument("register: host name '" + name.substr(0, 64) +
                        "' must be 1-63 letters, digits, '.', '_' or '-'");
  }
  AgentEntry entry{in.public_key,   name, in.routing_id, m.body["version"],
                   m.body["facts"], now,  true};
  if (s.ok() && !agents_.Register(entry)) {
    s = AlreadyExists("host name '" + name + "' is registered by another online agent key");
  }
  if (!s.ok()) {
    spdlog::warn("refused registration from {}: {}", Short(in.public_key), s.message());
    SendError(in, m.id, s);
    metrics_.Rejected(Rejection::kRefused);
    return;
  }
  Status saved = inventory_.Save(
      {name, in.public_key, entry.facts, entry.version, static_cast<int64_t>(std::time(nullptr))});
  if (!saved.ok()) spdlog::error("saving facts of {}: {}", name, saved.ToString());
  spdlog::info("host {} registered (key {}, agent {})", name, Short(in.public_key), entry.version);
  SendMessage(
      in.routing_id,
      wire::MakeReply(m, NextId(), {{"heartbeat_ms", options_.heartbeat_interval.count()}}));
}

void Server::OnOperatorMessage(const wire::Inbound& in, const wire::Message& m) {
  std::string routing = in.routing_id, id = m.id;
  Reply reply = [this, routing, id](Result<nlohmann::json> r) {
    wire::Message request;
    request.id = id;
    if (r)
      SendMessage(routing, wire::MakeReply(request, NextId(), std::move(*r)));
    else
      SendMessage(routing, wire::MakeError(id, NextId(), r.error()));
  };
  if (m.type == "op.ping") {
    auto timeout = std::chrono::milliseconds(
        m.body.value("timeout_ms", static_cast<int64_t>(options_.request_timeout.count())));
    int count = static_cast<int>(m.body.value("count", 1));
    if (count < 1 || count > 100000 || timeout.count() < 1) {
      return reply(Err(InvalidArgument("op.ping: count must be 1..100000, timeout_ms > 0")));
    }
    return Ping(m.body["host"], count, timeout, reply);
  }
  if (m.type == "op.sync") return StartSync(m.body, reply);
  if (m.type == "op.stats") {
    const HeartbeatStats& hb = agents_.heartbeats();
    return reply(nlohmann::json{{"agents_online", agents_.Online().size()},
                                {"agents_known", agents_.all().size()},
                                {"heartbeats_received", hb.received},
                                {"heartbeats_missed", hb.missed},
                                {"requests_pending", pending_.size()}});
  }
  if (m.type == "op.job") return reply(jobs_.Status(m.body["job"]));
  if (m.type == "op.job.cancel") {
    Status s = jobs_.Cancel(m.body["job"]);
    return s.ok() ? reply(nlohmann::json{{"cancelling", m.body["job"]}}) : reply(Err(s));
  }
  if (auto handler = handlers_.find(m.type); handler != handlers_.end()) {
    return reply(handler->second(m.body));
  }
  if (auto factory = job_factories_.find(m.type); factory != job_factories_.end()) {
    auto fn = factory->second.second(m.body, *this);
    if (!fn) return reply(Err(fn.error()));
    std::string id = jobs_.Start(factory->second.first, m.body.dump(), std::move(*fn));
    return reply(nlohmann::json{{"job", id}});
  }
  if (m.type == "op.transfer") {
    Transfer* t = transfers_.Find(m.body["transfer"]);
    if (t == nullptr)
      return reply(
          Err(NotFound("transfer " + m.body["transfer"].get<std::string>() + " is not known")));
    return reply(t->ToJson());
  }
  RefreshFacts([this, type = m.type, reply] {
    if (type == "op.hosts") return reply(HostsTable());
    if (type == "op.guests") return reply(GuestsTable());
    auto hosts = inventory_.List();
    if (!hosts) return reply(Err(hosts.error()));
    std::set<std::string> online;
    for (AgentEntry* a : agents_.Online()) online.insert(a->name);
    reply(BuildInventory(*hosts, online));
  });
}

void Server::AskAgent(const std::string& name, const std::string& type, nlohmann::json body,
                      std::chrono::milliseconds timeout, Reply done) {
  AgentEntry* agent = agents_.FindByName(name);
  if (agent == nullptr) return done(Err(NotFound("host '" + name + "' is not known")));
  if (!agent->online) return done(Err(Unavailable("host '" + name + "' is unreachable")));
  std::string id = NextId();
  pending_.Add(id, agent->public_key, name, Clock::now() + timeout,
               [done](Result<wire::Message> r) {
                 if (!r) return done(Err(r.error()));
                 done(std::move(r->body));
               });
  Status s = socket_->Send(agent->routing_id, wire::Encode(wire::MakeRequest(type, id, body)));
  if (!s.ok()) {
    pending_.FailAgent(agent->public_key, s.WithContext("sending to host " + name));
  }
}

void Server::RefreshFacts(std::function<void()> done, const std::string& only_host) {
  auto online = agents_.Online();
  if (!only_host.empty()) {
    std::erase_if(online, [&](const AgentEntry* a) { return a->name != only_host; });
  }
  if (online.empty()) return done();
  auto left = std::make_shared<size_t>(online.size());
  for (AgentEntry* agent : online) {
    std::string name = agent->name;
    AskAgent(name, "agent.facts", nlohmann::json::object(), options_.request_timeout,
             [this, name, left, done](Result<nlohmann::json> r) {
               AgentEntry* a = agents_.FindByName(name);
               if (!r) {
                 spdlog::warn("facts of host {}: {}", name, r.error().message());
               } else if (Status s = CheckJsonFields(r->value("facts", nlohmann::json()),
                                                     wire::HostFactsFields(), "facts of " + name,
                                                     UnknownFields::kAllow);
                          !s.ok()) {
                 spdlog::warn("{}", s.message());
               } else if (a != nullptr) {
                 a->facts = (*r)["facts"];
                 Status saved = inventory_.Save({name, a->public_key, a->facts, a->version,
                                                 static_cast<int64_t>(std::time(nullptr))});
                 if (!saved.ok()) spdlog::error("saving facts of {}: {}", name, saved.message());
               }
               if (--*left == 0) done();
             });
  }
}

void Server::Ping(const std::string& host, int count, std::chrono::milliseconds timeout,
                  Reply done) {
  auto rtts = std::make_shared<std::vector<double>>();
  // The step function holds itself only weakly; each pending callback holds
  // it strongly, so it lives exactly as long as the ping sequence runs.
  auto next = std::make_shared<std::function<void()>>();
  std::weak_ptr<std::function<void()>> weak = next;
  *next = [=, this] {
    auto self = weak.lock();
    auto sent = Clock::now();
    AskAgent(host, "agent.ping", nlohmann::json::object(), timeout, [=](Result<nlohmann::json> r) {
      if (!r) return done(Err(r.error()));
      rtts->push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
      if (static_cast<int>(rtts->size()) < count) return (*self)();
      std::vector<double> sorted = *rtts;
      std::sort(sorted.begin(), sorted.end());
      auto pct = [&](double p) {
        return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
      };
      done(nlohmann::json{{"host", host},
                          {"count", sorted.size()},
                          {"rtt_us_p50", pct(0.50)},
                          {"rtt_us_p99", pct(0.99)},
                          {"rtt_us_max", sorted.back()}});
    });
  };
  (*next)();
}

Result<uint64_t> Server::VolumeSize(const std::string& host, const std::string& volume) {
  AgentEntry* agent = agents_.FindByName(host);
  if (agent == nullptr) return Err(NotFound("host '" + host + "' is not known"));
  if (!agent->online) return Err(Unavailable("host '" + host + "' is unreachable"));
  for (const auto& v : agent->facts.value("volumes", nlohmann::json::array())) {
    if (v.value("name", "") == volume) return v.value("size_bytes", uint64_t{0});
  }
  return Err(NotFound("host " + host + " has no volume '" + volume + "'"));
}

void Server::StartSync(const nlohmann::json& r, Reply done) {
  std::string src = r["source_host"], dst = r["dest_host"];
  std::string src_volume = r["source_volume"], dst_volume = r["dest_volume"];
  if (src == dst && src_volume == dst_volume) {
    return done(Err(InvalidArgument("sync: source and destination are the same volume")));
  }
  auto id = RandomHex(6);
  auto ticket = RandomHex(32);
  if (!id || !ticket) return done(Err(Internal("no random numbers for a ticket")));
  // The facts may be old: ask the source (only: a sync in a cutover's pause
  // must not wait for every host) for fresh ones before sizing.
  RefreshFacts(
      [=, this] {
        auto size = VolumeSize(src, src_volume);
        if (!size) return done(Err(size.error()));
        AgentEntry* dest_agent = agents_.FindByName(dst);
        AgentEntry* source_agent = agents_.FindByName(src);
        if (dest_agent == nullptr || !dest_agent->online) {
          return done(Err(Unavailable("host '" + dst + "' is not connected")));
        }
        std::string transfer_id = "t-" + *id;
        Transfer t;
        t.id = transfer_id;
        t.source_host = src;
        t.source_volume = src_volume;
        t.dest_host = dst;
        t.dest_volume = dst_volume;
        t.volume_bytes = *size;
        transfers_.Add(std::move(t));
        nlohmann::json receive = {{"transfer", transfer_id},
                                  {"ticket", *ticket},
                                  {"source_key", source_agent->public_key},
                                  {"volume", dst_volume},
                                  {"size_bytes", *size}};
        AskAgent(dst, "agent.sync.receive", receive, options_.request_timeout,
                 [=, this](Result<nlohmann::json> bound) {
                   if (!bound) {
                     transfers_.Fail(transfer_id, bound.error().message());
                     return done(Err(bound.error().WithContext("destination " + dst)));
                   }
                   nlohmann::json send = {{"transfer", transfer_id},
                                          {"ticket", *ticket},
                                          {"endpoint", bound->value("endpoint", "")},
                                          {"server_key", bound->value("public_key", "")},
                                          {"volume", src_volume}};
                   if (r.contains("bandwidth_bytes_per_s")) {
                     send["bandwidth_bytes_per_s"] = r["bandwidth_bytes_per_s"];
                   }
                   if (Transfer* t = transfers_.Find(transfer_id)) t->send_body = send;
                   AskAgent(
                       src, "agent.sync.send", send, options_.request_timeout,
                       [=, this](Result<nlohmann::json> sending) {
                         if (!sending) {
                           transfers_.Fail(transfer_id, sending.error().message());
                           AskAgent(dst, "agent.sync.cancel", {{"transfer", transfer_id}},
                                    options_.request_timeout, [](Result<nlohmann::json>) {});
                           return done(Err(sending.error().WithContext("source " + src)));
                         }
                         spdlog::info("transfer {}: {}:{} -> {}:{} started", transfer_id, src,
                                      src_volume, dst, dst_volume);
                         done(nlohmann::json{{"transfer", transfer_id}, {"volume_bytes", *size}});
                       });
                 });
      },
      src);
}

namespace {

// Runs `start(done)` on the loop and waits for `done`'s value. The promise is
// shared so that a late answer after a timeout finds it still alive.
template <typename T>
Result<T> OnLoop(LoopTasks& tasks, std::chrono::milliseconds wait,
                 std::function<void(std::function<void(Result<T>)>)> start) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  tasks.Post([promise, start = std::move(start)] {
    auto once = std::make_shared<std::atomic<bool>>(false);
    start([promise, once](Result<T> r) {
      if (!once->exchange(true)) promise->set_value(std::move(r));
    });
  });
  if (future.wait_for(wait) != std::future_status::ready) {
    return Err(Timeout("the orchestrator loop did not answer within " +
                       std::to_string(wait.count()) + " ms"));
  }
  return future.get();
}

}  // namespace

void Server::RegisterJob(const std::string& type, const std::string& kind, JobFactory make) {
  job_factories_[type] = {kind, std::move(make)};
}

void Server::RegisterHandler(const std::string& type, RequestHandler handle) {
  handlers_[type] = std::move(handle);
}

Result<nlohmann::json> Server::Call(const std::string& host, const std::string& type,
                                    nlohmann::json body, std::chrono::milliseconds timeout) {
  return OnLoop<nlohmann::json>(tasks_, timeout + std::chrono::seconds(2),
                                [=, this](std::function<void(Result<nlohmann::json>)> done) {
                                  AskAgent(host, type, body, timeout, std::move(done));
                                });
}

Result<HostView> Server::Host(const std::string& host) {
  return OnLoop<HostView>(tasks_, std::chrono::seconds(5),
                          [=, this](std::function<void(Result<HostView>)> done) {
                            AgentEntry* a = agents_.FindByName(host);
                            if (a == nullptr)
                              return done(Err(NotFound("host '" + host + "' is not known")));
                            done(HostView{a->name, a->public_key, a->online, a->facts});
                          });
}

Result<std::vector<HostView>> Server::Hosts() {
  return OnLoop<std::vector<HostView>>(
      tasks_, std::chrono::seconds(5),
      [this](std::function<void(Result<std::vector<HostView>>)> done) {
        // A host that got a new key is known under both: the online one counts.
        std::map<std::string, HostView> by_name;
        for (const auto& [key, a] : agents_.all()) {
          auto [it, added] =
              by_name.try_emplace(a.name, HostView{a.name, a.public_key, a.online, a.facts});
          if (!added && a.online && !it->second.online) {
            it->second = HostView{a.name, a.public_key, a.online, a.facts};
          }
        }
        std::vector<HostView> hosts;
        for (auto& [name, view] : by_name) hosts.push_back(std::move(view));
        done(std::move(hosts));
      });
}

Result<nlohmann::json> Server::Sync(const SyncRequest& r,
                                    const std::function<void(const nlohmann::json&)>& progress,
                                    const std::atomic<bool>* cancel) {
  nlohmann::json request = {{"source_host", r.source_host},
                            {"source_volume", r.source_volume},
                            {"dest_host", r.dest_host},
                            {"dest_volume", r.dest_volume}};
  if (r.bandwidth_bytes_per_s > 0) request["bandwidth_bytes_per_s"] = r.bandwidth_bytes_per_s;
  ASSIGN_OR_RETURN(nlohmann::json started,
                   OnLoop<nlohmann::json>(tasks_, options_.request_timeout * 3,
                                          [=, this](std::function<void(Result<nlohmann::json>)> d) {
                                            StartSync(request, std::move(d));
                                          }));
  std::string id = started["transfer"];
  // Events can be lost (an agent that reconnects drops what its old
  // connection held): when a transfer goes quiet, ask its source directly
  // (a repeated agent.sync.send of the same transfer is a wait).
  std::string last_seen;
  auto last_change = std::chrono::steady_clock::now();
  for (;;) {
    ASSIGN_OR_RETURN(
        nlohmann::json t,
        OnLoop<nlohmann::json>(tasks_, std::chrono::seconds(5),
                               [=, this](std::function<void(Result<nlohmann::json>)> d) {
                                 Transfer* t = transfers_.Find(id);
                                 if (t == nullptr) return d(Err(NotFound(id)));
                                 d(t->ToJson());
                               }));
    std::string state = t.value("state", "");
    if (state == "done") return t;
    if (state == "failed") return Err(Aborted("transfer " + id + ": " + t.value("error", "?")));
    if (progress) progress(t);
    std::string seen = t.value("state", "") + "/" + t.value("phase", "") + "/" +
                       std::to_string(t.value("chunks_done", uint64_t{0})) + "/" +
                       std::to_string(t.value("bytes_sent", uint64_t{0}));
    if (seen != last_seen) {
      last_seen = seen;
      last_change = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_change > std::chrono::seconds(5)) {
      last_change = std::chrono::steady_clock::now();
      AskSourceAgain(id, r.source_host);
    }
    if (cancel != nullptr && cancel->load()) {
      for (const auto& host : {r.source_host, r.dest_host}) {
        (void)Call(host, "agent.sync.cancel", {{"transfer", id}}, options_.request_timeout);
      }
      tasks_.Post([this, id] { transfers_.Fail(id, "cancelled"); });
      return Err(Aborted("transfer " + id + " cancelled"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void Server::AskSourceAgain(const std::string& id, const std::string& source_host) {
  auto body = OnLoop<nlohmann::json>(tasks_, std::chrono::seconds(5),
                                     [=, this](std::function<void(Result<nlohmann::json>)> d) {
                                       Transfer* t = transfers_.Find(id);
                                       if (t == nullptr || t->send_body.is_null()) {
                                         return d(Err(NotFound(id)));
                                       }
                                       d(t->send_body);
                                     });
  if (!body) return;
  (*body)["wait_ms"] = 1000;
  auto reply = Call(source_host, "agent.sync.send", *body, options_.request_timeout);
  if (!reply) {
    spdlog::info("transfer {}: asking {} again: {}", id, source_host, reply.error().ToString());
    return;
  }
  std::string state = reply->value("state", "");
  if (state != "done" && state != "failed") return;
  nlohmann::json event = *reply;
  event["transfer"] = id;
  event["side"] = "source";
  spdlog::info("transfer {}: {} according to {} (its event was lost)", id, state, source_host);
  tasks_.Post([this, source_host, event] {
    Status s = transfers_.OnEvent(source_host, event);
    if (!s.ok()) spdlog::warn("transfer {}: {}", event.value("transfer", ""), s.ToString());
  });
}

nlohmann::json Server::HostsTable() {
  nlohmann::json rows = nlohmann::json::array();
  auto hosts = inventory_.List();
  if (!hosts) return rows;
  for (const auto& h : *hosts) {
    AgentEntry* a = agents_.FindByName(h.name);
    bool online = a != nullptr && a->online;
    rows.push_back({{"name", h.name},
                    {"state", online ? "online" : "unreachable"},
                    {"version", h.version},
                    {"key", h.public_key},
                    {"last_seen", h.last_seen},
                    {"facts", h.facts}});
  }
  return rows;
}

nlohmann::json Server::GuestsTable() {
  nlohmann::json rows = nlohmann::json::array();
  auto hosts = inventory_.List();
  if (!hosts) return rows;
  for (const auto& h : *hosts) {
    AgentEntry* a = agents_.FindByName(h.name);
    bool online = a != nullptr && a->online;
    for (const auto& g : h.facts.value("guests", nlohmann::json::array())) {
      nlohmann::json row = g;
      row["host"] = h.name;
      row["host_state"] = online ? "online" : "unreachable";
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

}  // namespace drover::daemon
