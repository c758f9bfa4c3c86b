#include "common/wire/codec.h"

#include <gtest/gtest.h>

#include "common/wire/protocol.h"

namespace drover::wire {
namespace {

constexpr size_t kMax = 1 << 20;

Status DecodeError(const std::string& frame, size_t max = kMax) {
  auto r = Decode(frame, max);
  EXPECT_FALSE(r) << "decoded: " << frame;
  return r ? Status::Ok() : r.error();
}

TEST(CodecTest, RoundTripsARequestAndItsReply) {
  Message request = MakeRequest("heartbeat", "a1-7", {{"seq", 7}});
  auto decoded = Decode(Encode(request), kMax);
  ASSERT_TRUE(decoded) << decoded.error().ToString();
  EXPECT_EQ(decoded->type, "heartbeat");
  EXPECT_EQ(decoded->id, "a1-7");
  EXPECT_EQ(decoded->body["seq"], 7);

  auto reply = Decode(Encode(MakeReply(*decoded, "o-1", nlohmann::json::array({1, 2}))), kMax);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->re, "a1-7");
  EXPECT_TRUE(reply->IsReply());
  EXPECT_EQ(reply->body.size(), 2u);
}

TEST(CodecTest, ErrorRepliesCarryTheirStatus) {
  auto m = Decode(Encode(MakeError("x-1", "o-2", NotFound("host h9"))), kMax);
  ASSERT_TRUE(m);
  Status s = ErrorOf(*m);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "host h9");
}

TEST(CodecTest, RefusesAFrameThatIsNotAMessage) {
  EXPECT_EQ(DecodeError("\x01\x02garbage").message(), "frame is not a JSON message");
  EXPECT_EQ(DecodeError("[1,2]").message(), "message must be a JSON object");
  EXPECT_EQ(DecodeError("").message(), "frame is not a JSON message");
}

TEST(CodecTest, RefusesAMessageOverTheSizeLimit) {
  std::string big =
      Encode(MakeRequest("heartbeat", "a-1", {{"seq", 1}, {"pad", std::string(200, 'x')}}));
  EXPECT_NE(DecodeError(big, 100).message().find("over the limit of 100"), std::string::npos);
}

TEST(CodecTest, RefusesAnUnknownTypeOrVersion) {
  EXPECT_EQ(DecodeError(R"({"drover":1,"type":"launch.missiles","id":"1"})").message(),
            "message: unknown type 'launch.missiles'");
  EXPECT_NE(DecodeError(R"({"drover":2,"type":"heartbeat","id":"1","body":{"seq":1}})")
                .message()
                .find("wire version 2 is not supported"),
            std::string::npos);
  EXPECT_NE(DecodeError(R"({"type":"heartbeat","id":"1"})").message().find("'drover'"),
            std::string::npos);
}

TEST(CodecTest, RefusesMissingOrIllTypedFields) {
  EXPECT_EQ(DecodeError(R"({"drover":1,"type":"heartbeat","id":"1","body":{}})").message(),
            "message 'heartbeat' body: missing field 'seq'");
  EXPECT_EQ(DecodeError(R"({"drover":1,"type":"heartbeat","id":"1","body":{"seq":"7"}})").message(),
            "message 'heartbeat' body: field 'seq' must be an integer, not string");
  EXPECT_EQ(DecodeError(R"({"drover":1,"type":"heartbeat","body":{"seq":7}})").message(),
            "message: missing field 'id'");
  EXPECT_NE(DecodeError(R"({"drover":1,"type":"heartbeat","id":7,"body":{"seq":7}})")
                .message()
                .find("field 'id' must be"),
            std::string::npos);
  EXPECT_EQ(DecodeError(R"({"drover":1,"type":"reply","id":"o-1","body":{}})").message(),
            "message: missing field 're'");
  EXPECT_NE(DecodeError(R"({"drover":1,"type":"op.ping","id":"1","body":[1]})")
                .message()
                .find("must be a JSON object"),
            std::string::npos);
}

TEST(CodecTest, SalvagesTheIdOfABadMessageForTheErrorReply) {
  EXPECT_EQ(SalvageId(R"({"drover":1,"type":"nope","id":"c-9"})", kMax), "c-9");
  EXPECT_EQ(SalvageId("not json", kMax), "");
  EXPECT_EQ(SalvageId(R"({"id":5})", kMax), "");
}

}  // namespace
}  // namespace drover::wire
