// drover-bench-migrate-guest: the QEMU side of tools/bench-migrate.
//
//   start IMAGE_DIR RUN_ROOT NAME DISK RATE
//       defines and starts the test guest (IMAGE_DIR: tools/guest/build-image's
//       output; drover_rate=RATE 4 KiB blocks per second) under RUN_ROOT, as
//       an agent would, and waits until it counts; the agent owning RUN_ROOT
//       adopts it.
//   qemu-migrate IMAGE_DIR WORK DISK_SRC DISK_DST RATE DOWNTIME_MS
//       the baseline, as libvirt migrates a guest with local disks: source
//       guest on DISK_SRC; destination QEMU held with -incoming defer, its
//       DISK_DST exported by its own NBD server (nbd-server-start +
//       block-export-add); the source mirrors its disk there (drive-mirror,
//       sync full) until the job is ready, then migrates memory; at
//       completion it cancels the mirror (block-job-cancel, which leaves the
//       copy in sync) and the destination continues. Prints one JSON line:
//       {qemu_downtime_ms, qemu_total_s, mirror_bytes, ram_bytes, pause_ms}.
// Exit status 0 on success, 1 with the reason on stderr.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "agent/hypervisor/qemu/qemu_hypervisor.h"
#include "agent/hypervisor/status_util.h"
#include "tests/agent/hypervisor/test_guest.h"

