// ClusterState: checks, commits with capacity dependencies, undo, and the
// complementarity index.
#include "plans/placement/cluster_state.h"

#include <gtest/gtest.h>

#include "plans/graph/host_graph.h"
#include "tests/plans/testing/inventory_builder.h"

namespace drover::plans {
namespace {

using testing::InventoryBuilder;

TEST(ClusterStateTest, EnteringWaitsForTheDeparturesThatFreeRoom) {
  InventoryBuilder b;
  b.Host("h1", 16, 16384, 1000).Host("h2", 16, 16384, 1000).Host("h3", 16, 16384, 1000);
  b.Guest("big", "h1", 2, 10000, 50).Guest("a", "h2", 2, 6000, 50).Guest("b", "h2", 2, 6000, 50);
  auto li = b.Load();
  const Inventory& inv = li.inventory;
  HostGraph graph(inv);
  ClusterState s(inv, graph, {true, false, false});
  EXPECT_EQ(s.Check(0, 1), Reject::kMemory);
  EXPECT_EQ(s.Check(0, 0), Reject::kSameHost);
  EXPECT_EQ(s.Check(1, 0), Reject::kExcluded);
  const int m0 = s.Commit(1, 2, "room");  // a: h2 -> h3
  EXPECT_TRUE(s.moves()[m0].capacity_deps.empty());
  EXPECT_DOUBLE_EQ(s.held(1).mem, 12000);  // a still counts on h2 until its step ends
  EXPECT_DOUBLE_EQ(s.final_use(1).mem, 6000);
  ASSERT_EQ(s.Check(0, 1), Reject::kOk);
  const int m1 = s.Commit(0, 1, "evacuate");
  EXPECT_EQ(s.moves()[m1].capacity_deps, std::vector<int>{m0});
  EXPECT_EQ(s.location(0), 1);
  s.Uncommit();
  s.Uncommit();
  EXPECT_EQ(s.location(0), 0);
  EXPECT_EQ(s.location(1), 1);
  EXPECT_DOUBLE_EQ(s.held(1).mem, 12000);
  EXPECT_DOUBLE_EQ(s.final_use(1).mem, 12000);
  EXPECT_DOUBLE_EQ(s.held(2).mem, 0);
  EXPECT_TRUE(s.moves().empty());
}

TEST(ClusterStateTest, StatesAndGroups) {
  InventoryBuilder b;
  b.Host("h1", 16, 65536, 1000, "r1").Host("d", 16, 65536, 1000, "r2", "drained");
  b.Host("o", 16, 65536, 1000, "r2", "offline").Host("h4", 16, 65536, 1000, "r1");
  b.Host("h5", 16, 65536, 1000, "r3");
  b.Guest("m1", "h1", 1, 1024, 10, {0.1, 0.1, 0.1}, "g")
      .Guest("m2", "h5", 1, 1024, 10, {0.1, 0.1, 0.1}, "g");
  b.Policy("spread_groups_across", "failure_domain");
  auto li = b.Load();
  HostGraph graph(li.inventory);
  ClusterState s(li.inventory, graph, {});
  EXPECT_EQ(s.Check(0, 1), Reject::kDrained);
  EXPECT_EQ(s.Check(0, 2), Reject::kOffline);
  EXPECT_EQ(s.Check(0, 3), Reject::kOk);     // same domain as its own: allowed
  EXPECT_EQ(s.Check(0, 4), Reject::kGroup);  // r3 holds m2
}

TEST(ClusterStateTest, IndexPrefersHostsNotHeavyOnTheSameResource) {
  InventoryBuilder b;
  b.Host("src", 16, 65536, 1000).Host("io", 16, 65536, 1000).Host("mem", 16, 65536, 1000);
  b.Guest("x", "src", 1, 1024, 10, {0.1, 0.9, 0.1});
  b.Guest("io-hog", "io", 1, 1024, 10, {0.1, 0.9, 0.1});
  b.Guest("mem-hog", "mem", 1, 16384, 10, {0.1, 0.1, 0.95});
  auto li = b.Load();
  HostGraph graph(li.inventory);
  ClusterState s(li.inventory, graph, {});
  EXPECT_EQ(s.item(0).dominant, kIo);
  EXPECT_TRUE(s.item(0).heavy);
  EXPECT_EQ(s.FindHost(0), 2);
  EXPECT_EQ(s.FindHost(0, [](int h) { return h != 2; }), 1);
  const int clone = s.AddClone(0, "x-copy");
  EXPECT_EQ(s.location(clone), -1);
  EXPECT_EQ(s.Check(clone, 0, 0), Reject::kSameHost);
  EXPECT_EQ(s.Check(clone, 2, 0), Reject::kOk);
}

}  // namespace
}  // namespace drover::plans
