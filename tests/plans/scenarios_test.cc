// Hand-made scenarios: cascade, groups across failure domains, infeasible
// clusters, complementarity, clone fan-out, migrate, rebalance, `after`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "plans/model/plan_json.h"
#include "plans/planners/planner.h"
#include "tests/plans/testing/inventory_builder.h"
#include "tests/plans/testing/plan_checks.h"

namespace drover::plans {
namespace {

using testing::CheckPlan;
using ::testing::HasSubstr;
using testing::InventoryBuilder;
using ::testing::IsEmpty;

const Step* StepOf(const Plan& p, const std::string& guest) {
  for (const Step& s : p.steps) {
    if (s.guest == guest) return &s;
  }
  return nullptr;
}

TEST(CascadeTest, MovesOneGuestOutOfTheWayFirst) {
  InventoryBuilder b;
  b.Host("h1", 16, 16384, 1000).Host("h2", 16, 16384, 1000).Host("h3", 16, 16384, 1000);
  b.Guest("big", "h1", 2, 10000, 50);
  b.Guest("a", "h2", 2, 6000, 50).Guest("b", "h2", 2, 6000, 50);
  b.Guest("c", "h3", 2, 10000, 50);
  auto inv = b.Load();
  auto plan = PlanEvacuate(inv, {{"h1"}, ""});
  ASSERT_TRUE(plan) << plan.error().ToString();
  ASSERT_EQ(plan->steps.size(), 2u) << "one extra move, not more";
  const Step* victim = StepOf(*plan, "a");
  const Step* big = StepOf(*plan, "big");
  ASSERT_TRUE(victim && big);
  EXPECT_EQ(victim->from, "h2");
  EXPECT_EQ(victim->to, "h3");
  EXPECT_EQ(big->to, "h2");
  EXPECT_THAT(big->depends_on, ::testing::Contains(victim->id));
  EXPECT_THAT(plan->moves[0].reason, HasSubstr("make room for big on h2"));
  EXPECT_THAT(CheckPlan(inv.inventory, *plan, {"h1"}), IsEmpty());
}

TEST(CascadeTest, PinnedResidentsAreNotMoved) {
  InventoryBuilder b;
  b.Host("h1", 16, 16384, 1000).Host("h2", 16, 16384, 1000).Host("h3", 16, 16384, 1000);
  b.Guest("big", "h1", 2, 10000, 50);
  b.Guest("a", "h2", 2, 6000, 50)
      .Set("pinned", true)
      .Guest("b", "h2", 2, 6000, 50)
      .Set("pinned", true);
  b.Guest("c", "h3", 2, 10000, 50).Set("pinned", true);
  auto plan = PlanEvacuate(b.Load(), {{"h1"}, ""});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code(), Code::kInfeasible);
  EXPECT_THAT(plan.error().message(), HasSubstr("guest \"big\""));
  EXPECT_THAT(plan.error().message(), HasSubstr("out of the way did not make room"));
}

TEST(GroupsTest, SpreadAcrossFailureDomains) {
  InventoryBuilder b;
  b.Host("a1", 16, 65536, 1000, "rack-a").Host("a2", 16, 65536, 1000, "rack-a");
  b.Host("b1", 16, 65536, 1000, "rack-b").Host("b2", 16, 65536, 1000, "rack-b");
  b.Host("c1", 16, 65536, 1000, "rack-c");
  b.Guest("db1", "a1", 4, 8192, 100, {0.2, 0.9, 0.5}, "db")
      .Guest("db2", "b1", 4, 8192, 100, {0.2, 0.9, 0.5}, "db");
  b.Guest("web1", "a1", 2, 2048, 10, {0.9, 0.1, 0.1}, "web")
      .Guest("web2", "a2", 2, 2048, 10, {0.9, 0.1, 0.1}, "web");
  b.Policy("spread_groups_across", "failure_domain");
  auto inv = b.Load();
  auto plan = PlanEvacuate(inv, {{}, "rack-a"});
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(plan->targets, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(StepOf(*plan, "db1")->to, "c1");  // rack-b already has db2
  const Step* w1 = StepOf(*plan, "web1");
  const Step* w2 = StepOf(*plan, "web2");
  EXPECT_NE(inv.inventory.hosts[inv.inventory.HostIndex(w1->to)].failure_domain,
            inv.inventory.hosts[inv.inventory.HostIndex(w2->to)].failure_domain);
  EXPECT_TRUE(
      std::find(w2->depends_on.begin(), w2->depends_on.end(), w1->id) != w2->depends_on.end() ||
      std::find(w1->depends_on.begin(), w1->depends_on.end(), w2->id) != w1->depends_on.end())
      << "members of one group never move at once";
  EXPECT_THAT(CheckPlan(inv.inventory, *plan, {"a1", "a2"}), IsEmpty());
}

TEST(GroupsTest, NoDomainLeftIsInfeasibleAndSaysWhy) {
  InventoryBuilder b;
  b.Host("a1", 16, 65536, 1000, "rack-a").Host("b1", 16, 65536, 1000, "rack-b");
  b.Host("b2", 16, 65536, 1000, "rack-b");
  b.Guest("db1", "a1", 4, 8192, 100, {0.2, 0.9, 0.5}, "db")
      .Guest("db2", "b1", 4, 8192, 100, {0.2, 0.9, 0.5}, "db");
  b.Policy("spread_groups_across", "failure_domain");
  auto plan = PlanEvacuate(b.Load(), {{"a1"}, ""});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code(), Code::kInfeasible);
  EXPECT_THAT(plan.error().message(), HasSubstr("2 hosts holding a member of its group \"db\""));
}

TEST(InfeasibleTest, ExplainsWhatIsMissingWhere) {
  InventoryBuilder b;
  b.Host("h1", 16, 65536, 1000)
      .Host("h2", 16, 16384, 1000)
      .Host("h3", 16, 16384, 1000, "", "drained");
  b.Host("h4", 16, 65536, 1000, "", "offline");
  b.Guest("huge", "h1", 4, 20000, 100).Guest("ok", "h1", 1, 1024, 10);
  b.Guest("fill", "h2", 1, 4000, 10);
  auto plan = PlanEvacuate(b.Load(), {{"h1"}, ""});
  ASSERT_FALSE(plan);
  const std::string m = plan.error().message();
  EXPECT_EQ(plan.error().code(), Code::kInfeasible);
  EXPECT_THAT(m, HasSubstr("cannot place 1 of 2 guests"));
  EXPECT_THAT(m, HasSubstr("guest \"huge\" (4 vcpus, 20000 MiB, 100 GiB) on h1"));
  EXPECT_THAT(m, HasSubstr("1 host short of memory"));
  EXPECT_THAT(m, HasSubstr("1 host drained"));
  EXPECT_THAT(m, HasSubstr("1 host offline"));
  EXPECT_THAT(m, HasSubstr("nearest: h2 is short of 7616 MiB of memory"));
  EXPECT_THAT(m, HasSubstr("fix: free 7616 MiB of memory on h2"));
}

TEST(InfeasibleTest, PinnedAndOfflineTargets) {
  InventoryBuilder b;
  b.Host("h1", 16, 65536, 1000)
      .Host("h2", 16, 65536, 1000)
      .Host("h3", 16, 65536, 1000, "", "offline");
  b.Guest("p", "h1", 1, 1024, 10).Set("pinned", true).Guest("o", "h3", 1, 1024, 10);
  auto plan = PlanEvacuate(b.Load(), {{"h1", "h3"}, ""});
  ASSERT_FALSE(plan);
  EXPECT_THAT(plan.error().message(), HasSubstr("guest \"p\" is pinned to h1"));
  EXPECT_THAT(plan.error().message(), HasSubstr("guest \"o\" is on offline host h3"));
  auto unknown = PlanEvacuate(b.Load(), {{"h9"}, ""});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), Code::kInvalidArgument);
}

