#include "common/wire/protocol.h"

namespace drover::wire {
namespace {

using enum JsonType;

const std::vector<MessageSpec>& Specs() {
  static const std::vector<MessageSpec> specs = {
      // agent -> orchestrator
      {"register", Sender::kAgent,
       {{"name", kString, true}, {"version", kString, true}, {"facts", kObject, true}}},
      {"heartbeat", Sender::kAgent, {{"seq", kInteger, true}}},
      // orchestrator -> agent
      {"agent.ping", Sender::kOrchestrator, {{"payload", kString, false}}},
      {"agent.facts", Sender::kOrchestrator, {}},
      // operator (CLI) -> orchestrator
      {"op.hosts", Sender::kOperator, {}},
      {"op.guests", Sender::kOperator, {}},
      {"op.inventory", Sender::kOperator, {}},
      {"op.ping", Sender::kOperator,
       {{"host", kString, true}, {"count", kInteger, false}, {"timeout_ms", kInteger, false}}},
      // answers, from anyone
      {"reply", Sender::kAny, {}},
      {"error", Sender::kAny, {{"code", kString, true}, {"message", kString, true}}},
  };
  return specs;
}

}  // namespace

const MessageSpec* FindMessageSpec(std::string_view type) {
  for (const MessageSpec& spec : Specs()) {
    if (spec.type == type) return &spec;
  }
  return nullptr;
}

const std::vector<JsonField>& HostFactsFields() {
  static const std::vector<JsonField> fields = {
      {"cpus", kInteger, true},    {"memory_mib", kInteger, true}, {"pool", kObject, true},
      {"guests", kArray, true},    {"volumes", kArray, true},      {"hypervisor", kString, false},
      {"failure_domain", kString, false}, {"nic_mbps", kInteger, false}, {"state", kString, false},
  };
  return fields;
}

}  // namespace drover::wire
