// The control plane end to end: `drover serve`, agents and the CLI as
// separate processes talking CURVE over loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/integration/cluster.h"

namespace drover::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kFastHeartbeat = {"--heartbeat-ms", "200", "--heartbeat-timeout-ms",
                                                 "1000"};

TEST(ControlPlaneTest, HostsAndGuestsShowTheLiveAgents) {
  Cluster c;
  c.StartOrchestrator();
  for (auto name : {"h1", "h2", "h3"}) c.StartAgent(name);
  std::ofstream(c.dir() + "/pool-h2/web1.img").put('x');
  ASSERT_TRUE(WaitFor(
      [&] {
        return c.HostState("h1") == "online" && c.HostState("h2") == "online" &&
               c.HostState("h3") == "online";
      },
      milliseconds(8000)))
      << c.Log("orchestrator");
  CliResult table = c.Drover({"hosts"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("HOST"), std::string::npos);
  for (auto name : {"h1", "h2", "h3"}) EXPECT_NE(table.out.find(name), std::string::npos);

  auto hosts = nlohmann::json::parse(c.Drover({"hosts", "--json"}).out);
  ASSERT_EQ(hosts.size(), 3u);
  for (const auto& h : hosts) {
    EXPECT_EQ(h["state"], "online");
    EXPECT_GT(h["facts"]["cpus"].get<int>(), 0);
    EXPECT_GT(h["facts"]["memory_mib"].get<int>(), 0);
    EXPECT_EQ(h["facts"]["pool"]["kind"], "file");
    EXPECT_GT(h["facts"]["pool"]["size_bytes"].get<double>(), 0);
    EXPECT_EQ(h["version"], "0.1.0");
    EXPECT_EQ(h["facts"]["volumes"].size(), h["name"] == "h2" ? 1u : 0u);
  }
  CliResult guests = c.Drover({"guests"});
  EXPECT_EQ(guests.exit_code, 0) << guests.err;
  EXPECT_NE(guests.out.find("GUEST"), std::string::npos);
  EXPECT_TRUE(nlohmann::json::parse(c.Drover({"guests", "--json"}).out).is_array());

  auto inventory = nlohmann::json::parse(c.Drover({"inventory", "export"}).out);
  EXPECT_EQ(inventory["hosts"].size(), 3u);
  EXPECT_TRUE(inventory["guests"].is_array());
}

TEST(ControlPlaneTest, ALostAgentIsDetectedAndComesBackByItself) {
  Cluster c;
  c.StartOrchestrator(kFastHeartbeat);
  c.StartAgent("h1", {"--heartbeat-ms", "200", "--orchestrator-timeout-ms", "1500"});
  ASSERT_TRUE(WaitFor([&] { return c.HostState("h1") == "online"; }, milliseconds(8000)));

  kill(c.agent_pid("h1"), SIGSTOP);
  auto stopped = Clock::now();
  ASSERT_TRUE(WaitFor([&] { return c.HostState("h1") == "unreachable"; }, milliseconds(5000)));
  EXPECT_LT(Clock::now() - stopped, milliseconds(2500));  // timeout 1000 ms + one CLI call
  EXPECT_TRUE(WaitFor(
      [&] { return c.Log("orchestrator").find("host h1 is unreachable") != std::string::npos; },
      milliseconds(5000)))
      << c.Log("orchestrator");

  kill(c.agent_pid("h1"), SIGCONT);
  ASSERT_TRUE(WaitFor([&] { return c.HostState("h1") == "online"; }, milliseconds(5000)));

  // Killed and started again: it registers again by itself.
  c.StopAgent("h1", SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return c.HostState("h1") == "unreachable"; }, milliseconds(5000)));
  c.StartAgent("h1", {"--heartbeat-ms", "200", "--orchestrator-timeout-ms", "1500"});
  EXPECT_TRUE(WaitFor([&] { return c.HostState("h1") == "online"; }, milliseconds(5000)));
}

TEST(ControlPlaneTest, TheDefaultTimeoutDetectsALostAgentWithinFiveSeconds) {
  Cluster c;
  c.StartOrchestrator();
  c.StartAgent("h1");
  ASSERT_TRUE(WaitFor([&] { return c.HostState("h1") == "online"; }, milliseconds(8000)));
  kill(c.agent_pid("h1"), SIGSTOP);
  auto stopped = Clock::now();
  ASSERT_TRUE(WaitFor([&] { return c.HostState("h1") == "unreachable"; }, milliseconds(8000)));
  EXPECT_LE(Clock::now() - stopped, milliseconds(5000));
}

