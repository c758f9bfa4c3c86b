// Journaled plan runs end to end (issue 6, DESIGN "State and recovery"):
// `drover serve` and three agents as processes on loopback, two real QEMU
// TCG test guests on h1 writing their counter pattern, the evacuation of h1
// planned on the live inventory and run with `drover apply`; then the
// faults: the orchestrator killed with SIGKILL at random moments again and
// again and `drover resume` after each restart, an agent killed mid-run, and
// a destination that runs out of space. After each: every guest runs on
// exactly one host, its disk passes the checker, no volume is lost, and no
// finished step was run again (read from the run's journal).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "agent/hypervisor/qemu/qemu_hypervisor.h"
#include "orchestrator/executor/run_journal.h"
#include "tests/agent/hypervisor/test_guest.h"
#include "tests/guest/disk_check.h"
#include "tests/integration/cluster.h"

namespace drover::testing {
namespace {

using namespace std::chrono_literals;
using hv::testing::LastCounter;
using hv::testing::WaitForCounter;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr uint64_t kDiskMib = 32;
const std::vector<std::string> kHosts = {"h1", "h2", "h3"};
const std::vector<std::string> kGuests = {"vm1", "vm2"};

// A network namespace joined to this one by a veth pair: `inside_ip` in the
// namespace, `outside_ip` here. Everything is removed when it dies.
class LinkedNetns {
 public:
  LinkedNetns() {
    std::string id = std::to_string(getpid() % 100000);
    name_ = "drover-t" + id;
    outside_ = "dvo" + id;
    int octet = 1 + getpid() % 250;
    inside_ip_ = "10.213." + std::to_string(octet) + ".1";
    outside_ip_ = "10.213." + std::to_string(octet) + ".2";
    ok_ = Ip({"netns", "add", name_}) &&
          Ip({"link", "add", outside_, "type", "veth", "peer", "name", "dvi" + id}) &&
          Ip({"link", "set", "dvi" + id, "netns", name_}) &&
          Ip({"addr", "add", outside_ip_ + "/30", "dev", outside_}) &&
          Ip({"link", "set", outside_, "up"}) &&
          Ip({"-n", name_, "addr", "add", inside_ip_ + "/30", "dev", "dvi" + id}) &&
          Ip({"-n", name_, "link", "set", "dvi" + id, "up"}) &&
          Ip({"-n", name_, "link", "set", "lo", "up"});
  }
  ~LinkedNetns() {
    Ip({"link", "del", outside_});
    Ip({"netns", "del", name_});
  }
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  const std::string& inside_ip() const { return inside_ip_; }
  // Takes the link down (nothing passes either way) or up again.
  bool SetLink(bool up) { return Ip({"link", "set", outside_, up ? "up" : "down"}); }

 private:
  static bool Ip(std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/sbin/ip");
    return RunProcess(args).exit_code == 0;
  }
  std::string name_, outside_, inside_ip_, outside_ip_;
  bool ok_ = false;
};

std::string RunIdFrom(const std::string& out) {
  auto pos = out.find("run r-");
  if (pos == std::string::npos) return "";
  return out.substr(pos + 4, out.find_first_of(" :\n", pos + 4) - pos - 4);
}

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto image = hv::testing::GuestImageDir();
    if (!image) GTEST_SKIP() << "no test guest image: " << image.error().ToString();
    image_ = *image;
  }
  // Starts the cluster; `before_agents` may prepare pools.
  void StartCluster(const std::function<void()>& before_agents = nullptr) {
    c_.StartOrchestrator();
    if (before_agents) before_agents();
    for (const auto& h : kHosts) StartAgent(h);
    ASSERT_TRUE(WaitFor([&] { return AllOnline(); }, 15s)) << c_.Log("orchestrator");
    {
      // A driver of this process starts the guests, then lets go of their QMP
      // sockets (one client each) for the agent, which adopts them.
      auto h1 = OpenDriver("h1");
      ASSERT_TRUE(h1);
      for (const auto& g : kGuests) {
        std::string disk = Pool("h1") + "/" + g + "-disk";
        // Earlier writes of the pattern everywhere (not a sparse file): a
        // full sync moves it all, and the guest's counter goes on from them.
        {
          std::ofstream out(disk, std::ios::binary | std::ios::trunc);
          std::vector<uint8_t> block(guest::kBlockSize);
          uint64_t blocks = (kDiskMib << 20) / guest::kBlockSize;
          for (uint64_t slot = 0; slot < blocks; ++slot) {
            guest::EncodeBlock(slot, slot, block);
            out.write(reinterpret_cast<const char*>(block.data()), block.size());
          }
          ASSERT_TRUE(out.flush()) << disk;
        }
        hv::GuestSpec spec = hv::testing::TestGuestSpec(g, image_, disk, 128);
        // A steady 64 KiB/s of writes: enough to need pre-copy rounds.
        spec.cmdline += " drover_rate=16";
        ASSERT_TRUE(h1->Define(spec).ok());
        ASSERT_TRUE(h1->Start(g).ok());
      }
    }
    for (const auto& g : kGuests) {
      uint64_t prefilled = (kDiskMib << 20) / guest::kBlockSize;
      auto counting = WaitForCounter(Serial("h1", g), prefilled + 20, 180s);
      ASSERT_TRUE(counting.has_value()) << g << ": " << counting.error().ToString();
    }
    // On a loaded machine a booting TCG guest may answer QMP late, and the
    // agent's facts with it: give it time.
    ASSERT_TRUE(
        WaitFor([&] { return Where("vm1").first == "h1" && Where("vm2").first == "h1"; }, 90s))
        << c_.Drover({"guests"}).out << c_.Drover({"guests"}).err << c_.Log("h1")
        << c_.Log("orchestrator");
  }
  void TearDown() override {
    for (const auto& h : kHosts) c_.StopAgent(h);
    for (const auto& h : kHosts) {
      if (auto d = OpenDriver(h)) {
        if (auto guests = d->List()) {
          for (const auto& g : *guests) (void)d->Destroy(g.name);
        }
      }
    }
    for (const auto& m : mounts_) umount2(m.c_str(), MNT_DETACH);
  }

