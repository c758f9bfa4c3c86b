// LibxlApi: the one file that talks to libxenlight (<libxl.h>).
//
// Every call needs a running Xen with xenstored (dom0); without /proc/xen,
// Open() fails with kUnavailable and nothing else can be called. Errors are
// libxl's ERROR_* codes turned into a Status naming the call and the domain.
//
// Ownership: owns the libxl context and its logger. Thread-safety: libxl
// contexts are thread-safe for synchronous calls; this object adds nothing
// and may be shared. The context is set up with
// libxl_sigchld_owner_libxl_always_selective_reap so that libxl reaps only
// the children it forked (the agent has children of its own).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/hypervisor/xen/xen_domain_spec.h"
#include "common/status.h"

namespace drover::hv {

struct XenDomainInfo {
  uint32_t domid = 0;
  std::string name;
  bool running = false, blocked = false, paused = false, shutdown = false, dying = false;
  bool suspended = false;  // shut down with reason "suspend" (a migrated-away source)
  bool crashed = false;    // shut down with reason "crash"
  uint64_t current_memkb = 0, max_memkb = 0;
  uint64_t cpu_time_ns = 0;
  int vcpus = 0;
};

class LibxlApi {
 public:
  // kUnavailable when there is no Xen to talk to (no /proc/xen, no privcmd).
  static Result<std::unique_ptr<LibxlApi>> Open();
  ~LibxlApi();
  LibxlApi(const LibxlApi&) = delete;
  LibxlApi& operator=(const LibxlApi&) = delete;

  Result<std::vector<XenDomainInfo>> ListDomains();
  // kNotFound when no domain carries `name`.
  Result<XenDomainInfo> FindDomain(const std::string& name);

  // Creates the domain, left paused when `paused`.
  Result<uint32_t> Create(const XenDomainSpec& spec, bool paused);
  // Receives a migration stream from `fd` (libxl_domain_create_restore);
  // the domain is left paused. `send_back_fd` may be -1.
  Result<uint32_t> CreateRestore(const XenDomainSpec& spec, int fd, int send_back_fd);
  // Writes the domain's migration stream to `fd`; with `live`, pre-copies
  // memory while it runs (LIBXL_SUSPEND_LIVE). Returns with the domain
  // suspended.
  Status Suspend(uint32_t domid, int fd, bool live);
  // Runs a suspended domain again (`cancel`: co-operative suspend_cancel).
  Status Resume(uint32_t domid, bool cancel);
  Status Pause(uint32_t domid);
  Status Unpause(uint32_t domid);
  Status Shutdown(uint32_t domid);
  Status Destroy(uint32_t domid);
  // Renames atomically if the domain is still called `old_name`.
  Status Rename(uint32_t domid, const std::string& old_name, const std::string& new_name);

 private:
  struct Impl;
  explicit LibxlApi(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The libxl_domain_config built from `spec`, printed by libxl itself
// (libxl_domain_config_to_json). Needs no running Xen; for tests and logs.
Result<std::string> DomainConfigJson(const XenDomainSpec& spec);

}  // namespace drover::hv
