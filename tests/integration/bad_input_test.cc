// Bad input reaching real daemons: each gets an error reply or a logged
// rejection that names what was wrong, the daemon goes on serving, and no
// state changes.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/wire/codec.h"
#include "common/wire/keys.h"
#include "common/wire/transport.h"
#include "tests/integration/cluster.h"

namespace drover::testing {
namespace {

using std::chrono::milliseconds;

// A CURVE client with the operator's key that sends raw frames.
class RawClient {
 public:
  RawClient(Cluster& c, const std::string& key_name) {
    auto key = wire::LoadKeyPair(c.dir() + "/" + key_name + ".key");
    auto server = wire::LoadPublicKey(c.dir() + "/orchestrator.pub");
    auto socket = wire::ClientSocket::Connect(c.endpoint(), *server, *key);
    EXPECT_TRUE(socket);
    socket_ = std::move(*socket);
    status_ = socket_->WaitConnected(milliseconds(5000));
  }
  const Status& status() const { return status_; }

  // Sends `frame` and returns the decoded answer (an error reply, usually).
  nlohmann::json Ask(const std::string& frame) {
    EXPECT_TRUE(socket_->Send(frame).ok());
    auto reply = socket_->Receive(milliseconds(5000));
    if (!reply || !*reply) return nullptr;
    return nlohmann::json::parse(**reply, nullptr, false);
  }

 private:
  std::unique_ptr<wire::ClientSocket> socket_;
  Status status_;
};

std::string ErrorText(const nlohmann::json& reply) {
  if (!reply.is_object() || reply.value("type", "") != "error") return "(no error reply)";
  return reply["body"].value("message", "");
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c_.StartOrchestrator({"--max-message-bytes", "4096"});
    c_.StartAgent("h1");
    ASSERT_TRUE(WaitFor([&] { return c_.HostState("h1") == "online"; }, milliseconds(8000)));
    keys_before_ = c_.Drover({"keys", "list", "--json"}).out;
  }
  void ExpectStillServingAndUnchanged() {
    EXPECT_EQ(c_.HostState("h1"), "online");
    EXPECT_EQ(c_.Drover({"keys", "list", "--json"}).out, keys_before_);
  }
  Cluster c_;
  std::string keys_before_;
};

TEST_F(BadInputTest, EachBadMessageGetsAnErrorReplyNamingTheProblem) {
  RawClient raw(c_, "operator");
  ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
  EXPECT_EQ(ErrorText(raw.Ask("\x7f\x00not a message")), "frame is not a JSON message");
  EXPECT_NE(ErrorText(raw.Ask(R"({"drover":1,"type":"op.hosts","id":"big","body":{"pad":")" +
                              std::string(5000, 'x') + "\"}}"))
                .find("over the limit of 4096"),
            std::string::npos);
  nlohmann::json unknown = raw.Ask(R"({"drover":1,"type":"op.reboot","id":"u1","body":{}})");
  EXPECT_EQ(ErrorText(unknown), "message: unknown type 'op.reboot'");
  EXPECT_EQ(unknown.value("re", ""), "u1");  // the error names the request it answers
  EXPECT_EQ(ErrorText(raw.Ask(R"({"drover":1,"type":"op.ping","id":"m1","body":{}})")),
            "message 'op.ping' body: missing field 'host'");
  EXPECT_EQ(ErrorText(raw.Ask(R"({"drover":1,"type":"op.ping","id":"t1","body":{"host":5}})")),
            "message 'op.ping' body: field 'host' must be a string, not number");
  ExpectStillServingAndUnchanged();
}

TEST_F(BadInputTest, ADuplicatedRequestIdIsRefused) {
  RawClient raw(c_, "operator");
  std::string ping = R"({"drover":1,"type":"op.ping","id":"dup-1","body":{"host":"h1"}})";
  nlohmann::json first = raw.Ask(ping);
  EXPECT_EQ(first.value("type", ""), "reply") << first.dump();
  EXPECT_EQ(ErrorText(raw.Ask(ping)), "duplicate request id 'dup-1'");
  ExpectStillServingAndUnchanged();
}

