// The hash cache: entries are overwritten in place, so what Load accepts
// must be exactly one Store's content, never a mix of two, never stale.
#include "agent/sync/hash_cache.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/agent/sync/sync_fixture.h"

namespace drover::sync {
namespace {

using testing::ReadAll;
using testing::ScratchDir;
using testing::WriteAll;

constexpr char kVolume[] = "/dev/vg0/guest-disk";

FileIdentity Identity(int64_t mtime_ns) {
  FileIdentity id;
  id.dev = 2049;
  id.ino = 77;
  id.size = 3 * 1024 * 1024 + 4096;
  id.mtime_ns = mtime_ns;
  id.ctime_ns = mtime_ns;
  return id;
}

Layout LayoutOf(uint64_t size) { return Layout{size, kDefaultChunkSize, kDefaultBlockSize}; }

VolumeDigests RandomDigests(const Layout& layout, uint64_t seed) {
  std::mt19937_64 rng(seed);
  VolumeDigests d;
  for (uint64_t c = 0; c < layout.chunk_count(); ++c) d.chunks.push_back(Digest{rng(), rng()});
  for (uint64_t b = 0; b < layout.block_count(); ++b) d.blocks.push_back(Digest{rng(), rng()});
  return d;
}

void ExpectSame(const VolumeDigests& a, const VolumeDigests& b) {
  EXPECT_TRUE(a.chunks == b.chunks);
  EXPECT_TRUE(a.blocks == b.blocks);
}

TEST(HashCacheTest, LoadsWhatWasStoredForTheSameIdentityOnly) {
  ScratchDir dir;
  HashCache cache(dir / "cache");
  const Layout layout = LayoutOf(Identity(1).size);
  const VolumeDigests d = RandomDigests(layout, 1);
  ASSERT_TRUE(cache.Store(kVolume, Identity(1), layout, d).ok());
  auto loaded = cache.Load(kVolume, Identity(1), layout);
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  ExpectSame(*loaded, d);

  auto written_since = cache.Load(kVolume, Identity(2), layout);
  ASSERT_FALSE(written_since);
  EXPECT_NE(written_since.error().message().find("stale"), std::string::npos);
  EXPECT_FALSE(cache.Load("/dev/vg0/other", Identity(1), layout));
}

TEST(HashCacheTest, TellsTheLayoutAnEntryWasStoredWith) {
  ScratchDir dir;
  HashCache cache(dir / "cache");
  EXPECT_EQ(cache.StoredLayout(kVolume).error().code(), Code::kNotFound);
  const Layout layout{Identity(1).size, 256 * 1024, 8192};
  ASSERT_TRUE(cache.Store(kVolume, Identity(1), layout, RandomDigests(layout, 1)).ok());
  auto stored = cache.StoredLayout(kVolume);
  ASSERT_TRUE(stored) << stored.error().ToString();
  EXPECT_TRUE(*stored == layout);
  // A header with an impossible layout is no entry (a chunk of zero bytes
  // would divide by zero in every later use).
  auto bytes = ReadAll(cache.EntryPath(kVolume));
  std::fill(bytes.begin() + 8 + 8 * 8, bytes.begin() + 8 + 9 * 8, 0);
  WriteAll(cache.EntryPath(kVolume), bytes);
  auto damaged = cache.StoredLayout(kVolume);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code(), Code::kNotFound);
  EXPECT_FALSE(HashCache("").StoredLayout(kVolume));
}

TEST(HashCacheTest, ASmallerEntryReplacesALargerOneWhole) {
  ScratchDir dir;
  HashCache cache(dir / "cache");
  FileIdentity big = Identity(1), small = Identity(2);
  small.size = 1024 * 1024;
  ASSERT_TRUE(
      cache.Store(kVolume, big, LayoutOf(big.size), RandomDigests(LayoutOf(big.size), 1)).ok());
  const VolumeDigests d = RandomDigests(LayoutOf(small.size), 2);
  ASSERT_TRUE(cache.Store(kVolume, small, LayoutOf(small.size), d).ok());
  auto loaded = cache.Load(kVolume, small, LayoutOf(small.size));
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  ExpectSame(*loaded, d);
  EXPECT_FALSE(cache.Load(kVolume, big, LayoutOf(big.size)));
}

// A crash (or a reader) in the middle of an overwrite: the new entry's first
// bytes over the old entry's rest. The old checksum matches the old lists,
// so only a checksum that covers the header catches it.
TEST(HashCacheTest, AnEntryTornBetweenTwoStoresIsRefused) {
  ScratchDir dir;
  HashCache cache(dir / "cache");
  const Layout layout = LayoutOf(Identity(1).size);
  ASSERT_TRUE(cache.Store(kVolume, Identity(1), layout, RandomDigests(layout, 1)).ok());
  const std::vector<uint8_t> old_entry = ReadAll(cache.EntryPath(kVolume));
  ASSERT_TRUE(cache.Store(kVolume, Identity(2), layout, RandomDigests(layout, 2)).ok());
  const std::vector<uint8_t> new_entry = ReadAll(cache.EntryPath(kVolume));
  ASSERT_EQ(old_entry.size(), new_entry.size());

  // 88: the header alone is new (magic and ten 64-bit fields).
  for (size_t cut : {size_t{88}, size_t{4096}, new_entry.size() / 2, new_entry.size() - 16}) {
    std::vector<uint8_t> torn(new_entry.begin(), new_entry.begin() + cut);
    torn.insert(torn.end(), old_entry.begin() + cut, old_entry.end());
    WriteAll(cache.EntryPath(kVolume), torn);
    auto loaded = cache.Load(kVolume, Identity(2), layout);
    ASSERT_FALSE(loaded) << "torn at " << cut;
    EXPECT_NE(loaded.error().message().find("damaged"), std::string::npos);
    EXPECT_FALSE(cache.Load(kVolume, Identity(1), layout));
  }
}

TEST(HashCacheTest, AFlippedBitIsRefused) {
  ScratchDir dir;
  HashCache cache(dir / "cache");
  const Layout layout = LayoutOf(Identity(1).size);
  ASSERT_TRUE(cache.Store(kVolume, Identity(1), layout, RandomDigests(layout, 1)).ok());
  std::vector<uint8_t> entry = ReadAll(cache.EntryPath(kVolume));
  entry[entry.size() / 3] ^= 0x10;
  WriteAll(cache.EntryPath(kVolume), entry);
  EXPECT_FALSE(cache.Load(kVolume, Identity(1), layout));
}

TEST(HashCacheTest, ADisabledCacheStoresNothingAndFindsNothing) {
  HashCache cache("");
  const Layout layout = LayoutOf(Identity(1).size);
  EXPECT_TRUE(cache.Store(kVolume, Identity(1), layout, RandomDigests(layout, 1)).ok());
  EXPECT_FALSE(cache.Load(kVolume, Identity(1), layout));
}

}  // namespace
}  // namespace drover::sync
