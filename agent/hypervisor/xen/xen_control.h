// XenControl: the domain operations the Xen driver needs, as an interface,
// so that the migration threads (xen_sender.h, xen_receiver.h) run in tests
// against a scripted fake. LibxlApi (libxl_api.h) is the real one.
//
// Implementations must be thread-safe.
#pragma once

#include <cstdint>
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

class XenControl {
 public:
  virtual ~XenControl() = default;

  virtual Result<std::vector<XenDomainInfo>> ListDomains() = 0;
  // kNotFound when no domain carries `name`.
  virtual Result<XenDomainInfo> FindDomain(const std::string& name) = 0;
  // Creates the domain, left paused when `paused`.
  virtual Result<uint32_t> Create(const XenDomainSpec& spec, bool paused) = 0;
  // Receives a migration stream from `fd` into a new domain named
  // IncomingName(spec.name), left paused. `send_back_fd` may be -1.
  virtual Result<uint32_t> CreateRestore(const XenDomainSpec& spec, int fd, int send_back_fd) = 0;
  // Writes the domain's migration stream to `fd`; with `live`, pre-copies
  // memory while it runs. Returns with the domain suspended.
  virtual Status Suspend(uint32_t domid, int fd, bool live) = 0;
  // Runs a suspended domain again (`cancel`: co-operative suspend_cancel).
  virtual Status Resume(uint32_t domid, bool cancel) = 0;
  virtual Status Pause(uint32_t domid) = 0;
  virtual Status Unpause(uint32_t domid) = 0;
  virtual Status Shutdown(uint32_t domid) = 0;
  virtual Status Destroy(uint32_t domid) = 0;
  // Renames atomically if the domain is still called `old_name`.
  virtual Status Rename(uint32_t domid, const std::string& old_name,
                        const std::string& new_name) = 0;
};

}  // namespace drover::hv