namespace {

using namespace drover;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr uint64_t kMemoryMib = 128;
constexpr uint64_t kMaxBandwidth = 1ull << 30;  // drover's default memory cap

int Fail(const std::string& what) {
  std::fprintf(stderr, "drover-bench-migrate-guest: %s\n", what.c_str());
  return 1;
}

Result<std::unique_ptr<hv::QemuHypervisor>> Driver(const std::string& run_root) {
  hv::QemuOptions o;
  o.run_root = run_root;
  return hv::QemuHypervisor::Open(o);
}

hv::GuestSpec Spec(const std::string& image, const std::string& name, const std::string& disk,
                   const std::string& rate) {
  hv::GuestSpec spec = hv::testing::TestGuestSpec(name, image, disk, kMemoryMib);
  spec.cmdline += " drover_rate=" + rate;
  spec.nics.push_back({hv::DerivedMac(name, "52:54:00"), ""});
  return spec;
}

Status StartGuest(hv::QemuHypervisor& d, const hv::GuestSpec& spec) {
  RETURN_IF_ERROR(d.Define(spec));
  RETURN_IF_ERROR(d.Start(spec.name));
  std::string serial = d.DirOf(spec.name).serial_log();
  auto counting = hv::testing::WaitForCounter(serial, 50, 120s);
  if (!counting) return counting.error().WithContext("guest " + spec.name + " does not count");
  return Status::Ok();
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

// The block node behind drive `device` (the driver names them disk0, ...).
Result<std::string> NodeName(hv::QemuHypervisor& d, const std::string& guest,
                             const std::string& device) {
  ASSIGN_OR_RETURN(json blocks, d.ExecuteQmp(guest, "query-block"));
  for (const auto& b : blocks) {
    if (b.value("device", "") == device && b.contains("inserted")) {
      return b["inserted"].value("node-name", "");
    }
  }
  return Err(NotFound("no block device " + device + " in guest " + guest));
}

// The mirror job's row in query-block-jobs, or null when it is gone.
Result<json> MirrorJob(hv::QemuHypervisor& d, const std::string& guest) {
  ASSIGN_OR_RETURN(json jobs, d.ExecuteQmp(guest, "query-block-jobs"));
  for (const auto& j : jobs) {
    if (j.value("device", "") == "mirror0") return j;
  }
  return json();
}

Result<json> QemuMigrate(const std::string& image, const std::string& work,
                         const std::string& disk_src, const std::string& disk_dst,
                         const std::string& rate, uint64_t downtime_ms) {
  ASSIGN_OR_RETURN(auto src, Driver(work + "/qsrc"));
  ASSIGN_OR_RETURN(auto dst, Driver(work + "/qdst"));
  hv::GuestSpec spec = Spec(image, "qvm", disk_src, rate);
  RETURN_IF_ERROR(StartGuest(*src, spec));
  hv::GuestSpec dspec = spec;
  dspec.disks[0].path = disk_dst;
  ASSIGN_OR_RETURN(hv::MigrationTarget target, dst->PrepareMigrationIn(dspec, {}));
  int port = FreePort();
  if (port <= 0) return Err(Internal("no free port for the NBD server"));
  json addr = {{"type", "inet"}, {"data", {{"host", "127.0.0.1"}, {"port", std::to_string(port)}}}};
  RETURN_IF_ERROR(hv::ToStatus(dst->ExecuteQmp("qvm", "nbd-server-start", {{"addr", addr}})));
  ASSIGN_OR_RETURN(std::string node, NodeName(*dst, "qvm", "disk0"));
  RETURN_IF_ERROR(hv::ToStatus(dst->ExecuteQmp("qvm", "block-export-add",
                                               {{"type", "nbd"},
                                                {"id", "export0"},
                                                {"node-name", node},
                                                {"name", "disk0"},
                                                {"writable", true}})));

  auto t0 = Clock::now();
  uint64_t c0 = hv::testing::LastCounter(src->DirOf("qvm").serial_log()).value_or(0);
  RETURN_IF_ERROR(hv::ToStatus(
      src->ExecuteQmp("qvm", "drive-mirror",
                      {{"device", "disk0"},
                       {"job-id", "mirror0"},
                       {"target", "nbd:127.0.0.1:" + std::to_string(port) + ":exportname=disk0"},
                       {"format", "raw"},
                       {"mode", "existing"},
                       {"sync", "full"}})));
  for (;;) {  // BLOCK_JOB_READY: the copy caught up, writes are mirrored
    ASSIGN_OR_RETURN(json job, MirrorJob(*src, "qvm"));
    if (job.is_null()) return Err(Aborted("the mirror job ended before it was ready"));
    if (job.value("ready", false)) break;
    std::this_thread::sleep_for(10ms);
  }
  RETURN_IF_ERROR(hv::ToStatus(
      src->ExecuteQmp("qvm", "migrate-set-parameters",
                      {{"max-bandwidth", kMaxBandwidth}, {"downtime-limit", downtime_ms}})));
  RETURN_IF_ERROR(hv::ToStatus(src->ExecuteQmp("qvm", "migrate", {{"uri", target.uri}})));
  json migrated;
  Clock::time_point stopped;
  for (;;) {
    ASSIGN_OR_RETURN(migrated, src->ExecuteQmp("qvm", "query-migrate"));
    std::string status = migrated.value("status", "");
    if (status == "completed") break;
    if (status == "failed" || status == "cancelled") {
      return Err(Aborted("qemu migration " + status + ": " + migrated.value("error-desc", "")));
    }
    std::this_thread::sleep_for(5ms);
  }
  stopped = Clock::now();
  // libvirt at completion: the source is stopped, the mirror is in sync;
  // cancelling a ready job completes its in-flight writes and leaves the
  // target as it is.
  ASSIGN_OR_RETURN(json job, MirrorJob(*src, "qvm"));
  uint64_t mirror_bytes = job.is_null() ? 0 : job.value("offset", uint64_t{0});
  RETURN_IF_ERROR(
      hv::ToStatus(src->ExecuteQmp("qvm", "block-job-cancel", {{"device", "mirror0"}})));
  for (;;) {
    ASSIGN_OR_RETURN(json left, MirrorJob(*src, "qvm"));
    if (left.is_null()) break;
    std::this_thread::sleep_for(2ms);
  }
  RETURN_IF_ERROR(hv::ToStatus(dst->ExecuteQmp("qvm", "nbd-server-stop")));
  auto in = dst->WaitMigrationIn("qvm", 10s);
  if (!in) return Err(in.error());
  RETURN_IF_ERROR(dst->Resume("qvm"));
  auto running = Clock::now();
  json out = {
      {"qemu_downtime_ms", migrated.value("downtime", uint64_t{0})},
      {"qemu_total_s", std::chrono::duration<double>(running - t0).count()},
      {"mirror_bytes", mirror_bytes},
      {"ram_bytes",
       migrated.contains("ram") ? migrated["ram"].value("transferred", uint64_t{0}) : uint64_t{0}},
      // Source stop to destination running, as far as this driver sees it:
      // QEMU's downtime plus the mirror cancel and the destination's cont.
      {"pause_ms", migrated.value("downtime", uint64_t{0}) +
                       std::chrono::duration<double, std::milli>(running - stopped).count()}};
  // Did the guest go on counting on the destination? How fast did it write?
  auto counting = hv::testing::WaitForCounter(dst->DirOf("qvm").serial_log(), 1, 60s);
  if (counting) {
    uint64_t c1 = hv::testing::LastCounter(dst->DirOf("qvm").serial_log()).value_or(c0);
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    out["guest_mib_s"] = static_cast<double>(c1 - c0) * 4096 / s / (1 << 20);
  }
  (void)src->Destroy("qvm");
  (void)dst->Destroy("qvm");
  if (!counting) return Err(counting.error().WithContext("the migrated guest does not count"));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "start" && argc == 7) {
    auto d = Driver(argv[3]);
    if (!d) return Fail(d.error().ToString());
    Status s = StartGuest(**d, Spec(argv[2], argv[4], argv[5], argv[6]));
    return s.ok() ? 0 : Fail(s.ToString());
  }
  if (cmd == "qemu-migrate" && argc == 8) {
    auto r = QemuMigrate(argv[2], argv[3], argv[4], argv[5], argv[6],
                         std::strtoull(argv[7], nullptr, 10));
    if (!r) return Fail(r.error().ToString());
    std::printf("%s\n", r->dump().c_str());
    return 0;
  }
  std::fprintf(stderr,
               "usage: drover-bench-migrate-guest start IMAGE_DIR RUN_ROOT NAME DISK RATE\n"
               "       drover-bench-migrate-guest qemu-migrate IMAGE_DIR WORK DISK_SRC DISK_DST "
               "RATE DOWNTIME_MS\n");
  return 2;
}
