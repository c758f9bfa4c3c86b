#include "orchestrator/daemon/transfers.h"

namespace drover::daemon {

nlohmann::json Transfer::ToJson() const {
  auto end = Finished() ? finished : std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(end - started).count();
  nlohmann::json j = {{"transfer", id},
                      {"source", source_host + ":" + source_volume},
                      {"dest", dest_host + ":" + dest_volume},
                      {"state", state},
                      {"phase", phase},
                      {"volume_bytes", volume_bytes},
                      {"chunks_done", chunks_done},
                      {"chunks_total", chunks_total},
                      {"bytes_sent", bytes_sent},
                      {"seconds", seconds}};
  if (!error.empty()) j["error"] = error;
  if (!source_report.is_null()) j["source_report"] = source_report;
  if (!dest_report.is_null()) j["dest_report"] = dest_report;
  return j;
}

Transfer& TransferTable::Add(Transfer t) {
  t.started = std::chrono::steady_clock::now();
  std::string id = t.id;
  return transfers_[id] = std::move(t);
}

Transfer* TransferTable::Find(const std::string& id) {
  auto it = transfers_.find(id);
  return it == transfers_.end() ? nullptr : &it->second;
}

void TransferTable::Fail(const std::string& id, const std::string& error) {
  Transfer* t = Find(id);
  if (t == nullptr || t->Finished()) return;
  t->state = "failed";
  t->error = error;
  t->finished = std::chrono::steady_clock::now();
}

Status TransferTable::OnEvent(const std::string& host, const nlohmann::json& e) {
  std::string id = e["transfer"], side = e["side"], state = e["state"];
  Transfer* t = Find(id);
  if (t == nullptr) return NotFound("transfer " + id + " is not known");
  bool source = side == "source";
  if ((source && host != t->source_host) || (!source && (side != "dest" || host != t->dest_host))) {
    return PermissionDenied("host " + host + " is not the " + side + " of transfer " + id);
  }
  if (t->Finished()) return Status::Ok();  // late news changes nothing
  if (state == "failed") {
    Fail(id, side + " " + (source ? t->source_host : t->dest_host) + ": " +
                 e.value("error", std::string("failed")));
    return Status::Ok();
  }
  if (state == "done") {
    (source ? t->source_report : t->dest_report) = e.value("report", nlohmann::json());
    if (source) {
      t->state = "done";
      t->phase = "done";
      t->finished = std::chrono::steady_clock::now();
      t->chunks_done = t->chunks_total = t->source_report.value("chunks_total", t->chunks_total);
      t->bytes_sent = t->source_report.value("bytes_sent", t->bytes_sent);
    }
    return Status::Ok();
  }
  if (state != "running") return InvalidArgument("transfer.event: unknown state '" + state + "'");
  t->state = "running";
  if (source) {  // the source knows the bytes it put on the wire
    t->phase = e.value("phase", t->phase);
    t->chunks_done = e.value("chunks_done", t->chunks_done);
    t->chunks_total = e.value("chunks_total", t->chunks_total);
    t->bytes_sent = e.value("bytes_sent", t->bytes_sent);
  }
  return Status::Ok();
}

}  // namespace drover::daemon
