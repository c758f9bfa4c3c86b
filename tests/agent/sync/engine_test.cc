// The sync engine end to end, in one process: a Receiver on a thread and a
// sender, over CURVE ZeroMQ on loopback, between files in /tmp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/sync/hash_cache.h"
#include "agent/sync/ticket.h"
#include "tests/agent/sync/sync_fixture.h"

namespace drover::sync {
namespace {

using testing::ReadAll;
using testing::ScratchDir;
using testing::SyncFiles;
using testing::WriteAll;

// Random writes the way guests make them: scattered 4 KiB blocks, clustered
// runs, zeroed pages, and writes at the very end of an odd-sized volume.
void MutateVolume(std::vector<uint8_t>& v, std::mt19937_64& rng) {
  if (v.empty()) return;
  std::uniform_int_distribution<int> kind(0, 3);
  int writes = static_cast<int>(rng() % 12);
  for (int i = 0; i < writes; ++i) {
    uint64_t off = rng() % v.size();
    switch (kind(rng)) {
      case 0:
        testing::FillRandom(v, off & ~uint64_t{4095}, 4096, rng);
        break;
      case 1:
        testing::FillRandom(v, off, 4096 * (1 + rng() % 40), rng);
        break;
      case 2:
        std::fill(v.begin() + (off & ~uint64_t{4095}),
                  v.begin() + std::min<uint64_t>(v.size(), (off & ~uint64_t{4095}) + 4096), 0);
        break;
      default:
        testing::FillRandom(v, v.size() - 1 - rng() % std::min<uint64_t>(v.size(), 5000), 5000,
                            rng);
    }
  }
}

RC_GTEST_PROP(SyncProperty, DestinationEndsEqualToSourceOverTwoRounds, ()) {
  ScratchDir dir;
  std::mt19937_64 rng(*rc::gen::arbitrary<uint64_t>());
  const uint64_t size = *rc::gen::inRange<uint64_t>(1, 1536 * 1024);
  std::vector<uint8_t> src(size);
  testing::FillRandom(src, 0, size, rng);
  const bool has_old_copy = *rc::gen::arbitrary<bool>();
  std::vector<uint8_t> dst = src;
  if (has_old_copy) {
    MutateVolume(dst, rng);
    dst.resize(size + (rng() % 3 == 0 ? 70000 : 0));  // a target larger than the source too
  } else {
    dst.clear();
  }
  WriteAll(dir / "src", src);
  WriteAll(dir / "dst", dst);
  const uint32_t rsync_min = *rc::gen::element(0u, 8192u);
  for (int round = 0; round < 2; ++round) {
    auto r = SyncFiles(dir / "src", dir / "dst", dir / "state", [&](SenderOptions& s) {
      s.rsync_min_bytes = rsync_min;
      s.cache_dir = dir / "srccache";
    });
    RC_ASSERT(r.sender.has_value());
    RC_ASSERT(r.receiver.has_value());
    RC_ASSERT(ReadAll(dir / "dst") == src);
    RC_ASSERT(r.sender->content_hash == r.receiver->content_hash);
    // On the wire: the changed bytes, digests, and a little framing per chunk.
    RC_ASSERT(r.receiver->bytes_received <= r.sender->bytes_changed + 16 * r.sender->chunks_total +
                                                300 * r.receiver->chunks_changed + 1024);
    MutateVolume(src, rng);
    WriteAll(dir / "src", src);
  }
}

// The byte ranges where `a` and `b` differ, as a storage driver with exact
// change tracking would report them (ranges often split blocks).
std::vector<ByteRange> DiffRanges(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  std::vector<ByteRange> out;
  for (uint64_t i = 0; i < a.size();) {
    if (a[i] == b[i]) {
      ++i;
      continue;
    }
    uint64_t j = i;
    while (j < a.size() && a[j] != b[j]) ++j;
    out.push_back(ByteRange{i, j - i});
    i = j;
  }
  return out;
}

// Snapshot chains synced with change lists (exact or over-reported): the
// destination ends equal every round, and with its cache valid it reads
// nothing, not even the unchanged blocks of the chunks it patches.
RC_GTEST_PROP(SyncProperty, ChangeListRoundsReadOnlyTheChangedBlocks, ()) {
  ScratchDir dir;
  std::mt19937_64 rng(*rc::gen::arbitrary<uint64_t>());
  const uint64_t size = *rc::gen::inRange<uint64_t>(1, 1536 * 1024);
  std::vector<uint8_t> snap(size);
  testing::FillRandom(snap, 0, size, rng);
  WriteAll(dir / "snap0", snap);
  WriteAll(dir / "dst", {});
  auto cache = [&](SenderOptions& s) { s.cache_dir = dir / "srccache"; };
  RC_ASSERT(SyncFiles(dir / "snap0", dir / "dst", dir / "state", cache).receiver.has_value());
  for (int round = 1; round <= 3; ++round) {
    std::vector<uint8_t> next = snap;
    MutateVolume(next, rng);
    std::vector<ByteRange> changed = DiffRanges(snap, next);
    if (rng() % 2 == 0) changed.push_back(ByteRange{rng() % size, rng() % 20000});  // over-report
    if (rng() % 4 == 0) changed.push_back(ByteRange{size - 1, 100000});             // past the end
    const std::string prev = dir / ("snap" + std::to_string(round - 1));
    const std::string cur = dir / ("snap" + std::to_string(round));
    WriteAll(cur, next);
    // The list as a whole, or asked for region by region.
    const bool by_region = rng() % 2 == 0;
    auto r = SyncFiles(cur, dir / "dst", dir / "state", [&](SenderOptions& s) {
      s.cache_dir = dir / "srccache";
      s.base = ChangeBase{prev, "", changed, {}, {}};
      if (by_region) {
        s.base->find_changed_in = [&](uint64_t, uint64_t) -> Result<std::vector<ByteRange>> {
          return changed;  // the engine clips it to each region
        };
      }
    });
    RC_ASSERT(r.sender.has_value());
    RC_ASSERT(r.receiver.has_value());
    RC_ASSERT(ReadAll(dir / "dst") == next);
    RC_ASSERT(r.sender->content_hash == r.receiver->content_hash);
    RC_ASSERT(r.sender->discovery == std::string("change-tracking"));
    RC_ASSERT(r.receiver->discovery == std::string("cache"));
    RC_ASSERT(r.receiver->bytes_read == 0u);
    RC_ASSERT(r.receiver->chunks_resent == 0u);
    // The listed blocks, read once to hash and (if they differ) once to send.
    const Layout layout{size, kDefaultChunkSize, kDefaultBlockSize};
    uint64_t listed = 0;
    for (uint64_t b : BlocksTouching(layout, changed)) listed += layout.BlockLength(b);
    RC_ASSERT(r.sender->bytes_read <= 2 * listed);
    RC_ASSERT(r.sender->bytes_read >= listed);
    snap = next;
  }
}

// Ranges that split a block, straddle a chunk edge, or end in the last,
// partial block of an odd-sized volume: the whole blocks they touch are sent,
// and only those are read.
TEST(SyncEngineTest, ChangeListRangesAreWidenedToWholeBlocks) {
  ScratchDir dir;
  std::mt19937_64 rng(11);
  const uint64_t size = 1024 * 1024 + 5000;  // last chunk 5000 bytes: blocks of 4096 and 904
  std::vector<uint8_t> v(size);
  testing::FillRandom(v, 0, size, rng);
  WriteAll(dir / "snap1", v);
  WriteAll(dir / "dst", {});
  auto cache = [&](SenderOptions& s) { s.cache_dir = dir / "cache"; };
  ASSERT_TRUE(SyncFiles(dir / "snap1", dir / "dst", dir / "state", cache).receiver);
  std::vector<ByteRange> changed = {{300100, 10},              // inside block 73
                                    {2 * 65536 - 2000, 4000},  // blocks 31 and 32
                                    {size - 500, 500},
                                    {size - 10, 100}};  // block 257, past the end
  for (const ByteRange& r : changed) testing::FillRandom(v, r.offset, r.length, rng);
  WriteAll(dir / "snap2", v);
  auto r = SyncFiles(dir / "snap2", dir / "dst", dir / "state", [&](SenderOptions& s) {
    s.cache_dir = dir / "cache";
    s.base = ChangeBase{dir / "snap1", "", changed, {}, {}};
  });
  ASSERT_TRUE(r.sender) << r.sender.error().ToString();
  ASSERT_TRUE(r.receiver) << r.receiver.error().ToString();
  EXPECT_EQ(ReadAll(dir / "dst"), v);
  EXPECT_EQ(r.sender->bytes_changed, 3 * 4096u + 904u);
  EXPECT_EQ(r.sender->bytes_read, 2 * (3 * 4096u + 904u));
  EXPECT_EQ(r.receiver->bytes_read, 0u);
  EXPECT_EQ(r.receiver->chunks_changed, 4u);  // chunks 1, 2 (the edge), 4 and 16
  EXPECT_EQ(r.receiver->chunks_resent, 0u);
}

// A change list that under-reports cannot be caught by comparing digests:
// the source derives its digests from the list (for the chunks it touches,
// from the listed blocks; for the others, from the base), so they describe
// the content the list claims. The sender does catch it where it reads a
// whole chunk again: a chunk the destination asks for again with block
// digests (here after a corrupted frame) fails the source's own check, and
// the sync stops instead of delivering a wrong copy.
TEST(SyncEngineTest, UnderReportedChangeIsCaughtWhenTheChunkIsReadWhole) {
  ScratchDir dir;
  std::mt19937_64 rng(12);
  std::vector<uint8_t> v(512 * 1024);
  testing::FillRandom(v, 0, v.size(), rng);
  WriteAll(dir / "snap1", v);
  WriteAll(dir / "dst", {});
  auto cache = [&](SenderOptions& s) { s.cache_dir = dir / "cache"; };
  ASSERT_TRUE(SyncFiles(dir / "snap1", dir / "dst", dir / "state", cache).receiver);
  testing::FillRandom(v, 2 * 65536, 4096, rng);          // listed
  testing::FillRandom(v, 2 * 65536 + 20480, 4096, rng);  // same chunk, not listed
  WriteAll(dir / "snap2", v);
  auto r = SyncFiles(dir / "snap2", dir / "dst", dir / "state", [&](SenderOptions& s) {
    s.cache_dir = dir / "cache";
    s.base = ChangeBase{dir / "snap1", "", {ByteRange{2 * 65536, 4096}}, {}, {}};
    s.test_corrupt_chunk = 2;
  });
  ASSERT_FALSE(r.sender);
  EXPECT_EQ(r.sender.error().code(), Code::kAborted) << r.sender.error().ToString();
  EXPECT_NE(r.sender.error().message().find("change list missed a write"), std::string::npos)
      << r.sender.error().ToString();
  EXPECT_FALSE(r.receiver);
}

TEST(SyncEngineTest, SecondRoundReadsNothingAndSendsAlmostNothing) {
  ScratchDir dir;
  std::mt19937_64 rng(1);
  std::vector<uint8_t> src(2 * 1024 * 1024 + 123);
  testing::FillRandom(src, 0, src.size(), rng);
  WriteAll(dir / "src", src);
  WriteAll(dir / "dst", {});
  auto tweak = [&](SenderOptions& s) { s.cache_dir = dir / "srccache"; };
  auto first = SyncFiles(dir / "src", dir / "dst", dir / "state", tweak);
  ASSERT_TRUE(first.sender) << first.sender.error().ToString();
  ASSERT_TRUE(first.receiver) << first.receiver.error().ToString();
  EXPECT_EQ(first.sender->discovery, "hash");
  EXPECT_EQ(first.sender->bytes_changed, src.size());
  auto second = SyncFiles(dir / "src", dir / "dst", dir / "state", tweak);
  ASSERT_TRUE(second.sender && second.receiver);
  EXPECT_EQ(second.sender->discovery, "cache");
  EXPECT_EQ(second.receiver->discovery, "cache");
  EXPECT_EQ(second.sender->bytes_changed, 0u);
  EXPECT_EQ(second.receiver->chunks_changed, 0u);
  EXPECT_LT(second.sender->bytes_sent, 1024u);  // digests of 33 chunks and the framing
}

// `dir`/src with random content, synced once to `dir`/dst (state in
// `dir`/state, so the destination has its digest cache); returns src.
std::vector<uint8_t> RandomSourceSyncedOnce(const ScratchDir& dir, std::mt19937_64& rng) {
  std::vector<uint8_t> src(2 * 1024 * 1024 + 123);
  testing::FillRandom(src, 0, src.size(), rng);
  WriteAll(dir / "src", src);
  WriteAll(dir / "dst", {});
  auto first = SyncFiles(dir / "src", dir / "dst", dir / "state");
  EXPECT_TRUE(first.sender && first.receiver) << "the first round failed";
  return src;
}

// The destination did not trust its loaded digests (it hashed), wrote the
// one chunk that differed, and ended equal to `src`.
void ExpectHashedAndOneChunkWritten(const testing::PairResult& r, const ScratchDir& dir,
                                    const std::vector<uint8_t>& src) {
  ASSERT_TRUE(r.sender) << r.sender.error().ToString();
  ASSERT_TRUE(r.receiver) << r.receiver.error().ToString();
  EXPECT_EQ(r.receiver->discovery, "hash");
  EXPECT_EQ(r.receiver->chunks_changed, 1u);
  EXPECT_EQ(ReadAll(dir / "dst"), src);
}

// The destination loads its cached digests at Bind, before the source's
// Hello. A write to the target after that load must not let the stale
// digests through: here they would call the changed chunk equal to the
// source's, skip it, and leave wrong bytes behind.
TEST(SyncEngineTest, DigestsLoadedAtBindAreDroppedWhenTheTargetChangesAfterwards) {
  ScratchDir dir;
  std::mt19937_64 rng(2);
  const std::vector<uint8_t> src = RandomSourceSyncedOnce(dir, rng);
  bool wrote = false;
  auto write_after_preload = [&](ReceiverOptions& r) {
    r.test_after_preload = [&] {
      std::vector<uint8_t> junk(4096, 0xa5);
      auto bytes = ReadAll(dir / "dst");
      std::copy(junk.begin(), junk.end(), bytes.begin() + 300 * 1024);
      WriteAll(dir / "dst", bytes);
      // Rewriting in the same coarse clock tick as the cached identity's
      // would keep mtime; a fixed old one makes the change certain.
      struct timespec times[2] = {{0, UTIME_OMIT}, {946684800, 0}};
      ASSERT_EQ(::utimensat(AT_FDCWD, (dir / "dst").c_str(), times, 0), 0);
      wrote = true;
    };
  };
  auto second = SyncFiles(dir / "src", dir / "dst", dir / "state", {}, write_after_preload);
  ASSERT_TRUE(wrote);
  ExpectHashedAndOneChunkWritten(second, dir, src);
}

// Digests loaded at Bind have the layout of the last round; a source that
// proposes another gets digests hashed for its own.
TEST(SyncEngineTest, DigestsLoadedAtBindForAnotherLayoutAreNotUsed) {
  ScratchDir dir;
  std::mt19937_64 rng(3);
  std::vector<uint8_t> src = RandomSourceSyncedOnce(dir, rng);
  auto again = SyncFiles(dir / "src", dir / "dst", dir / "state");
  ASSERT_TRUE(again.sender && again.receiver);
  EXPECT_EQ(again.receiver->discovery, "cache");
  testing::FillRandom(src, 70000, 5000, rng);
  WriteAll(dir / "src", src);
  auto wider = SyncFiles(dir / "src", dir / "dst", dir / "state",
                         [](SenderOptions& s) { s.chunk_size = 256 * 1024; });
  ExpectHashedAndOneChunkWritten(wider, dir, src);
}

// Without a cache or a change list both sides hash everything once; after
// that the source reads only the blocks the destination's block keys say
// differ, and the destination reads nothing more (it knows its digests),
// except for librsync: blocks 40-41 are a run of 8 KiB, for which the
// destination reads its chunk 2 to sign it and the source reads it to
// answer with a delta.
TEST(SyncEngineTest, HashRoundReadsOnlyTheDifferingBlocksAgain) {
  ScratchDir dir;
  std::mt19937_64 rng(5);
  std::vector<uint8_t> v(4 * 1024 * 1024 + 1000);
  testing::FillRandom(v, 0, v.size(), rng);
  WriteAll(dir / "dst", v);
  const std::vector<uint64_t> blocks = {3, 40, 41, 700, 1024};  // 1024: the partial last block
  uint64_t changed = 0;
  for (uint64_t b : blocks) {
    const uint64_t len = std::min<uint64_t>(4096, v.size() - b * 4096);
    testing::FillRandom(v, b * 4096, len, rng);
    changed += len;
  }
  WriteAll(dir / "src", v);
  auto r = SyncFiles(dir / "src", dir / "dst", "", [](SenderOptions&) {});
  ASSERT_TRUE(r.sender) << r.sender.error().ToString();
  ASSERT_TRUE(r.receiver) << r.receiver.error().ToString();
  EXPECT_EQ(r.sender->discovery, "hash");
  EXPECT_EQ(r.sender->bytes_changed, changed);
  const uint64_t chunk = 64 * 1024;
  EXPECT_EQ(r.sender->bytes_read, v.size() + changed + chunk);
  EXPECT_EQ(r.receiver->bytes_read, v.size() + chunk);
  EXPECT_EQ(ReadAll(dir / "dst"), v);
}

// A first round of 1 MiB of random bytes "snap1" to "dst" (filling both
// caches), then 4 KiB at `offset` rewritten: the returned bytes, in "snap2".
std::vector<uint8_t> SyncedThenChanged(const ScratchDir& dir, uint64_t offset, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> v(1024 * 1024);
  testing::FillRandom(v, 0, v.size(), rng);
  WriteAll(dir / "snap1", v);
  WriteAll(dir / "dst", {});
  auto r1 = SyncFiles(dir / "snap1", dir / "dst", dir / "state",
                      [&](SenderOptions& s) { s.cache_dir = dir / "cache"; });
  EXPECT_TRUE(r1.sender && r1.receiver) << "the first round failed";
  testing::FillRandom(v, offset, 4096, rng);
  WriteAll(dir / "snap2", v);
  return v;
}

TEST(SyncEngineTest, AChangeReachingPastTheEndOfEverythingCountsToTheEnd) {
  EXPECT_EQ(BlocksTouching(Layout{3 * 4096, 65536, 4096}, {ByteRange{4096, UINT64_MAX}}),
            (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(ChunksTouching(Layout{3 * 65536, 65536, 4096}, {ByteRange{65536, UINT64_MAX}}),
            (std::vector<uint64_t>{1, 2}));
}

TEST(SyncEngineTest, ChangeTrackingRehashesOnlyTheChangedChunks) {
  ScratchDir dir;
  std::vector<uint8_t> v = SyncedThenChanged(dir, 300000, 2);
  auto r2 = SyncFiles(dir / "snap2", dir / "dst", dir / "state", [&](SenderOptions& s) {
    s.cache_dir = dir / "cache";
    s.base = ChangeBase{dir / "snap1", "", {ByteRange{300000, 4096}}, {}, {}};
  });
  ASSERT_TRUE(r2.sender) << r2.sender.error().ToString();
  ASSERT_TRUE(r2.receiver);
  EXPECT_EQ(r2.sender->discovery, "change-tracking");
  EXPECT_EQ(r2.receiver->chunks_changed, 1u);  // 300000..304096 lies in chunk 4
  EXPECT_EQ(r2.sender->bytes_changed, 8192u);  // two 4 KiB blocks: the write straddles one edge
  EXPECT_EQ(ReadAll(dir / "dst"), v);
}

// A change list found on the discovery thread (ChangeBase::find_changed) is
// used like one given up front; one that cannot be found makes the round
// hash, says why, and still leaves an exact copy.
TEST(SyncEngineTest, DeferredChangeListIsUsedAndAFailedOneFallsBackToHashing) {
  for (bool fails : {false, true}) {
    SCOPED_TRACE(fails ? "find_changed fails" : "find_changed answers");
    ScratchDir dir;
    std::vector<uint8_t> v = SyncedThenChanged(dir, 5 * 65536, 9);
    std::atomic<int> asked{0};
    auto r2 = SyncFiles(dir / "snap2", dir / "dst", dir / "state", [&](SenderOptions& s) {
      s.cache_dir = dir / "cache";
      s.base = ChangeBase{dir / "snap1", "", {}, {}, {}};
      s.base->find_changed = [&]() -> Result<std::vector<ByteRange>> {
        ++asked;
        if (fails) return Err(Unavailable("test: no answer"));
        return std::vector<ByteRange>{ByteRange{5 * 65536, 4096}};
      };
    });
    ASSERT_TRUE(r2.sender) << r2.sender.error().ToString();
    ASSERT_TRUE(r2.receiver) << r2.receiver.error().ToString();
    EXPECT_EQ(asked.load(), 1);
    EXPECT_EQ(r2.sender->discovery, fails ? "hash" : "change-tracking");
    EXPECT_EQ(r2.sender->discovery_note.empty(), !fails) << r2.sender->discovery_note;
    if (!fails) {
      EXPECT_EQ(r2.sender->bytes_read, 2 * 4096u);  // hashed once, sent once
    }
    EXPECT_EQ(r2.receiver->chunks_changed, 1u);
    EXPECT_EQ(ReadAll(dir / "dst"), v);
  }
}

// A volume of three discovery regions (1024 chunks each: 4 KiB chunks here),
// synced once with caches, then two blocks rewritten in the first and last
// region: the returned bytes, in "snap2".
std::vector<uint8_t> ThreeRegionsSyncedThenChanged(const ScratchDir& dir) {
  std::mt19937_64 rng(21);
  std::vector<uint8_t> v(10 * 1024 * 1024 + 512);
  testing::FillRandom(v, 0, v.size(), rng);
  WriteAll(dir / "snap1", v);
  WriteAll(dir / "dst", {});
  auto r1 = SyncFiles(dir / "snap1", dir / "dst", dir / "state", [&](SenderOptions& s) {
    s.cache_dir = dir / "cache";
    s.chunk_size = 4096;
  });
  EXPECT_TRUE(r1.sender && r1.receiver) << "the first round failed";
  testing::FillRandom(v, 100 * 4096, 4096, rng);
  testing::FillRandom(v, 2500 * 4096, 4096, rng);
  WriteAll(dir / "snap2", v);
  return v;
}

// Region by region (ChangeBase::find_changed_in), the digests of the first
// regions reach the destination, and are compared there, while a later
// region is still being examined.
TEST(SyncEngineTest, RegionalChangeListStreamsTheFirstRegionsEarly) {
  ScratchDir dir;
  std::vector<uint8_t> v = ThreeRegionsSyncedThenChanged(dir);
  const uint64_t region = 1024 * 4096;
  std::vector<std::pair<uint64_t, uint64_t>> asked;
  std::atomic<uint64_t> compared{0};
  bool compared_before_last = false;
  auto r2 = SyncFiles(dir / "snap2", dir / "dst", dir / "state", [&](SenderOptions& s) {
    s.cache_dir = dir / "cache";
    s.chunk_size = 4096;
    s.progress = [&](const Progress& p) { compared = p.chunks_done; };
    s.base = ChangeBase{dir / "snap1", "", {}, {}, {}};
    s.base->find_changed_in = [&](uint64_t begin, uint64_t end) -> Result<std::vector<ByteRange>> {
      asked.emplace_back(begin, end);
      if (begin == 2 * region) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (compared.load() == 0 && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        compared_before_last = compared.load() > 0;
        return std::vector<ByteRange>{ByteRange{2500 * 4096, 4096}};
      }
      if (begin == 0) return std::vector<ByteRange>{ByteRange{100 * 4096, 4096}};
      return std::vector<ByteRange>{};
    };
  });
  ASSERT_TRUE(r2.sender) << r2.sender.error().ToString();
  ASSERT_TRUE(r2.receiver) << r2.receiver.error().ToString();
  EXPECT_EQ(r2.sender->discovery, "change-tracking");
  EXPECT_TRUE(r2.sender->discovery_note.empty()) << r2.sender->discovery_note;
  EXPECT_TRUE(compared_before_last);
  EXPECT_EQ(asked, (std::vector<std::pair<uint64_t, uint64_t>>{
                       {0, region}, {region, 2 * region}, {2 * region, v.size()}}));
  EXPECT_EQ(r2.sender->bytes_read, 4 * 4096u);  // two blocks, each hashed once and sent once
  EXPECT_EQ(r2.receiver->chunks_changed, 2u);
  EXPECT_EQ(ReadAll(dir / "dst"), v);
}

// The second round of ThreeRegionsSyncedThenChanged, its change list asked
// region by region from `find_in`.
testing::PairResult SyncByRegion(
    const ScratchDir& dir,
    std::function<Result<std::vector<ByteRange>>(uint64_t, uint64_t)> find_in) {
  return SyncFiles(dir / "snap2", dir / "dst", dir / "state", [&](SenderOptions& s) {
    s.cache_dir = dir / "cache";
    s.chunk_size = 4096;
    s.base = ChangeBase{dir / "snap1", "", {}, {}, std::move(find_in)};
  });
}

// A driver's answer out of order, overlapping, reaching past its region or
// past the end of everything is clipped and merged, never trusted as is.
TEST(SyncEngineTest, AnUntidyRegionalAnswerIsClippedAndMerged) {
  ScratchDir dir;
  std::vector<uint8_t> v = ThreeRegionsSyncedThenChanged(dir);
  const uint64_t region = 1024 * 4096;
  auto r2 = SyncByRegion(dir, [&](uint64_t begin, uint64_t) -> Result<std::vector<ByteRange>> {
    if (begin == 0) {
      return std::vector<ByteRange>{ByteRange{100 * 4096 + 1000, 100}, ByteRange{5 * region, 4096},
                                    ByteRange{100 * 4096, 4096}};
    }
    if (begin == 2 * region) return std::vector<ByteRange>{ByteRange{2500 * 4096, UINT64_MAX}};
    return std::vector<ByteRange>{};
  });
  ASSERT_TRUE(r2.sender) << r2.sender.error().ToString();
  ASSERT_TRUE(r2.receiver) << r2.receiver.error().ToString();
  EXPECT_EQ(r2.sender->discovery, "change-tracking");
  EXPECT_EQ(r2.receiver->chunks_changed, 2u);
  EXPECT_EQ(ReadAll(dir / "dst"), v);
}

// A region whose change list cannot be found is hashed whole; the others
// still use theirs, and the copy is exact.
TEST(SyncEngineTest, ARegionWithoutAChangeListIsHashedThere) {
  ScratchDir dir;
  std::vector<uint8_t> v = ThreeRegionsSyncedThenChanged(dir);
  const uint64_t region = 1024 * 4096;
  auto r2 = SyncByRegion(dir, [&](uint64_t begin, uint64_t) -> Result<std::vector<ByteRange>> {
    if (begin == 2 * region) return Err(Unavailable("test: no answer"));
    if (begin == 0) return std::vector<ByteRange>{ByteRange{100 * 4096, 4096}};
    return std::vector<ByteRange>{};
  });
  ASSERT_TRUE(r2.sender) << r2.sender.error().ToString();
  ASSERT_TRUE(r2.receiver) << r2.receiver.error().ToString();
  EXPECT_EQ(r2.sender->discovery, "change-tracking");
  EXPECT_NE(r2.sender->discovery_note.find("test: no answer"), std::string::npos)
      << r2.sender->discovery_note;
  // The last region (10 MiB + 512 - 8 MiB) was read whole to hash it.
  EXPECT_GE(r2.sender->bytes_read, v.size() - 2 * region);
  EXPECT_EQ(ReadAll(dir / "dst"), v);
}

// The destination holds another version than the source's base: the change
// list alone cannot rebuild those chunks; the chunk check catches it and the
// retry compares blocks.
TEST(SyncEngineTest, ChangeListAgainstADifferentDestinationFallsBackToBlockCompare) {
  ScratchDir dir;
  std::mt19937_64 rng(6);
  std::vector<uint8_t> base(1024 * 1024);
  testing::FillRandom(base, 0, base.size(), rng);
  std::vector<uint8_t> other = base;
  testing::FillRandom(other, 3 * 65536 + 8192, 100, rng);  // differs in chunk 3
  testing::FillRandom(other, 9 * 65536, 100, rng);         // and chunk 9
  WriteAll(dir / "base", base);
  WriteAll(dir / "other", other);
  WriteAll(dir / "dst", {});
  auto tweak = [&](SenderOptions& s) { s.cache_dir = dir / "cache"; };
  WriteAll(dir / "scratch-dst", {});
  // Fills the source's cache entry of "base"; the destination takes "other".
  ASSERT_TRUE(SyncFiles(dir / "base", dir / "scratch-dst", "", tweak).sender);
  ASSERT_TRUE(SyncFiles(dir / "other", dir / "dst", dir / "state", tweak).receiver);
  std::vector<uint8_t> next = base;
  testing::FillRandom(next, 3 * 65536 + 40000, 4096, rng);
  WriteAll(dir / "next", next);
  auto r = SyncFiles(dir / "next", dir / "dst", dir / "state", [&](SenderOptions& s) {
    s.cache_dir = dir / "cache";
    s.base = ChangeBase{dir / "base", "", {ByteRange{3 * 65536 + 40000, 4096}}, {}, {}};
  });
  ASSERT_TRUE(r.sender) << r.sender.error().ToString();
  ASSERT_TRUE(r.receiver) << r.receiver.error().ToString();
  EXPECT_EQ(r.sender->discovery, "change-tracking");
  EXPECT_EQ(r.receiver->discovery, "cache");
  EXPECT_EQ(r.receiver->chunks_resent, 2u);  // chunks 3 and 9
  EXPECT_EQ(ReadAll(dir / "dst"), next);
}

// A resume point belongs to the content it was saved for: a source_id
// reused for another snapshot must not make the destination skip chunks.
TEST(SyncEngineTest, ResumePointOfOtherContentUnderTheSameSourceIdIsNotTrusted) {
  ScratchDir dir;
  std::mt19937_64 rng(8);
  std::vector<uint8_t> src(4 << 20);
  testing::FillRandom(src, 0, src.size(), rng);
  WriteAll(dir / "src", src);
  WriteAll(dir / "dst", {});
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    for (int i = 0; i < 1000 && !cancel; ++i) {
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(dir / "state", ec)) {
        if (e.path().extension() != ".resume") continue;
        auto bytes = ReadAll(e.path());
        auto j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
        if (j.is_object() && j.value("next_chunk", uint64_t{0}) > 0) cancel = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  auto first = SyncFiles(
      dir / "src", dir / "dst", dir / "state",
      [](SenderOptions& s) {
        s.source_id = "pool/vol";
        s.bandwidth_bytes_per_s = 2 << 20;
      },
      [&](ReceiverOptions& r) {
        r.cancel = &cancel;
        r.resume_interval = std::chrono::milliseconds(10);
      });
  cancel = true;
  canceller.join();
  ASSERT_FALSE(first.receiver);
  EXPECT_EQ(first.receiver.error().code(), Code::kAborted);
  testing::FillRandom(src, 0, 256 * 1024, rng);  // other content, same source_id
  WriteAll(dir / "src", src);
  auto second = SyncFiles(dir / "src", dir / "dst", dir / "state",
                          [](SenderOptions& s) { s.source_id = "pool/vol"; });
  ASSERT_TRUE(second.sender) << second.sender.error().ToString();
  ASSERT_TRUE(second.receiver) << second.receiver.error().ToString();
  EXPECT_EQ(second.receiver->resumed_from_chunk, 0u);
  EXPECT_EQ(ReadAll(dir / "dst"), src);
}

TEST(SyncEngineTest, CorruptedChunkOnTheWireIsDetectedAndSentAgain) {
  ScratchDir dir;
  std::mt19937_64 rng(3);
  std::vector<uint8_t> src(512 * 1024);
  testing::FillRandom(src, 0, src.size(), rng);
  auto dst = src;
  testing::FillRandom(src, 3 * 65536 + 100, 3000, rng);  // changes chunk 3
  WriteAll(dir / "src", src);
  WriteAll(dir / "dst", dst);
  auto r = SyncFiles(dir / "src", dir / "dst", dir / "state",
                     [](SenderOptions& s) { s.test_corrupt_chunk = 3; });
  ASSERT_TRUE(r.sender) << r.sender.error().ToString();
  ASSERT_TRUE(r.receiver) << r.receiver.error().ToString();
  EXPECT_EQ(r.receiver->chunks_resent, 1u);
  EXPECT_EQ(ReadAll(dir / "dst"), src);
}

TEST(SyncEngineTest, WrongTicketIsRefusedAndTheRightOneStillWorksOnce) {
  ScratchDir dir;
  std::vector<uint8_t> src(300000, 7);
  WriteAll(dir / "src", src);
  WriteAll(dir / "dst", {});
  const auto& keys = testing::TestKeys();
  ReceiverOptions ro;
  ro.ticket = *NewTicket();
  ro.source_public_key = keys.source.public_z85;
  ro.own_keys = keys.destination;
  ro.target_path = dir / "dst";
  ro.accept_timeout = std::chrono::milliseconds(10000);
  auto receiver = Receiver::Bind(ro);
  ASSERT_TRUE(receiver);
  Result<SyncReport> received = Err(Internal("not run"));
  std::thread t([&] { received = (*receiver)->Run(); });
  SenderOptions so;
  so.endpoint = (*receiver)->endpoint();
  so.server_public_key = keys.destination.public_z85;
  so.own_keys = keys.source;
  so.source_path = dir / "src";
  so.peer_timeout = std::chrono::milliseconds(3000);

  so.ticket = *NewTicket();  // a ticket nobody issued
  auto wrong = RunSender(so);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), Code::kPermissionDenied);
  EXPECT_NE(wrong.error().message().find("wrong transfer ticket"), std::string::npos);

  so.ticket = ro.ticket;
  auto right = RunSender(so);
  ASSERT_TRUE(right) << right.error().ToString();
  t.join();
  ASSERT_TRUE(received);
  EXPECT_EQ(ReadAll(dir / "dst"), src);
}

TEST(SyncEngineTest, ReusedTicketIsRefusedWhileTheSessionRuns) {
  ScratchDir dir;
  std::mt19937_64 rng(4);
  std::vector<uint8_t> src(1024 * 1024);
  testing::FillRandom(src, 0, src.size(), rng);
  WriteAll(dir / "src", src);
  WriteAll(dir / "dst", {});
  const auto& keys = testing::TestKeys();
  ReceiverOptions ro;
  ro.ticket = *NewTicket();
  ro.source_public_key = keys.source.public_z85;
  ro.own_keys = keys.destination;
  ro.target_path = dir / "dst";
  auto receiver = Receiver::Bind(ro);
  ASSERT_TRUE(receiver);
  Result<SyncReport> received = Err(Internal("not run"));
  std::thread t([&] { received = (*receiver)->Run(); });
  SenderOptions so;
  so.endpoint = (*receiver)->endpoint();
  so.server_public_key = keys.destination.public_z85;
  so.own_keys = keys.source;
  so.ticket = ro.ticket;
  so.source_path = dir / "src";
  so.bandwidth_bytes_per_s = 1 << 20;  // about a second
  Result<SyncReport> first = Err(Internal("not run"));
  std::thread s1([&] { first = RunSender(so); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  so.bandwidth_bytes_per_s = 0;
  auto replay = RunSender(so);
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code(), Code::kPermissionDenied);
  EXPECT_NE(replay.error().message().find("already used"), std::string::npos);
  s1.join();
  t.join();
  ASSERT_TRUE(first) << first.error().ToString();
  ASSERT_TRUE(received);
  EXPECT_EQ(ReadAll(dir / "dst"), src);
}

TEST(SyncEngineTest, KeyNotNamedByTheTicketFailsTheHandshake) {
  ScratchDir dir;
  WriteAll(dir / "src", std::vector<uint8_t>(1000, 1));
  WriteAll(dir / "dst", {});
  auto res = SyncFiles(
      dir / "src", dir / "dst", "",
      [&](SenderOptions& s) {
        s.own_keys = testing::TestKeys().stranger;
        s.peer_timeout = std::chrono::milliseconds(3000);
      },
      [&](ReceiverOptions& ro) { ro.accept_timeout = std::chrono::milliseconds(1500); });
  ASSERT_FALSE(res.sender);
  EXPECT_EQ(res.sender.error().code(), Code::kPermissionDenied) << res.sender.error().ToString();
  ASSERT_FALSE(res.receiver);
  EXPECT_EQ(res.receiver.error().code(), Code::kTimeout);
  EXPECT_TRUE(ReadAll(dir / "dst").empty());
}

}  // namespace
}  // namespace drover::sync