TEST(ControlPlaneTest, AgentsRegisterAgainWhenTheOrchestratorRestarts) {
  Cluster c;
  c.StartOrchestrator(kFastHeartbeat);
  c.StartAgent("h1");
  c.StartAgent("h2");
  ASSERT_TRUE(WaitFor([&] { return c.HostState("h2") == "online"; }, milliseconds(8000)));
  c.StopOrchestrator(SIGKILL);
  c.StartOrchestrator(kFastHeartbeat);
  EXPECT_TRUE(
      WaitFor([&] { return c.HostState("h1") == "online" && c.HostState("h2") == "online"; },
              milliseconds(10000)))
      << c.Log("h1");
}

TEST(ControlPlaneTest, AnUnacceptedKeyIsRefusedListedAsPendingAndAdmittedOnceAccepted) {
  Cluster c;
  c.StartOrchestrator(kFastHeartbeat);
  c.StartAgent("stranger", {}, /*accept=*/false);
  std::string key = c.GenKey("stranger");
  ASSERT_TRUE(WaitFor(
      [&] {
        return c.Drover({"keys", "list"}).out.find("pending") != std::string::npos;
      },
      milliseconds(5000)));
  auto keys = nlohmann::json::parse(c.Drover({"keys", "list", "--json"}).out);
  bool pending = false;
  for (const auto& k : keys)
    pending = pending || (k["public_key"] == key && k["status"] == "pending");
  EXPECT_TRUE(pending);
  EXPECT_EQ(c.HostState("stranger"), "");
  EXPECT_NE(c.Log("stranger").find("refused our key"), std::string::npos);

  ASSERT_EQ(c.Drover({"keys", "accept", c.dir() + "/stranger.pub"}).exit_code, 0);
  EXPECT_TRUE(WaitFor([&] { return c.HostState("stranger") == "online"; }, milliseconds(6000)));
}

TEST(ControlPlaneTest, ARevokedAgentIsCutOffAtOnce) {
  Cluster c;
  c.StartOrchestrator();
  c.StartAgent("h1");
  ASSERT_TRUE(WaitFor([&] { return c.HostState("h1") == "online"; }, milliseconds(8000)));
  ASSERT_EQ(c.Drover({"keys", "revoke", c.dir() + "/h1.pub"}).exit_code, 0);
  auto revoked = Clock::now();
  ASSERT_TRUE(WaitFor([&] { return c.HostState("h1") == "unreachable"; }, milliseconds(3000)));
  // Well inside the 4 s heartbeat timeout: it was the revoke, not silence.
  EXPECT_LT(Clock::now() - revoked, milliseconds(1500));
  EXPECT_TRUE(WaitFor(
      [&] {
        return c.Log("orchestrator").find("no longer accepted: cut off") != std::string::npos;
      },
      milliseconds(5000)))
      << c.Log("orchestrator");
  CliResult ping = c.Drover({"ping", "h1"});
  EXPECT_NE(ping.exit_code, 0);
}

TEST(ControlPlaneTest, AnAgentThatStopsAnsweringMidRequestTimesOutAndOthersAreServed) {
  Cluster c;
  c.StartOrchestrator({"--request-timeout-ms", "1000"});
  c.StartAgent("h1");
  c.StartAgent("h2");
  ASSERT_TRUE(
      WaitFor([&] { return c.HostState("h2") == "online" && c.HostState("h1") == "online"; },
              milliseconds(8000)));
  kill(c.agent_pid("h1"), SIGSTOP);
  CliResult stuck = c.Drover({"ping", "h1", "-n", "3"});
  EXPECT_EQ(stuck.exit_code, 1);
  EXPECT_NE(stuck.err.find("host h1 did not answer"), std::string::npos) << stuck.err;
  CliResult fine = c.Drover({"ping", "h2", "-n", "50"});
  EXPECT_EQ(fine.exit_code, 0) << fine.err;
  EXPECT_NE(fine.out.find("50 round trips to h2"), std::string::npos);
  kill(c.agent_pid("h1"), SIGCONT);
}

TEST(ControlPlaneTest, PingMeasuresRoundTrips) {
  Cluster c;
  c.StartOrchestrator();
  c.StartAgent("h1");
  ASSERT_TRUE(WaitFor([&] { return c.HostState("h1") == "online"; }, milliseconds(8000)));
  auto r = nlohmann::json::parse(c.Drover({"ping", "h1", "-n", "200", "--json"}).out);
  EXPECT_EQ(r["count"], 200);
  EXPECT_GT(r["rtt_us_p50"].get<double>(), 0);
  EXPECT_GE(r["rtt_us_p99"].get<double>(), r["rtt_us_p50"].get<double>());
  CliResult unknown = c.Drover({"ping", "nosuchhost"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("host 'nosuchhost' is not known"), std::string::npos);
}

// GET /metrics from 127.0.0.1:port over plain HTTP; the body, or "" on failure.
std::string Scrape(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) response.append(buf, n);
    }
  }
  close(fd);
  if (response.rfind("HTTP/1.1 200", 0) != 0) return "";
  size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// The value of one series ("name{labels} value") in a scrape, or -1 when absent.
