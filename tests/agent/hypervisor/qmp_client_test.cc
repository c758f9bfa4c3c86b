// QmpClient against a scripted fake QEMU on a socketpair: greeting,
// negotiation, interleaved events, error replies, and everything a broken or
// hostile peer can send, which must become a Status, never a crash.
#include "agent/hypervisor/qemu/qmp_client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace drover::hv {
namespace {

using namespace std::chrono_literals;

// The far end of the socket: reads requests line by line, writes what it is told.
class FakeQemu {
 public:
  FakeQemu() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    client_fd_ = fds[0];
    fd_ = fds[1];
  }
  ~FakeQemu() {
    if (fd_ >= 0) ::close(fd_);
  }
  int TakeClientFd() { return std::exchange(client_fd_, -1); }
  void Send(const std::string& text) {
    ASSERT_EQ(::write(fd_, text.data(), text.size()), (ssize_t)text.size());
  }
  void Close() {
    ::close(fd_);
    fd_ = -1;
  }
  // The next request line as JSON.
  nlohmann::json Request() {
    std::string line;
    char c;
    while (::read(fd_, &c, 1) == 1 && c != '\n') line += c;
    return nlohmann::json::parse(line, nullptr, false);
  }
  // Answers the next request with `reply` (its id copied in).
  void Reply(nlohmann::json reply) {
    auto req = Request();
    reply["id"] = req["id"];
    Send(reply.dump() + "\n");
  }

 private:
  int fd_ = -1;
  int client_fd_ = -1;
};

const char kGreeting[] = R"({"QMP": {"version": {"qemu": {"major": 7}}, "capabilities": []}})"
                         "\n";

// Runs `server` in a thread while the client attaches.
Status AttachWith(QmpClient* client, FakeQemu* fake, std::function<void()> server) {
  std::thread t(server);
  Status st = client->Attach(fake->TakeClientFd(), 2s);
  t.join();
  return st;
}

TEST(QmpClient, NegotiatesAndRunsCommands) {
  FakeQemu fake;
  QmpClient qmp;
  ASSERT_TRUE(AttachWith(&qmp, &fake, [&] {
                fake.Send(kGreeting);
                auto req = fake.Request();
                EXPECT_EQ(req["execute"], "qmp_capabilities");
                fake.Send(R"({"return": {}, "id": )" + req["id"].dump() + "}\n");
              }).ok());
  std::thread t([&] {
    auto req = fake.Request();
    EXPECT_EQ(req["execute"], "query-status");
    // An event and a stale reply arrive before ours.
    fake.Send(R"({"event": "STOP", "data": {}, "timestamp": {"seconds": 1}})"
              "\n");
    fake.Send(R"({"return": {"status": "old"}, "id": 999})"
              "\n");
    fake.Send(R"({"return": {"status": "running"}, "id": )" + req["id"].dump() + "}\n");
  });
  auto r = qmp.Execute("query-status");
  t.join();
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ((*r)["status"], "running");
  auto events = qmp.TakeEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "STOP");
  EXPECT_TRUE(qmp.TakeEvents().empty());
}

class NegotiatedQmp : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(AttachWith(&qmp_, &fake_, [&] {
                  fake_.Send(kGreeting);
                  fake_.Reply({{"return", nlohmann::json::object()}});
                }).ok());
  }
  FakeQemu fake_;
  QmpClient qmp_;
};

TEST_F(NegotiatedQmp, ErrorReplyBecomesStatusAndKeepsConnection) {
  std::thread t([&] {
    fake_.Reply({{"error", {{"class", "GenericError"}, {"desc", "no migration"}}}});
    fake_.Reply({{"error", {{"class", "CommandNotFound"}, {"desc", "nope"}}}});
    fake_.Reply({{"error", {{"class", 42}}}});  // a wrong type: still a Status
  });
  auto r = qmp_.Execute("migrate-continue");
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  EXPECT_NE(r.error().message().find("no migration"), std::string::npos);
  EXPECT_EQ(qmp_.Execute("bogus").error().code(), Code::kNotFound);
  EXPECT_FALSE(qmp_.Execute("odd").has_value());
  t.join();
  EXPECT_TRUE(qmp_.connected());
}