  void StartAgent(const std::string& h) {
    fs::create_directories(scratch_.path() + "/" + h);
    c_.StartAgent(h, {"--run-root", scratch_.path() + "/" + h, "--heartbeat-ms", "500"});
  }
  std::unique_ptr<hv::QemuHypervisor> OpenDriver(const std::string& h) {
    hv::QemuOptions o;
    o.run_root = scratch_.path() + "/" + h;
    auto d = hv::QemuHypervisor::Open(o);
    return d ? std::move(*d) : nullptr;
  }
  std::string Pool(const std::string& h) { return fs::absolute(c_.dir() + "/pool-" + h); }
  std::string Serial(const std::string& h, const std::string& g) {
    return scratch_.path() + "/" + h + "/" + g + "/serial.log";
  }
  // {host, state} of `guest` in `drover guests --json`; every host listing it.
  std::pair<std::string, std::string> Where(const std::string& guest,
                                            std::vector<std::string>* all = nullptr) {
    CliResult r = c_.Drover({"guests", "--json"});
    auto rows = json::parse(r.out, nullptr, false);
    if (rows.is_object()) rows = rows.value("guests", json::array());
    std::pair<std::string, std::string> where;
    if (!rows.is_array()) return where;
    for (const auto& g : rows) {
      if (g.value("name", "") != guest) continue;
      if (all) all->push_back(g.value("host", ""));
      if (where.first.empty() || g.value("state", "") == "running") {
        where = {g.value("host", ""), g.value("state", "")};
      }
    }
    return where;
  }
  // Plans the evacuation of h1 on the live inventory; the plan's path.
  std::string PlanEvacuation() {
    std::string plan = c_.dir() + "/evacuate-h1.json";
    CliResult r = c_.Drover({"plan", "evacuate", "h1", "--format", "json", "-o", plan});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return plan;
  }
  json Status(const std::string& run) {
    CliResult r = c_.Drover({"status", run, "--json"});
    return json::parse(r.out, nullptr, false);
  }
  // `drover apply --detach PLAN`: the run id ("" and a failure when refused).
  std::string ApplyDetached(const std::string& plan) {
    CliResult r = c_.Drover({"apply", "--detach", plan});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::string run = RunIdFrom(r.out);
    EXPECT_FALSE(run.empty()) << r.out;
    return run;
  }
  bool AllOnline() {
    for (const auto& h : kHosts) {
      if (c_.HostState(h) != "online") return false;
    }
    return true;
  }
  // The run's first step is running and has journaled a phase: it acts.
  bool FirstStepActing(const std::string& run) {
    json s = Status(run);
    return s.is_object() && s["steps"][0].value("state", "") == "running" &&
           !s["steps"][0].value("phase", "").empty();
  }
  bool RunEnded(const std::string& run) {
    json s = Status(run);
    return s.is_object() && s.value("state", "") != "running";
  }
  // Every guest runs on exactly one host other than h1, goes on counting,
  // and its disk there passes the checker; h1 keeps the source volumes.
  void ExpectEvacuated() {
    std::map<std::string, std::string> where;
    for (const auto& g : kGuests) {
      std::vector<std::string> hosts;
      auto [host, state] = Where(g, &hosts);
      EXPECT_EQ(hosts.size(), 1u) << g << " is listed on " << hosts.size() << " hosts";
      EXPECT_NE(host, "h1") << g;
      EXPECT_EQ(state, "running") << g << " on " << host;
      if (host.empty() || host == "h1") continue;
      // A guest that arrived just now may not have printed on its new console
      // yet (the step in flight at an abort can finish forward): wait for it.
      auto before = WaitForCounter(Serial(host, g), 0, 30s);
      ASSERT_TRUE(before.has_value()) << g << " never reported a counter on " << host;
      auto later = WaitForCounter(Serial(host, g), *before + 5, 30s);
      EXPECT_TRUE(later.has_value()) << g << " stopped counting on " << host;
      where[g] = host;
      EXPECT_TRUE(fs::exists(Pool("h1") + "/" + g + "-disk"))
          << "source volume of " << g << " lost";
    }
    // The disks hold every write up to the last counter reported: stop the
    // agents (they hold the QMP sockets) and the guests, then check.
    for (const auto& h : kHosts) c_.StopAgent(h);
    for (const auto& [g, host] : where) {
      auto d = OpenDriver(host);
      ASSERT_TRUE(d);
      EXPECT_TRUE(d->Destroy(g).ok());
      auto last = LastCounter(Serial(host, g));
      auto check = guest::CheckImageFile(Pool(host) + "/" + g + "-disk", last);
      ASSERT_TRUE(check.has_value()) << check.error().ToString();
      EXPECT_TRUE(check->ok()) << g << ": " << check->Summary();
      EXPECT_GE(check->max_counter, last.value_or(0)) << g;
    }
  }
  // No step was started again after the journal recorded it done.
  void ExpectNoFinishedStepRedone(const std::string& run) {
    auto journal = executor::RunJournal::Open(c_.dir() + "/state.db");
    ASSERT_TRUE(journal) << journal.error().ToString();
    auto entries = (*journal)->Entries(run);
    ASSERT_TRUE(entries) << entries.error().ToString();
    std::map<std::string, int> done;
    for (const auto& e : *entries) {
      if (e.event == "step done") ++done[e.step];
      if (e.event == "step started") {
        EXPECT_EQ(done.count(e.step), 0u)
            << "step " << e.step << " started again after it was done";
      }
    }
    for (const auto& [step, n] : done)
      EXPECT_EQ(n, 1) << "step " << step << " done " << n << " times";
  }

