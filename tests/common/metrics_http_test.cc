// MetricsServer over real sockets on 127.0.0.1.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "common/metrics/metrics_server.h"
#include "common/metrics/registry.h"

namespace drover::metrics {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

// A connected client socket, closed on destruction.
class Client {
 public:
  explicit Client(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    timeval tv{10, 0};  // no test waits this long unless the server is broken
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }

  bool Send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // Everything until the server closes (or 10 s pass).
  std::string ReadAll() {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd_, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::string Exchange(int port, const std::string& request) {
  Client c(port);
  EXPECT_TRUE(c.connected());
  EXPECT_TRUE(c.Send(request));
  return c.ReadAll();
}

class MetricsServerTest : public ::testing::Test {
 protected:
  void StartServer(MetricsServerOptions o = {}) {
    o.address = "127.0.0.1:0";
    registry_.GetCounter("drover_steps_total", "Steps.", {{"state", "done"}})->Increment(7);
    auto s = MetricsServer::Start(o, [this] { return registry_.Render(); });
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    server_ = std::move(*s);
    ASSERT_GT(server_->port(), 0);
  }
  int port() const { return server_->port(); }

  MetricsRegistry registry_;
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(MetricsServerTest, GetMetrics) {
  StartServer();
  std::string body = registry_.Render();
  std::string r = Exchange(port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(r, HasSubstr("\r\nContent-Type: text/plain; version=0.0.4\r\n"));
  EXPECT_THAT(r, HasSubstr("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"));
  EXPECT_THAT(r, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(r, EndsWith("\r\n\r\n" + body));
  EXPECT_THAT(body, HasSubstr("drover_steps_total{state=\"done\"} 7\n"));
}

TEST_F(MetricsServerTest, ServesCurrentValuesAndQueryStrings) {
  StartServer();
  registry_.GetCounter("drover_steps_total", "Steps.", {{"state", "done"}})->Increment();
  std::string r = Exchange(port(), "GET /metrics?x=1 HTTP/1.0\n\n");  // bare LF tolerated
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(r, HasSubstr("drover_steps_total{state=\"done\"} 8\n"));
}

TEST_F(MetricsServerTest, HeadHasHeadersOnly) {
  StartServer();
  std::string r = Exchange(port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(r, HasSubstr("Content-Length: " + std::to_string(registry_.Render().size())));
  EXPECT_THAT(r, EndsWith("\r\n\r\n"));
}

TEST_F(MetricsServerTest, OtherPathIs404) {
  StartServer();
  EXPECT_THAT(Exchange(port(), "GET / HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_THAT(Exchange(port(), "GET /metricsx HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 404 "));
}

TEST_F(MetricsServerTest, OtherMethodIs405) {
  StartServer();
  std::string r = Exchange(port(), "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(r, HasSubstr("\r\nAllow: GET, HEAD\r\n"));
  EXPECT_THAT(r, Not(HasSubstr("drover_steps_total")));
}

TEST_F(MetricsServerTest, GarbageIs400) {
  StartServer();
  for (const std::string& req : std::vector<std::string>{
           "hello\r\n\r\n", "GET /metrics\r\n\r\n", "GET metrics HTTP/1.1\r\n\r\n",
           "get /metrics HTTP/1.1\r\n\r\n", "GET  /metrics HTTP/1.1\r\n\r\n",
           "GET /metrics SPDY/3\r\n\r\n", std::string("\0\x01\xff\r\n\r\n", 7)}) {
    EXPECT_THAT(Exchange(port(), req), StartsWith("HTTP/1.1 400 Bad Request\r\n")) << req;
  }
}

TEST_F(MetricsServerTest, OversizedRequestIs431) {
  MetricsServerOptions o;
  o.max_request_bytes = 1024;
  StartServer(o);
  std::string req = "GET /metrics HTTP/1.1\r\nX-Junk: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  EXPECT_THAT(Exchange(port(), req), StartsWith("HTTP/1.1 431 "));
  // The server is still there for the next client.
  EXPECT_THAT(Exchange(port(), "GET /metrics HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 200 OK"));
}

TEST_F(MetricsServerTest, SilentClientDelaysNobodyAndTimesOut) {
  MetricsServerOptions o;
  o.timeout = std::chrono::milliseconds(1500);
  StartServer(o);
  Client silent(port());
  ASSERT_TRUE(silent.connected());
  Client half(port());
  ASSERT_TRUE(half.Send("GET /metr"));  // and nothing more
  auto start = Clock::now();
  EXPECT_THAT(Exchange(port(), "GET /metrics HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 200 OK"));
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1000));
  EXPECT_THAT(silent.ReadAll(), StartsWith("HTTP/1.1 408 Request Timeout\r\n"));
  EXPECT_THAT(half.ReadAll(), StartsWith("HTTP/1.1 408 "));
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(1000));
}

TEST_F(MetricsServerTest, ManyClientsAtOnce) {
  MetricsServerOptions o;
  o.max_connections = 4;  // the rest wait in the backlog
  StartServer(o);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      Client c(port());
      if (c.Send("GET /metrics HTTP/1.1\r\n\r\n") &&
          c.ReadAll().starts_with("HTTP/1.1 200 OK\r\n")) {
        ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 32);
}

TEST_F(MetricsServerTest, StopsPromptlyWithClientsConnected) {
  StartServer();
  Client idle(port());
  ASSERT_TRUE(idle.connected());
  Client half(port());
  ASSERT_TRUE(half.Send("GET /"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto start = Clock::now();
  server_.reset();
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1000));
  EXPECT_EQ(idle.ReadAll(), "");  // closed, no reply
}

TEST(MetricsServerStartTest, BadAddresses) {
  auto render = [] { return std::string(); };
  for (const char* a : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:x1"}) {
    auto s = MetricsServer::Start({.address = a}, render);
    ASSERT_FALSE(s.has_value()) << a;
    EXPECT_EQ(s.error().code(), Code::kInvalidArgument) << a;
    EXPECT_THAT(s.error().message(), HasSubstr(a));
  }
  auto unresolvable = MetricsServer::Start({.address = "no.such.host.invalid:0"}, render);
  ASSERT_FALSE(unresolvable.has_value());
  EXPECT_THAT(unresolvable.error().message(), HasSubstr("no.such.host.invalid:0"));
}

TEST(MetricsServerStartTest, PortInUseIsAnError) {
  auto render = [] { return std::string(); };
  auto first = MetricsServer::Start({.address = "127.0.0.1:0"}, render);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  std::string taken = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = MetricsServer::Start({.address = taken}, render);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), Code::kIoError);
  EXPECT_THAT(second.error().message(), HasSubstr(taken));
}

}  // namespace
}  // namespace drover::metrics