TEST_F(NegotiatedQmp, BadJsonDisconnects) {
  std::thread t([&] {
    fake_.Request();
    fake_.Send("{\"return\": \n");
  });
  auto r = qmp_.Execute("query-status");
  t.join();
  EXPECT_EQ(r.error().code(), Code::kInternal);
  EXPECT_FALSE(qmp_.connected());
  EXPECT_EQ(qmp_.Execute("query-status").error().code(), Code::kUnavailable);
}

TEST_F(NegotiatedQmp, NonObjectMessageIsAnError) {
  std::thread t([&] {
    fake_.Request();
    fake_.Send("[1, 2, 3]\n");
  });
  EXPECT_EQ(qmp_.Execute("query-status").error().code(), Code::kInternal);
  t.join();
}

TEST_F(NegotiatedQmp, ClosedSocketIsUnavailable) {
  std::thread t([&] {
    fake_.Request();
    fake_.Close();
  });
  EXPECT_EQ(qmp_.Execute("quit").error().code(), Code::kUnavailable);
  t.join();
  EXPECT_FALSE(qmp_.connected());
}

TEST_F(NegotiatedQmp, SilenceTimesOutButStaysConnected) {
  auto r = qmp_.Execute("query-status", nullptr, 100ms);
  EXPECT_EQ(r.error().code(), Code::kTimeout);
  EXPECT_TRUE(qmp_.connected());
  // The late reply to the timed-out command is skipped; the next one matches.
  std::thread t([&] {
    auto late = fake_.Request();  // the timed-out one, already sent
    fake_.Send(R"({"return": {"late": true}, "id": )" + late["id"].dump() + "}\n");
    fake_.Reply({{"return", {{"fresh", true}}}});
  });
  auto fresh = qmp_.Execute("query-status");
  t.join();
  ASSERT_TRUE(fresh.has_value()) << fresh.error().ToString();
  EXPECT_TRUE((*fresh).contains("fresh"));
}

TEST_F(NegotiatedQmp, WaitForEventKeepsOthersQueued) {
  fake_.Send(R"({"event": "RESUME", "data": {}})"
             "\n");
  fake_.Send(R"({"event": "MIGRATION", "data": {"status": "pre-switchover"}})"
             "\n");
  auto e = qmp_.WaitForEvent("MIGRATION", 1s);
  ASSERT_TRUE(e.has_value()) << e.error().ToString();
  EXPECT_EQ(e->data["status"], "pre-switchover");
  EXPECT_EQ(qmp_.WaitForEvent("SHUTDOWN", 50ms).error().code(), Code::kTimeout);
  auto rest = qmp_.TakeEvents();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].name, "RESUME");
}

TEST(QmpClientHandshake, RejectsMissingGreeting) {
  FakeQemu fake;
  QmpClient qmp;
  Status st = AttachWith(&qmp, &fake, [&] {
    fake.Send(R"({"return": {}})"
              "\n");
  });
  EXPECT_EQ(st.code(), Code::kInternal);
  EXPECT_FALSE(qmp.connected());
}

TEST(QmpClientHandshake, RefusedCapabilitiesFail) {
  FakeQemu fake;
  QmpClient qmp;
  Status st = AttachWith(&qmp, &fake, [&] {
    fake.Send(kGreeting);
    fake.Reply({{"error", {{"class", "CommandNotFound"}, {"desc", "x"}}}});
  });
  EXPECT_FALSE(st.ok());
}

TEST(QmpClientHandshake, ConnectToMissingSocketIsUnavailable) {
  QmpClient qmp;
  EXPECT_EQ(qmp.Connect("/nonexistent/qmp.sock", 50ms).code(), Code::kUnavailable);
  EXPECT_EQ(qmp.Connect(std::string(200, 'x'), 50ms).code(), Code::kInvalidArgument);
}

// Random bytes from the peer never crash the client.
TEST(QmpClientFuzz, GarbageNeverCrashes) {
  for (int round = 0; round < 200; ++round) {
    FakeQemu fake;
    QmpClient qmp;
    std::string junk;
    for (int i = 0; i < 64; ++i) junk += static_cast<char>((round * 131 + i * 17) % 256);
    junk += "\n";
    std::thread t([&] {
      fake.Send(round % 2 ? std::string(kGreeting) + junk : junk);
      fake.Close();
    });
    Status st = qmp.Attach(fake.TakeClientFd(), 200ms);
    t.join();
    EXPECT_FALSE(st.ok());
  }
}

}  // namespace
}  // namespace drover::hv