TEST_F(BadInputTest, AnOperatorKeyCannotSpeakForAnAgent) {
  RawClient raw(c_, "operator");
  std::string forged = R"({"drover":1,"type":"register","id":"r1","body":{"name":"h1",)"
                       R"("version":"9","facts":{"cpus":1,"memory_mib":1,"pool":{},)"
                       R"("guests":[],"volumes":[]}}})";
  EXPECT_EQ(ErrorText(raw.Ask(forged)),
            "message type 'register' is not accepted from an operator key");
  auto hosts = nlohmann::json::parse(c_.Drover({"hosts", "--json"}).out);
  EXPECT_EQ(hosts[0]["version"], "0.1.0");  // not the forger's
  ExpectStillServingAndUnchanged();
}

TEST_F(BadInputTest, AnUnacceptedKeyGetsNoConnectionAtAll) {
  c_.GenKey("intruder");
  RawClient raw(c_, "intruder");
  EXPECT_EQ(raw.status().code(), Code::kPermissionDenied) << raw.status().ToString();
  CliResult r =
      RunProcess({c_.drover(), "--connect", c_.endpoint(), "--orchestrator-key",
                  c_.dir() + "/orchestrator.pub", "--key", c_.dir() + "/intruder.key", "hosts"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("refused operator key"), std::string::npos) << r.err;
  EXPECT_EQ(c_.HostState("h1"), "online");
}

TEST(BadConfigTest, AConfigFileWithAnUnknownKeyOrAWrongTypeIsRefusedByName) {
  Cluster c;
  std::string serve_conf = c.dir() + "/serve.json";
  std::ofstream(serve_conf) << R"({"listen": "tcp://127.0.0.1:1", "heartbeat_msec": 5})";
  CliResult serve = RunProcess({c.drover(), "serve", "--config", serve_conf});
  EXPECT_EQ(serve.exit_code, 2);
  EXPECT_NE(serve.err.find(serve_conf + ": unknown field 'heartbeat_msec'"), std::string::npos)
      << serve.err;

  std::string agent_conf = c.dir() + "/agent.json";
  std::ofstream(agent_conf) << R"({"name": "h1", "heartbeat_ms": "often"})";
  CliResult agent = RunProcess({c.agent_binary(), "--config", agent_conf});
  EXPECT_EQ(agent.exit_code, 2);
  EXPECT_NE(agent.err.find("field 'heartbeat_ms' must be an integer, not string"),
            std::string::npos)
      << agent.err;
}

TEST(BadConfigTest, FlagsOverrideTheConfigFile) {
  Cluster c;
  std::string conf = c.dir() + "/serve.json";
  int port = FreeTcpPort();
  std::ofstream(conf) << R"({"listen": "tcp://127.0.0.1:1", "key": ")" << c.dir()
                      << R"(/orchestrator.key", "state": ")" << c.dir() << R"(/state.db"})";
  pid_t pid = StartProcess({c.drover(), "serve", "--config", conf, "--listen",
                            "tcp://127.0.0.1:" + std::to_string(port)},
                           c.dir() + "/orchestrator.log");
  EXPECT_TRUE(WaitFor(
      [&] { return c.Log("orchestrator").find(":" + std::to_string(port)) != std::string::npos; },
      milliseconds(5000)))
      << c.Log("orchestrator");
  kill(pid, SIGKILL);
}

TEST(HelpTest, EveryProgramDocumentsItsOptions) {
  Cluster c;
  CliResult drover = RunProcess({c.drover(), "--help"});
  EXPECT_EQ(drover.exit_code, 0);
  for (auto word : {"serve", "keys", "hosts", "guests", "--connect", "--json"}) {
    EXPECT_NE(drover.out.find(word), std::string::npos) << word;
  }
  CliResult serve = RunProcess({c.drover(), "serve", "--help"});
  for (auto word : {"--listen", "--server-key", "--heartbeat-timeout-ms", "--config"}) {
    EXPECT_NE(serve.out.find(word), std::string::npos) << word;
  }
  CliResult agent = RunProcess({c.agent_binary(), "--help"});
  for (auto word : {"--orchestrator-key", "--pool-path", "--heartbeat-ms", "--config"}) {
    EXPECT_NE(agent.out.find(word), std::string::npos) << word;
  }
  EXPECT_EQ(RunProcess({c.drover(), "frobnicate"}).exit_code, 2);
}

}  // namespace
}  // namespace drover::testing