double Value(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST(ControlPlaneTest, DaemonsServeMetricsThatMove) {
  for (const auto& help : {RunProcess({Cluster().drover(), "serve", "--help"}),
                           RunProcess({Cluster().agent_binary(), "--help"})}) {
    EXPECT_NE(help.out.find("--metrics-address"), std::string::npos) << help.out;
  }
  Cluster c;
  int orchestrator = FreeTcpPort(), h1 = FreeTcpPort(), h2 = FreeTcpPort();
  // The orchestrator's address from its config file, the agents' from flags.
  std::ofstream(c.dir() + "/serve.json")
      << nlohmann::json{{"metrics_address", "127.0.0.1:" + std::to_string(orchestrator)}};
  c.StartOrchestrator({"--config", c.dir() + "/serve.json", "--heartbeat-ms", "200",
                       "--heartbeat-timeout-ms", "1000", "--request-timeout-ms", "500"});
  c.StartAgent("h1", {"--metrics-address", "127.0.0.1:" + std::to_string(h1)});
  c.StartAgent("h2", {"--metrics-address", "127.0.0.1:" + std::to_string(h2)});
  auto connected = [&] { return Value(Scrape(orchestrator), "drover_agents_connected"); };
  ASSERT_TRUE(WaitFor([&] { return connected() == 2; }, milliseconds(8000)))
      << Scrape(orchestrator) << c.Log("orchestrator");
  std::string text = Scrape(orchestrator);
  EXPECT_EQ(Value(text, "drover_agents{state=\"online\"}"), 2) << text;
  EXPECT_EQ(Value(text, "drover_agents{state=\"unreachable\"}"), 0);
  EXPECT_EQ(Value(text, "drover_messages_received_total{type=\"register\"}"), 2);
  EXPECT_EQ(Value(text, "drover_messages_rejected_total{reason=\"invalid\"}"), 0);
  EXPECT_EQ(Value(text, "drover_requests_timed_out_total"), 0);
  const std::string heartbeats = "drover_messages_received_total{type=\"heartbeat\"}";
  double before = Value(text, heartbeats);
  EXPECT_TRUE(WaitFor([&] { return Value(Scrape(orchestrator), heartbeats) >= before + 4; },
                      milliseconds(3000)))
      << "heartbeats do not count: " << Scrape(orchestrator);

  // h2 stops answering: a ping to it times out, then h2 becomes unreachable.
  kill(c.agent_pid("h2"), SIGSTOP);
  EXPECT_EQ(c.Drover({"ping", "h2"}).exit_code, 1);
  EXPECT_TRUE(WaitFor([&] { return connected() == 1; }, milliseconds(3000)));
  text = Scrape(orchestrator);
  EXPECT_EQ(Value(text, "drover_requests_timed_out_total"), 1) << text;
  EXPECT_EQ(Value(text, "drover_agents{state=\"unreachable\"}"), 1) << text;
  kill(c.agent_pid("h2"), SIGCONT);

  // The agent's own endpoint, with its series at rest.
  text = Scrape(h1);
  EXPECT_NE(text.find("# TYPE drover_agent_bytes_sent_total counter"), std::string::npos) << text;
  EXPECT_EQ(Value(text, "drover_agent_bytes_sent_total"), 0) << text;
  EXPECT_EQ(Value(text, "drover_agent_guests_running"), 0);
  EXPECT_EQ(Value(text, "drover_agent_transfers_total{result=\"done\",role=\"source\"}"), 0);
}

TEST(ControlPlaneTest, AMetricsAddressThatCannotBeBoundStopsTheDaemonSayingWhy) {
  Cluster c;
  CliResult serve =
      RunProcess({c.drover(), "--state", c.dir() + "/state.db", "serve", "--listen", c.endpoint(),
                  "--server-key", c.dir() + "/orchestrator.key", "--metrics-address", "nohost"});
  EXPECT_NE(serve.exit_code, 0);
  EXPECT_NE(serve.err.find("metrics-address"), std::string::npos) << serve.err;
}

}  // namespace
}  // namespace drover::testing
