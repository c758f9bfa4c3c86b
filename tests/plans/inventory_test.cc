// Inventory parsing, validation, warnings and the fingerprint.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plans/graph/host_graph.h"
#include "plans/model/document_io.h"
#include "plans/model/fingerprint.h"
#include "plans/model/inventory_json.h"
#include "tests/plans/testing/inventory_builder.h"

namespace drover::plans {
namespace {

using ::testing::HasSubstr;
using testing::InventoryBuilder;

InventoryBuilder Basic() {
  InventoryBuilder b;
  b.Host("h1", 8, 16384, 500).Host("h2", 8, 16384, 500);
  b.Guest("g1", "h1", 2, 4096, 50);
  return b;
}

std::string ErrorOf(const nlohmann::json& doc) {
  auto r = LoadInventory(doc);
  EXPECT_FALSE(r.has_value());
  return r ? "" : r.error().ToString();
}

TEST(InventoryTest, LoadsTheExample) {
  auto doc = ReadJsonFile(std::string(DROVER_EXAMPLES_DIR) + "/two-racks.json");
  ASSERT_TRUE(doc) << doc.error().ToString();
  auto inv = LoadInventory(*doc);
  ASSERT_TRUE(inv) << inv.error().ToString();
  EXPECT_EQ(inv->inventory.hosts.size(), 6u);
  EXPECT_EQ(inv->inventory.guests.size(), 8u);
  EXPECT_EQ(inv->inventory.hosts[2].state, HostState::kDrained);
  EXPECT_EQ(inv->inventory.policy.spread_groups_across, SpreadPolicy::kFailureDomain);
  const Guest& db1 = inv->inventory.guests[0];
  EXPECT_EQ(db1.group, "db");
  EXPECT_DOUBLE_EQ(db1.load.io, 0.9);
  EXPECT_EQ(inv->inventory.guests[6].running, false);
  EXPECT_THAT(inv->fingerprint, ::testing::StartsWith("sha256:"));
  EXPECT_EQ(inv->fingerprint.size(), 7u + 64u);
}

TEST(InventoryTest, GuestOnUnknownHostNamesGuestAndHost) {
  auto b = Basic();
  b.Guest("lost", "h9", 1, 1024, 10);
  std::string e = ErrorOf(b.doc());
  EXPECT_THAT(e, HasSubstr("guest \"lost\".host: unknown host \"h9\""));
}

TEST(InventoryTest, NegativeSizeNamesTheField) {
  auto b = Basic();
  b.Guest("neg", "h1", 1, -5, 10);
  EXPECT_THAT(ErrorOf(b.doc()), HasSubstr("guests[1] \"neg\".memory_mib: negative value -5"));
}

TEST(InventoryTest, DuplicateNames) {
  auto b = Basic();
  b.Host("h1", 4, 1024, 10).Guest("g1", "h2", 1, 1024, 10);
  std::string e = ErrorOf(b.doc());
  EXPECT_THAT(e, HasSubstr("duplicate host \"h1\""));
  EXPECT_THAT(e, HasSubstr("duplicate guest \"g1\""));
}

TEST(InventoryTest, HostAlreadyOverCapacity) {
  auto b = Basic();
  b.Guest("big", "h2", 2, 20000, 10);
  EXPECT_THAT(ErrorOf(b.doc()),
              HasSubstr("host \"h2\": already over capacity: memory 3616 MiB over"));
}

TEST(InventoryTest, CpuOvercommitCounts) {
  auto b = Basic();
  b.Guest("cpu", "h2", 30, 1024, 10);  // 30 vcpus on 8 cpus x 4.0 fits
  EXPECT_TRUE(LoadInventory(b.doc()));
  b.Policy("cpu_overcommit", 2.0);
  EXPECT_THAT(ErrorOf(b.doc()), HasSubstr("vcpus 14 over"));
}

TEST(InventoryTest, TypeErrorsAndBadEnums) {
  auto b = Basic();
  nlohmann::json doc = b.doc();
  doc["hosts"][0]["cpus"] = "eight";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("hosts[0] \"h1\".cpus: expected a number, got string"));
  doc = b.doc();
  doc["hosts"][1]["state"] = "sleeping";
  EXPECT_THAT(ErrorOf(doc),
              HasSubstr("hosts[1] \"h2\".state: \"sleeping\" is not online, drained or offline"));
  doc = b.doc();
  doc["guests"][0]["load"]["io"] = 1.5;
  EXPECT_THAT(ErrorOf(doc), HasSubstr("guests[0] \"g1\".load.io: "));
  doc = b.doc();
  doc["policy"]["spread_groups_across"] = "planet";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("policy.spread_groups_across"));
  doc = b.doc();
  doc.erase("hosts");
  EXPECT_THAT(ErrorOf(doc), HasSubstr("\"hosts\" missing"));
  EXPECT_THAT(ErrorOf(nlohmann::json::array()), HasSubstr("expected an object"));
}

