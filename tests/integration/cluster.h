// A real drover cluster for integration tests: `drover serve` and
// `drover-agent` run as separate processes on 127.0.0.1, with keys made by
// `drover keys gen` in a fresh directory, and the CLI run as a process too.
// Everything started is killed when the Cluster is destroyed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace drover::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` to completion, capturing its output.
CliResult RunProcess(const std::vector<std::string>& argv);
// Starts `argv` in the background with output to `log`; returns its pid.
pid_t StartProcess(const std::vector<std::string>& argv, const std::string& log);

// Polls `done` every 50 ms until it is true or `timeout` passes.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout);

int FreeTcpPort();

class Cluster {
 public:
  Cluster();
  ~Cluster();

  const std::string& dir() const { return dir_; }
  const std::string& endpoint() const { return endpoint_; }
  std::string drover() const;
  std::string agent_binary() const;

  // Makes NAME.key/NAME.pub in dir(); returns the public key.
  std::string GenKey(const std::string& name);
  CliResult Drover(std::vector<std::string> args);  // with --state and operator key
  void AcceptAgentKey(const std::string& name);

  // Runs the orchestrator inside network namespace `netns`, reachable at
  // `ip` (the namespace's end of a link the caller made); agents and the
  // CLI then connect there. Call before StartOrchestrator.
  void PlaceOrchestrator(const std::string& netns, const std::string& ip);
  void StartOrchestrator(std::vector<std::string> extra = {});
  void StopOrchestrator(int signal = 15);
  // Starts an agent named `name` with its own pool directory. Its key is
  // made (and accepted, unless `accept` is false) on first use.
  void StartAgent(const std::string& name, std::vector<std::string> extra = {}, bool accept = true);
  void StopAgent(const std::string& name, int signal = 15);
  pid_t agent_pid(const std::string& name) { return agents_[name]; }
  pid_t orchestrator_pid() const { return orchestrator_; }

  // The state of `host` in `drover hosts --json` ("" when not listed).
  std::string HostState(const std::string& host);
  std::string Log(const std::string& name) const;  // "orchestrator" or an agent name

 private:
  std::string dir_;
  std::string endpoint_;
  std::string orchestrator_netns_;
  pid_t orchestrator_ = 0;
  std::map<std::string, pid_t> agents_;
};

}  // namespace drover::testing
