#include "tests/integration/cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace drover::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

void Terminate(pid_t pid, int signal) {
  if (pid <= 0) return;
  kill(pid, SIGCONT);  // a stopped process cannot act on SIGTERM
  kill(pid, signal);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace

CliResult RunProcess(const std::vector<std::string>& argv) {
  static int seq = 0;
  std::string base = std::filesystem::temp_directory_path() /
                     ("drover-cli-" + std::to_string(getpid()) + "-" + std::to_string(++seq));
  pid_t pid = Spawn(argv, base + ".out", base + ".err");
  int status = 0;
  waitpid(pid, &status, 0);
  CliResult r{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
              ReadFile(base + ".out"), ReadFile(base + ".err")};
  std::filesystem::remove(base + ".out");
  std::filesystem::remove(base + ".err");
  return r;
}

pid_t StartProcess(const std::vector<std::string>& argv, const std::string& log) {
  return Spawn(argv, log, log);
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

int FreeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

Cluster::Cluster() {
  char tmpl[] = "/tmp/drover-cluster-XXXXXX";
  dir_ = mkdtemp(tmpl);
  endpoint_ = "tcp://127.0.0.1:" + std::to_string(FreeTcpPort());
  GenKey("orchestrator");
  GenKey("operator");
  RunProcess({drover(), "--state", dir_ + "/state.db", "keys", "accept", dir_ + "/operator.pub",
              "--role", "operator"});
}

Cluster::~Cluster() {
  for (auto& [name, pid] : agents_) Terminate(pid, SIGKILL);
  Terminate(orchestrator_, SIGKILL);
  if (std::getenv("DROVER_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(dir_);
}

std::string Cluster::drover() const {
  const char* build = std::getenv("DROVER_BUILD_DIR");
  return std::string(build ? build : "build") + "/orchestrator/drover";
}

std::string Cluster::agent_binary() const {
  const char* build = std::getenv("DROVER_BUILD_DIR");
  return std::string(build ? build : "build") + "/agent/drover-agent";
}

std::string Cluster::GenKey(const std::string& name) {
  if (!std::filesystem::exists(dir_ + "/" + name + ".key")) {
    RunProcess({drover(), "keys", "gen", name, "-o", dir_});
  }
  std::string key = ReadFile(dir_ + "/" + name + ".pub");
  while (!key.empty() && key.back() == '\n') key.pop_back();
  return key;
}

CliResult Cluster::Drover(std::vector<std::string> args) {
  std::vector<std::string> argv = {drover(),
                                   "--state",
                                   dir_ + "/state.db",
                                   "--connect",
                                   endpoint_,
                                   "--orchestrator-key",
                                   dir_ + "/orchestrator.pub",
                                   "--key",
                                   dir_ + "/operator.key",
                                   "--timeout-ms",
                                   "8000"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

void Cluster::AcceptAgentKey(const std::string& name) {
  GenKey(name);
  Drover({"keys", "accept", dir_ + "/" + name + ".pub", "--name", name});
}

void Cluster::PlaceOrchestrator(const std::string& netns, const std::string& ip) {
  orchestrator_netns_ = netns;
  endpoint_ = "tcp://" + ip + ":" + endpoint_.substr(endpoint_.rfind(':') + 1);
}

void Cluster::StartOrchestrator(std::vector<std::string> extra) {
  std::vector<std::string> argv = {
      drover(),   "--state", dir_ + "/state.db", "serve",
      "--listen", endpoint_, "--server-key",     dir_ + "/orchestrator.key"};
  if (!orchestrator_netns_.empty()) {
    argv.insert(argv.begin(), {"/usr/sbin/ip", "netns", "exec", orchestrator_netns_});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  orchestrator_ = StartProcess(argv, dir_ + "/orchestrator.log");
}

void Cluster::StopOrchestrator(int signal) {
  Terminate(orchestrator_, signal);
  orchestrator_ = 0;
}

void Cluster::StartAgent(const std::string& name, std::vector<std::string> extra, bool accept) {
  GenKey(name);
  if (accept) AcceptAgentKey(name);
  std::filesystem::create_directories(dir_ + "/pool-" + name);
  std::vector<std::string> argv = {agent_binary(),
                                   "--name",
                                   name,
                                   "--key",
                                   dir_ + "/" + name + ".key",
                                   "--orchestrator",
                                   endpoint_,
                                   "--orchestrator-key",
                                   dir_ + "/orchestrator.pub",
                                   "--pool-path",
                                   dir_ + "/pool-" + name,
                                   "--state-dir",
                                   dir_ + "/state-" + name};
  argv.insert(argv.end(), extra.begin(), extra.end());
  agents_[name] = StartProcess(argv, dir_ + "/" + name + ".log");
}

void Cluster::StopAgent(const std::string& name, int signal) {
  Terminate(agents_[name], signal);
  agents_.erase(name);
}

std::string Cluster::HostState(const std::string& host) {
  CliResult r = Drover({"hosts", "--json"});
  if (r.exit_code != 0) return "";
  auto hosts = nlohmann::json::parse(r.out, nullptr, false);
  if (!hosts.is_array()) return "";
  for (const auto& h : hosts) {
    if (h.value("name", "") == host) return h.value("state", "");
  }
  return "";
}

std::string Cluster::Log(const std::string& name) const {
  return ReadFile(dir_ + "/" + name + ".log");
}

}  // namespace drover::testing
