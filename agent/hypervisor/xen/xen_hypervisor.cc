// XenHypervisor: definitions, life cycle and statistics. Migration is in
// xen_migration.cc.
#include "agent/hypervisor/xen/xen_hypervisor.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "agent/hypervisor/qemu/run_dir.h"  // WriteFileAtomic, ReadFile
#include "agent/hypervisor/status_util.h"

namespace drover::hv {
namespace fs = std::filesystem;

namespace {

bool IsBlockDevice(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode);
}

GuestState StateOf(const XenDomainInfo& d) {
  if (d.crashed) return GuestState::kCrashed;
  if (d.suspended) return GuestState::kMigrated;
  if (d.shutdown || d.dying) return GuestState::kShutoff;
  if (d.paused) return GuestState::kPaused;
  return GuestState::kRunning;
}

uint64_t ReadCounter(const fs::path& p) {
  std::ifstream in(p);
  uint64_t v = 0;
  in >> v;
  return v;
}

}  // namespace

void AddBlkbackStats(const std::string& sysfs_root, uint32_t domid, GuestStats* stats) {
  std::error_code ec;
  std::string prefix = "vbd-" + std::to_string(domid) + "-";
  for (const auto& e : fs::directory_iterator(sysfs_root, ec)) {
    if (e.path().filename().string().rfind(prefix, 0) != 0) continue;
    fs::path s = e.path() / "statistics";
    stats->disk_read_bytes += ReadCounter(s / "rd_sect") * 512;
    stats->disk_write_bytes += ReadCounter(s / "wr_sect") * 512;
    stats->disk_read_ops += ReadCounter(s / "rd_req");
    stats->disk_write_ops += ReadCounter(s / "wr_req");
  }
}

XenHypervisor::XenHypervisor(XenOptions options, std::unique_ptr<XenControl> api)
    : options_(std::move(options)), api_(std::move(api)) {}

Result<std::unique_ptr<XenHypervisor>> XenHypervisor::Open(XenOptions options,
                                                           std::unique_ptr<XenControl> api) {
  if (!api) return Err(InvalidArgument("xen: no XenControl"));
  std::error_code ec;
  fs::create_directories(options.config_dir, ec);
  if (ec) return Err(IoError("mkdir " + options.config_dir + ": " + ec.message()));
  return std::unique_ptr<XenHypervisor>(new XenHypervisor(std::move(options), std::move(api)));
}

std::string XenHypervisor::SpecPath(const std::string& name) const {
  return options_.config_dir + "/" + name + ".json";
}

Result<GuestSpec> XenHypervisor::Definition(const std::string& name) {
  auto text = ReadFile(SpecPath(name));
  if (!text) return Err(NotFound("xen: no guest " + name));
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Err(InvalidArgument(SpecPath(name) + ": not JSON"));
  return GuestSpecFromJson(j);
}

Result<XenDomainSpec> XenHypervisor::DomainSpec(const std::string& name) {
  ASSIGN_OR_RETURN(GuestSpec spec, Definition(name));
  return ToXenDomainSpec(spec, options_.type, &IsBlockDevice);
}

Result<GuestInfo> XenHypervisor::Get(const std::string& name) {
  auto spec = Definition(name);
  GuestInfo info{name, GuestState::kShutoff, 0, 0, {}, -1};
  if (spec) {
    info.vcpus = spec->vcpus;
    info.memory_mib = spec->memory_mib;
    for (const auto& d : spec->disks) info.disks.push_back(d.path);
  }
  auto dom = api_->FindDomain(name);
  // A guest mid-migration carries xl's temporary names: NAME--incoming on the
  // receiver, NAME--migratedaway on a sender past permission to go (left
  // there, suspended, if the handshake broke or the agent restarted).
  for (auto [alias, state] : {std::pair{IncomingName(name), GuestState::kIncoming},
                              std::pair{MigratedAwayName(name), GuestState::kMigrated}}) {
    if (dom || dom.error().code() != Code::kNotFound) break;
    auto other = api_->FindDomain(alias);
    if (other) {
      info.state = state;
      info.id = other->domid;
      return info;
    }
  }
  if (!dom) {
    if (dom.error().code() == Code::kNotFound && spec) return info;  // defined, not running
    return Err(dom.error());
  }
  info.state = StateOf(*dom);
  info.id = dom->domid;
  if (!spec) {
    info.vcpus = dom->vcpus;
    info.memory_mib = dom->max_memkb / 1024;
  }
  return info;
}