TEST(InventoryTest, LinksAndAfterAreChecked) {
  auto b = Basic();
  b.Link("h1", "h7", 100);
  b.Guest("g2", "h2", 1, 1024, 10).Set("after", {"nobody"});
  std::string e = ErrorOf(b.doc());
  EXPECT_THAT(e, HasSubstr("links[0].b: unknown host \"h7\""));
  EXPECT_THAT(e, HasSubstr("guest \"g2\".after: unknown guest \"nobody\""));
}

TEST(InventoryTest, AfterCycleIsAnError) {
  auto b = Basic();
  b.Guest("g2", "h2", 1, 1024, 10).Set("after", {"g3"});
  b.Guest("g3", "h2", 1, 1024, 10).Set("after", {"g2"});
  EXPECT_THAT(ErrorOf(b.doc()), HasSubstr("`after` forms a cycle"));
}

TEST(InventoryTest, UnknownFieldsAreWarnings) {
  auto b = Basic();
  nlohmann::json doc = b.doc();
  doc["guests"][0]["colour"] = "blue";
  doc["hosts"][1]["rack_unit"] = 12;
  doc["comment"] = "hi";
  auto inv = LoadInventory(doc);
  ASSERT_TRUE(inv) << inv.error().ToString();
  EXPECT_THAT(inv->warnings,
              ::testing::Contains(HasSubstr("guests[0] \"g1\": unknown field \"colour\"")));
  EXPECT_THAT(inv->warnings,
              ::testing::Contains(HasSubstr("hosts[1] \"h2\": unknown field \"rack_unit\"")));
  EXPECT_THAT(inv->warnings,
              ::testing::Contains(HasSubstr("inventory: unknown field \"comment\"")));
}

TEST(InventoryTest, GroupsAlreadyTogetherAreWarnings) {
  auto b = Basic();
  b.Guest("a", "h2", 1, 1024, 10, {0.1, 0.1, 0.1}, "g")
      .Guest("b", "h2", 1, 1024, 10, {0.1, 0.1, 0.1}, "g");
  auto inv = LoadInventory(b.doc());
  ASSERT_TRUE(inv);
  EXPECT_THAT(inv->warnings,
              ::testing::Contains(HasSubstr("group \"g\" already has 2 members on host \"h2\"")));
}

TEST(InventoryTest, RoundTripsThroughJson) {
  auto inv = Basic().Load();
  auto again = LoadInventory(InventoryToJson(inv.inventory));
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(InventoryToJson(again->inventory), InventoryToJson(inv.inventory));
}

TEST(FingerprintTest, KnownVectorAndCanonicalForm) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto a = ParseJsonText(R"({"b": 1, "a": [1, 2]})", "a");
  auto b = ParseJsonText("{\n  \"a\":[1,2],\n  \"b\":1}", "b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(Fingerprint(*a), Fingerprint(*b));
  (*b)["b"] = 2;
  EXPECT_NE(Fingerprint(*a), Fingerprint(*b));
}

TEST(DocumentIoTest, UnreadableAndMalformedFilesNameTheFile) {
  auto r = ReadJsonFile("/nonexistent/inv.json");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("/nonexistent/inv.json: cannot read"));
  auto bad = ParseJsonText("{\"hosts\": [", "inv.json");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("inv.json: not valid JSON"));
}

TEST(HostGraphTest, LinksAndDefaultBandwidth) {
  InventoryBuilder b;
  b.Host("a", 1, 1024, 10, "", "online", 10000).Host("b", 1, 1024, 10, "", "online", 1000);
  b.Host("c", 1, 1024, 10, "", "online", 10000).Link("a", "c", 2500).Link("c", "a", 4000);
  auto inv = b.Load();
  HostGraph g(inv.inventory);
  EXPECT_EQ(g.num_hosts(), 3);
  EXPECT_EQ(g.num_links(), 1);
  EXPECT_DOUBLE_EQ(g.BandwidthMbps(0, 2), 4000);  // fastest of the parallel links
  EXPECT_DOUBLE_EQ(g.BandwidthMbps(0, 1), 1000);  // no link: the smaller NIC
  EXPECT_DOUBLE_EQ(g.BandwidthMbps(1, 1), 0);
  EXPECT_EQ(g.Neighbors(0), std::vector<int>{2});
}

}  // namespace
}  // namespace drover::plans
