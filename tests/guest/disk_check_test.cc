#include "tests/guest/disk_check.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace drover::guest {
namespace {

// An image as the guest leaves it after writing counters 1..top in order.
std::vector<uint8_t> Written(uint64_t blocks, uint64_t top) {
  std::vector<uint8_t> img(blocks * kBlockSize, 0);
  for (uint64_t n = 1; n <= top; ++n) {
    uint64_t s = n % blocks;
    EncodeBlock(n, s, std::span<uint8_t>(img.data() + s * kBlockSize, kBlockSize));
  }
  return img;
}

TEST(DiskCheck, EmptyImageIsGood) {
  auto r = CheckImage(Written(16, 0), std::nullopt);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.max_counter, 0u);
  EXPECT_EQ(r.blocks, 16u);
}

TEST(DiskCheck, GoodImagesBeforeAndAfterWrapping) {
  for (uint64_t top : {1u, 7u, 16u, 17u, 100u}) {
    auto r = CheckImage(Written(16, top), top);
    EXPECT_TRUE(r.ok()) << top << ": " << r.Summary();
    EXPECT_EQ(r.max_counter, top);
  }
}

TEST(DiskCheck, TornBlockIsFound) {
  auto img = Written(16, 40);
  img[5 * kBlockSize + 2000] ^= 1;  // the tail of block 5 from another write
  auto r = CheckImage(img, 40);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.torn, 1u);
  ASSERT_FALSE(r.problems.empty());
  EXPECT_EQ(r.problems[0].kind, DiskProblem::Kind::kTorn);
  EXPECT_EQ(r.problems[0].slot, 5u);
}

TEST(DiskCheck, HalfWrittenBlockIsTorn) {
  auto img = Written(16, 40);
  // The first sector of block 3 never reached the disk.
  std::fill(img.begin() + 3 * kBlockSize, img.begin() + 3 * kBlockSize + 512, 0);
  EXPECT_EQ(CheckImage(img, std::nullopt).torn, 1u);
}

TEST(DiskCheck, LostWriteLeavesOlderCounter) {
  auto img = Written(16, 40);
  // Counter 37 (slot 5) never reached the disk: slot 5 still holds 21.
  EncodeBlock(21, 5, std::span<uint8_t>(img.data() + 5 * kBlockSize, kBlockSize));
  auto r = CheckImage(img, 40);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.lost, 1u);
  EXPECT_EQ(r.torn, 0u);
  EXPECT_EQ(r.problems[0].expected, 37u);
  EXPECT_EQ(r.problems[0].found, 21u);
}

TEST(DiskCheck, LostWriteLeavesEmptyBlock) {
  auto img = Written(16, 10);
  std::fill(img.begin() + 4 * kBlockSize, img.begin() + 5 * kBlockSize, 0);
  auto r = CheckImage(img, std::nullopt);
  EXPECT_EQ(r.lost, 1u);
  EXPECT_EQ(r.problems[0].found, 0u);
}

TEST(DiskCheck, ReportedCounterMissingIsLost) {
  // The guest said 50, the image ends at 45: the last five writes are lost.
  auto r = CheckImage(Written(16, 45), 50);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.lost, 5u);
}

TEST(DiskCheck, MisdirectedCounterIsFound) {
  auto img = Written(16, 40);
  // A well-formed block for slot 6 whose counter (23 = 7 mod 16) belongs to slot 7.
  EncodeBlock(23, 6, std::span<uint8_t>(img.data() + 6 * kBlockSize, kBlockSize));
  EXPECT_FALSE(CheckImage(img, std::nullopt).ok());
}

TEST(DiskCheck, FileReaderAndErrors) {
  char path[] = "/tmp/diskcheck-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  EXPECT_FALSE(CheckImageFile(path, std::nullopt).has_value());  // empty file
  auto img = Written(8, 20);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<char*>(img.data()), img.size());
  auto r = CheckImageFile(path, 20);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(r->ok());
  std::remove(path);
  EXPECT_FALSE(CheckImageFile("/nonexistent/image", std::nullopt).has_value());
}

// Any in-order history checks good; dropping any one write that was not later
// overwritten makes it fail.
RC_GTEST_PROP(DiskCheck, DroppingOneWriteIsAlwaysFound, ()) {
  const uint64_t blocks = *rc::gen::inRange<uint64_t>(1, 32);
  const uint64_t top = *rc::gen::inRange<uint64_t>(1, 200);
  auto img = Written(blocks, top);
  RC_ASSERT(CheckImage(img, top).ok());
  const uint64_t victim = *rc::gen::inRange<uint64_t>(top > blocks ? top - blocks + 1 : 1, top + 1);
  uint64_t s = victim % blocks;
  std::fill(img.begin() + s * kBlockSize, img.begin() + (s + 1) * kBlockSize, 0);
  if (victim > blocks) {
    EncodeBlock(victim - blocks, s, std::span<uint8_t>(img.data() + s * kBlockSize, kBlockSize));
  }
  RC_ASSERT(!CheckImage(img, top).ok());
}

}  // namespace
}  // namespace drover::guest