  Cluster c_;
  hv::testing::ScratchDir scratch_;
  std::string image_;
  std::vector<std::string> mounts_;
};

TEST_F(RunTest, EvacuationRunsToTheEndWithLiveProgress) {
  StartCluster();
  if (HasFatalFailure()) return;
  std::string plan = PlanEvacuation();
  CliResult dry = c_.Drover({"apply", "--dry-run", plan});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  CliResult r = c_.Drover({"apply", plan});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << c_.Log("orchestrator");
  std::string run = RunIdFrom(r.out);
  ASSERT_FALSE(run.empty()) << r.out;
  // Not a terminal: plain lines, one per step change, with phases.
  for (const char* step : {"s1 ", "s2 "}) EXPECT_NE(r.out.find(step), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("downtime"), std::string::npos) << r.out;
  json s = Status(run);
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["state"], "done");
  for (const auto& step : s["steps"]) {
    EXPECT_EQ(step["state"], "done") << step.dump();
    EXPECT_TRUE(step.contains("downtime_ms")) << step.dump();
    std::printf("[ figures  ] %s %s -> %s downtime_ms=%s\n", step.value("guest", "").c_str(),
                step.value("from", "").c_str(), step.value("to", "").c_str(),
                step["downtime_ms"].dump().c_str());
  }
  ExpectNoFinishedStepRedone(run);
  // The run is listed, and a finished run cannot be resumed.
  CliResult runs = c_.Drover({"runs"});
  EXPECT_NE(runs.out.find(run), std::string::npos);
  EXPECT_NE(c_.Drover({"resume", run}).exit_code, 0);
  // The plan is stale now (the guests moved): apply refuses it.
  CliResult stale = c_.Drover({"apply", plan});
  EXPECT_NE(stale.exit_code, 0);
  EXPECT_NE(stale.err.find("fingerprint"), std::string::npos) << stale.err;
  ExpectEvacuated();
}

