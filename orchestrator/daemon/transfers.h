// Volume syncs the orchestrator has set up between two agents, and what
// their agents report of them (transfer.event). Volume data never passes
// through here: only tickets, endpoints and progress.
//
// A transfer is done when the source reports done: the source only ends
// successfully once the destination has verified the whole content hash.
// It failed when either side reports a failure. Not thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace drover::daemon {

struct Transfer {
  std::string id;
  std::string source_host, source_volume, dest_host, dest_volume;
  std::string state = "starting";  // starting | running | done | failed
  std::string phase = "connect";
  uint64_t volume_bytes = 0;
  uint64_t chunks_done = 0, chunks_total = 0, bytes_sent = 0;
  std::string error;
  nlohmann::json source_report, dest_report;
  // What the source was told (agent.sync.send), so that the orchestrator can
  // ask it again when its events were lost; holds the ticket: never shown.
  nlohmann::json send_body;
  std::chrono::steady_clock::time_point started, finished;

  bool Finished() const { return state == "done" || state == "failed"; }
  nlohmann::json ToJson() const;
};

class TransferTable {
 public:
  Transfer& Add(Transfer t);
  Transfer* Find(const std::string& id);
  void Fail(const std::string& id, const std::string& error);
  // Applies an event from `host`; refuses one whose host is not the side it
  // claims to be (an agent may only speak for its own end of a transfer).
  Status OnEvent(const std::string& host, const nlohmann::json& event);

 private:
  std::map<std::string, Transfer> transfers_;
};

}  // namespace drover::daemon
