#include "agent/daemon/agent.h"

#include <algorithm>
#include <random>
#include <thread>

#include "common/log.h"
#include "common/wire/codec.h"
#include "common/wire/protocol.h"

namespace drover::agent {
namespace {
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
constexpr milliseconds kConnectSlice{250};
constexpr milliseconds kRefusedRetry{1000};
}  // namespace

Agent::Agent(AgentOptions options) : options_(std::move(options)), metrics_(options_.metrics) {
  handlers_["agent.ping"] = [](const wire::Message&) -> Result<nlohmann::json> {
    return nlohmann::json::object();
  };
  handlers_["agent.facts"] = [this](const wire::Message&) -> Result<nlohmann::json> {
    ASSIGN_OR_RETURN(nlohmann::json facts, CollectHostFacts(options_.facts));
    metrics_.OnFacts(facts);
    return nlohmann::json{{"facts", std::move(facts)}};
  };
}

std::string Agent::NextId() {
  // A per-process prefix keeps ids unique across restarts of the agent.
  static const std::string prefix = [] {
    std::random_device rd;
    return "a" + std::to_string(rd() % 100000) + "-";
  }();
  return prefix + std::to_string(++next_id_);
}

void Agent::Post(const std::string& type, nlohmann::json body) {
  if (type == "transfer.event") metrics_.OnTransferEvent(body, Clock::now());
  std::lock_guard lock(outbox_mu_);
  outbox_.push_back(wire::MakeRequest(type, NextId(), std::move(body)));
}

void Agent::SendPosted() {
  std::deque<wire::Message> ready;
  {
    std::lock_guard lock(outbox_mu_);
    ready.swap(outbox_);
  }
  for (const auto& m : ready) Send(m);
}

void Agent::Send(const wire::Message& m) {
  Status s = socket_->Send(wire::Encode(m));
  if (!s.ok()) spdlog::debug("send {}: {}", m.type, s.message());
}

void Agent::Connect() {
  socket_.reset();
  auto socket =
      wire::ClientSocket::Connect(options_.orchestrator, options_.orchestrator_key, options_.key);
  if (!socket) {
    spdlog::error("{}", socket.error().ToString());
    return;
  }
  socket_ = std::move(*socket);
  state_ = State::kConnecting;
}

void Agent::SendRegister() {
  auto facts = CollectHostFacts(options_.facts);
  if (!facts) {
    spdlog::error("cannot register: {}", facts.error().ToString());
    return;
  }
  metrics_.OnFacts(*facts);
  register_id_ = NextId();
  register_sent_ = Clock::now();
  Send(wire::MakeRequest("register", register_id_,
                         {{"name", options_.name}, {"version", kAgentVersion}, {"facts", *facts}}));
  state_ = State::kRegistering;
}

Status Agent::Run(const std::atomic<bool>& stop) {
  auto facts = CollectHostFacts(options_.facts);
  if (!facts) return facts.error();
  Connect();
  while (!stop.load()) {
    if (!socket_) {
      std::this_thread::sleep_for(milliseconds(500));
      Connect();
      continue;
    }
    auto now = Clock::now();
    metrics_.Refresh(now);
    if (state_ == State::kConnecting) {
      Status s = socket_->WaitConnected(kConnectSlice);
      if (s.ok()) {
        spdlog::info("connected to orchestrator at {}", options_.orchestrator);
        warned_refused_ = false;
        SendRegister();
      } else if (s.code() == Code::kPermissionDenied) {
        if (!warned_refused_) {
          spdlog::warn(
              "the orchestrator refused our key {}: an operator must run "
              "`drover keys accept {}`",
              options_.key.public_z85, options_.key.public_z85);
          warned_refused_ = true;
        }
        // ZeroMQ does not retry a refused handshake by itself: ask again
        // later with a fresh socket, in case the key has been accepted since.
        std::this_thread::sleep_for(kRefusedRetry);
        Connect();
      }
      continue;
    }
    if (state_ == State::kRegistering && now - register_sent_ > options_.orchestrator_timeout) {
      spdlog::warn("no answer to registration within {} ms: reconnecting",
                   options_.orchestrator_timeout.count());
      Connect();
      continue;
    }
    if (state_ == State::kOnline) {
      if (now - last_heard_ > options_.orchestrator_timeout) {
        spdlog::warn("orchestrator silent for {} ms: reconnecting",
                     std::chrono::duration_cast<milliseconds>(now - last_heard_).count());
        Connect();
        continue;
      }
      SendPosted();
      if (now >= next_heartbeat_) {
        // Ask for an answer once a third of the timeout has passed in silence:
        // enough to notice a lost orchestrator in time, without doubling the
        // orchestrator's traffic with an answer to every heartbeat.
        bool ack = now - last_heard_ >= options_.orchestrator_timeout / 3;
        Send(wire::MakeRequest("heartbeat", NextId(), {{"seq", ++heartbeat_seq_}, {"ack", ack}}));
        next_heartbeat_ = now + options_.heartbeat_interval;
      }
    }
    auto wait = state_ == State::kOnline
                    ? std::chrono::duration_cast<milliseconds>(next_heartbeat_ - Clock::now())
                    : milliseconds(100);
    auto frame = socket_->Receive(std::clamp(wait, milliseconds(1), milliseconds(50)));
    if (!frame) {
      spdlog::error("receive: {}", frame.error().ToString());
    } else if (*frame) {
      OnFrame(**frame);
    }
  }
  return Status::Ok();
}

void Agent::OnFrame(const std::string& frame) {
  auto decoded = wire::Decode(frame, wire::kMaxMessageBytes);
  if (!decoded) {
    spdlog::warn("rejected a message from the orchestrator: {}", decoded.error().message());
    Send(
        wire::MakeError(wire::SalvageId(frame, wire::kMaxMessageBytes), NextId(), decoded.error()));
    return;
  }
  last_heard_ = Clock::now();
  if (decoded->IsReply()) return OnReply(*decoded);
  OnRequest(*decoded);
}

void Agent::OnReply(const wire::Message& m) {
  Status error = wire::ErrorOf(m);
  if (m.re == register_id_ && state_ == State::kRegistering) {
    if (!error.ok()) {
      spdlog::error("registration refused: {}", error.ToString());
      Connect();  // try again after the reconnect interval
      return;
    }
    int64_t ms = m.body.value("heartbeat_ms", int64_t{0});
    if (ms > 0) options_.heartbeat_interval = milliseconds(ms);
    spdlog::info("registered as {}", options_.name);
    state_ = State::kOnline;
    next_heartbeat_ = Clock::now() + options_.heartbeat_interval;
    return;
  }
  if (!error.ok() && error.code() == Code::kNotFound && state_ == State::kOnline) {
    spdlog::info("the orchestrator does not know us (it restarted?): registering again");
    SendRegister();
  }
}

void Agent::OnRequest(const wire::Message& m) {
  if (!duplicates_.FirstTime("orchestrator", m.id)) {
    spdlog::warn("rejected duplicate request id {}", m.id);
    Send(wire::MakeError(m.id, NextId(), InvalidArgument("duplicate request id '" + m.id + "'")));
    return;
  }
  auto handler = handlers_.find(m.type);
  if (handler == handlers_.end()) {
    Send(wire::MakeError(m.id, NextId(),
                         InvalidArgument("this agent does not handle '" + m.type + "'")));
    return;
  }
  auto result = handler->second(m);
  if (result)
    Send(wire::MakeReply(m, NextId(), std::move(*result)));
  else
    Send(wire::MakeError(m.id, NextId(), result.error()));
}

}  // namespace drover::agent
