#include "agent/daemon/agent_config.h"

#include <unistd.h>

#include "common/config.h"
#include "common/wire/keys.h"

namespace drover::agent {

Status LoadAgentConfig(const std::string& path, AgentConfig* c) {
  using enum JsonType;
  auto file = LoadConfigFile(path, {{"name", kString},
                                    {"orchestrator", kString},
                                    {"orchestrator_key", kString},
                                    {"key", kString},
                                    {"heartbeat_ms", kInteger},
                                    {"orchestrator_timeout_ms", kInteger},
                                    {"pool_kind", kString},
                                    {"pool_path", kString},
                                    {"immutable_snapshots", kBool},
                                    {"hypervisor", kString},
                                    {"failure_domain", kString},
                                    {"nic_mbps", kInteger},
                                    {"state_dir", kString},
                                    {"log_level", kString},
                                    {"metrics_address", kString}});
  if (!file) return file.error();
  const nlohmann::json& j = *file;
  c->name = j.value("name", c->name);
  c->orchestrator = j.value("orchestrator", c->orchestrator);
  c->orchestrator_key = j.value("orchestrator_key", c->orchestrator_key);
  c->key = j.value("key", c->key);
  c->heartbeat_ms = j.value("heartbeat_ms", c->heartbeat_ms);
  c->orchestrator_timeout_ms = j.value("orchestrator_timeout_ms", c->orchestrator_timeout_ms);
  c->pool_kind = j.value("pool_kind", c->pool_kind);
  c->pool_path = j.value("pool_path", c->pool_path);
  c->immutable_snapshots = j.value("immutable_snapshots", c->immutable_snapshots);
  c->hypervisor = j.value("hypervisor", c->hypervisor);
  c->failure_domain = j.value("failure_domain", c->failure_domain);
  c->nic_mbps = j.value("nic_mbps", c->nic_mbps);
  c->state_dir = j.value("state_dir", c->state_dir);
  c->log_level = j.value("log_level", c->log_level);
  c->metrics_address = j.value("metrics_address", c->metrics_address);
  return Status::Ok();
}

Result<AgentOptions> ResolveAgentOptions(const AgentConfig& c) {
  AgentOptions o;
  o.name = c.name;
  if (o.name.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    o.name = host;
  }
  if (c.key.empty()) return Err(InvalidArgument("agent: 'key' (its .key file) is not set"));
  if (c.orchestrator_key.empty()) {
    return Err(InvalidArgument("agent: 'orchestrator_key' (the orchestrator's .pub) is not set"));
  }
  if (c.pool_path.empty()) return Err(InvalidArgument("agent: 'pool_path' is not set"));
  if (c.heartbeat_ms < 10 || c.orchestrator_timeout_ms < 2 * c.heartbeat_ms) {
    return Err(InvalidArgument(
        "agent: heartbeat_ms must be >= 10 and orchestrator_timeout_ms >= 2 x heartbeat_ms"));
  }
  ASSIGN_OR_RETURN(o.key, wire::LoadKeyPair(c.key));
  ASSIGN_OR_RETURN(o.orchestrator_key, wire::LoadPublicKey(c.orchestrator_key));
  o.orchestrator = c.orchestrator;
  o.state_dir = c.state_dir.empty() ? "/var/lib/drover/agent-" + o.name : c.state_dir;
  o.heartbeat_interval = std::chrono::milliseconds(c.heartbeat_ms);
  o.orchestrator_timeout = std::chrono::milliseconds(c.orchestrator_timeout_ms);
  o.facts.pool_kind = c.pool_kind;
  o.facts.pool_path = c.pool_path;
  o.facts.hypervisor = c.hypervisor;
  o.facts.failure_domain = c.failure_domain;
  o.facts.nic_mbps = c.nic_mbps;
  return o;
}

}  // namespace drover::agent
