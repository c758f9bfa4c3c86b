// `drover sync` end to end: the orchestrator hands out a ticket, two agents
// (separate processes) stream a volume between their pools, and the copy is
// verified.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "tests/integration/cluster.h"

namespace drover::testing {
namespace {

using std::chrono::milliseconds;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteRandom(const std::string& path, size_t bytes, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string data(bytes, '\0');
  for (size_t i = 0; i + 8 <= bytes; i += 8) {
    uint64_t v = rng();
    std::memcpy(&data[i], &v, 8);
  }
  std::ofstream(path, std::ios::binary) << data;
}

void Overwrite(const std::string& path, size_t offset, const std::string& bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f << bytes;
}

class SyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c_.StartOrchestrator({"--request-timeout-ms", "3000"});
    c_.StartAgent("h1");
    c_.StartAgent("h2");
    ASSERT_TRUE(
        WaitFor([&] { return c_.HostState("h1") == "online" && c_.HostState("h2") == "online"; },
                milliseconds(8000)));
  }
  std::string Pool(const std::string& host) { return c_.dir() + "/pool-" + host; }
  Cluster c_;
};

TEST_F(SyncTest, CopiesAVolumeThenSendsOnlyWhatChanged) {
  WriteRandom(Pool("h1") + "/vm1.img", 8 << 20, 1);
  CliResult first = c_.Drover({"sync", "h1:vm1.img", "h2:vm1.img"});
  ASSERT_EQ(first.exit_code, 0) << first.err << c_.Log("h1") << c_.Log("h2");
  EXPECT_NE(first.out.find("verified"), std::string::npos);
  EXPECT_EQ(ReadAll(Pool("h2") + "/vm1.img"), ReadAll(Pool("h1") + "/vm1.img"));

  Overwrite(Pool("h1") + "/vm1.img", 4096 * 100, std::string(4096, 'x'));
  Overwrite(Pool("h1") + "/vm1.img", 5 << 20, std::string(4096, 'y'));
  CliResult second = c_.Drover({"sync", "h1:vm1.img", "h2:vm1.img", "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  auto t = nlohmann::json::parse(second.out);
  EXPECT_EQ(t["state"], "done");
  EXPECT_LT(t["source_report"]["bytes_sent"].get<uint64_t>(), 512u << 10);
  EXPECT_EQ(ReadAll(Pool("h2") + "/vm1.img"), ReadAll(Pool("h1") + "/vm1.img"));
  // The snapshot the source read from is gone again.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(Pool("h1"))) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST_F(SyncTest, NamesWhatIsWrongWithTheRequest) {
  CliResult missing = c_.Drover({"sync", "h1:nothere.img", "h2:x.img"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("host h1 has no volume 'nothere.img'"), std::string::npos)
      << missing.err;
  CliResult bad = c_.Drover({"sync", "h1", "h2:x.img"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'h1' is not HOST:VOLUME"), std::string::npos);
  CliResult unknown_host = c_.Drover({"sync", "h1:a", "h9:a"});
  EXPECT_EQ(unknown_host.exit_code, 1);
}

TEST_F(SyncTest, ADestinationKilledMidTransferLeavesTheSourceAloneAndTheNextSyncResumes) {
  WriteRandom(Pool("h1") + "/vm1.img", 24 << 20, 2);
  std::string before = ReadAll(Pool("h1") + "/vm1.img");
  // 4 MiB/s: the copy takes ~6 s, so the kill lands in the middle.
  pid_t sync = StartProcess(
      {c_.drover(), "--state", c_.dir() + "/state.db", "--connect", c_.endpoint(),
       "--orchestrator-key", c_.dir() + "/orchestrator.pub", "--key", c_.dir() + "/operator.key",
       "sync", "h1:vm1.img", "h2:vm1.img", "--bandwidth-mib-s", "4"},
      c_.dir() + "/first-sync.log");
  ASSERT_TRUE(WaitFor(
      [&] {
        return std::filesystem::exists(Pool("h2") + "/vm1.img") &&
               c_.Log("h2").find("receiving") != std::string::npos;
      },
      milliseconds(10000)));
  std::this_thread::sleep_for(milliseconds(2500));
  c_.StopAgent("h2", SIGKILL);
  kill(sync, SIGKILL);
  EXPECT_EQ(ReadAll(Pool("h1") + "/vm1.img"), before);  // the source is never written

  c_.StartAgent("h2");
  ASSERT_TRUE(WaitFor([&] { return c_.HostState("h2") == "online"; }, milliseconds(8000)));
  CliResult again = c_.Drover({"sync", "h1:vm1.img", "h2:vm1.img", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err << c_.Log("h2");
  auto t = nlohmann::json::parse(again.out);
  EXPECT_GT(t["source_report"].value("resumed_from_chunk", 0), 0) << again.out;
  EXPECT_LT(t["source_report"]["bytes_sent"].get<uint64_t>(), 23u << 20) << again.out;
  EXPECT_EQ(ReadAll(Pool("h2") + "/vm1.img"), before);
}

}  // namespace
}  // namespace drover::testing
