// drover-loadgen: simulates many agents in one process for tools/bench-control.
//
//   drover-loadgen keys --count N --out DIR   writes DIR/loadgen.key (secrets)
//                                             and DIR/loadgen.pub (public keys)
//   drover-loadgen run --keys DIR ...         N agents, each with its own CURVE
//                                             key, register and heartbeat
//
// Each simulated agent speaks the real protocol on its own DEALER socket:
// register, then one heartbeat per interval (spread evenly over the
// interval), answering agent.* requests. Like drover-agent it asks for an
// answer only when it has heard nothing for a third of its 5 s timeout, and
// its last heartbeat always asks, so that a heartbeat lost at the end shows
// as a missing answer and one lost before as a gap the orchestrator counts
// (op.stats heartbeats_missed). At the end it prints one line:
//   loadgen agents=N registered=R sent=S ack_requested=Q acked=A unanswered=U
#include <zmq.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#include "common/wire/codec.h"
#include "common/wire/keys.h"
#include "common/wire/protocol.h"
#include "common/wire/transport.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
namespace wire = drover::wire;

struct SimAgent {
  std::unique_ptr<wire::ClientSocket> socket;
  std::string name;
  bool registered = false;
  int64_t seq = 0;
  Clock::time_point next_beat;
  Clock::time_point last_heard;
};

int MakeKeys(int count, const std::string& out) {
  std::ofstream secrets(out + "/loadgen.key"), publics(out + "/loadgen.pub");
  for (int i = 0; i < count; ++i) {
    auto pair = wire::GenerateKeyPair();
    if (!pair) return 1;
    secrets << pair->secret_z85 << "\n";
    publics << pair->public_z85 << "\n";
  }
  return 0;
}

nlohmann::json Facts() {
  return {{"cpus", 32},
          {"memory_mib", 131072},
          {"pool",
           {{"kind", "file"},
            {"path", "/srv/pool"},
            {"size_bytes", 1LL << 40},
            {"free_bytes", 1LL << 39}}},
          {"guests", nlohmann::json::array()},
          {"volumes", nlohmann::json::array()}};
}

int Run(const std::string& keys_dir, const std::string& endpoint, const std::string& server_key,
        int seconds, int interval_ms) {
  std::vector<wire::KeyPair> keys;
  std::ifstream in(keys_dir + "/loadgen.key");
  for (std::string line; std::getline(in, line);) {
    auto pair = wire::KeyPair{"", line};
    char pub[41];
    if (zmq_curve_public(pub, line.c_str()) != 0) return 2;
    pair.public_z85 = pub;
    keys.push_back(pair);
  }
  auto server = wire::LoadPublicKey(server_key);
  if (!server) return 2;
  std::vector<SimAgent> agents(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    auto s = wire::ClientSocket::Connect(endpoint, *server, keys[i]);
    if (!s) {
      std::fprintf(stderr, "loadgen: %s\n", s.error().ToString().c_str());
      return 1;
    }
    agents[i].socket = std::move(*s);
    char name[32];
    std::snprintf(name, sizeof name, "load-%04zu", i);
    agents[i].name = name;
  }
  for (auto& a : agents) {
    if (!a.socket->WaitConnected(milliseconds(20000)).ok()) {
      std::fprintf(stderr, "loadgen: %s could not connect\n", a.name.c_str());
      return 1;
    }
    (void)a.socket->Send(wire::Encode(
        wire::MakeRequest("register", a.name + "-r",
                          {{"name", a.name}, {"version", "loadgen"}, {"facts", Facts()}})));
  }
  std::vector<zmq_pollitem_t> items;
  for (auto& a : agents) items.push_back({a.socket->handle(), 0, ZMQ_POLLIN, 0});
  int64_t sent = 0, acked = 0, registered = 0, ack_requested = 0;
  const auto ack_after = milliseconds(5000) / 3;
  auto start = Clock::now();
  for (size_t i = 0; i < agents.size(); ++i) {
    agents[i].next_beat = start + milliseconds(interval_ms * i / agents.size());
  }
  auto stop_sending = start + std::chrono::seconds(seconds);
  auto stop = stop_sending + milliseconds(3000);  // grace for the last answers
  bool finished_sending = false;
  while (Clock::now() < stop) {
    auto now = Clock::now();
    bool last_round = now >= stop_sending && !finished_sending;
    if (now < stop_sending || last_round) {
      for (auto& a : agents) {
        if (!a.registered || (now < a.next_beat && !last_round)) continue;
        bool ack = last_round || now - a.last_heard >= ack_after;
        // A heartbeat that cannot even be queued counts as sent and lost.
        (void)a.socket->Send(wire::Encode(wire::MakeRequest(
            "heartbeat", a.name + "-" + std::to_string(++a.seq), {{"seq", a.seq}, {"ack", ack}})));
        ++sent;
        ack_requested += ack;
        a.next_beat += milliseconds(interval_ms);
      }
      finished_sending = finished_sending || last_round;
    }
    zmq_poll(items.data(), static_cast<int>(items.size()), 5);
    for (size_t i = 0; i < items.size(); ++i) {
      if (!(items[i].revents & ZMQ_POLLIN)) continue;
      SimAgent& a = agents[i];
      while (auto frame = a.socket->Receive(milliseconds(0))) {
        if (!*frame) break;
        auto m = wire::Decode(**frame, wire::kMaxFrameBytes);
        if (!m) continue;
        a.last_heard = Clock::now();
        if (m->type == "reply" && m->re == a.name + "-r") {
          a.registered = true;
          ++registered;
          a.next_beat = std::max(a.next_beat, Clock::now());
        } else if (m->type == "reply") {
          ++acked;
        } else if (m->type == "error") {
          std::fprintf(stderr, "loadgen: %s: %s\n", a.name.c_str(),
                       m->body.value("message", "").c_str());
        } else if (!m->IsReply()) {
          nlohmann::json body = m->type == "agent.facts" ? nlohmann::json{{"facts", Facts()}}
                                                         : nlohmann::json::object();
          (void)a.socket->Send(wire::Encode(wire::MakeReply(*m, a.name + "-x" + m->id, body)));
        }
      }
    }
  }
  std::printf(
      "loadgen agents=%zu registered=%ld sent=%ld ack_requested=%ld acked=%ld "
      "unanswered=%ld\n",
      agents.size(), static_cast<long>(registered), static_cast<long>(sent),
      static_cast<long>(ack_requested), static_cast<long>(acked),
      static_cast<long>(ack_requested - acked));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"drover-loadgen: many simulated agents in one process (tools/bench-control)"};
  app.require_subcommand(1);
  int count = 1000, seconds = 60, interval_ms = 1000;
  std::string out = ".", keys_dir = ".", endpoint = "tcp://127.0.0.1:7400", server_key;
  CLI::App* keys = app.add_subcommand("keys", "generate key pairs for the simulated agents");
  keys->add_option("--count", count, "how many")->capture_default_str();
  keys->add_option("--out", out, "directory for loadgen.key and loadgen.pub");
  CLI::App* run = app.add_subcommand("run", "run the simulated agents");
  run->add_option("--keys", keys_dir, "directory holding loadgen.key");
  run->add_option("--connect", endpoint, "orchestrator endpoint")->capture_default_str();
  run->add_option("--orchestrator-key", server_key, "orchestrator public key")->required();
  run->add_option("--seconds", seconds, "how long to heartbeat")->capture_default_str();
  run->add_option("--heartbeat-ms", interval_ms, "heartbeat interval")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (keys->parsed()) return MakeKeys(count, out);
  return Run(keys_dir, endpoint, server_key, seconds, interval_ms);
}
