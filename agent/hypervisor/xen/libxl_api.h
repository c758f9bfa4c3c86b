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

#include "agent/hypervisor/xen/xen_control.h"
#include "agent/hypervisor/xen/xen_domain_spec.h"
#include "common/status.h"

namespace drover::hv {

class LibxlApi final : public XenControl {
 public:
  // kUnavailable when there is no Xen to talk to (no /proc/xen, no privcmd).
  static Result<std::unique_ptr<LibxlApi>> Open();
  ~LibxlApi() override;
  LibxlApi(const LibxlApi&) = delete;
  LibxlApi& operator=(const LibxlApi&) = delete;

  Result<std::vector<XenDomainInfo>> ListDomains() override;
  Result<XenDomainInfo> FindDomain(const std::string& name) override;
  Result<uint32_t> Create(const XenDomainSpec& spec, bool paused) override;
  Result<uint32_t> CreateRestore(const XenDomainSpec& spec, int fd, int send_back_fd) override;
  Status Suspend(uint32_t domid, int fd, bool live) override;  // LIBXL_SUSPEND_LIVE
  Status Resume(uint32_t domid, bool cancel) override;
  Status Pause(uint32_t domid) override;
  Status Unpause(uint32_t domid) override;
  Status Shutdown(uint32_t domid) override;
  Status Destroy(uint32_t domid) override;
  Status Rename(uint32_t domid, const std::string& old_name, const std::string& new_name) override;

 private:
  struct Impl;
  explicit LibxlApi(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The libxl_domain_config built from `spec`, printed by libxl itself
// (libxl_domain_config_to_json). Needs no running Xen; for tests and logs.
Result<std::string> DomainConfigJson(const XenDomainSpec& spec);

}  // namespace drover::hv
