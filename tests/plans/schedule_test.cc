// The schedule simulation, waves, critical path and the pre-copy model.
#include "plans/ordering/schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plans/estimate/plan_estimate.h"
#include "plans/estimate/transfer_model.h"
#include "plans/model/plan_json.h"

namespace drover::plans {
namespace {

Step MakeStep(std::string id, std::string from, std::string to, double secs,
              std::vector<std::string> deps = {}) {
  Step s;
  s.id = std::move(id);
  s.action = "migrate";
  s.guest = "g" + s.id;
  s.from = std::move(from);
  s.to = std::move(to);
  s.est_seconds = secs;
  s.depends_on = std::move(deps);
  return s;
}

TEST(ScheduleTest, DependenciesAndHostLimit) {
  Plan p;
  p.limits = {1, 1};
  p.steps = {MakeStep("a", "h1", "h2", 10), MakeStep("b", "h1", "h3", 5),
             MakeStep("c", "h4", "h5", 7, {"a"})};
  auto s = SimulateSchedule(p);
  ASSERT_TRUE(s) << s.error().ToString();
  // a (longest remaining path 17) goes first on h1; b waits for h1.
  EXPECT_DOUBLE_EQ(s->timing[0].start, 0);
  EXPECT_DOUBLE_EQ(s->timing[1].start, 10);
  EXPECT_DOUBLE_EQ(s->timing[2].start, 10);
  EXPECT_DOUBLE_EQ(s->makespan, 17);
  EXPECT_EQ(s->timing[0].wave, 1);
  EXPECT_EQ(s->timing[1].wave, 2);
  EXPECT_EQ(s->timing[2].wave, 2);
  EXPECT_EQ(s->waves, 2);
}

TEST(ScheduleTest, LinkLimitSerialisesOneLink) {
  Plan p;
  p.limits = {4, 1};
  p.steps = {MakeStep("a", "h1", "h2", 3), MakeStep("b", "h2", "h1", 3),
             MakeStep("c", "h1", "h3", 3)};
  auto s = SimulateSchedule(p);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->makespan, 6);
  EXPECT_DOUBLE_EQ(s->timing[2].start, 0);
  EXPECT_NE(s->timing[0].start, s->timing[1].start);
}

TEST(ScheduleTest, CycleAndUnknownDependencyAreErrors) {
  Plan p;
  p.steps = {MakeStep("a", "h1", "h2", 1, {"b"}), MakeStep("b", "h2", "h3", 1, {"a"})};
  auto s = SimulateSchedule(p);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message(), ::testing::HasSubstr("cycle"));
  p.steps = {MakeStep("a", "h1", "h2", 1, {"zz"})};
  s = SimulateSchedule(p);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message(), ::testing::HasSubstr("unknown step \"zz\""));
}

TEST(ScheduleTest, EmptyPlan) {
  Plan p;
  auto s = SimulateSchedule(p);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->makespan, 0);
  EXPECT_EQ(s->waves, 0);
}

