// XenHypervisor: guests as Xen domains, through XenControl (xen_control.h):
// libxenlight (libxl_api.h) in the agent, a scripted fake in tests.
//
// Definitions (GuestSpec JSON, one file per guest) live in a directory of
// ours, since libxl keeps none; the running state lives in Xen, so a new
// XenHypervisor (a restarted agent) sees every domain again with no adoption
// step. Guests boot as PVH (or PV) with the spec's kernel.
//
// Migration follows `xl migrate` (xen_handshake.h) over a connected stream
// socket that the agents set up (MigrationTarget::fd on the source,
// IncomingParams::fd on the destination; the caller keeps ownership, the
// driver works on a dup). One thread per migration end drives the state
// machine; the Hypervisor calls observe and steer it:
//   source: StartMigrationOut → WaitForSwitchover (kPreSwitchover: source
//   suspended, destination holds NAME--incoming paused) → final disk round →
//   ContinueMigrationOut (permission to go; the receiver renames and unpauses
//   at once, as xl does, and reports) → kCompleted (source destroyed).
//   destination: PrepareMigrationIn → WaitMigrationIn (kCompleted once it
//   runs) → Resume is then a no-op.
// Unlike QEMU, the Xen receiver unpauses on permission to go: the caller's
// verification (DESIGN step 5) happens before ContinueMigrationOut.
// After permission to go a lost report is ambiguous (MigrationStatus::
// ambiguous): the source is never resumed; an operator checks both ends.
//
// Destroying the driver aborts migrations still before permission to go and
// joins their threads (xen_sender.h, xen_receiver.h).
// Thread-safety: all methods are thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "agent/hypervisor/hypervisor.h"
#include "agent/hypervisor/xen/xen_control.h"
#include "agent/hypervisor/xen/xen_domain_spec.h"
#include "agent/hypervisor/xen/xen_receiver.h"
#include "agent/hypervisor/xen/xen_sender.h"

namespace drover::hv {

struct XenOptions {
  std::string config_dir = "/var/lib/drover/xen";  // <name>.json per defined guest
  XenGuestType type = XenGuestType::kPvh;
  std::chrono::milliseconds handshake_timeout{60000};    // per handshake message
  std::chrono::milliseconds permission_timeout{600000};  // the final disk round's bound
};

class XenHypervisor final : public Hypervisor {
 public:
  // Creates the definition directory. The registry passes LibxlApi::Open()'s
  // result as `control` (which fails with kUnavailable without Xen).
  static Result<std::unique_ptr<XenHypervisor>> Open(XenOptions options,
                                                     std::unique_ptr<XenControl> control);
  ~XenHypervisor() override;

  std::string kind() const override { return "xen"; }
  Result<std::vector<GuestInfo>> List() override;
  Result<GuestInfo> Get(const std::string& name) override;
  Result<GuestSpec> Definition(const std::string& name) override;
  Status Define(const GuestSpec& spec) override;
  Status Undefine(const std::string& name) override;
  Status Start(const std::string& name) override;
  Status Stop(const std::string& name, Millis grace) override;
  Status Destroy(const std::string& name) override;
  Status Pause(const std::string& name) override;
  Status Resume(const std::string& name) override;
  Result<GuestStats> Stats(const std::string& name) override;
  Result<GuestSpec> Clone(const std::string& original, const std::string& new_name,
                          const std::vector<std::string>& new_disk_paths) override;

  Status StartMigrationOut(const std::string& name, const MigrationTarget& target,
                           const MigrationParams& params) override;
  Result<MigrationStatus> QueryMigrationOut(const std::string& name) override;
  Result<MigrationStatus> WaitForSwitchover(const std::string& name, Millis timeout) override;
  Result<MigrationStatus> ContinueMigrationOut(const std::string& name, Millis timeout) override;
  Status AbortMigrationOut(const std::string& name, Millis timeout) override;
  Result<MigrationTarget> PrepareMigrationIn(const GuestSpec& spec,
                                             const IncomingParams& params) override;
  Result<MigrationStatus> WaitMigrationIn(const std::string& name, Millis timeout) override;
  Status AbortMigrationIn(const std::string& name) override;

 private:
  XenHypervisor(XenOptions options, std::unique_ptr<XenControl> api);
  std::string SpecPath(const std::string& name) const;
  Result<XenDomainSpec> DomainSpec(const std::string& name);
  std::shared_ptr<XenSender> FindOutgoing(const std::string& name);
  std::shared_ptr<XenReceiver> FindIncoming(const std::string& name);

  const XenOptions options_;
  std::unique_ptr<XenControl> api_;  // outlives the senders and receivers below
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<XenSender>> outgoing_;    // guarded by mu_
  std::map<std::string, std::shared_ptr<XenReceiver>> incoming_;  // guarded by mu_
};

// Sums a domain's blkback counters (/sys/bus/xen-backend/devices/vbd-DOMID-*
// /statistics) into `stats` (bytes from 512-byte sectors). Missing: zeros.
void AddBlkbackStats(const std::string& sysfs_root, uint32_t domid, GuestStats* stats);

}  // namespace drover::hv
