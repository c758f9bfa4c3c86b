#include "agent/daemon/agent_metrics.h"

#include <gtest/gtest.h>

namespace drover::agent {
namespace {

using std::chrono::milliseconds;

// The value of one series line ("name{labels} value") in a rendering, or -1.
double Value(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

nlohmann::json Running(const std::string& transfer, uint64_t bytes_sent) {
  return {{"transfer", transfer}, {"side", "source"},  {"state", "running"},      {"phase", "send"},
          {"chunks_done", 1},     {"chunks_total", 4}, {"bytes_sent", bytes_sent}};
}

TEST(AgentMetricsTest, CountsBytesRateAndResultsFromTransferEvents) {
  metrics::MetricsRegistry registry;
  AgentMetrics m(&registry);
  auto t0 = AgentMetrics::Clock::now();
  m.OnTransferEvent(Running("t-1", 1000), t0);
  m.OnTransferEvent(Running("t-1", 51000), t0 + milliseconds(500));  // 100 kB/s
  std::string text = registry.Render();
  EXPECT_EQ(Value(text, "drover_agent_bytes_sent_total"), 51000);
  EXPECT_EQ(Value(text, "drover_agent_transfer_rate_bytes_per_second{direction=\"send\"}"), 100000);

  // The report's total counts once: only what the progress had not shown yet.
  m.OnTransferEvent({{"transfer", "t-1"},
                     {"side", "source"},
                     {"state", "done"},
                     {"report", {{"bytes_sent", 60000}}}},
                    t0 + milliseconds(700));
  m.OnTransferEvent({{"transfer", "t-2"},
                     {"side", "dest"},
                     {"state", "done"},
                     {"report", {{"bytes_received", 4096}}}},
                    t0 + milliseconds(700));
  m.OnTransferEvent({{"transfer", "t-3"},
                     {"side", "dest"},
                     {"state", "failed"},
                     {"error", "aborted: sync cancelled"}},
                    t0 + milliseconds(700));
  m.OnTransferEvent({{"transfer", "t-4"},
                     {"side", "source"},
                     {"state", "failed"},
                     {"error", "unavailable: peer gone"}},
                    t0 + milliseconds(700));
  text = registry.Render();
  EXPECT_EQ(Value(text, "drover_agent_bytes_sent_total"), 60000);
  EXPECT_EQ(Value(text, "drover_agent_bytes_received_total"), 4096);
  EXPECT_EQ(Value(text, "drover_agent_transfer_rate_bytes_per_second{direction=\"send\"}"), 0);
  EXPECT_EQ(Value(text, "drover_agent_transfers_total{result=\"done\",role=\"source\"}"), 1);
  EXPECT_EQ(Value(text, "drover_agent_transfers_total{result=\"done\",role=\"dest\"}"), 1);
  EXPECT_EQ(Value(text, "drover_agent_transfers_total{result=\"cancelled\",role=\"dest\"}"), 1);
  EXPECT_EQ(Value(text, "drover_agent_transfers_total{result=\"failed\",role=\"source\"}"), 1);
  EXPECT_EQ(Value(text, "drover_agent_transfers_total{result=\"failed\",role=\"dest\"}"), 0);
}

TEST(AgentMetricsTest, ATransferThatFallsSilentLeavesTheRate) {
  metrics::MetricsRegistry registry;
  AgentMetrics m(&registry);
  auto t0 = AgentMetrics::Clock::now();
  m.OnTransferEvent(Running("t-1", 0), t0);
  m.OnTransferEvent(Running("t-1", 1000), t0 + milliseconds(1000));
  m.OnTransferEvent(Running("t-2", 0), t0);
  m.OnTransferEvent(Running("t-2", 3000), t0 + milliseconds(1000));
  const std::string rate = "drover_agent_transfer_rate_bytes_per_second{direction=\"send\"}";
  EXPECT_EQ(Value(registry.Render(), rate), 4000);
  m.OnTransferEvent(Running("t-2", 6000), t0 + milliseconds(4500));  // t-1 silent 3.5 s
  EXPECT_NEAR(Value(registry.Render(), rate), 3000.0 / 3.5, 1e-6);
  m.Refresh(t0 + milliseconds(9000));
  EXPECT_EQ(Value(registry.Render(), rate), 0);
}

TEST(AgentMetricsTest, GuestsRunningComeFromTheFactsAndBadInputIsIgnored) {
  metrics::MetricsRegistry registry;
  AgentMetrics m(&registry);
  m.OnFacts({{"guests",
              {{{"name", "a"}, {"state", "running"}},
               {{"name", "b"}, {"state", "shutoff"}},
               {{"name", "c"}, {"state", "running"}}}}});
  EXPECT_EQ(Value(registry.Render(), "drover_agent_guests_running"), 2);
  m.OnFacts({{"guests", "not a list"}});
  m.OnTransferEvent(nlohmann::json::array(), AgentMetrics::Clock::now());
  m.OnTransferEvent({{"transfer", "t"}, {"side", "sideways"}, {"state", "done"}},
                    AgentMetrics::Clock::now());
  m.OnTransferEvent(
      {{"transfer", "t"}, {"side", "source"}, {"state", "running"}, {"bytes_sent", "lots"}},
      AgentMetrics::Clock::now());
  std::string text = registry.Render();
  EXPECT_EQ(Value(text, "drover_agent_guests_running"), 2);
  EXPECT_EQ(Value(text, "drover_agent_bytes_sent_total"), 0);
}

}  // namespace
}  // namespace drover::agent
