// QemuHypervisor: definitions, life cycle and statistics. Migration is in
// qemu_migration.cc.
#include "agent/hypervisor/qemu/qemu_hypervisor.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "agent/hypervisor/qemu/process.h"
#include "agent/hypervisor/qemu/qmp_migration.h"
#include "agent/hypervisor/status_util.h"

namespace drover::hv {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kConnectTimeout{3000};
constexpr milliseconds kQuitTimeout{5000};

// utime + stime of a process, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string f;
  uint64_t utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stoull(f);
    if (i == 15) {
      stime = std::stoull(f);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

uint64_t ResidentBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

uint64_t StatField(const nlohmann::json& stats, const char* key) {
  auto it = stats.find(key);
  return it != stats.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

}  // namespace

Result<std::unique_ptr<QemuHypervisor>> QemuHypervisor::Open(QemuOptions options) {
  if (options.run_root.empty()) return Err(InvalidArgument("qemu: run_root is empty"));
  std::unique_ptr<QemuHypervisor> hv(new QemuHypervisor(std::move(options)));
  RETURN_IF_ERROR(RunDir(hv->options_.run_root, ".").Create());
  ASSIGN_OR_RETURN(auto names, ListRunDirs(hv->options_.run_root));
  for (const auto& name : names) {
    if (hv->DirOf(name).LivePid() < 0) continue;
    hv->adopted_.push_back(name);
    (void)hv->Connect(name);  // reconnect now; a failure is retried on first use
  }
  return hv;
}

std::shared_ptr<QemuHypervisor::Guest> QemuHypervisor::GuestFor(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& g = guests_[name];
  if (!g) g = std::make_shared<Guest>();
  return g;
}

Result<QemuHypervisor::Session> QemuHypervisor::Connect(const std::string& name) {
  RunDir dir = DirOf(name);
  if (!dir.Defined()) return Err(NotFound("qemu: no guest " + name));
  std::shared_ptr<Guest> g = GuestFor(name);
  Session s{std::unique_lock<std::mutex>(g->mu), &g->qmp, dir.LivePid()};
  if (s.pid < 0) {
    g->qmp.Close();
    return Err(InvalidArgument("qemu: guest " + name + " is not running"));
  }
  if (!g->qmp.connected()) {
    Status st = g->qmp.Connect(dir.qmp_socket(), kConnectTimeout);
    if (!st.ok()) return Err(st.WithContext("guest " + name));
  }
  return s;
}

Result<nlohmann::json> QemuHypervisor::Run(const std::string& name, const std::string& command,
                                           const nlohmann::json& args) {
  ASSIGN_OR_RETURN(Session s, Connect(name));
  return s.qmp->Execute(command, args, options_.qmp_timeout);
}

Result<nlohmann::json> QemuHypervisor::ExecuteQmp(const std::string& name,
                                                  const std::string& command,
                                                  const nlohmann::json& arguments) {
  return Run(name, command, arguments);
}

Result<GuestState> QemuHypervisor::StateOf(const std::string& name, pid_t* pid) {
  RunDir dir = DirOf(name);
  if (!dir.Defined()) return Err(NotFound("qemu: no guest " + name));
  *pid = dir.LivePid();
  if (*pid < 0) {
    // QEMU removes its pid file when it exits cleanly; one left behind means
    // the process died without us stopping it.
    return ::access(dir.pid_file().c_str(), F_OK) == 0 ? GuestState::kCrashed
                                                       : GuestState::kShutoff;
  }
  ASSIGN_OR_RETURN(nlohmann::json status, Run(name, "query-status"));
  auto it = status.find("status");
  return it != status.end() && it->is_string() ? StateFromRunState(*it) : GuestState::kUnknown;
}

Result<GuestInfo> QemuHypervisor::Get(const std::string& name) {
  ASSIGN_OR_RETURN(GuestSpec spec, Definition(name));
  GuestInfo info{name, GuestState::kUnknown, spec.vcpus, spec.memory_mib, {}, -1};
  for (const auto& d : spec.disks) info.disks.push_back(d.path);
  pid_t pid = -1;
  ASSIGN_OR_RETURN(info.state, StateOf(name, &pid));
  info.id = pid;
  return info;
}

Result<std::vector<GuestInfo>> QemuHypervisor::List() {
  ASSIGN_OR_RETURN(auto names, ListRunDirs(options_.run_root));
  std::vector<GuestInfo> out;
  for (const auto& name : names) {
    auto info = Get(name);
    if (info) {
      out.push_back(std::move(*info));
    } else if (info.error().code() != Code::kNotFound) {  // undefined meanwhile: skip
      return Err(info.error());
    }
  }
  return out;
}

Result<GuestSpec> QemuHypervisor::Definition(const std::string& name) {
  RunDir dir = DirOf(name);
  if (!dir.Defined()) return Err(NotFound("qemu: no guest " + name));
  return dir.ReadSpec();
}

Status QemuHypervisor::Define(const GuestSpec& spec) {
  RETURN_STATUS_IF_ERROR(Validate(spec));
  RunDir dir = DirOf(spec.name);
  if (dir.Defined()) {
    auto old = dir.ReadSpec();
    if (old && ToJson(*old) == ToJson(spec)) return Status::Ok();
    return AlreadyExists("qemu: guest " + spec.name + " is defined differently");
  }
  return dir.WriteSpec(spec);
}

Status QemuHypervisor::Undefine(const std::string& name) {
  RunDir dir = DirOf(name);
  if (!dir.Defined()) return Status::Ok();
  if (dir.LivePid() >= 0) return InvalidArgument("qemu: guest " + name + " still runs");
  RETURN_STATUS_IF_ERROR(dir.Remove());
  std::lock_guard<std::mutex> lock(mu_);
  guests_.erase(name);
  return Status::Ok();
}

Status QemuHypervisor::Launch(const GuestSpec& spec, QemuStartMode mode) {
  RunDir dir = DirOf(spec.name);
  HV_ASSIGN_OR_RETURN_STATUS(auto argv, BuildQemuArgv(options_.qemu, spec, dir, mode));
  {
    std::shared_ptr<Guest> g = GuestFor(spec.name);
    std::lock_guard<std::mutex> lock(g->mu);
    if (dir.LivePid() >= 0) return Status::Ok();
    g->qmp.Close();
    ::unlink(dir.pid_file().c_str());
    ::unlink(dir.qmp_socket().c_str());
    ::unlink(dir.incoming_file().c_str());
    HV_ASSIGN_OR_RETURN_STATUS(int rc,
                               RunToCompletion(argv, dir.qemu_log(), options_.start_timeout));
    if (rc != 0 || dir.LivePid() < 0) {
      return Unavailable("qemu: guest " + spec.name + " did not start (exit " + std::to_string(rc) +
                         "): " + TailOfFile(dir.qemu_log(), 400));
    }
  }
  return ToStatus(Connect(spec.name));
}

Status QemuHypervisor::Start(const std::string& name) {
  HV_ASSIGN_OR_RETURN_STATUS(GuestSpec spec, Definition(name));
  return Launch(spec, QemuStartMode::kRun);
}

Status QemuHypervisor::Kill(const std::string& name, Millis timeout) {
  RunDir dir = DirOf(name);
  if (!dir.Defined()) return NotFound("qemu: no guest " + name);
  std::shared_ptr<Guest> g = GuestFor(name);
  std::lock_guard<std::mutex> lock(g->mu);
  pid_t pid = dir.LivePid();
  if (pid >= 0) {
    if (g->qmp.connected() || g->qmp.Connect(dir.qmp_socket(), kConnectTimeout).ok()) {
      (void)g->qmp.Execute("quit", nullptr, kQuitTimeout);
    }
    if (!WaitProcessGone(pid, timeout).ok()) {
      RETURN_STATUS_IF_ERROR(SignalProcess(pid, SIGKILL));
      RETURN_STATUS_IF_ERROR(WaitProcessGone(pid, kQuitTimeout));
    }
  }
  g->qmp.Close();
  ::unlink(dir.pid_file().c_str());
  ::unlink(dir.qmp_socket().c_str());
  ::unlink(dir.incoming_file().c_str());
  return Status::Ok();
}

Status QemuHypervisor::Destroy(const std::string& name) { return Kill(name, Millis(3000)); }

Status QemuHypervisor::Stop(const std::string& name, Millis grace) {
  RunDir dir = DirOf(name);
  if (!dir.Defined()) return NotFound("qemu: no guest " + name);
  pid_t pid = dir.LivePid();
  if (pid < 0) return Kill(name, Millis(0));  // tidy a crashed guest's files
  auto down = Run(name, "system_powerdown");
  if (down && WaitProcessGone(pid, grace).ok()) return Kill(name, Millis(0));
  return Kill(name, Millis(1000));
}

Status QemuHypervisor::Pause(const std::string& name) { return ToStatus(Run(name, "stop")); }

Status QemuHypervisor::Resume(const std::string& name) {
  pid_t pid = -1;
  HV_ASSIGN_OR_RETURN_STATUS(GuestState state, StateOf(name, &pid));
  if (state == GuestState::kRunning) return Status::Ok();
  if (state == GuestState::kIncoming) {
    return InvalidArgument("qemu: guest " + name + " has not arrived yet");
  }
  RETURN_STATUS_IF_ERROR(ToStatus(Run(name, "cont")));
  ::unlink(DirOf(name).incoming_file().c_str());
  return Status::Ok();
}

Result<GuestStats> QemuHypervisor::Stats(const std::string& name) {
  ASSIGN_OR_RETURN(GuestSpec spec, Definition(name));
  ASSIGN_OR_RETURN(Session s, Connect(name));
  GuestStats stats;
  stats.cpu_seconds = CpuSeconds(s.pid);
  stats.memory_bytes = spec.memory_mib << 20;
  stats.memory_used_bytes = ResidentBytes(s.pid);
  ASSIGN_OR_RETURN(nlohmann::json blocks,
                   s.qmp->Execute("query-blockstats", nullptr, options_.qmp_timeout));
  for (const auto& b : blocks) {
    if (!b.is_object() || !b.contains("stats") || !b["stats"].is_object()) continue;
    const auto& st = b["stats"];
    stats.disk_read_bytes += StatField(st, "rd_bytes");
    stats.disk_write_bytes += StatField(st, "wr_bytes");
    stats.disk_read_ops += StatField(st, "rd_operations");
    stats.disk_write_ops += StatField(st, "wr_operations");
  }
  return stats;
}

Result<GuestSpec> QemuHypervisor::Clone(const std::string& original, const std::string& new_name,
                                        const std::vector<std::string>& new_disk_paths) {
  ASSIGN_OR_RETURN(GuestSpec spec, Definition(original));
  ASSIGN_OR_RETURN(GuestSpec clone, CloneSpec(spec, new_name, new_disk_paths, "52:54:00"));
  RETURN_IF_ERROR(Define(clone));
  return clone;
}

}  // namespace drover::hv
