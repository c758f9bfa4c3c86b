#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "orchestrator/state/database.h"
#include "orchestrator/state/inventory_store.h"
#include "orchestrator/state/key_store.h"

namespace drover::state {
namespace {

class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::remove(path_);
    auto db = Database::Open(path_);
    ASSERT_TRUE(db) << db.error().ToString();
    db_ = std::move(*db);
  }
  void TearDown() override {
    db_.reset();
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  // Each test runs in its own process, maybe at the same time: one file each.
  std::string path_ = ::testing::TempDir() + "/drover-state-" + std::to_string(getpid()) + ".db";
  std::unique_ptr<Database> db_;
};

TEST_F(StateTest, OpensInWalModeAtTheLatestSchema) {
  EXPECT_EQ(db_->SchemaVersion(), 2);
  std::string mode;
  ASSERT_TRUE(db_->Exec("PRAGMA journal_mode", {}, [&](const Row& r) { mode = r.Text(0); }).ok());
  EXPECT_EQ(mode, "wal");
  // Reopening applies nothing twice.
  auto again = Database::Open(path_);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->SchemaVersion(), 2);
}

TEST_F(StateTest, RefusesADatabaseFromANewerDrover) {
  ASSERT_TRUE(db_->Exec("PRAGMA user_version=99").ok());
  auto newer = Database::Open(path_);
  ASSERT_FALSE(newer);
  EXPECT_NE(newer.error().message().find("newer than this drover"), std::string::npos);
}

TEST_F(StateTest, KeysGoFromPendingToAcceptedToRevoked) {
  KeyStore keys(db_.get());
  std::string k(40, 'a');
  ASSERT_TRUE(keys.NotePending(k, "127.0.0.1").ok());
  ASSERT_TRUE(keys.NotePending(k, "127.0.0.2").ok());  // no duplicate, no change
  auto listed = keys.List();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].status, "pending");
  EXPECT_EQ((*listed)[0].address, "127.0.0.1");
  EXPECT_TRUE(keys.Accepted()->empty());

  ASSERT_TRUE(keys.Accept(*keys.Resolve("aaaaaa"), KeyRole::kOperator, "ops").ok());
  EXPECT_EQ(keys.Accepted()->at(k), KeyRole::kOperator);
  ASSERT_TRUE(keys.Revoke(k).ok());
  EXPECT_TRUE(keys.Accepted()->empty());
  EXPECT_EQ(keys.Revoke(std::string(40, 'b')).code(), Code::kNotFound);
  EXPECT_FALSE(keys.Resolve("bbbbbb"));
  EXPECT_FALSE(keys.Resolve("aa"));  // too short to be safe
}

TEST_F(StateTest, AnotherConnectionsChangeIsVisibleThroughDataVersion) {
  int64_t before = db_->DataVersion();
  auto other = Database::Open(path_);
  ASSERT_TRUE(other);
  KeyStore keys((*other).get());
  ASSERT_TRUE(keys.Accept(std::string(40, 'c'), KeyRole::kAgent, "h3").ok());
  EXPECT_NE(db_->DataVersion(), before);
}

TEST_F(StateTest, InventoryKeepsTheLastFactsOfEachHost) {
  InventoryStore inv(db_.get());
  ASSERT_TRUE(inv.Save({"h1", "k", {{"cpus", 4}}, "0.1.0", 10}).ok());
  ASSERT_TRUE(inv.Save({"h1", "k", {{"cpus", 8}}, "0.1.1", 20}).ok());
  auto hosts = inv.List();
  ASSERT_TRUE(hosts);
  ASSERT_EQ(hosts->size(), 1u);
  EXPECT_EQ((*hosts)[0].facts["cpus"], 8);
  EXPECT_EQ((*hosts)[0].last_seen, 20);
}

}  // namespace
}  // namespace drover::state
