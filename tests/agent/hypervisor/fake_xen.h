// FakeXen: a scripted XenControl for tests — domains in a map, a "migration
// stream" of a fixed size written and read on the real socket, and failure
// injection at each call the migration threads make. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "agent/hypervisor/xen/xen_control.h"

namespace drover::hv::testing {

class FakeXen final : public XenControl {
 public:
  static constexpr size_t kStreamBytes = 64 * 1024;

  // Failure injection.
  bool fail_suspend = false;
  bool fail_restore = false;
  bool fail_unpause = false;
  std::function<void()> on_unpause;  // runs inside Unpause (e.g. cut the link)

  // Test view of the domains.
  std::map<uint32_t, XenDomainInfo> Domains();
  std::optional<XenDomainInfo> ByName(const std::string& name);

  Result<std::vector<XenDomainInfo>> ListDomains() override;
  Result<XenDomainInfo> FindDomain(const std::string& name) override;
  Result<uint32_t> Create(const XenDomainSpec& spec, bool paused) override;
  Result<uint32_t> CreateRestore(const XenDomainSpec& spec, int fd, int send_back_fd) override;
  Status Suspend(uint32_t domid, int fd, bool live) override;
  Status Resume(uint32_t domid, bool cancel) override;
  Status Pause(uint32_t domid) override;
  Status Unpause(uint32_t domid) override;
  Status Shutdown(uint32_t domid) override;
  Status Destroy(uint32_t domid) override;
  Status Rename(uint32_t domid, const std::string& old_name, const std::string& new_name) override;

 private:
  Result<XenDomainInfo*> Find(uint32_t domid);  // mu_ held

  std::mutex mu_;
  uint32_t next_domid_ = 1;
  std::map<uint32_t, XenDomainInfo> domains_;  // guarded by mu_
};

}  // namespace drover::hv::testing
