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