TEST_F(RunTest, OrchestratorKilledAgainAndAgainThenResumeFinishes) {
  StartCluster();
  if (HasFatalFailure()) return;
  std::string plan = PlanEvacuation();
  std::string run = ApplyDetached(plan);
  ASSERT_FALSE(run.empty());
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pause_ms(100, 1500);
  int kills = 0;
  for (; kills < 6; ++kills) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    json s = Status(run);
    if (s.is_object() && s.value("state", "") == "done") break;
    c_.StopOrchestrator(SIGKILL);
    c_.StartOrchestrator();
    ASSERT_TRUE(WaitFor([&] { return AllOnline(); }, 20s)) << c_.Log("orchestrator");
    s = Status(run);
    ASSERT_TRUE(s.is_object()) << "run " << run << " is gone after a restart";
    if (s.value("state", "") == "done") break;
    EXPECT_EQ(s.value("state", ""), "interrupted") << s.dump(2) << c_.Log("orchestrator");
    CliResult resumed = c_.Drover({"resume", "--detach", run});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err << c_.Log("orchestrator");
  }
  std::printf("[ figures  ] orchestrator killed %d times\n", kills);
  ASSERT_TRUE(WaitFor([&] { return RunEnded(run); }, 180s));
  json s = Status(run);
  EXPECT_EQ(s.value("state", ""), "done") << s.dump(2) << c_.Log("orchestrator");
  ExpectEvacuated();
  ExpectNoFinishedStepRedone(run);
}

TEST_F(RunTest, AgentKilledMidRunThenResumeFinishes) {
  StartCluster();
  if (HasFatalFailure()) return;
  std::string plan = PlanEvacuation();
  json doc = json::parse(std::ifstream(plan));
  ASSERT_FALSE(doc["steps"].empty());
  std::string victim = doc["steps"][0]["to"];
  std::string run = ApplyDetached(plan);
  ASSERT_FALSE(run.empty());
  // Kill the first step's destination agent while that step syncs.
  ASSERT_TRUE(WaitFor([&] { return FirstStepActing(run); }, 60s));
  c_.StopAgent(victim, SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return RunEnded(run); }, 120s)) << c_.Log("orchestrator");
  json s = Status(run);
  EXPECT_EQ(s.value("state", ""), "failed") << s.dump(2);
  // Whatever did not move still runs on h1.
  for (const auto& g : kGuests) EXPECT_EQ(Where(g).second, "running") << g;
  StartAgent(victim);
  ASSERT_TRUE(WaitFor([&] { return c_.HostState(victim) == "online"; }, 20s));
  CliResult resumed = c_.Drover({"resume", run});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err << c_.Log("orchestrator");
  ExpectEvacuated();
  ExpectNoFinishedStepRedone(run);
}

TEST_F(RunTest, DestinationOutOfSpaceFailsThatStepAndTheRestGoesOn) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs as a pool";
  StartCluster([&] {
    // h2's pool: a 96 MiB tmpfs, so the plan can use it; filled up below.
    std::string pool = Pool("h2");
    fs::create_directories(pool);
    ASSERT_EQ(mount("tmpfs", pool.c_str(), "tmpfs", 0, "size=96m"), 0) << strerror(errno);
    mounts_.push_back(pool);
  });
  if (HasFatalFailure()) return;
  std::string plan = PlanEvacuation();
  json doc = json::parse(std::ifstream(plan));
  int to_h2 = 0;
  for (const auto& st : doc["steps"]) to_h2 += st.value("to", "") == "h2";
  if (to_h2 == 0) GTEST_SKIP() << "the planner sent nothing to h2: " << doc["steps"].dump();
  // Something else takes the room after planning: 256 KiB are left, far
  // less than a guest's disk.
  {
    auto free_bytes = fs::space(Pool("h2")).available;
    ASSERT_GT(free_bytes, 1u << 20);
    std::ofstream fill(Pool("h2") + "/other-data");
    std::string kib(1 << 10, 'x');
    for (uintmax_t i = 0; i < (free_bytes >> 10) - 256; ++i) fill << kib;
  }
  CliResult r = c_.Drover({"apply", "--force", plan});
  EXPECT_NE(r.exit_code, 0) << r.out;
  std::string run = RunIdFrom(r.out);
  json s = Status(run);
  EXPECT_EQ(s.value("state", ""), "failed");
  for (const auto& st : s["steps"]) {
    if (st.value("to", "") == "h2") {
      EXPECT_EQ(st.value("state", ""), "failed") << st.dump();
      EXPECT_EQ(Where(st.value("guest", "")).first, "h1") << "the guest left its source";
      EXPECT_EQ(Where(st.value("guest", "")).second, "running");
      EXPECT_FALSE(fs::exists(Pool("h2") + "/" + st.value("guest", "") + "-disk"))
          << "the partial copy was not discarded";
    } else if (st.value("state", "") != "blocked") {
      EXPECT_EQ(st.value("state", ""), "done") << st.dump();
    }
  }
  ExpectNoFinishedStepRedone(run);
}

