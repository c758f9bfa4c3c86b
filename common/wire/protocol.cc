#include "common/wire/protocol.h"

#include <unordered_map>

namespace drover::wire {
namespace {

using enum JsonType;

const std::vector<MessageSpec>& Specs() {
  static const std::vector<MessageSpec> specs = {
      // agent -> orchestrator
      {"register",
       Sender::kAgent,
       {{"name", kString, true}, {"version", kString, true}, {"facts", kObject, true}}},
      // An agent asks for an answer ("ack") only as often as it needs to know
      // the orchestrator is there: half the replies of a thousand agents.
      {"heartbeat", Sender::kAgent, {{"seq", kInteger, true}, {"ack", kBool, false}}},
      {"transfer.event",
       Sender::kAgent,
       {{"transfer", kString, true}, {"side", kString, true}, {"state", kString, true}}},
      // orchestrator -> agent
      {"agent.ping", Sender::kOrchestrator, {{"payload", kString, false}}},
      {"agent.facts", Sender::kOrchestrator, {}},
      {"agent.sync.receive",
       Sender::kOrchestrator,
       {{"transfer", kString, true},
        {"ticket", kString, true},
        {"source_key", kString, true},
        {"volume", kString, true},
        {"size_bytes", kInteger, true}}},
      {"agent.sync.send",
       Sender::kOrchestrator,
       {{"transfer", kString, true},
        {"ticket", kString, true},
        {"endpoint", kString, true},
        {"server_key", kString, true},
        {"volume", kString, true},
        {"bandwidth_bytes_per_s", kInteger, false}}},
      {"agent.sync.cancel", Sender::kOrchestrator, {{"transfer", kString, true}}},
      // guests and cutover (agent/daemon/guest_service.h)
      {"agent.guest.define", Sender::kOrchestrator, {{"spec", kObject, true}}},
      {"agent.guest.get", Sender::kOrchestrator, {{"name", kString, true}}},
      {"agent.guest.start", Sender::kOrchestrator, {{"name", kString, true}}},
      {"agent.guest.stop",
       Sender::kOrchestrator,
       {{"name", kString, true}, {"timeout_ms", kInteger, false}}},
      {"agent.guest.destroy", Sender::kOrchestrator, {{"name", kString, true}}},
      {"agent.guest.resume", Sender::kOrchestrator, {{"name", kString, true}}},
      {"agent.guest.undefine", Sender::kOrchestrator, {{"name", kString, true}}},
      {"agent.guest.clone",
       Sender::kOrchestrator,
       {{"spec", kObject, true}, {"new_name", kString, true}, {"volumes", kArray, true}}},
      {"agent.volume.retire",
       Sender::kOrchestrator,
       {{"volume", kString, true}, {"reason", kString, false}, {"guest", kString, false}}},
      {"agent.volume.remove", Sender::kOrchestrator, {{"volume", kString, true}}},
      {"agent.volume.purge", Sender::kOrchestrator, {{"volume", kString, true}}},
      {"agent.migrate.prepare_in", Sender::kOrchestrator, {{"spec", kObject, true}}},
      {"agent.migrate.start_out",
       Sender::kOrchestrator,
       {{"name", kString, true},
        {"uri", kString, true},
        {"max_bandwidth_bytes_per_s", kInteger, false},
        {"downtime_limit_ms", kInteger, false}}},
      {"agent.migrate.query_out", Sender::kOrchestrator, {{"name", kString, true}}},
      {"agent.migrate.wait_switchover",
       Sender::kOrchestrator,
       {{"name", kString, true}, {"timeout_ms", kInteger, false}}},
      {"agent.migrate.continue_out",
       Sender::kOrchestrator,
       {{"name", kString, true}, {"timeout_ms", kInteger, false}}},
      {"agent.migrate.abort_out", Sender::kOrchestrator, {{"name", kString, true}}},
      {"agent.migrate.finish_in",
       Sender::kOrchestrator,
       {{"name", kString, true}, {"timeout_ms", kInteger, false}}},
      {"agent.migrate.abort_in", Sender::kOrchestrator, {{"name", kString, true}}},
      // operator (CLI) -> orchestrator
      {"op.hosts", Sender::kOperator, {}},
      {"op.guests", Sender::kOperator, {}},
      {"op.inventory", Sender::kOperator, {}},
      {"op.sync",
       Sender::kOperator,
       {{"source_host", kString, true},
        {"source_volume", kString, true},
        {"dest_host", kString, true},
        {"dest_volume", kString, true},
        {"bandwidth_bytes_per_s", kInteger, false}}},
      {"op.transfer", Sender::kOperator, {{"transfer", kString, true}}},
      {"op.job", Sender::kOperator, {{"job", kString, true}}},
      {"op.job.cancel", Sender::kOperator, {{"job", kString, true}}},
      {"op.migrate",
       Sender::kOperator,
       {{"guest", kString, true},
        {"from", kString, true},
        {"to", kString, true},
        {"downtime_ms", kInteger, false},
        {"max_rounds", kInteger, false},
        {"policy", kString, false}}},
      {"op.clone",
       Sender::kOperator,
       {{"guest", kString, true},
        {"from", kString, true},
        {"to", kString, true},
        {"new_name", kString, false}}},
      {"op.stats", Sender::kOperator, {}},
      {"op.volumes.purge",
       Sender::kOperator,
       {{"host", kString, true},
        {"volumes", kArray, false},
        {"older_than_s", kInteger, false},
        {"force", kBool, false},
        {"dry_run", kBool, false}}},
      // plan runs (orchestrator/executor)
      {"op.apply", Sender::kOperator, {{"plan", kObject, true}}},
      {"op.runs", Sender::kOperator, {}},
      {"op.run", Sender::kOperator, {{"run", kString, true}}},
      {"op.run.abort", Sender::kOperator, {{"run", kString, true}}},
      {"op.run.resume", Sender::kOperator, {{"run", kString, true}}},
      {"op.ping",
       Sender::kOperator,
       {{"host", kString, true}, {"count", kInteger, false}, {"timeout_ms", kInteger, false}}},
      // answers, from anyone
      {"reply", Sender::kAny, {}},
      {"error", Sender::kAny, {{"code", kString, true}, {"message", kString, true}}},
  };
  return specs;
}

}  // namespace

const MessageSpec* FindMessageSpec(std::string_view type) {
  // A hash lookup: every inbound message asks, a thousand heartbeats a second.
  static const std::unordered_map<std::string_view, const MessageSpec*> by_type = [] {
    std::unordered_map<std::string_view, const MessageSpec*> m;
    for (const MessageSpec& spec : Specs()) m.emplace(spec.type, &spec);
    return m;
  }();
  auto it = by_type.find(type);
  return it == by_type.end() ? nullptr : it->second;
}

const std::vector<JsonField>& HostFactsFields() {
  static const std::vector<JsonField> fields = {
      {"cpus", kInteger, true},
      {"memory_mib", kInteger, true},
      {"pool", kObject, true},
      {"guests", kArray, true},
      {"volumes", kArray, true},
      {"hypervisor", kString, false},
      {"failure_domain", kString, false},
      {"nic_mbps", kInteger, false},
      {"state", kString, false},
  };
  return fields;
}

}  // namespace drover::wire
