// The control plane end to end: `drover serve`, agents and the CLI as
// separate processes talking CURVE over loopback.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/integration/cluster.h"

namespace drover::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kFastHeartbeat = {"--heartbeat-ms", "200",
                                                 "--heartbeat-timeout-ms", "1000"};

TEST(ControlPlaneTest, HostsAndGuestsShowTheLiveAgents) {
  Cluster c;
  c.StartOrchestrator();
  for (auto name : {"h1", "h2", "h3"}) c.StartAgent(name);
  std::ofstream(c.dir() + "/pool-h2/web1.img").put('x');
  ASSERT_TRUE(WaitFor([&] {
    return c.HostState("h1") == "online" && c.HostState("h2") == "online" &&
           c.HostState("h3") == "online";
  }, milliseconds(8000))) << c.Log("orchestrator");
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
  EXPECT_NE(c.Log("orchestrator").find("host h1 is unreachable"), std::string::npos);

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
  EXPECT_TRUE(WaitFor([&] { return c.HostState("h1") == "online" && c.HostState("h2") == "online"; },
                      milliseconds(10000)))
      << c.Log("h1");
}

TEST(ControlPlaneTest, AnUnacceptedKeyIsRefusedListedAsPendingAndAdmittedOnceAccepted) {
  Cluster c;
  c.StartOrchestrator(kFastHeartbeat);
  c.StartAgent("stranger", {}, /*accept=*/false);
  std::string key = c.GenKey("stranger");
  ASSERT_TRUE(WaitFor([&] { return c.Drover({"keys", "list"}).out.find("pending") !=
                                   std::string::npos; },
                      milliseconds(5000)));
  auto keys = nlohmann::json::parse(c.Drover({"keys", "list", "--json"}).out);
  bool pending = false;
  for (const auto& k : keys) pending = pending || (k["public_key"] == key && k["status"] == "pending");
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
  EXPECT_NE(c.Log("orchestrator").find("no longer accepted: cut off"), std::string::npos);
  CliResult ping = c.Drover({"ping", "h1"});
  EXPECT_NE(ping.exit_code, 0);
}

TEST(ControlPlaneTest, AnAgentThatStopsAnsweringMidRequestTimesOutAndOthersAreServed) {
  Cluster c;
  c.StartOrchestrator({"--request-timeout-ms", "1000"});
  c.StartAgent("h1");
  c.StartAgent("h2");
  ASSERT_TRUE(WaitFor([&] { return c.HostState("h2") == "online" && c.HostState("h1") == "online"; },
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

}  // namespace
}  // namespace drover::testing
