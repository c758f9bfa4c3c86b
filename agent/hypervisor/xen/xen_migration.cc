// XenHypervisor: both ends of a live migration, delegated to one XenSender
// or XenReceiver per guest (each drives its handshake in its own thread).
#include <unistd.h>

#include "agent/hypervisor/status_util.h"
#include "agent/hypervisor/xen/xen_hypervisor.h"

namespace drover::hv {

XenHypervisor::~XenHypervisor() {
  // Senders and receivers abort and join here, while api_ still exists.
  std::lock_guard<std::mutex> lock(mu_);
  outgoing_.clear();
  incoming_.clear();
}

std::shared_ptr<XenSender> XenHypervisor::FindOutgoing(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = outgoing_.find(name);
  return it == outgoing_.end() ? nullptr : it->second;
}

std::shared_ptr<XenReceiver> XenHypervisor::FindIncoming(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = incoming_.find(name);
  return it == incoming_.end() ? nullptr : it->second;
}

Status XenHypervisor::StartMigrationOut(const std::string& name, const MigrationTarget& target,
                                        const MigrationParams& /*libxl has no knobs*/) {
  if (target.fd < 0) return InvalidArgument("xen: migration target needs a connected socket");
  if (auto old = FindOutgoing(name)) {
    SenderState s = old->state();
    if (s != SenderState::kFailed && s != SenderState::kCancelled) {
      return InvalidArgument("xen: guest " + name + " is already migrating or migrated");
    }
  }
  HV_ASSIGN_OR_RETURN_STATUS(XenDomainInfo dom, api_->FindDomain(name));
  int fd = ::dup(target.fd);
  if (fd < 0) return ErrnoStatus("dup", errno);
  auto sender =
      std::make_shared<XenSender>(api_.get(), name, dom.domid, fd, options_.handshake_timeout);
  std::lock_guard<std::mutex> lock(mu_);
  outgoing_[name] = std::move(sender);
  return Status::Ok();
}

Result<MigrationStatus> XenHypervisor::QueryMigrationOut(const std::string& name) {
  auto m = FindOutgoing(name);
  return m ? m->Status() : MigrationStatus{};
}

Result<MigrationStatus> XenHypervisor::WaitForSwitchover(const std::string& name, Millis timeout) {
  auto m = FindOutgoing(name);
  if (!m) return MigrationStatus{};
  return m->WaitForSwitchover(timeout);
}

Result<MigrationStatus> XenHypervisor::ContinueMigrationOut(const std::string& name,
                                                            Millis timeout) {
  auto m = FindOutgoing(name);
  if (!m) return Err(InvalidArgument("xen: guest " + name + " is not migrating"));
  return m->Continue(timeout);
}

Status XenHypervisor::AbortMigrationOut(const std::string& name, Millis timeout) {
  auto m = FindOutgoing(name);
  return m ? m->Abort(timeout) : Status::Ok();
}

Result<MigrationTarget> XenHypervisor::PrepareMigrationIn(const GuestSpec& spec,
                                                          const IncomingParams& params) {
  if (params.fd < 0)
    return Err(InvalidArgument("xen: incoming migration needs an accepted socket"));
  if (auto old = FindIncoming(spec.name)) {
    ReceiverState s = old->state();
    if (s != ReceiverState::kFailed) return MigrationTarget{};  // a repeat while it runs
  }
  RETURN_IF_ERROR(Define(spec));
  ASSIGN_OR_RETURN(XenDomainSpec xspec, DomainSpec(spec.name));
  int fd = ::dup(params.fd);
  if (fd < 0) return Err(ErrnoStatus("dup", errno));
  auto receiver = std::make_shared<XenReceiver>(
      api_.get(), std::move(xspec), fd, options_.handshake_timeout, options_.permission_timeout);
  std::lock_guard<std::mutex> lock(mu_);
  incoming_[spec.name] = std::move(receiver);
  return MigrationTarget{};
}

Result<MigrationStatus> XenHypervisor::WaitMigrationIn(const std::string& name, Millis timeout) {
  auto m = FindIncoming(name);
  if (!m) return Err(NotFound("xen: no incoming migration of " + name));
  return m->Wait(timeout);
}

Status XenHypervisor::AbortMigrationIn(const std::string& name) {
  if (auto m = FindIncoming(name)) RETURN_STATUS_IF_ERROR(m->Abort());
  RETURN_STATUS_IF_ERROR(Destroy(name));
  RETURN_STATUS_IF_ERROR(Destroy(IncomingName(name)));
  RETURN_STATUS_IF_ERROR(Undefine(name));
  std::lock_guard<std::mutex> lock(mu_);
  incoming_.erase(name);
  return Status::Ok();
}

}  // namespace drover::hv
