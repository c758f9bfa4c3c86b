// The sync between two drover-sync-peer processes, killed mid-transfer:
// the destination killed, the source killed, the destination's pool full.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "agent/sync/ticket.h"
#include "tests/agent/sync/sync_fixture.h"

extern char** environ;

namespace drover::sync {
namespace {

using testing::ReadAll;
using testing::ScratchDir;
using testing::WriteAll;
using namespace std::chrono_literals;

class Peer {
 public:
  Peer(std::vector<std::string> args, const std::string& out, const std::string& err) {
    args.insert(args.begin(), DROVER_SYNC_PEER);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Peer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
  }
  void Kill() { ::kill(pid_, SIGKILL); }
  // Exit code, or -1 when it did not end within `timeout`.
  int Wait(std::chrono::milliseconds timeout = 30s) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (std::chrono::steady_clock::now() > end) return -1;
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

nlohmann::json LastJsonLine(const std::string& path) {
  std::string text = Slurp(path), last;
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);) {
    if (!l.empty() && l[0] == '{') last = l;
  }
  return nlohmann::json::parse(last, nullptr, false);
}

class SyncProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto& k = testing::TestKeys();
    ASSERT_TRUE(wire::WriteKeyPair(dir_.path(), "src", k.source).ok());
    ASSERT_TRUE(wire::WriteKeyPair(dir_.path(), "dst", k.destination).ok());
  }

  std::string Endpoint(const std::string& file) {
    for (int i = 0; i < 500; ++i) {
      if (std::filesystem::exists(file)) {
        std::string ep = Slurp(file);
        if (!ep.empty()) return ep.substr(0, ep.find('\n'));
      }
      std::this_thread::sleep_for(10ms);
    }
    return "";
  }

  std::unique_ptr<Peer> StartReceiver(const std::string& ticket, const std::string& target,
                                      const std::string& tag) {
    std::filesystem::remove(dir_ / ("ep-" + tag));
    return std::make_unique<Peer>(
        std::vector<std::string>{"receive", "--target", target, "--ticket", ticket, "--source-key",
                                 dir_ / "src.pub", "--key", dir_ / "dst.key", "--state-dir",
                                 dir_ / "state", "--endpoint-file", dir_ / ("ep-" + tag),
                                 "--peer-timeout-ms", "1500", "--accept-timeout-ms", "20000",
                                 "--resume-interval-ms", "50"},
        dir_ / ("recv-" + tag + ".out"), dir_ / ("recv-" + tag + ".err"));
  }

  std::unique_ptr<Peer> StartSender(const std::string& ticket, const std::string& endpoint,
                                    const std::string& tag, const std::string& bwlimit) {
    return std::make_unique<Peer>(
        std::vector<std::string>{"send", "--endpoint", endpoint, "--server-key", dir_ / "dst.pub",
                                 "--key", dir_ / "src.key", "--ticket", ticket, "--source",
                                 dir_ / "src", "--cache-dir", dir_ / "cache", "--bwlimit", bwlimit,
                                 "--peer-timeout-ms", "1500"},
        dir_ / ("send-" + tag + ".out"), dir_ / ("send-" + tag + ".err"));
  }

  // Waits until the destination has persisted a resume point past `chunks`.
  bool WaitForResumePoint(uint64_t chunks) {
    for (int i = 0; i < 1000; ++i) {
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(dir_ / "state", ec)) {
        if (e.path().extension() != ".resume") continue;
        auto j = nlohmann::json::parse(Slurp(e.path()), nullptr, false);
        if (j.is_object() && j.value("next_chunk", uint64_t{0}) >= chunks) return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::vector<uint8_t> MakeSource(size_t size) {
    std::mt19937_64 rng(42);
    std::vector<uint8_t> v(size);
    testing::FillRandom(v, 0, size, rng);
    WriteAll(dir_ / "src", v);
    return v;
  }

  // Second attempt, unthrottled, with a new ticket: must finish and resume.
  void ResumeAndCheck(const std::vector<uint8_t>& src, uint64_t min_resume) {
    std::string ticket = *NewTicket();
    auto recv = StartReceiver(ticket, dir_ / "dst", "2");
    std::string ep = Endpoint(dir_ / "ep-2");
    ASSERT_FALSE(ep.empty()) << Slurp(dir_ / "recv-2.err");
    auto send = StartSender(ticket, ep, "2", "0");
    ASSERT_EQ(send->Wait(), 0) << Slurp(dir_ / "send-2.err");
    ASSERT_EQ(recv->Wait(), 0) << Slurp(dir_ / "recv-2.err");
    auto report = LastJsonLine(dir_ / "send-2.out");
    ASSERT_TRUE(report.is_object());
    uint64_t resumed = report["resumed_from_chunk"];
    EXPECT_GE(resumed, min_resume);
    // Only what was not verified before goes again (plus the chunks that
    // were in flight when the first attempt died).
    uint64_t resent_limit = src.size() - resumed * kDefaultChunkSize + 40 * kDefaultChunkSize;
    EXPECT_LE(report["bytes_changed"].get<uint64_t>(), resent_limit);
    EXPECT_LT(report["bytes_changed"].get<uint64_t>(), src.size());
    EXPECT_EQ(ReadAll(dir_ / "dst"), src);
  }

  ScratchDir dir_;
};

TEST_F(SyncProcessTest, DestinationKilledMidTransferResumesAtTheLastVerifiedChunk) {
  auto src = MakeSource(6 << 20);
  WriteAll(dir_ / "dst", {});
  std::string ticket = *NewTicket();
  auto recv = StartReceiver(ticket, dir_ / "dst", "1");
  std::string ep = Endpoint(dir_ / "ep-1");
  ASSERT_FALSE(ep.empty()) << Slurp(dir_ / "recv-1.err");
  auto send = StartSender(ticket, ep, "1", std::to_string(3 << 20));
  ASSERT_TRUE(WaitForResumePoint(20)) << Slurp(dir_ / "recv-1.err");
  recv->Kill();
  EXPECT_EQ(recv->Wait(), 128 + SIGKILL);
  EXPECT_EQ(send->Wait(), 1);  // notices the silence and gives up
  EXPECT_NE(Slurp(dir_ / "send-1.err").find("silent"), std::string::npos)
      << Slurp(dir_ / "send-1.err");
  ResumeAndCheck(src, 20);
}

TEST_F(SyncProcessTest, SourceKilledMidTransferResumesAtTheLastVerifiedChunk) {
  auto src = MakeSource(6 << 20);
  WriteAll(dir_ / "dst", {});
  std::string ticket = *NewTicket();
  auto recv = StartReceiver(ticket, dir_ / "dst", "1");
  std::string ep = Endpoint(dir_ / "ep-1");
  ASSERT_FALSE(ep.empty());
  auto send = StartSender(ticket, ep, "1", std::to_string(3 << 20));
  ASSERT_TRUE(WaitForResumePoint(20));
  send->Kill();
  EXPECT_EQ(send->Wait(), 128 + SIGKILL);
  EXPECT_EQ(recv->Wait(), 1);
  std::string why = Slurp(dir_ / "recv-1.err");
  EXPECT_TRUE(why.find("source silent") != std::string::npos ||
              why.find("source disconnected") != std::string::npos)
      << why;
  ResumeAndCheck(src, 20);
}

TEST_F(SyncProcessTest, DestinationPoolFullIsAClearErrorAndTheSourceIsUntouched) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs as the full pool";
  std::filesystem::create_directories(dir_ / "pool");
  if (::mount("tmpfs", (dir_ / "pool").c_str(), "tmpfs", 0, "size=1m") != 0) {
    GTEST_SKIP() << "cannot mount tmpfs: " << std::strerror(errno);
  }
  struct Unmount {
    std::string p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{dir_ / "pool"};
  auto src = MakeSource(3 << 20);
  WriteAll(dir_ / "pool/dst", {});
  std::string ticket = *NewTicket();
  auto recv = StartReceiver(ticket, dir_ / "pool/dst", "1");
  std::string ep = Endpoint(dir_ / "ep-1");
  ASSERT_FALSE(ep.empty()) << Slurp(dir_ / "recv-1.err");
  auto send = StartSender(ticket, ep, "1", "0");
  EXPECT_EQ(send->Wait(), 1);
  EXPECT_EQ(recv->Wait(), 1);
  EXPECT_NE(Slurp(dir_ / "recv-1.err").find("destination pool full"), std::string::npos)
      << Slurp(dir_ / "recv-1.err");
  EXPECT_NE(Slurp(dir_ / "send-1.err").find("destination pool full"), std::string::npos)
      << Slurp(dir_ / "send-1.err");
  EXPECT_EQ(ReadAll(dir_ / "src"), src);
}

}  // namespace
}  // namespace drover::sync
