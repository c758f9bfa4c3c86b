// Unit tests for the sync stages that need no network: message codec,
// librsync and zstd wrappers, chunk planning and patching.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <random>

#include "agent/sync/apply.h"
#include "agent/sync/compress.h"
#include "agent/sync/encode.h"
#include "agent/sync/hash.h"
#include "agent/sync/message.h"
#include "agent/sync/rsync_codec.h"

namespace drover::sync {
namespace {

std::vector<uint8_t> Random(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(MessageTest, RoundTripsEveryType) {
  Data d;
  d.chunk = 7;
  d.literals.push_back(Literal{4096, 10, Compress(Random(10, 1))});
  d.runs.push_back(Span{0, 8192});
  std::vector<Message> all = {Hello{1, "t0123456789abcdef", "src", 123, 65536, 4096},
                              Welcome{5, 16},
                              Refuse{7, "no"},
                              Hashes{3, {Digest{1, 2}, Digest{3, 4}}},
                              HashesEnd{Digest{9, 9}},
                              Credit{1, 99},
                              Request{4, {1, 2, 3}},
                              d,
                              Sig{4, {{1, 2, 3}}},
                              Delta{4, {Compress(Random(100, 2))}},
                              Final{true, "ok", Digest{5, 6}},
                              Ping{},
                              RequestBatch{{Request{1, {}}, Request{2, {7, 8}}}},
                              DataBatch{{d, d}}};
  for (const Message& m : all) {
    auto frame = Encode(m);
    auto back = Decode(frame);
    ASSERT_TRUE(back) << MessageName(m) << ": " << back.error().ToString();
    EXPECT_EQ(back->index(), m.index());
    EXPECT_EQ(Encode(*back), frame) << MessageName(m);
    // Encode sizes its frame before writing it: one allocation, no growth.
    EXPECT_EQ(frame.capacity(), frame.size()) << MessageName(m);
  }
}

TEST(MessageTest, RejectsTruncatedUnknownAndTrailingBytes) {
  auto frame = Encode(Hashes{0, {Digest{1, 2}, Digest{3, 4}}});
  for (size_t cut = 0; cut < frame.size(); ++cut) {
    EXPECT_FALSE(Decode(std::span<const uint8_t>(frame.data(), cut))) << cut;
  }
  frame.push_back(0);
  EXPECT_FALSE(Decode(frame));
  std::vector<uint8_t> unknown = {200, 1, 2};
  EXPECT_FALSE(Decode(unknown));
  std::vector<uint8_t> zero = {0};
  EXPECT_FALSE(Decode(zero));
}

RC_GTEST_PROP(MessageProperty, ArbitraryBytesNeverCrash, (std::vector<uint8_t> bytes)) {
  auto m = Decode(bytes);
  if (m) RC_ASSERT(Encode(*m) == bytes);
}

TEST(CompressTest, KeepsIncompressibleRawAndRoundTrips) {
  auto random = Random(4096, 3);
  Packed p = Compress(random);
  EXPECT_FALSE(p.compressed);
  std::vector<uint8_t> zeros(4096, 0);
  Packed z = Compress(zeros);
  EXPECT_TRUE(z.compressed);
  EXPECT_LT(z.bytes.size(), 100u);
  EXPECT_EQ(*Decompress(z, 4096), zeros);
  EXPECT_FALSE(Decompress(z, 4095));  // longer than allowed
  z.bytes[z.bytes.size() / 2] ^= 0xff;
  auto bad = Decompress(z, 4096);
  EXPECT_TRUE(!bad || *bad != zeros);
}

TEST(RsyncCodecTest, DeltaOfShiftedDataIsSmallAndPatches) {
  auto old_bytes = Random(64 * 1024, 4);
  std::vector<uint8_t> new_bytes(old_bytes.begin() + 100, old_bytes.end());
  new_bytes.insert(new_bytes.end(), 100, 0x42);  // shifted by 100 bytes
  auto sig = RsyncSignature(old_bytes, 4096);
  ASSERT_TRUE(sig);
  auto delta = RsyncDelta(*sig, new_bytes);
  ASSERT_TRUE(delta);
  EXPECT_LT(delta->size(), 9000u);  // most blocks found at their new offsets
  auto patched = RsyncPatch(old_bytes, *delta, new_bytes.size());
  ASSERT_TRUE(patched);
  EXPECT_EQ(*patched, new_bytes);
  EXPECT_FALSE(RsyncPatch(old_bytes, *delta, new_bytes.size() + 1));
  std::vector<uint8_t> garbage = {1, 2, 3, 4, 5};
  EXPECT_FALSE(RsyncPatch(old_bytes, garbage, 10));
}

// A changed chunk travels as literals and librsync runs and comes out equal.
RC_GTEST_PROP(ChunkProperty, PlanThenPatchRebuildsTheSource, ()) {
  const uint32_t len = *rc::gen::inRange<uint32_t>(1, 64 * 1024 + 1);
  auto old_bytes = Random(len, *rc::gen::arbitrary<uint32_t>());
  auto new_bytes = old_bytes;
  const int writes = *rc::gen::inRange(0, 6);
  for (int i = 0; i < writes; ++i) {
    uint32_t off = *rc::gen::inRange<uint32_t>(0, len);
    uint32_t n = *rc::gen::inRange<uint32_t>(1, std::min<uint32_t>(len - off, 20000) + 1);
    uint8_t fill = *rc::gen::arbitrary<uint8_t>();
    for (uint32_t k = 0; k < n; ++k) new_bytes[off + k] = static_cast<uint8_t>(fill + k * 7);
  }
  EncodeOptions eo;
  eo.rsync_min_bytes = *rc::gen::element(0u, 4096u, 8192u);
  Data data;
  uint64_t changed = PlanChunk(new_bytes, BlockKeys(old_bytes, eo.block_size), eo, data);
  RC_ASSERT(changed <= len);
  if (old_bytes == new_bytes) RC_ASSERT(changed == 0u);
  ChunkPatch patch(old_bytes);
  RC_ASSERT(patch.ApplyLiterals(data.literals).ok());
  auto sigs = patch.Signatures(data.runs, eo.block_size);
  RC_ASSERT(sigs.has_value());
  auto deltas = EncodeRuns(new_bytes, data.runs, *sigs, 1);
  RC_ASSERT(deltas.has_value());
  RC_ASSERT(patch.ApplyDeltas(data.runs, *deltas).ok());
  RC_ASSERT(patch.bytes() == new_bytes);
}

// A chunk's digest is the digest of its block digests, the last block
// possibly partial, so either side can derive it from block digests alone.
TEST(HashTreeTest, ChunkDigestIsTheDigestOfItsBlockDigests) {
  for (size_t len : {size_t{1}, size_t{4095}, size_t{4096}, size_t{5000}, size_t{65536}}) {
    auto bytes = Random(len, len);
    std::vector<Digest> blocks;
    for (size_t off = 0; off < len; off += 4096) {
      blocks.push_back(HashBlockDigest(
          std::span<const uint8_t>(bytes).subspan(off, std::min<size_t>(4096, len - off))));
    }
    std::vector<Digest> out(blocks.size());
    EXPECT_EQ(HashChunk(bytes, 4096, out.data()), HashDigestList(blocks)) << len;
    EXPECT_EQ(out, blocks) << len;
    EXPECT_EQ(HashChunk(bytes, 4096), HashDigestList(blocks)) << len;
  }
}

TEST(HashTreeTest, PackedDigestsRoundTripAndAreLittleEndian) {
  std::vector<Digest> d = {Digest{0x0102030405060708ull, 0x1112131415161718ull}, Digest{1, 2}};
  std::vector<uint8_t> raw(32);
  PackDigests(d, raw.data());
  EXPECT_EQ(raw[0], 0x08);
  EXPECT_EQ(raw[7], 0x01);
  EXPECT_EQ(raw[8], 0x18);
  std::vector<Digest> back(2);
  UnpackDigests(raw.data(), back);
  EXPECT_EQ(back, d);
}

TEST(ChunkPatchTest, RefusesLiteralOutsideTheChunk) {
  ChunkPatch patch(std::vector<uint8_t>(100, 0));
  std::vector<Literal> lits = {Literal{90, 20, Compress(std::vector<uint8_t>(20, 1))}};
  EXPECT_FALSE(patch.ApplyLiterals(lits).ok());
}

}  // namespace
}  // namespace drover::sync
