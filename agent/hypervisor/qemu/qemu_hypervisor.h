// QemuHypervisor: guests as daemonized QEMU processes, one run directory each
// (run_dir.h), controlled through QMP (qmp_client.h).
//
// Guests belong to the host, not to this object: QEMU is started with
// -daemonize (its own session, reparented away from the agent), so it keeps
// running when the agent exits or crashes. A new QemuHypervisor on the same
// root adopts them again: it scans the run directories, checks each pid is a
// live QEMU serving that directory, and reconnects to its QMP socket on first
// use. QEMU serves one QMP client at a time: two driver objects on the same
// root in one host must not be used at the same time.
//
// Migration (migration.h): outgoing with the pause-before-switchover and
// events capabilities, migrate-set-parameters (max-bandwidth,
// downtime-limit), query-migrate, migrate-continue and migrate_cancel;
// incoming with -S -incoming defer and migrate-incoming on a TCP address, the
// destination held paused until Resume.
//
// Thread-safety: all methods are thread-safe; one mutex per guest serializes
// its QMP traffic, waits poll without holding it for long.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "agent/hypervisor/hypervisor.h"
#include "agent/hypervisor/qemu/qemu_command.h"
#include "agent/hypervisor/qemu/qmp_client.h"
#include "agent/hypervisor/qemu/run_dir.h"

namespace drover::hv {

struct QemuOptions {
  std::string run_root;  // directory holding one run directory per guest
  QemuConfig qemu;
  std::chrono::milliseconds start_timeout{15000};
  std::chrono::milliseconds qmp_timeout{10000};
};

class QemuHypervisor final : public Hypervisor {
 public:
  // Creates the run root if needed. Guests already running there are adopted.
  static Result<std::unique_ptr<QemuHypervisor>> Open(QemuOptions options);

  // Names of the guests running under the root when Open ran (adopted).
  const std::vector<std::string>& adopted() const { return adopted_; }
  const std::string& run_root() const { return options_.run_root; }
  RunDir DirOf(const std::string& name) const { return RunDir(options_.run_root, name); }

  // Runs one raw QMP command on a running guest, serialized with the driver's
  // own traffic. For tools and benchmarks that need QEMU features outside the
  // Hypervisor interface (e.g. the drive-mirror + NBD baseline of
  // tools/bench-migrate); the agent itself should not need it.
  Result<nlohmann::json> ExecuteQmp(const std::string& name, const std::string& command,
                                    const nlohmann::json& arguments = nullptr);

  std::string kind() const override { return "qemu"; }
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
  // One known guest: its QMP connection and the lock that serializes it.
  struct Guest {
    std::mutex mu;
    QmpClient qmp;  // guarded by mu
  };
  // A guest's lock held, its QMP connected to a live QEMU.
  struct Session {
    std::unique_lock<std::mutex> lock;
    QmpClient* qmp;
    pid_t pid;
  };

  explicit QemuHypervisor(QemuOptions options) : options_(std::move(options)) {}

  std::shared_ptr<Guest> GuestFor(const std::string& name);
  // kNotFound if undefined, kInvalidArgument if not running.
  Result<Session> Connect(const std::string& name);
  Result<nlohmann::json> Run(const std::string& name, const std::string& command,
                             const nlohmann::json& args = nullptr);
  Status Launch(const GuestSpec& spec, QemuStartMode mode);
  Status Kill(const std::string& name, Millis timeout);
  Result<GuestState> StateOf(const std::string& name, pid_t* pid);
  // Polls query-migrate until `done(status)` or `timeout`.
  template <typename Done>
  Result<MigrationStatus> PollMigration(const std::string& name, Millis timeout, Done done);

  const QemuOptions options_;
  std::vector<std::string> adopted_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Guest>> guests_;  // guarded by mu_
};

}  // namespace drover::hv
