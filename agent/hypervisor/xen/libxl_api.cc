// The only translation unit that includes <libxl.h>.
#include "agent/hypervisor/xen/libxl_api.h"

extern "C" {
#include <libxl.h>
#include <libxl_utils.h>
#include <xentoollog.h>
}

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace drover::hv {
namespace {

char* Dup(const std::string& s) { return s.empty() ? nullptr : ::strdup(s.c_str()); }

Status LibxlError(const std::string& what, int rc) {
  std::string msg = "libxl " + what + " failed (rc=" + std::to_string(rc) + ")";
  if (rc == ERROR_DOMAIN_NOTFOUND) return NotFound(msg);
  if (rc == ERROR_INVAL) return InvalidArgument(msg);
  if (rc == ERROR_TIMEDOUT || rc == ERROR_GUEST_TIMEDOUT) return Timeout(msg);
  return Internal(msg);
}

bool ParseMac(const std::string& text, libxl_mac mac) {
  unsigned b[6];
  if (std::sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4],
                  &b[5]) != 6) {
    return false;
  }
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(b[i]);
  return true;
}

// Owns a libxl_domain_config built from a XenDomainSpec.
class DomainConfig {
 public:
  DomainConfig() { libxl_domain_config_init(&c_); }
  ~DomainConfig() { libxl_domain_config_dispose(&c_); }
  DomainConfig(const DomainConfig&) = delete;
  DomainConfig& operator=(const DomainConfig&) = delete;
  libxl_domain_config* get() { return &c_; }

  Status Fill(const XenDomainSpec& spec, const std::string& name) {
    libxl_domain_type type =
        spec.type == XenGuestType::kPv ? LIBXL_DOMAIN_TYPE_PV : LIBXL_DOMAIN_TYPE_PVH;
    c_.c_info.type = type;
    c_.c_info.name = Dup(name);
    libxl_domain_build_info_init_type(&c_.b_info, type);
    c_.b_info.max_vcpus = spec.vcpus;
    // avail_vcpus: one bit per vCPU, all online (allocated by hand: libxl's
    // allocator wants a live context).
    c_.b_info.avail_vcpus.size = static_cast<uint32_t>((spec.vcpus + 7) / 8);
    c_.b_info.avail_vcpus.map = static_cast<uint8_t*>(std::calloc(c_.b_info.avail_vcpus.size, 1));
    for (int i = 0; i < spec.vcpus; ++i) libxl_bitmap_set(&c_.b_info.avail_vcpus, i);
    c_.b_info.max_memkb = spec.memory_kib;
    c_.b_info.target_memkb = spec.memory_kib;
    c_.b_info.kernel = Dup(spec.kernel);
    c_.b_info.ramdisk = Dup(spec.ramdisk);
    c_.b_info.cmdline = Dup(spec.cmdline);
    if (!spec.disks.empty()) {
      c_.disks = static_cast<libxl_device_disk*>(std::calloc(spec.disks.size(), sizeof *c_.disks));
      for (const auto& d : spec.disks) {
        libxl_device_disk* disk = &c_.disks[c_.num_disks++];
        libxl_device_disk_init(disk);
        disk->pdev_path = Dup(d.pdev_path);
        disk->vdev = Dup(d.vdev);
        disk->format = d.format == "qcow2" ? LIBXL_DISK_FORMAT_QCOW2 : LIBXL_DISK_FORMAT_RAW;
        disk->backend = d.is_block_device ? LIBXL_DISK_BACKEND_PHY : LIBXL_DISK_BACKEND_QDISK;
        disk->readwrite = d.read_only ? 0 : 1;
      }
    }
    if (!spec.nics.empty()) {
      c_.nics = static_cast<libxl_device_nic*>(std::calloc(spec.nics.size(), sizeof *c_.nics));
      for (const auto& n : spec.nics) {
        libxl_device_nic* nic = &c_.nics[c_.num_nics];
        libxl_device_nic_init(nic);
        nic->devid = c_.num_nics++;
        if (!ParseMac(n.mac, nic->mac)) return InvalidArgument("xen: bad MAC " + n.mac);
        nic->bridge = Dup(n.bridge);
      }
    }
    return Status::Ok();
  }

 private:
  libxl_domain_config c_;
};

XenDomainInfo FromDominfo(libxl_ctx* ctx, const libxl_dominfo& d) {
  XenDomainInfo info;
  info.domid = d.domid;
  char* name = libxl_domid_to_name(ctx, d.domid);
  info.name = name ? name : "";
  std::free(name);
  info.running = d.running;
  info.blocked = d.blocked;
  info.paused = d.paused;
  info.shutdown = d.shutdown;
  info.dying = d.dying;
  info.suspended = d.shutdown && d.shutdown_reason == LIBXL_SHUTDOWN_REASON_SUSPEND;
  info.crashed = d.shutdown && d.shutdown_reason == LIBXL_SHUTDOWN_REASON_CRASH;
  info.current_memkb = d.current_memkb;
  info.max_memkb = d.max_memkb;
  info.cpu_time_ns = d.cpu_time;
  info.vcpus = static_cast<int>(d.vcpu_online);
  return info;
}

}  // namespace

struct LibxlApi::Impl {
  xentoollog_logger_stdiostream* logger = nullptr;
  libxl_ctx* ctx = nullptr;
  libxl_childproc_hooks hooks{};  // must outlive ctx (freed first, in ~Impl)
  ~Impl() {
    if (ctx) libxl_ctx_free(ctx);
    if (logger) xtl_logger_destroy(reinterpret_cast<xentoollog_logger*>(logger));
  }
};