TEST(ComplementarityTest, GuestGoesWhereItsResourceIsLeastUsed) {
  InventoryBuilder b;
  b.Host("h1", 16, 65536, 1000).Host("io", 16, 65536, 1000).Host("cpu", 16, 65536, 1000);
  b.Guest("disk-hog", "io", 4, 8192, 100, {0.2, 0.9, 0.2});
  b.Guest("number-cruncher", "cpu", 4, 8192, 100, {0.9, 0.1, 0.2});
  b.Guest("new-io", "h1", 4, 8192, 100, {0.1, 0.8, 0.2});
  b.Guest("new-cpu", "h1", 4, 8192, 100, {0.8, 0.1, 0.2});
  auto inv = b.Load();
  auto plan = PlanEvacuate(inv, {{"h1"}, ""});
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(StepOf(*plan, "new-io")->to, "cpu");
  EXPECT_EQ(StepOf(*plan, "new-cpu")->to, "io");
}

TEST(AfterTest, GuestMovesAfterTheOnesItNames) {
  InventoryBuilder b;
  b.Host("h1", 16, 65536, 1000).Host("h2", 16, 65536, 1000).Host("h3", 16, 65536, 1000);
  b.Guest("app", "h1", 1, 1024, 10).Set("after", {"db"});
  b.Guest("db", "h1", 1, 1024, 500);
  auto inv = b.Load();
  auto plan = PlanEvacuate(inv, {{"h1"}, ""});
  ASSERT_TRUE(plan);
  EXPECT_THAT(StepOf(*plan, "app")->depends_on, ::testing::Contains(StepOf(*plan, "db")->id));
  EXPECT_THAT(CheckPlan(inv.inventory, *plan, {"h1"}), IsEmpty());
}

