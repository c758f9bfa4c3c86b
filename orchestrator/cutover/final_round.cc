#include "orchestrator/cutover/final_round.h"

#include "common/random_id.h"
#include "orchestrator/cutover/agent_calls.h"

namespace drover::cutover {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using std::chrono::milliseconds;

constexpr int64_t kFinalWaitMs = 1000;  // one agent.sync.send wait (<= 3000)
// The whole final round, well inside the source agent's pause watchdog.
constexpr milliseconds kFinalRoundTimeout{10000};

// The outcome of one final send: done (its report), failed, or running.
Result<json> FinalOutcome(const json& reply, const FinalSend& f, const std::string& host) {
  std::string state = reply.value("state", "");
  if (state == "failed") {
    return Err(Aborted("final round of " + f.volume + " on " + host + ": " +
                       reply.value("error", std::string("failed"))));
  }
  if (state != "done" && state != "running") {
    return Err(Internal("agent.sync.send of " + f.volume + " answered state '" + state + "'"));
  }
  return reply;
}

}  // namespace

json FinalSend::Body(int64_t wait_ms) const {
  return {{"transfer", transfer},     {"ticket", ticket}, {"endpoint", endpoint},
          {"server_key", server_key}, {"volume", volume}, {"events", false},
          {"wait_ms", wait_ms}};
}

Status PrepareFinalRound(daemon::AgentClient& agents, const std::string& from,
                         const std::string& to, const std::vector<std::string>& volumes,
                         const std::vector<uint64_t>& sizes, milliseconds accept_timeout,
                         std::vector<FinalSend>& bound) {
  ASSIGN_OR_RETURN(daemon::HostView source, agents.Host(from));
  for (size_t i = 0; i < volumes.size(); ++i) {
    auto id = RandomHex(6);
    auto ticket = RandomHex(32);
    if (!id || !ticket) return Internal("no random numbers for a ticket");
    FinalSend f{volumes[i], "f-" + *id, *ticket, "", ""};
    json receive = {{"transfer", f.transfer},
                    {"ticket", f.ticket},
                    {"source_key", source.public_key},
                    {"volume", f.volume},
                    {"size_bytes", sizes[i]},
                    {"events", false},
                    {"accept_timeout_ms", accept_timeout.count()}};
    ASSIGN_OR_RETURN(json r, agents.Call(to, "agent.sync.receive", receive, kAgentCallTimeout));
    f.endpoint = r.value("endpoint", "");
    f.server_key = r.value("public_key", "");
    bound.push_back(f);
  }
  return Status::Ok();
}

Result<Round> RunFinalRound(daemon::AgentClient& agents, daemon::JobContext& job,
                            const std::string& from, const std::vector<FinalSend>& sends) {
  Round r;
  auto start = Clock::now();
  std::vector<json> outcomes(sends.size());
  // All sends start at once; only the last start waits (the agent answers one
  // request at a time, so a wait there would hold the other starts back).
  for (size_t i = 0; i < sends.size(); ++i) {
    int64_t wait = i + 1 == sends.size() ? kFinalWaitMs : 0;
    ASSIGN_OR_RETURN(json reply,
                     agents.Call(from, "agent.sync.send", sends[i].Body(wait), kAgentCallTimeout));
    ASSIGN_OR_RETURN(outcomes[i], FinalOutcome(reply, sends[i], from));
  }
  for (size_t i = 0; i < sends.size(); ++i) {
    while (outcomes[i].value("state", "") != "done") {
      if (job.cancelled()) return Err(Aborted("cancelled"));
      if (Clock::now() - start > kFinalRoundTimeout) {
        return Err(Timeout("final round of " + sends[i].volume + " did not end within " +
                           std::to_string(kFinalRoundTimeout.count()) + " ms"));
      }
      ASSIGN_OR_RETURN(json reply, agents.Call(from, "agent.sync.send", sends[i].Body(kFinalWaitMs),
                                               kAgentCallTimeout));
      ASSIGN_OR_RETURN(outcomes[i], FinalOutcome(reply, sends[i], from));
    }
    r.Add(outcomes[i].value("report", json::object()));
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

void CancelFinalRound(daemon::AgentClient& agents, const std::string& from, const std::string& to,
                      const std::vector<FinalSend>& sends) {
  for (const auto& f : sends) {
    for (const auto& host : {from, to}) {
      (void)agents.Call(host, "agent.sync.cancel", {{"transfer", f.transfer}}, kAgentCallTimeout);
    }
  }
}

}  // namespace drover::cutover
