// The transfer service's change tracking on a real XFS (reflink snapshots,
// FIEMAP): two services on loopback, the source keeping the snapshot of its
// last verified send as the base of the next one.
#include "agent/daemon/transfer_service.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>

#include "agent/daemon/change_bases.h"
#include "agent/storage/file_driver.h"
#include "tests/agent/storage/xfs_fixture.h"
#include "tests/agent/sync/sync_fixture.h"

namespace drover::agent {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kSize = 8 << 20;  // 128 chunks of 64 KiB

class TransferServiceTest : public ::testing::Test {
 protected:
  // Where the pools live: an XFS with reflinks unless a test says otherwise.
  virtual std::string Root() {
    if (!xfs_.ok()) return "";
    return xfs_.dir();
  }
  void SetUp() override {
    std::string root = Root();
    if (root.empty()) GTEST_SKIP() << xfs_.why_not();
    dir_ = root + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (const char* d : {"/src", "/dst", "/src-state", "/dst-state"}) {
      fs::create_directories(dir_ + d);
    }
    src_driver_ = std::make_unique<storage::FileDriver>(
        std::map<std::string, std::string>{{"p", dir_ + "/src"}});
    dst_driver_ = std::make_unique<storage::FileDriver>(
        std::map<std::string, std::string>{{"p", dir_ + "/dst"}});
    const auto& keys = sync::testing::TestKeys();
    src_ = std::make_unique<TransferService>(
        TransferConfig{src_driver_.get(), "p", keys.source, "127.0.0.1", dir_ + "/src-state"},
        [](const std::string&, json) { ADD_FAILURE() << "events were turned off"; });
    dst_ = std::make_unique<TransferService>(
        TransferConfig{dst_driver_.get(), "p", keys.destination, "127.0.0.1", dir_ + "/dst-state"},
        [](const std::string&, json) { ADD_FAILURE() << "events were turned off"; });
    ASSERT_TRUE(src_driver_->CreateVolume("p", "vm", kSize).ok());
    std::vector<uint8_t> data(kSize);
    std::mt19937_64 rng(11);
    sync::testing::FillRandom(data, 0, kSize, rng);
    sync::testing::WriteAll(*src_driver_->Path("p", "vm"), data);
  }

  // One sync of "vm" through both services; the source's reply.
  // A well-formed ticket (64 hex digits), one per transfer.
  static std::string Ticket(const std::string& transfer) {
    std::string t = std::string(64 - transfer.size(), '0');
    for (char c : transfer) t += "0123456789abcdef"[static_cast<unsigned char>(c) % 16];
    return t;
  }

  json SyncOnce(const std::string& transfer) {
    const auto& keys = sync::testing::TestKeys();
    wire::Message receive{"agent.sync.receive",
                          "1",
                          "",
                          {{"transfer", transfer},
                           {"ticket", Ticket(transfer)},
                           {"source_key", keys.source.public_z85},
                           {"volume", "vm"},
                           {"size_bytes", kSize},
                           {"events", false}}};
    auto bound = dst_->Receive(receive);
    EXPECT_TRUE(bound) << bound.error().ToString();
    if (!bound) return json();
    wire::Message send{"agent.sync.send",
                       "2",
                       "",
                       {{"transfer", transfer},
                        {"ticket", Ticket(transfer)},
                        {"endpoint", (*bound)["endpoint"]},
                        {"server_key", (*bound)["public_key"]},
                        {"volume", "vm"},
                        {"events", false},
                        {"wait_ms", 3000}}};
    auto sent = src_->Send(send);
    EXPECT_TRUE(sent) << sent.error().ToString();
    if (!sent) return json();
    EXPECT_EQ(sent->value("state", ""), "done") << sent->dump();
    EXPECT_EQ(sync::testing::ReadAll(*src_driver_->Path("p", "vm")),
              sync::testing::ReadAll(*dst_driver_->Path("p", "vm")));
    return *sent;
  }

  void WriteAt(uint64_t offset, const std::string& text) {
    int fd = ::open(src_driver_->Path("p", "vm")->c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, text.data(), text.size(), static_cast<off_t>(offset)),
              static_cast<ssize_t>(text.size()));
    ::close(fd);
  }

  std::string Snapshot(const std::string& transfer) {
    return dir_ + "/src/" + src_driver_->SnapshotName("vm", "drover-" + transfer);
  }

  static storage::testing::XfsMount xfs_;
  std::string dir_;  // this test's own directory on the XFS
  std::unique_ptr<storage::FileDriver> src_driver_, dst_driver_;
  std::unique_ptr<TransferService> src_, dst_;
};

storage::testing::XfsMount TransferServiceTest::xfs_(400);