InventoryBuilder EqualHosts(int n) {
  InventoryBuilder b;
  for (int i = 0; i < n; ++i) b.Host("h" + std::to_string(i), 32, 131072, 2000, "", "online", 1000);
  b.Guest("tmpl", "h0", 2, 2048, 100, {0.3, 0.3, 0.3});
  return b;
}

TEST(CloneTest, FanOutTakesLogRounds) {
  auto inv = EqualHosts(8).Load();
  auto one = PlanClone(inv, {"tmpl", 1, {}, ""});
  auto seven = PlanClone(inv, {"tmpl", 7, {}, ""});
  ASSERT_TRUE(one && seven);
  const double single = one->estimate.makespan_seconds;
  EXPECT_EQ(seven->steps.size(), 7u);
  EXPECT_NEAR(seven->estimate.makespan_seconds / single, 3.0, 0.01);  // log2(7+1) rounds
  std::set<std::string> dests;
  for (const Step& s : seven->steps) {
    EXPECT_EQ(s.action, "clone");
    dests.insert(s.to);
    EXPECT_NE(s.to, "h0");
  }
  EXPECT_EQ(dests.size(), 7u);
  EXPECT_EQ(seven->steps[2].from, seven->steps[0].to);  // clone 3 reads clone 1
  EXPECT_EQ(seven->steps[2].depends_on, std::vector<std::string>{seven->steps[0].id});
  EXPECT_EQ(seven->moves[6].new_name, "tmpl-clone-7");
  EXPECT_THAT(CheckPlan(inv.inventory, *seven, {}), IsEmpty());
}

TEST(CloneTest, ExplicitDestinationsAndErrors) {
  auto inv = EqualHosts(3).Load();
  auto plan = PlanClone(inv, {"tmpl", 4, {"h1", "h2"}, "copy-"});
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(plan->steps[0].to, "h1");
  EXPECT_EQ(plan->steps[1].to, "h2");
  EXPECT_EQ(plan->steps[2].to, "h1");
  EXPECT_NE(plan->steps[2].from, "h1");
  EXPECT_EQ(plan->steps[3].new_name, "copy-4");
  EXPECT_THAT(CheckPlan(inv.inventory, *plan, {}), IsEmpty());
  EXPECT_EQ(PlanClone(inv, {"tmpl", 0, {}, ""}).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(PlanClone(inv, {"nope", 1, {}, ""}).error().code(), Code::kInvalidArgument);
  auto full = PlanClone(inv, {"tmpl", 1000, {}, ""});
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code(), Code::kInfeasible);
}

TEST(MigrateTest, MakesRoomOnTheNamedHost) {
  InventoryBuilder b;
  b.Host("h1", 16, 16384, 1000).Host("h2", 16, 16384, 1000).Host("h3", 16, 16384, 1000);
  b.Guest("g", "h1", 2, 10000, 50).Guest("x", "h2", 2, 10000, 50);
  auto inv = b.Load();
  auto plan = PlanMigrate(inv, {"g", "h2"});
  ASSERT_TRUE(plan) << plan.error().ToString();
  ASSERT_EQ(plan->steps.size(), 2u);
  EXPECT_EQ(plan->steps[0].guest, "x");
  EXPECT_EQ(plan->steps[0].to, "h3");
  EXPECT_EQ(plan->steps[1].depends_on, std::vector<std::string>{"s1"});
  EXPECT_THAT(CheckPlan(inv.inventory, *plan, {}), IsEmpty());
  EXPECT_EQ(PlanMigrate(inv, {"g", "h1"}).error().code(), Code::kInvalidArgument);
}

