// RecoverStep's decisions for a cold move cut short by a crash: the guest
// goes back to its source as it was, running or off. The agents here are a
// scripted stand-in for the orchestrator's AgentClient (it answers what two
// agents would say); the recovery against real agents and QEMU guests is
// tests/integration/run_test.cc.
#include <gtest/gtest.h>

#include <map>

#include "orchestrator/daemon/agent_client.h"
#include "orchestrator/executor/step_action.h"

namespace drover::executor {
namespace {

using nlohmann::json;

class ScriptedAgents : public daemon::AgentClient {
 public:
  // host -> guest state on that host ("" for no guest there).
  std::map<std::string, std::string> guest_state;
  std::vector<std::string> calls;  // "host type"

  Result<json> Call(const std::string& host, const std::string& type, json body,
                    std::chrono::milliseconds) override {
    calls.push_back(host + " " + type);
    if (type == "agent.guest.get") {
      const std::string& state = guest_state[host];
      if (state.empty()) return Err(NotFound("no guest " + body.value("name", "")));
      return json{{"state", state},
                  {"spec", {{"name", "vm3"}, {"disks", {{{"path", "vm3-disk"}}}}}}};
    }
    if (type == "agent.guest.start") {
      guest_state[host] = "running";
      return json::object();
    }
    if (type == "agent.facts") return json{{"volumes", json::array()}};
    return json::object();
  }
  Result<daemon::HostView> Host(const std::string& host) override {
    return Err(NotFound("scripted agents know no host views: " + host));
  }
  Result<std::vector<daemon::HostView>> Hosts() override {
    return Err(NotFound("scripted agents know no host views"));
  }
  Result<json> Sync(const daemon::SyncRequest&, const std::function<void(const json&)>&,
                    const std::atomic<bool>*) override {
    return Err(Unavailable("scripted agents do not sync"));
  }
};

plans::Step ColdMove() {
  plans::Step s;
  s.id = "s1";
  s.action = "move";
  s.guest = "vm3";
  s.from = "h1";
  s.to = "h2";
  return s;
}

bool Started(const ScriptedAgents& a) {
  for (const auto& c : a.calls) {
    if (c == "h1 agent.guest.start") return true;
  }
  return false;
}

TEST(RecoverStepTest, AColdMoveOfAGuestThatWasOffLeavesItOff) {
  ScriptedAgents agents;
  agents.guest_state["h1"] = "shutoff";
  auto r = RecoverStep(ColdMove(), "sync", json{{"was_running", false}, {"bytes", 0}}, agents);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_FALSE(r->finished);
  EXPECT_FALSE(Started(agents));
  EXPECT_EQ(agents.guest_state["h1"], "shutoff");
  EXPECT_EQ(r->result.value("left", ""), "shutoff");
}

TEST(RecoverStepTest, AColdMoveOfARunningGuestStartsItAgain) {
  // null: a journal from before "was_running"; a string: one not understood.
  for (const json& detail :
       {json{{"was_running", true}}, json(nullptr), json{{"was_running", "no"}}}) {
    SCOPED_TRACE(detail.dump());
    ScriptedAgents agents;
    agents.guest_state["h1"] = "shutoff";  // stopped by the move
    auto r = RecoverStep(ColdMove(), "sync", detail, agents);
    ASSERT_TRUE(r) << r.error().ToString();
    EXPECT_FALSE(r->finished);
    EXPECT_TRUE(Started(agents));
    EXPECT_EQ(agents.guest_state["h1"], "running");
  }
}

TEST(RecoverStepTest, AGuestGoneFromItsSourceIsLeftForAnOperator) {
  ScriptedAgents agents;  // on neither host
  auto r = RecoverStep(ColdMove(), "sync", json{{"was_running", false}}, agents);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kAborted);
}

}  // namespace
}  // namespace drover::executor