Result<std::vector<GuestInfo>> XenHypervisor::List() {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(options_.config_dir, ec)) {
    if (e.path().extension() == ".json") names.insert(e.path().stem().string());
  }
  ASSIGN_OR_RETURN(auto domains, api_->ListDomains());
  for (const auto& d : domains) {
    if (d.domid != 0 && !d.name.empty()) names.insert(d.name);  // dom0 is not a guest
  }
  std::vector<GuestInfo> out;
  for (const auto& n : names) {
    ASSIGN_OR_RETURN(GuestInfo info, Get(n));
    out.push_back(std::move(info));
  }
  return out;
}

Status XenHypervisor::Define(const GuestSpec& spec) {
  RETURN_STATUS_IF_ERROR(Validate(spec));
  auto old = Definition(spec.name);
  if (old) {
    return ToJson(*old) == ToJson(spec)
               ? Status::Ok()
               : AlreadyExists("xen: guest " + spec.name + " is defined differently");
  }
  return WriteFileAtomic(SpecPath(spec.name), ToJson(spec).dump(2) + "\n");
}

Status XenHypervisor::Undefine(const std::string& name) {
  if (api_->FindDomain(name)) return InvalidArgument("xen: guest " + name + " still runs");
  if (::unlink(SpecPath(name).c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus("unlink " + SpecPath(name), errno);
  }
  return Status::Ok();
}

Status XenHypervisor::Start(const std::string& name) {
  if (api_->FindDomain(name)) return Status::Ok();
  HV_ASSIGN_OR_RETURN_STATUS(XenDomainSpec spec, DomainSpec(name));
  return ToStatus(api_->Create(spec, /*paused=*/false));
}

Status XenHypervisor::Stop(const std::string& name, Millis grace) {
  auto dom = api_->FindDomain(name);
  if (!dom) return dom.error().code() == Code::kNotFound ? Status::Ok() : dom.error();
  if (api_->Shutdown(dom->domid).ok()) {
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!api_->FindDomain(name)) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return Destroy(name);
}

Status XenHypervisor::Destroy(const std::string& name) {
  auto dom = api_->FindDomain(name);
  if (!dom) return dom.error().code() == Code::kNotFound ? Status::Ok() : dom.error();
  return api_->Destroy(dom->domid);
}

Status XenHypervisor::Pause(const std::string& name) {
  HV_ASSIGN_OR_RETURN_STATUS(XenDomainInfo dom, api_->FindDomain(name));
  return dom.paused ? Status::Ok() : api_->Pause(dom.domid);
}

Status XenHypervisor::Resume(const std::string& name) {
  HV_ASSIGN_OR_RETURN_STATUS(XenDomainInfo dom, api_->FindDomain(name));
  if (dom.suspended) return api_->Resume(dom.domid, /*cancel=*/true);
  return dom.paused ? api_->Unpause(dom.domid) : Status::Ok();
}

Result<GuestStats> XenHypervisor::Stats(const std::string& name) {
  ASSIGN_OR_RETURN(XenDomainInfo dom, api_->FindDomain(name));
  GuestStats stats;
  stats.cpu_seconds = static_cast<double>(dom.cpu_time_ns) / 1e9;
  stats.memory_bytes = dom.max_memkb * 1024;
  stats.memory_used_bytes = dom.current_memkb * 1024;
  AddBlkbackStats("/sys/bus/xen-backend/devices", dom.domid, &stats);
  return stats;
}

Result<GuestSpec> XenHypervisor::Clone(const std::string& original, const std::string& new_name,
                                       const std::vector<std::string>& new_disk_paths) {
  ASSIGN_OR_RETURN(GuestSpec spec, Definition(original));
  ASSIGN_OR_RETURN(GuestSpec clone, CloneSpec(spec, new_name, new_disk_paths, "00:16:3e"));
  RETURN_IF_ERROR(Define(clone));
  return clone;
}

}  // namespace drover::hv