TEST_F(TransferServiceTest, SecondSendReadsOnlyWhatChangedSinceTheLastVerifiedOne) {
  json first = SyncOnce("t1");
  EXPECT_EQ(first["report"].value("discovery", ""), "hash");
  EXPECT_TRUE(fs::exists(Snapshot("t1"))) << "the verified snapshot is kept as the base";

  // Two writes, in chunks 2 and 6.
  WriteAt((2 << 20) + 100, "first change");
  WriteAt((6 << 20) + 5000, "second change");
  json second = SyncOnce("t2");
  EXPECT_EQ(second["report"].value("discovery", ""), "change-tracking") << second.dump();
  EXPECT_EQ(second.value("base", ""), src_driver_->SnapshotName("vm", "drover-t1"));
  // Two 4 KiB blocks found changed, in the two chunks the driver reported.
  EXPECT_EQ(second["report"].value("bytes_changed", uint64_t{0}), 2 * 4096u) << second.dump();
  EXPECT_FALSE(fs::exists(Snapshot("t1"))) << "the older base goes once the new send verified";
  EXPECT_TRUE(fs::exists(Snapshot("t2")));

  // Nothing written: the third send reads nothing and changes nothing.
  json third = SyncOnce("t3");
  EXPECT_EQ(third["report"].value("discovery", ""), "change-tracking");
  EXPECT_EQ(third["report"].value("bytes_changed", uint64_t{99}), 0u);
}

TEST_F(TransferServiceTest, ABaseWhoseSnapshotVanishedFallsBackToHashing) {
  SyncOnce("t1");
  ASSERT_TRUE(fs::remove(Snapshot("t1")));
  WriteAt(4096, "after the base went");
  json second = SyncOnce("t2");
  EXPECT_EQ(second["report"].value("discovery", ""), "hash") << second.dump();
  EXPECT_EQ(second["report"].value("bytes_changed", uint64_t{0}), 4096u);
  EXPECT_EQ(
      ChangeBases(dir_ + "/src-state").Get("vm", sync::testing::TestKeys().destination.public_z85),
      src_driver_->SnapshotName("vm", "drover-t2"));
}

TEST_F(TransferServiceTest, ARestartRemovesSnapshotsOfSendsThatDidNotEndButKeepsTheBase) {
  SyncOnce("t1");
  // A send that died with its agent left its snapshot behind.
  ASSERT_TRUE(src_driver_->CreateSnapshot("p", "vm", "drover-t2", 0).ok());
  ASSERT_TRUE(src_driver_->CreateSnapshot("p", "vm", "operator-kept", 0).ok());
  src_.reset();
  src_ = std::make_unique<TransferService>(
      TransferConfig{src_driver_.get(), "p", sync::testing::TestKeys().source, "127.0.0.1",
                     dir_ + "/src-state"},
      [](const std::string&, json) {});
  EXPECT_FALSE(fs::exists(Snapshot("t2")));
  EXPECT_TRUE(fs::exists(Snapshot("t1"))) << "the base stays";
  EXPECT_TRUE(fs::exists(dir_ + "/src/" + src_driver_->SnapshotName("vm", "operator-kept")))
      << "only drover's own snapshots go";
  WriteAt(100, "after the restart");
  json next = SyncOnce("t3");
  EXPECT_EQ(next["report"].value("discovery", ""), "change-tracking");
}

TEST_F(TransferServiceTest, ARepeatedSendStartsNothingAndReportsTheSameOutcome) {
  json first = SyncOnce("t1");
  wire::Message again{"agent.sync.send",
                      "3",
                      "",
                      {{"transfer", "t1"},
                       {"ticket", Ticket("t1")},
                       {"endpoint", "tcp://127.0.0.1:1"},
                       {"server_key", sync::testing::TestKeys().destination.public_z85},
                       {"volume", "vm"},
                       {"events", false},
                       {"wait_ms", 0}}};
  auto repeat = src_->Send(again);
  ASSERT_TRUE(repeat) << repeat.error().ToString();
  EXPECT_EQ(repeat->value("state", ""), "done");
  EXPECT_EQ((*repeat)["report"]["content_hash"], first["report"]["content_hash"]);
}

// Pools on the scratch file system (ext4 here): snapshots are full copies,
// which tell nothing about changes, so no base is kept (it would double the
// room the volume takes).
class TransferServiceWithoutReflinksTest : public TransferServiceTest {
 protected:
  std::string Root() override { return scratch_.path(); }
  sync::testing::ScratchDir scratch_;
};

TEST_F(TransferServiceWithoutReflinksTest, KeepsNoBaseWhenTheDriverCannotTrackChanges) {
  json first = SyncOnce("t1");
  ASSERT_TRUE(first.is_object());
  if (fs::exists(Snapshot("t1"))) {
    auto probe = src_driver_->ChangedRanges("p", src_driver_->SnapshotName("vm", "drover-t1"),
                                            src_driver_->SnapshotName("vm", "drover-t1"));
    if (probe && probe->has_value()) GTEST_SKIP() << "this file system reflinks";
  }
  EXPECT_FALSE(fs::exists(Snapshot("t1"))) << "a copied snapshot is no base";
  EXPECT_FALSE(ChangeBases(dir_ + "/src-state")
                   .Get("vm", sync::testing::TestKeys().destination.public_z85)
                   .has_value());
  WriteAt(4096, "changed");
  json second = SyncOnce("t2");
  EXPECT_EQ(second["report"].value("discovery", ""), "hash");
  EXPECT_FALSE(fs::exists(Snapshot("t2")));
}

}  // namespace
}  // namespace drover::agent