TEST(EstimateTest, CriticalPathBytesAndDowntime) {
  Plan p;
  p.limits = {2, 2};
  p.steps = {MakeStep("a", "h1", "h2", 10), MakeStep("b", "h3", "h4", 4),
             MakeStep("c", "h2", "h5", 5, {"a"})};
  p.steps[0].est_bytes = 100, p.steps[1].est_bytes = 50, p.steps[2].est_bytes = 7;
  p.steps[0].est_downtime_seconds = 0.25;
  ASSERT_TRUE(FinishPlan(&p).ok());
  EXPECT_DOUBLE_EQ(p.estimate.critical_path_seconds, 15);
  EXPECT_EQ(p.estimate.critical_path, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(p.estimate.bytes, 157);
  EXPECT_EQ(p.estimate.bytes_per_link.at("h1--h2"), 100);
  EXPECT_DOUBLE_EQ(p.estimate.downtime_seconds.at("ga"), 0.25);
  EXPECT_DOUBLE_EQ(p.estimate.makespan_seconds, 15);
}

TEST(TransferModelTest, PreCopyConvergesGeometrically) {
  Guest g;
  g.disk_gib = 100, g.memory_mib = 4096, g.dirty_mib_s = 10;
  Policy pol;
  pol.max_downtime_ms = 300, pol.cutover_overhead_s = 0.2;
  // 1000 Mbit/s = 125e6 B/s; full copy of 100 GiB takes ~859 s.
  TransferEstimate e = EstimateLive(g, 1000, pol);
  EXPECT_TRUE(e.converges);
  EXPECT_GT(e.rounds, 1);
  EXPECT_LE(e.downtime_seconds, 0.3 + 0.2 + 1e-9);
  const double full = 100.0 * (1 << 30) / 125e6;
  EXPECT_GT(e.seconds, full);
  EXPECT_LT(e.seconds, full * 1.2);
  EXPECT_GT(e.bytes, static_cast<int64_t>(100.0 * (1 << 30)));
}

TEST(TransferModelTest, FastWriterDoesNotConvergeAndStops) {
  Guest g;
  g.disk_gib = 10, g.memory_mib = 1024, g.dirty_mib_s = 500;  // 500 MiB/s over 1 Gbit/s
  Policy pol;
  pol.max_precopy_rounds = 5;
  TransferEstimate e = EstimateLive(g, 1000, pol);
  EXPECT_FALSE(e.converges);
  EXPECT_EQ(e.rounds, 5);
  EXPECT_GT(e.downtime_seconds, 1.0);
}

TEST(TransferModelTest, ColdAndClone) {
  Guest g;
  g.disk_gib = 1, g.running = false;
  EXPECT_NEAR(EstimateCold(g, 8000).seconds, (1 << 30) / 1e9, 1e-9);
  EXPECT_EQ(EstimateCold(g, 8000).downtime_seconds, 0);
  g.running = true;
  EXPECT_EQ(EstimateClone(g, 8000).downtime_seconds, 0);
  EXPECT_EQ(EstimateClone(g, 8000).bytes, 1 << 30);
}

TEST(PlanJsonTest, RoundTripAndErrors) {
  Plan p;
  p.kind = "evacuate";
  p.targets = {"h1"};
  p.inventory_fingerprint = "sha256:00";
  p.steps = {MakeStep("s1", "h1", "h2", 10), MakeStep("s2", "h1", "h3", 5, {"s1"})};
  p.moves = {{"gs1", "h1", "h2", "live", "", "evacuate h1"}};
  ASSERT_TRUE(FinishPlan(&p).ok());
  nlohmann::json doc = PlanToJson(p);
  EXPECT_EQ(doc["drover_plan"], 1);
  EXPECT_EQ(doc["steps"][1]["depends_on"][0], "s1");
  auto back = ParsePlan(doc);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->steps.size(), 2u);
  EXPECT_EQ(back->steps[1].depends_on, std::vector<std::string>{"s1"});
  EXPECT_DOUBLE_EQ(back->estimate.makespan_seconds, p.estimate.makespan_seconds);
  // Regression: the waves and the critical path were not read back.
  EXPECT_EQ(back->estimate.waves, p.estimate.waves);
  EXPECT_GT(back->estimate.waves, 0);
  EXPECT_DOUBLE_EQ(back->estimate.critical_path_seconds, p.estimate.critical_path_seconds);
  EXPECT_EQ(PlanToJson(*back)["steps"][0]["est_seconds"], doc["steps"][0]["est_seconds"]);

  nlohmann::json bad = doc;
  bad["steps"][0]["depends_on"] = {"s2"};
  EXPECT_THAT(ParsePlan(bad).error().message(), ::testing::HasSubstr("cycle"));
  bad = doc;
  bad["drover_plan"] = 7;
  EXPECT_THAT(ParsePlan(bad).error().message(), ::testing::HasSubstr("version 7"));
  bad = doc;
  bad["steps"][1]["id"] = "s1";
  EXPECT_THAT(ParsePlan(bad).error().message(), ::testing::HasSubstr("duplicate step id"));
  bad = doc;
  bad["steps"][0]["action"] = "teleport";
  EXPECT_THAT(ParsePlan(bad).error().message(), ::testing::HasSubstr("steps[0].action"));
  bad = doc;
  bad["moves"][0]["mode"] = "warp";
  EXPECT_THAT(ParsePlan(bad).error().message(), ::testing::HasSubstr("moves[0].mode"));
}

}  // namespace
}  // namespace drover::plans
