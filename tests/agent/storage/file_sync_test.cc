// The file driver's change tracking feeding the sync engine, on a real XFS:
// snapshot, full sync, writes, snapshot, incremental sync that reads only
// what the driver reports changed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "agent/storage/file_driver.h"
#include "tests/agent/storage/xfs_fixture.h"
#include "tests/agent/sync/sync_fixture.h"

namespace drover::storage {
namespace {

TEST(FileDriverSyncTest, IncrementalSyncUsesReflinkChangeTracking) {
  testing::XfsMount xfs(512);
  if (!xfs.ok()) GTEST_SKIP() << xfs.why_not();
  std::string src_dir = xfs.dir() + "/src", dst_dir = xfs.dir() + "/dst";
  std::filesystem::create_directories(src_dir);
  std::filesystem::create_directories(dst_dir);
  FileDriver src({{"p", src_dir}}), dst({{"p", dst_dir}});
  const uint64_t size = (4 << 20) + 12345;  // not a multiple of the chunk
  ASSERT_TRUE(src.CreateVolume("p", "vm", size).ok());
  ASSERT_TRUE(dst.CreateVolume("p", "vm", 0).ok());
  int fd = *src.Open("p", "vm", OpenMode::kReadWrite);
  std::mt19937_64 rng(7);
  std::vector<uint8_t> data(size);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  ASSERT_EQ(::pwrite(fd, data.data(), size, 0), static_cast<ssize_t>(size));
  ::fsync(fd);
  ASSERT_TRUE(src.CreateSnapshot("p", "vm", "s1", 0).ok());
  sync::testing::ScratchDir state;
  auto sync_snapshot = [&](const std::string& snap, std::optional<sync::ChangeBase> base) {
    return sync::testing::SyncFiles(*src.Path("p", snap), *dst.Path("p", "vm"), state / "dst",
                                    [&](sync::SenderOptions& o) {
                                      o.cache_dir = state / "src";
                                      o.base = base;
                                    });
  };
  auto first = sync_snapshot("vm@s1", std::nullopt);
  ASSERT_TRUE(first.sender) << first.sender.error().ToString();
  ASSERT_TRUE(first.receiver) << first.receiver.error().ToString();

  // The guest writes three scattered blocks and a short run.
  for (uint64_t off : {uint64_t{8192}, uint64_t{1 << 20}, size - 100}) {
    ASSERT_EQ(::pwrite(fd, "changed!", 8, static_cast<off_t>(off)), 8);
  }
  std::vector<uint8_t> run(40000, 0xab);
  ASSERT_EQ(::pwrite(fd, run.data(), run.size(), 3 << 20), static_cast<ssize_t>(run.size()));
  ::fsync(fd);
  ::close(fd);
  ASSERT_TRUE(src.CreateSnapshot("p", "vm", "s2", 0).ok());
  auto ranges = src.ChangedRanges("p", "vm@s1", "vm@s2");
  ASSERT_TRUE(ranges && ranges->has_value());
  sync::ChangeBase base;
  base.base_path = *src.Path("p", "vm@s1");
  for (const auto& r : **ranges) base.changed.push_back({r.offset, r.length});

  auto second = sync_snapshot("vm@s2", base);
  ASSERT_TRUE(second.sender) << second.sender.error().ToString();
  ASSERT_TRUE(second.receiver) << second.receiver.error().ToString();
  EXPECT_EQ(second.sender->discovery, "change-tracking");
  EXPECT_EQ(second.receiver->discovery, "cache");
  EXPECT_LE(second.receiver->chunks_changed, 4u);
  EXPECT_LE(second.sender->bytes_changed, 3 * 4096u + 40960 + 4096);
  EXPECT_EQ(sync::testing::ReadAll(*src.Path("p", "vm@s2")),
            sync::testing::ReadAll(*dst.Path("p", "vm")));
}

}  // namespace
}  // namespace drover::storage
