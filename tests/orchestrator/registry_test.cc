#include <gtest/gtest.h>

#include "orchestrator/daemon/agent_registry.h"
#include "orchestrator/daemon/pending_requests.h"

namespace drover::daemon {
namespace {

using std::chrono::milliseconds;

TEST(AgentRegistryTest, MarksSilentAgentsUnreachableAndBackOnline) {
  AgentRegistry r;
  auto t0 = Clock::now();
  ASSERT_TRUE(r.Register({"k1", "h1", "r1", "0.1", {}, t0, true}));
  EXPECT_TRUE(r.ExpireSilent(t0 + milliseconds(500), milliseconds(1000)).empty());
  EXPECT_EQ(r.ExpireSilent(t0 + milliseconds(1500), milliseconds(1000)),
            std::vector<std::string>{"h1"});
  EXPECT_FALSE(r.FindByName("h1")->online);
  EXPECT_TRUE(r.Heard("k1", "r2", t0 + milliseconds(1600)));
  EXPECT_TRUE(r.FindByName("h1")->online);
  EXPECT_EQ(r.FindByName("h1")->routing_id, "r2");
  EXPECT_FALSE(r.Heard("unknown", "r", t0));
}

TEST(AgentRegistryTest, ANameHeldByAnOnlineKeyIsNotTaken) {
  AgentRegistry r;
  auto t0 = Clock::now();
  ASSERT_TRUE(r.Register({"k1", "h1", "r1", "0.1", {}, t0, true}));
  EXPECT_FALSE(r.Register({"k2", "h1", "r2", "0.1", {}, t0, true}));
  r.ExpireSilent(t0 + milliseconds(5000), milliseconds(1000));
  EXPECT_TRUE(r.Register({"k2", "h1", "r2", "0.1", {}, t0, true}));  // reinstalled host
  EXPECT_EQ(r.FindByName("h1")->public_key, "k2");
  EXPECT_EQ(r.FindByKey("k1"), nullptr);
}

// ExpireSilent skips its scan while no agent can have expired; the skipping
// must never hide one that did, whatever order heartbeats come in.
TEST(AgentRegistryTest, ExpiresEachSilentAgentOnTimeWhenOthersKeepHeartbeating) {
  AgentRegistry r;
  auto t0 = Clock::now();
  const auto timeout = milliseconds(1000);
  for (int i = 0; i < 3; ++i) {
    std::string n = std::to_string(i);
    ASSERT_TRUE(r.Register({"k" + n, "h" + n, "r", "0.1", {}, t0 + milliseconds(10 * i), true}));
  }
  // h0 and h1 heartbeat every 100 ms; h2 falls silent after its registration.
  std::vector<std::string> lost;
  Clock::time_point lost_at;
  for (int ms = 100; ms <= 3000 && lost.empty(); ms += 100) {
    auto now = t0 + milliseconds(ms);
    EXPECT_TRUE(r.Heartbeat("k0", "r", now, ms / 100));
    EXPECT_TRUE(r.Heartbeat("k1", "r", now, ms / 100));
    lost = r.ExpireSilent(now, timeout);
    lost_at = now;
  }
  EXPECT_EQ(lost, std::vector<std::string>{"h2"});
  EXPECT_EQ(lost_at, t0 + milliseconds(1100));  // the first tick past 20 ms + 1000 ms
  // h0 stops too; h2 comes back: only h0 expires, one timeout after its last beat.
  EXPECT_TRUE(r.Heard("k2", "r", t0 + milliseconds(1150)));
  EXPECT_TRUE(r.ExpireSilent(t0 + milliseconds(2100), timeout).empty());
  EXPECT_TRUE(r.Heartbeat("k1", "r", t0 + milliseconds(2100), 12));
  EXPECT_TRUE(r.Heard("k2", "r", t0 + milliseconds(2100)));
  EXPECT_EQ(r.ExpireSilent(t0 + milliseconds(2101), timeout), std::vector<std::string>{"h0"});
  EXPECT_TRUE(r.FindByName("h1")->online);
  EXPECT_TRUE(r.FindByName("h2")->online);
}

TEST(AgentRegistryTest, CountsOnlineAgentsAsTheyComeAndGo) {
  AgentRegistry r;
  auto t0 = Clock::now();
  ASSERT_TRUE(r.Register({"k1", "h1", "r", "0.1", {}, t0, true}));
  ASSERT_TRUE(r.Register({"k2", "h2", "r", "0.1", {}, t0, true}));
  ASSERT_TRUE(r.Register({"k2", "h2", "r", "0.1", {}, t0, true}));  // registers again
  EXPECT_EQ(r.online_count(), 2u);
  EXPECT_TRUE(r.Heartbeat("k1", "r", t0 + milliseconds(900), 1));
  EXPECT_EQ(r.ExpireSilent(t0 + milliseconds(1500), milliseconds(1000)),
            std::vector<std::string>{"h2"});
  EXPECT_EQ(r.online_count(), 1u);
  EXPECT_TRUE(r.Heartbeat("k2", "r", t0 + milliseconds(1600), 1));
  EXPECT_EQ(r.online_count(), 2u);
  r.Remove("k1");
  EXPECT_EQ(r.online_count(), 1u);
  r.ExpireSilent(t0 + milliseconds(5000), milliseconds(1000));
  EXPECT_EQ(r.online_count(), 0u);
  ASSERT_TRUE(r.Register({"k3", "h2", "r", "0.1", {}, t0 + milliseconds(5000), true}));
  EXPECT_EQ(r.online_count(), 1u);  // h2 came back with a new key: still one host
  EXPECT_EQ(r.all().size(), 1u);
}

TEST(PendingRequestsTest, AnswersEachRequestOnceByReplyOrTimeout) {
  PendingRequests p;
  auto now = PendingRequests::Clock::now();
  std::vector<std::string> outcomes;
  auto record = [&](Result<wire::Message> r) {
    outcomes.push_back(r ? "reply" : r.error().ToString());
  };
  p.Add("o-1", "k1", "h1", now + milliseconds(100), record);
  p.Add("o-2", "k1", "h1", now + milliseconds(100), record);
  wire::Message reply{"reply", "a-1", "o-1", {}};
  EXPECT_FALSE(p.Complete(reply, "k2"));  // a reply from another key is not trusted
  EXPECT_TRUE(p.Complete(reply, "k1"));
  EXPECT_FALSE(p.Complete(reply, "k1"));  // and only once
  p.Expire(now + milliseconds(200));
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0], "reply");
  EXPECT_NE(outcomes[1].find("timeout: host h1 did not answer request o-2"), std::string::npos);
  EXPECT_EQ(p.size(), 0u);
}

}  // namespace
}  // namespace drover::daemon