TEST(MigrateTest, DrainedDestinationIsInfeasible) {
  InventoryBuilder b;
  b.Host("h1", 16, 16384, 1000).Host("h2", 16, 16384, 1000, "", "drained");
  b.Guest("g", "h1", 2, 1000, 50);
  auto plan = PlanMigrate(b.Load(), {"g", "h2"});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code(), Code::kInfeasible);
  EXPECT_THAT(plan.error().message(), HasSubstr("1 host drained"));
}

TEST(RebalanceTest, UnstacksHeavyGuestsWithFewMoves) {
  InventoryBuilder b;
  b.Host("h1", 16, 65536, 1000).Host("h2", 16, 65536, 1000);
  b.Guest("io1", "h1", 2, 4096, 50, {0.1, 0.9, 0.1})
      .Guest("io2", "h1", 2, 4096, 50, {0.1, 0.9, 0.1});
  b.Guest("cpu1", "h2", 2, 4096, 50, {0.9, 0.1, 0.1})
      .Guest("cpu2", "h2", 2, 4096, 50, {0.9, 0.1, 0.1});
  auto inv = b.Load();
  auto plan = PlanRebalance(inv, {50});
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(plan->steps.size(), 2u);
  EXPECT_NE(plan->steps[0].to, plan->steps[1].to);
  EXPECT_THAT(plan->moves[0].reason, HasSubstr("heavy guests stacked"));
  EXPECT_THAT(CheckPlan(inv.inventory, *plan, {}), IsEmpty());
  auto one = PlanRebalance(inv, {1});
  ASSERT_TRUE(one);
  EXPECT_EQ(one->steps.size(), 1u);
}

TEST(RebalanceTest, BalancedClusterNeedsNothing) {
  InventoryBuilder b;
  b.Host("h1", 16, 65536, 1000).Host("h2", 16, 65536, 1000);
  b.Guest("io1", "h1", 2, 4096, 50, {0.1, 0.9, 0.1})
      .Guest("cpu1", "h1", 2, 4096, 50, {0.9, 0.1, 0.1});
  b.Guest("io2", "h2", 2, 4096, 50, {0.1, 0.9, 0.1})
      .Guest("cpu2", "h2", 2, 4096, 50, {0.9, 0.1, 0.1});
  auto plan = PlanRebalance(b.Load(), {50});
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->steps.empty());
}

TEST(ConcurrencyTest, HostLimitMakesWaves) {
  InventoryBuilder b;
  for (int i = 0; i < 7; ++i) b.Host("h" + std::to_string(i), 32, 131072, 2000, "", "online", 1000);
  for (int i = 0; i < 6; ++i) b.Guest("g" + std::to_string(i), "h0", 2, 2048, 100, {0.3, 0.3, 0.3});
  b.Policy("max_migrations_per_host", 2);
  auto inv = b.Load();
  auto plan = PlanEvacuate(inv, {{"h0"}, ""});
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->steps.size(), 6u);
  EXPECT_EQ(plan->estimate.waves, 3);  // six guests leave h0 two at a time
  EXPECT_NEAR(plan->estimate.makespan_seconds, 3 * plan->steps[0].est_seconds, 1e-6);
  EXPECT_THAT(CheckPlan(inv.inventory, *plan, {"h0"}), IsEmpty());
}

TEST(DeterminismTest, SameInputSamePlan) {
  auto doc = EqualHosts(6);
  for (int i = 0; i < 20; ++i) {
    doc.Guest("g" + std::to_string(i), "h" + std::to_string(i % 3), 1 + i % 3, 1024 * (1 + i % 5),
              10 + i, {0.1 * (i % 10), 0.05 * (i % 7), 0.3});
  }
  auto a = PlanEvacuate(doc.Load(), {{"h0", "h1"}, ""});
  auto b = PlanEvacuate(doc.Load(), {{"h0", "h1"}, ""});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(PlanToJson(*a).dump(), PlanToJson(*b).dump());
}

}  // namespace
}  // namespace drover::plans
