// The session loops wait on their data channel and are woken by the
// discovery thread (Wakeup, Background): a result must wake the loop at
// once, not when a receive timeout runs out.
#include "agent/sync/wakeup.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "agent/sync/background.h"
#include "agent/sync/data_channel.h"

namespace drover::sync {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool Readable(const Wakeup& w, int timeout_ms) {
  pollfd p{w.fd(), POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

TEST(WakeupTest, SignalsAccumulateAndOneDrainClearsThem) {
  Wakeup w;
  ASSERT_GE(w.fd(), 0);
  EXPECT_FALSE(Readable(w, 0));
  w.Signal();
  w.Signal();
  EXPECT_TRUE(Readable(w, 0));
  w.Drain();
  EXPECT_FALSE(Readable(w, 0));
  w.Drain();  // nothing to drain: no block, no error
}

TEST(BackgroundTest, TheResultIsReadyWhenTheWakeArrives) {
  Wakeup w;
  std::atomic<bool> go{false};
  Background<int> task;
  EXPECT_FALSE(task.pending());
  task.Start(
      [&] {
        while (!go) std::this_thread::sleep_for(1ms);
        return 42;
      },
      &w);
  EXPECT_TRUE(task.pending());
  EXPECT_FALSE(task.ready());
  EXPECT_FALSE(Readable(w, 20));
  go = true;
  ASSERT_TRUE(Readable(w, 10000));
  EXPECT_TRUE(task.ready()) << "woken before the result was ready";
  EXPECT_EQ(task.Take(), 42);
  EXPECT_FALSE(task.pending());
}

TEST(BackgroundTest, AnExceptionReachesTheTakerAndStillWakes) {
  Wakeup w;
  Background<int> task;
  task.Start([]() -> int { throw std::runtime_error("disk gone"); }, &w);
  ASSERT_TRUE(Readable(w, 10000));
  ASSERT_TRUE(task.ready());
  EXPECT_THROW(task.Take(), std::runtime_error);
}

TEST(DataChannelWakeTest, AWakeEndsAReceiveLongBeforeItsTimeout) {
  auto server_keys = wire::GenerateKeyPair();
  auto client_keys = wire::GenerateKeyPair();
  ASSERT_TRUE(server_keys && client_keys);
  auto server = DataServer::Bind("tcp://127.0.0.1:0", *server_keys, client_keys->public_z85);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  auto client = DataClient::Connect((*server)->endpoint(), server_keys->public_z85, *client_keys);
  ASSERT_TRUE(client.has_value()) << client.error().ToString();

  Wakeup w;
  for (int side = 0; side < 2; ++side) {
    std::thread waker([&] {
      std::this_thread::sleep_for(50ms);
      w.Signal();
    });
    auto start = Clock::now();
    auto in = side == 0 ? (*server)->Receive(60s, &w) : (*client)->Receive(60s, &w);
    auto waited = Clock::now() - start;
    waker.join();
    ASSERT_TRUE(in.has_value()) << in.error().ToString();
    EXPECT_FALSE(in->has_value()) << "no message was sent";
    EXPECT_LT(waited, 30s) << (side == 0 ? "server" : "client") << " slept through the wake";
    EXPECT_FALSE(Readable(w, 0)) << "the wake is drained";
  }
}

}  // namespace
}  // namespace drover::sync