TEST_F(RunTest, AbortRollsBackStepsInFlightAndKeepsFinishedOnes) {
  StartCluster();
  if (HasFatalFailure()) return;
  std::string plan = PlanEvacuation();
  std::string run = ApplyDetached(plan);
  ASSERT_FALSE(run.empty());
  ASSERT_TRUE(WaitFor([&] { return FirstStepActing(run); }, 60s));
  CliResult a = c_.Drover({"abort", run});
  EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
  json s = Status(run);
  EXPECT_EQ(s.value("state", ""), "aborted") << s.dump(2);
  int done = 0;
  for (const auto& st : s["steps"]) {
    std::string state = st.value("state", "");
    EXPECT_TRUE(state == "done" || state == "aborted" || state == "pending") << st.dump();
    std::string guest = st.value("guest", "");
    auto [host, guest_state] = Where(guest);
    EXPECT_EQ(guest_state, "running") << guest;
    // A step that did not finish left its guest on the source, with no copy.
    if (state != "done") {
      EXPECT_EQ(host, "h1") << guest;
      EXPECT_FALSE(fs::exists(Pool(st.value("to", "")) + "/" + guest + "-disk")) << guest;
    } else {
      ++done;
    }
  }
  // Resume runs only what is left.
  CliResult resumed = c_.Drover({"resume", run});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  std::printf("[ figures  ] %d steps done before the abort\n", done);
  ExpectNoFinishedStepRedone(run);
  ExpectEvacuated();
}

TEST_F(RunTest, OrchestratorLinkCutMidRunThenResumeFinishes) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace";
  LinkedNetns ns;
  if (!ns.ok()) GTEST_SKIP() << "cannot make a network namespace with a veth link here";
  // The orchestrator lives behind its own link; the agents and guests here.
  c_.PlaceOrchestrator(ns.name(), ns.inside_ip());
  StartCluster();
  if (HasFatalFailure()) return;
  std::string plan = PlanEvacuation();
  std::string run = ApplyDetached(plan);
  ASSERT_FALSE(run.empty());
  ASSERT_TRUE(WaitFor([&] { return FirstStepActing(run); }, 60s));
  ASSERT_TRUE(ns.SetLink(false));
  std::this_thread::sleep_for(8s);  // past the heartbeat timeout: agents are lost
  ASSERT_TRUE(ns.SetLink(true));
  // Agents that heard nothing for their timeout open a new connection and
  // register again: let that settle before asking them to act.
  std::this_thread::sleep_for(12s);
  ASSERT_TRUE(WaitFor([&] { return AllOnline(); }, 60s))
      << c_.Log("orchestrator") << c_.Log("h1") << c_.Log("h2") << c_.Log("h3");
  ASSERT_TRUE(WaitFor([&] { return RunEnded(run); }, 120s))
      << Status(run).dump(2) << c_.Log("orchestrator") << c_.Log("h1") << c_.Log("h2")
      << c_.Log("h3");
  json s = Status(run);
  std::printf("[ figures  ] state after the link came back: %s\n", s.value("state", "").c_str());
  // No guest is left stopped, wherever it is.
  for (const auto& g : kGuests) {
    EXPECT_TRUE(WaitFor([&] { return Where(g).second == "running"; }, 30s)) << g;
  }
  if (s.value("state", "") != "done") {
    CliResult resumed = c_.Drover({"resume", run});
    EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err << c_.Log("orchestrator");
  }
  ExpectNoFinishedStepRedone(run);
  ExpectEvacuated();
}

}  // namespace
}  // namespace drover::testing
