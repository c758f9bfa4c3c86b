#include "common/wire/heartbeat.h"

#include <gtest/gtest.h>

#include "common/wire/codec.h"

namespace drover::wire {
namespace {

std::string Beat(const std::string& id, int64_t seq, bool ack) {
  return Encode(MakeRequest("heartbeat", id, {{"seq", seq}, {"ack", ack}}));
}

// Whenever the fast path accepts a frame, the full decoder must agree on it.
void ExpectDecodeAgrees(const std::string& frame) {
  auto fast = ParseHeartbeat(frame);
  if (!fast) return;
  auto full = Decode(frame, 1 << 20);
  ASSERT_TRUE(full) << "fast path accepted what Decode refuses: " << frame << ": "
                    << full.error().ToString();
  EXPECT_EQ(full->type, "heartbeat") << frame;
  EXPECT_EQ(full->id, fast->id) << frame;
  EXPECT_EQ(full->body["seq"].get<int64_t>(), fast->seq) << frame;
  EXPECT_EQ(full->body.value("ack", false), fast->ack) << frame;
}

TEST(HeartbeatTest, ReadsWhatTheAgentsEncode) {
  // The frame outlives the parsed heartbeat: its id points into it.
  const std::string frame = Beat("a4821-17", 17, false);
  auto hb = ParseHeartbeat(frame);
  ASSERT_TRUE(hb) << frame;
  EXPECT_EQ(hb->id, "a4821-17");
  EXPECT_EQ(hb->seq, 17);
  EXPECT_FALSE(hb->ack);
  hb = ParseHeartbeat(Beat("load-0999-123456", 0, true));
  ASSERT_TRUE(hb);
  EXPECT_EQ(hb->seq, 0);
  EXPECT_TRUE(hb->ack);
  hb = ParseHeartbeat(Beat("x", 999999999999999999, false));  // 18 digits
  ASSERT_TRUE(hb);
  EXPECT_EQ(hb->seq, 999999999999999999);
  EXPECT_TRUE(ParseHeartbeat(Beat(std::string(64, 'i'), 1, false)));
}

TEST(HeartbeatTest, LeavesEverythingElseToTheFullDecoder) {
  const std::string good =
      R"({"body":{"ack":false,"seq":17},"drover":1,"id":"a-1","type":"heartbeat"})";
  ASSERT_TRUE(ParseHeartbeat(good));
  for (
      const std::string& frame : {
          std::string(
              R"({"body":{"ack":false,"seq":17}, "drover":1,"id":"a-1","type":"heartbeat"})"),
          std::string(
              R"({"drover":1,"body":{"ack":false,"seq":17},"id":"a-1","type":"heartbeat"})"),
          std::string(
              R"({"body":{"seq":17,"ack":false},"drover":1,"id":"a-1","type":"heartbeat"})"),
          std::string(
              R"({"body":{"ack":false,"seq":17,"x":1},"drover":1,"id":"a-1","type":"heartbeat"})"),
          std::string(
              R"({"body":{"ack":false,"seq":17},"drover":2,"id":"a-1","type":"heartbeat"})"),
          std::string(
              R"({"body":{"ack":false,"seq":17},"drover":1,"id":"a\u002d1","type":"heartbeat"})"),
          std::string(R"({"body":{"ack":false,"seq":17},"drover":1,"id":"","type":"heartbeat"})"),
          std::string(
              R"({"body":{"ack":false,"seq":17},"drover":1,"id":"a-1","re":"x","type":"heartbeat"})"),
          std::string(
              R"({"body":{"ack":false,"seq":017},"drover":1,"id":"a-1","type":"heartbeat"})"),
          std::string(
              R"({"body":{"ack":false,"seq":-17},"drover":1,"id":"a-1","type":"heartbeat"})"),
          std::string(
              R"({"body":{"ack":false,"seq":17.0},"drover":1,"id":"a-1","type":"heartbeat"})"),
          std::string(
              R"({"body":{"ack":false,"seq":1234567890123456789},"drover":1,"id":"a-1","type":"heartbeat"})"),
          std::string(R"({"body":{"ack":0,"seq":17},"drover":1,"id":"a-1","type":"heartbeat"})"),
          std::string(
              R"({"body":{"ack":false,"seq":17},"drover":1,"id":"a-1","type":"heartbeats"})"),
          good + " ",
          good.substr(0, good.size() - 1),
          Beat(std::string(65, 'i'), 1, false),
          Beat("a b", 1, false),
      }) {
    EXPECT_FALSE(ParseHeartbeat(frame)) << frame;
  }
}

// A small fuzz of its own: every one-byte change or deletion of a good frame
// is either refused or read exactly as the full decoder reads it.
TEST(HeartbeatTest, NeverAcceptsWhatTheFullDecoderReadsDifferently) {
  const std::string good = Beat("a4821-17", 1017, true);
  const std::string replacements = std::string("\"\\{}[],:0129-aez .") + '\0' + '\x80';
  for (size_t i = 0; i < good.size(); ++i) {
    std::string deleted = good;
    deleted.erase(i, 1);
    ExpectDecodeAgrees(deleted);
    for (char c : replacements) {
      std::string changed = good;
      changed[i] = c;
      ExpectDecodeAgrees(changed);
    }
  }
}

TEST(HeartbeatTest, TheAckIsWhatTheGeneralEncoderWrites) {
  Message request = MakeRequest("heartbeat", "a4821-17", {{"seq", 17}, {"ack", true}});
  EXPECT_EQ(EncodeHeartbeatAck("o-5", "a4821-17", 17),
            Encode(MakeReply(request, "o-5", {{"seq", 17}})));
  // An id that needs escaping (the fast path never passes one) still comes out right.
  request.id = "a\"1";
  EXPECT_EQ(EncodeHeartbeatAck("o-6", "a\"1", 3), Encode(MakeReply(request, "o-6", {{"seq", 3}})));
}

}  // namespace
}  // namespace drover::wire