LibxlApi::LibxlApi(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LibxlApi::~LibxlApi() = default;

Result<std::unique_ptr<LibxlApi>> LibxlApi::Open() {
  if (::access("/proc/xen", F_OK) != 0) {
    return Err(Unavailable("xen: no /proc/xen on this host (not a Xen dom0)"));
  }
  auto impl = std::make_unique<Impl>();
  impl->logger = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
  int rc = libxl_ctx_alloc(&impl->ctx, LIBXL_VERSION, 0,
                           reinterpret_cast<xentoollog_logger*>(impl->logger));
  if (rc != 0)
    return Err(Unavailable("xen: libxl_ctx_alloc failed (rc=" + std::to_string(rc) + ")"));
  impl->hooks.chldowner = libxl_sigchld_owner_libxl_always_selective_reap;
  libxl_childproc_setmode(impl->ctx, &impl->hooks, nullptr);
  return std::unique_ptr<LibxlApi>(new LibxlApi(std::move(impl)));
}

Result<std::vector<XenDomainInfo>> LibxlApi::ListDomains() {
  int n = 0;
  libxl_dominfo* list = libxl_list_domain(impl_->ctx, &n);
  if (!list) return Err(Unavailable("libxl list_domain failed"));
  std::vector<XenDomainInfo> out;
  for (int i = 0; i < n; ++i) out.push_back(FromDominfo(impl_->ctx, list[i]));
  libxl_dominfo_list_free(list, n);
  return out;
}

Result<XenDomainInfo> LibxlApi::FindDomain(const std::string& name) {
  ASSIGN_OR_RETURN(auto domains, ListDomains());
  for (auto& d : domains) {
    if (d.name == name) return d;
  }
  return Err(NotFound("xen: no domain " + name));
}

Result<uint32_t> LibxlApi::Create(const XenDomainSpec& spec, bool paused) {
  DomainConfig config;
  RETURN_IF_ERROR(config.Fill(spec, spec.name));
  uint32_t domid = INVALID_DOMID;
  int rc = libxl_domain_create_new(impl_->ctx, config.get(), &domid, nullptr, nullptr);
  if (rc != 0) return Err(LibxlError("domain_create_new " + spec.name, rc));
  if (!paused) {
    rc = libxl_domain_unpause(impl_->ctx, domid, nullptr);
    if (rc != 0) return Err(LibxlError("domain_unpause " + spec.name, rc));
  }
  return domid;
}

Result<uint32_t> LibxlApi::CreateRestore(const XenDomainSpec& spec, int fd, int send_back_fd) {
  DomainConfig config;
  RETURN_IF_ERROR(config.Fill(spec, IncomingName(spec.name)));
  libxl_domain_restore_params params;
  libxl_domain_restore_params_init(&params);
  params.stream_version = 2;
  uint32_t domid = INVALID_DOMID;
  int rc = libxl_domain_create_restore(impl_->ctx, config.get(), &domid, fd, send_back_fd, &params,
                                       nullptr, nullptr);
  libxl_domain_restore_params_dispose(&params);
  if (rc != 0) return Err(LibxlError("domain_create_restore " + spec.name, rc));
  return domid;
}

Status LibxlApi::Suspend(uint32_t domid, int fd, bool live) {
  int rc = libxl_domain_suspend(impl_->ctx, domid, fd, live ? LIBXL_SUSPEND_LIVE : 0, nullptr);
  return rc == 0 ? Status::Ok() : LibxlError("domain_suspend " + std::to_string(domid), rc);
}

Status LibxlApi::Resume(uint32_t domid, bool cancel) {
  int rc = libxl_domain_resume(impl_->ctx, domid, cancel ? 1 : 0, nullptr);
  return rc == 0 ? Status::Ok() : LibxlError("domain_resume " + std::to_string(domid), rc);
}

Status LibxlApi::Pause(uint32_t domid) {
  int rc = libxl_domain_pause(impl_->ctx, domid, nullptr);
  return rc == 0 ? Status::Ok() : LibxlError("domain_pause " + std::to_string(domid), rc);
}

Status LibxlApi::Unpause(uint32_t domid) {
  int rc = libxl_domain_unpause(impl_->ctx, domid, nullptr);
  return rc == 0 ? Status::Ok() : LibxlError("domain_unpause " + std::to_string(domid), rc);
}

Status LibxlApi::Shutdown(uint32_t domid) {
  int rc = libxl_domain_shutdown(impl_->ctx, domid, nullptr);
  return rc == 0 ? Status::Ok() : LibxlError("domain_shutdown " + std::to_string(domid), rc);
}

Status LibxlApi::Destroy(uint32_t domid) {
  int rc = libxl_domain_destroy(impl_->ctx, domid, nullptr);
  return rc == 0 ? Status::Ok() : LibxlError("domain_destroy " + std::to_string(domid), rc);
}

Status LibxlApi::Rename(uint32_t domid, const std::string& old_name, const std::string& new_name) {
  int rc = libxl_domain_rename(impl_->ctx, domid, old_name.c_str(), new_name.c_str());
  return rc == 0 ? Status::Ok() : LibxlError("domain_rename " + old_name, rc);
}

Result<std::string> DomainConfigJson(const XenDomainSpec& spec) {
  DomainConfig config;
  RETURN_IF_ERROR(config.Fill(spec, spec.name));
  char* json = libxl_domain_config_to_json(nullptr, config.get());
  if (!json) return Err(Internal("libxl domain_config_to_json failed"));
  std::string out(json);
  std::free(json);
  return out;
}

}  // namespace drover::hv
