// QemuHypervisor: both ends of a live migration (migration.h).
#include <unistd.h>

#include <thread>

#include "agent/hypervisor/qemu/process.h"
#include "agent/hypervisor/qemu/qemu_hypervisor.h"
#include "agent/hypervisor/qemu/qmp_migration.h"
#include "agent/hypervisor/status_util.h"

namespace drover::hv {
namespace {

constexpr std::chrono::milliseconds kPollInterval{5};

bool Finished(MigrationPhase p) {
  return p == MigrationPhase::kCompleted || p == MigrationPhase::kFailed ||
         p == MigrationPhase::kCancelled;
}

}  // namespace

template <typename Done>
Result<MigrationStatus> QemuHypervisor::PollMigration(const std::string& name, Millis timeout,
                                                      Done done) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    ASSIGN_OR_RETURN(MigrationStatus st, QueryMigrationOut(name));
    if (done(st)) return st;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Err(
          Timeout("qemu: migration of " + name + " still " + std::string(PhaseName(st.phase))));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

Status QemuHypervisor::StartMigrationOut(const std::string& name, const MigrationTarget& target,
                                         const MigrationParams& params) {
  if (target.uri.empty()) return InvalidArgument("qemu: migration target has no uri");
  HV_ASSIGN_OR_RETURN_STATUS(Session s, Connect(name));
  auto t = options_.qmp_timeout;
  HV_ASSIGN_OR_RETURN_STATUS(nlohmann::json now, s.qmp->Execute("query-migrate", nullptr, t));
  MigrationPhase phase = SourceStatusFromQueryMigrate(now).phase;
  if (phase != MigrationPhase::kNone && !Finished(phase)) {
    return InvalidArgument("qemu: guest " + name + " is already migrating");
  }
  RETURN_STATUS_IF_ERROR(
      ToStatus(s.qmp->Execute("migrate-set-capabilities", OutgoingCapabilities(), t)));
  RETURN_STATUS_IF_ERROR(
      ToStatus(s.qmp->Execute("migrate-set-parameters", MigrationParameters(params), t)));
  return ToStatus(s.qmp->Execute("migrate", {{"uri", target.uri}}, t));
}

Result<MigrationStatus> QemuHypervisor::QueryMigrationOut(const std::string& name) {
  ASSIGN_OR_RETURN(nlohmann::json reply, Run(name, "query-migrate"));
  return SourceStatusFromQueryMigrate(reply);
}

Result<MigrationStatus> QemuHypervisor::WaitForSwitchover(const std::string& name, Millis timeout) {
  return PollMigration(name, timeout, [](const MigrationStatus& st) {
    return st.phase == MigrationPhase::kPreSwitchover || st.phase == MigrationPhase::kNone ||
           Finished(st.phase);
  });
}

Result<MigrationStatus> QemuHypervisor::ContinueMigrationOut(const std::string& name,
                                                             Millis timeout) {
  ASSIGN_OR_RETURN(MigrationStatus st, QueryMigrationOut(name));
  if (st.phase == MigrationPhase::kCompleted) return st;  // a repeat
  if (st.phase == MigrationPhase::kPreSwitchover) {
    RETURN_IF_ERROR(ToStatus(Run(name, "migrate-continue", {{"state", "pre-switchover"}})));
  } else if (st.phase != MigrationPhase::kCompleting) {  // kCompleting: a repeat, still going
    return Err(InvalidArgument("qemu: migration of " + name + " is " +
                               std::string(PhaseName(st.phase)) + ", not pre-switchover"));
  }
  // Completed here means QEMU has its final figures and the source is in
  // postmigrate (SourceStatusFromQueryMigrate).
  return PollMigration(name, timeout, [](const MigrationStatus& s) { return Finished(s.phase); });
}

Status QemuHypervisor::AbortMigrationOut(const std::string& name, Millis timeout) {
  HV_ASSIGN_OR_RETURN_STATUS(MigrationStatus st, QueryMigrationOut(name));
  if (st.phase == MigrationPhase::kCompleted) {
    return InvalidArgument("qemu: migration of " + name +
                           " completed: the destination owns the guest");
  }
  if (!Finished(st.phase) && st.phase != MigrationPhase::kNone) {
    RETURN_STATUS_IF_ERROR(ToStatus(Run(name, "migrate_cancel")));
    HV_ASSIGN_OR_RETURN_STATUS(st, PollMigration(name, timeout, [](const MigrationStatus& s) {
                                 return Finished(s.phase) || s.phase == MigrationPhase::kNone;
                               }));
    if (st.phase == MigrationPhase::kCompleted) {
      return InvalidArgument("qemu: migration of " + name + " completed before the cancel");
    }
  }
  // QEMU restarts a guest that ran before the migration; make sure it does.
  pid_t pid = -1;
  HV_ASSIGN_OR_RETURN_STATUS(GuestState state, StateOf(name, &pid));
  if (state == GuestState::kRunning) return Status::Ok();
  return ToStatus(Run(name, "cont"));
}

Result<MigrationTarget> QemuHypervisor::PrepareMigrationIn(const GuestSpec& spec,
                                                           const IncomingParams& params) {
  RunDir dir = DirOf(spec.name);
  RETURN_IF_ERROR(Define(spec));
  if (dir.LivePid() >= 0) {
    auto saved = ReadFile(dir.incoming_file());
    if (!saved) return Err(InvalidArgument("qemu: guest " + spec.name + " already runs here"));
    return MigrationTarget{*saved, -1};  // a repeat while it waits
  }
  RETURN_IF_ERROR(Launch(spec, QemuStartMode::kIncoming));
  std::string host = params.listen_host.empty() ? "127.0.0.1" : params.listen_host;
  std::string uri = "tcp:" + host + ":" + std::to_string(params.port);
  auto listening = Run(spec.name, "migrate-incoming", {{"uri", uri}});
  if (listening && params.port == 0) {
    auto reply = Run(spec.name, "query-migrate");
    uint16_t port = reply ? IncomingPort(*reply) : 0;
    if (port == 0) listening = Err(Internal("qemu: incoming migration reports no port"));
    uri = "tcp:" + host + ":" + std::to_string(port);
  }
  if (!listening) {
    (void)AbortMigrationIn(spec.name);
    return Err(listening.error());
  }
  RETURN_IF_ERROR(WriteFileAtomic(dir.incoming_file(), uri));
  return MigrationTarget{uri, -1};
}

Result<MigrationStatus> QemuHypervisor::WaitMigrationIn(const std::string& name, Millis timeout) {
  RunDir dir = DirOf(name);
  if (!dir.Defined()) return Err(NotFound("qemu: no guest " + name));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (dir.LivePid() < 0) {  // QEMU exits when an incoming stream fails
      MigrationStatus failed;
      failed.phase = MigrationPhase::kFailed;
      failed.error = "incoming QEMU exited: " + TailOfFile(dir.qemu_log(), 300);
      return failed;
    }
    auto reply = Run(name, "query-migrate");
    if (reply) {
      MigrationStatus st = StatusFromQueryMigrate(*reply);
      if (Finished(st.phase)) return st;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Err(Timeout("qemu: incoming migration of " + name + " not complete"));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

Status QemuHypervisor::AbortMigrationIn(const std::string& name) {
  if (!DirOf(name).Defined()) return Status::Ok();
  RETURN_STATUS_IF_ERROR(Kill(name, Millis(1000)));
  return Undefine(name);
}

}  // namespace drover::hv
