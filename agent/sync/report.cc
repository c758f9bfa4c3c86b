#include "agent/sync/report.h"

#include <nlohmann/json.hpp>

namespace drover::sync {

const char* PhaseName(Phase p) {
  switch (p) {
    case Phase::kConnect:
      return "connect";
    case Phase::kDiscover:
      return "discover";
    case Phase::kTransfer:
      return "transfer";
    case Phase::kVerify:
      return "verify";
    case Phase::kDone:
      return "done";
  }
  return "?";
}

std::string ReportToJson(const SyncReport& r) {
  nlohmann::json j = {
      {"volume_bytes", r.volume_bytes},     {"bytes_sent", r.bytes_sent},
      {"bytes_received", r.bytes_received}, {"bytes_changed", r.bytes_changed},
      {"chunks_total", r.chunks_total},     {"chunks_changed", r.chunks_changed},
      {"chunks_resent", r.chunks_resent},   {"resumed_from_chunk", r.resumed_from_chunk},
      {"bytes_read", r.bytes_read},         {"discovery", r.discovery},
      {"content_hash", r.content_hash},     {"seconds", r.seconds}};
  if (!r.discovery_note.empty()) j["discovery_note"] = r.discovery_note;
  return j.dump();
}

}  // namespace drover::sync
