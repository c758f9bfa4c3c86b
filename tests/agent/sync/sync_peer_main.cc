// drover-sync-peer: runs one side of a volume sync as its own process, for
// the process-level tests and tools/bench-sync.
//
//   drover-sync-peer keygen DIR NAME
//   drover-sync-peer ticket
//   drover-sync-peer receive --target PATH --ticket T --source-key KEY|FILE --key SECRETFILE
//       [--state-dir DIR] [--endpoint-file FILE] [--bind EP] [--bwlimit BYTES/S]
//       [--peer-timeout-ms N] [--accept-timeout-ms N] [--full-verify] [--resume-interval-ms N]
//       [--progress] [--window CHUNKS]
//   drover-sync-peer send --endpoint EP --server-key KEY|FILE --key SECRETFILE --ticket T
//       --source PATH [--cache-dir DIR] [--base PATH [--fiemap]] [--record-extents]
//       [--bwlimit BYTES/S]
//       [--rsync-min BYTES] [--corrupt-chunk N] [--peer-timeout-ms N] [--progress]
//       [--go-fifo PATH]
//
// receive prints "endpoint EP" as soon as it listens (and writes it to
// --endpoint-file); both print the final report as one JSON line. Exit 0 on
// success, 1 on failure (the reason on standard error), 2 on bad usage.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "agent/storage/fiemap.h"
#include "agent/sync/malloc_tuning.h"
#include "agent/sync/receiver.h"
#include "agent/sync/sender.h"
#include "agent/sync/ticket.h"

namespace {

using namespace drover;

int Usage(const std::string& why) {
  std::cerr << "drover-sync-peer: " << why << "\n";
  return 2;
}

// --name value pairs and bare --flags.
std::map<std::string, std::string> ParseFlags(int argc, char** argv, int first) {
  std::map<std::string, std::string> f;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) continue;
    if (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) {
      f[a.substr(2)] = argv[++i];
    } else {
      f[a.substr(2)] = "1";
    }
  }
  return f;
}

uint64_t Num(const std::map<std::string, std::string>& f, const std::string& k, uint64_t def) {
  auto it = f.find(k);
  return it == f.end() ? def : std::stoull(it->second);
}

// Wall-clock time, comparable between the two peers.
int64_t UnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The report plus this process's peak RSS, CPU time and the wall-clock time
// at which the sync returned, for tools/bench-sync: an agent's sync ends when
// its call returns, not when a process exits, just as it starts at the
// request and not at exec.
std::string WithRss(const std::string& report_json) {
  auto returned_ns = UnixNs();
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  double cpu =
      ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return report_json.substr(0, report_json.size() - 1) +
         ",\"max_rss_kib\":" + std::to_string(ru.ru_maxrss) +
         ",\"cpu_seconds\":" + std::to_string(cpu) +
         ",\"returned_unix_ns\":" + std::to_string(returned_ns) + "}";
}

sync::ProgressCallback Printer() {
  auto start = std::chrono::steady_clock::now();
  return [start](const sync::Progress& p) {
    std::cerr << "progress "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
              << "s " << sync::PhaseName(p.phase) << " " << p.chunks_done << "/" << p.chunks_total
              << " sent=" << p.bytes_sent << "\n";
  };
}

int Fail(const Status& s) {
  std::cerr << "drover-sync-peer: " << s.ToString() << "\n";
  return 1;
}

int Receive(const std::map<std::string, std::string>& f) {
  for (const char* k : {"target", "ticket", "source-key", "key"}) {
    if (!f.count(k)) return Usage(std::string("receive needs --") + k);
  }
  auto own = wire::LoadKeyPair(f.at("key"));
  if (!own) return Fail(own.error());
  auto source_key = wire::LoadPublicKey(f.at("source-key"));
  if (!source_key) return Fail(source_key.error());
  sync::ReceiverOptions o;
  o.ticket = f.at("ticket");
  o.source_public_key = *source_key;
  o.own_keys = *own;
  o.target_path = f.at("target");
  if (f.count("state-dir")) o.state_dir = f.at("state-dir");
  if (f.count("bind")) o.bind_endpoint = f.at("bind");
  o.bandwidth_bytes_per_s = Num(f, "bwlimit", 0);
  o.peer_timeout = std::chrono::milliseconds(Num(f, "peer-timeout-ms", 30000));
  o.accept_timeout = std::chrono::milliseconds(Num(f, "accept-timeout-ms", 60000));
  o.resume_interval = std::chrono::milliseconds(Num(f, "resume-interval-ms", 2000));
  o.full_verify = f.count("full-verify") > 0;
  if (f.count("progress")) o.progress = Printer();
  o.window_chunks = static_cast<uint32_t>(Num(f, "window", o.window_chunks));
  auto receiver = sync::Receiver::Bind(o);
  if (!receiver) return Fail(receiver.error());
  std::cout << "endpoint " << (*receiver)->endpoint() << std::endl;
  if (f.count("endpoint-file")) {
    std::string tmp = f.at("endpoint-file") + ".tmp";
    std::ofstream(tmp) << (*receiver)->endpoint() << "\n";
    std::rename(tmp.c_str(), f.at("endpoint-file").c_str());
  }
  auto report = (*receiver)->Run();
  if (!report) return Fail(report.error());
  std::cout << WithRss(sync::ReportToJson(*report)) << std::endl;
  return 0;
}

int Send(const std::map<std::string, std::string>& f) {
  for (const char* k : {"endpoint", "server-key", "key", "ticket", "source"}) {
    if (!f.count(k)) return Usage(std::string("send needs --") + k);
  }
  auto own = wire::LoadKeyPair(f.at("key"));
  if (!own) return Fail(own.error());
  auto server_key = wire::LoadPublicKey(f.at("server-key"));
  if (!server_key) return Fail(server_key.error());
  sync::SenderOptions o;
  o.endpoint = f.at("endpoint");
  o.server_public_key = *server_key;
  o.own_keys = *own;
  o.ticket = f.at("ticket");
  o.source_path = f.at("source");
  if (f.count("cache-dir")) o.cache_dir = f.at("cache-dir");
  o.bandwidth_bytes_per_s = Num(f, "bwlimit", 0);
  o.rsync_min_bytes = static_cast<uint32_t>(Num(f, "rsync-min", 8192));
  o.test_corrupt_chunk = f.count("corrupt-chunk") ? std::stoll(f.at("corrupt-chunk")) : -1;
  o.peer_timeout = std::chrono::milliseconds(Num(f, "peer-timeout-ms", 30000));
  // How the base's extents were found, for tools/bench-sync to check.
  auto diff = std::make_shared<std::unique_ptr<storage::ReflinkDiff>>();
  if (f.count("base")) {
    sync::ChangeBase base;
    base.base_path = f.at("base");
    if (f.count("fiemap")) {
      // Asked region by region on the discovery thread, as the agent does
      // (agent/daemon/region_changes.h), while the handshake runs.
      base.find_changed_in = [diff, from = f.at("base"), to = o.source_path](
                                 uint64_t begin,
                                 uint64_t end) -> Result<std::vector<sync::ByteRange>> {
        if (!*diff) {
          ASSIGN_OR_RETURN(*diff, storage::ReflinkDiff::Open(from, to));
        }
        ASSIGN_OR_RETURN(auto ranges, (*diff)->ChangedIn(begin, end));
        std::vector<sync::ByteRange> out;
        for (const auto& r : ranges) out.push_back({r.offset, r.length});
        return out;
      };
    }
    o.base = std::move(base);
  }
  if (f.count("progress")) o.progress = Printer();
  int64_t started_ns = 0;
  if (f.count("go-fifo")) {
    // Started ahead, as an agent is: "ready" once the keys are loaded, and
    // the sync begins when a line arrives on the FIFO (tools/bench-sync
    // starts its clock there, so process start is not counted).
    std::cout << "ready" << std::endl;
    std::ifstream go(f.at("go-fifo"));
    std::string line;
    if (!std::getline(go, line)) return Usage("nothing arrived on --go-fifo");
    started_ns = UnixNs();  // the request has arrived
  }
  auto report = sync::RunSender(o);
  if (!report) return Fail(report.error());
  std::string json = WithRss(sync::ReportToJson(*report));
  if (started_ns != 0) {
    json.insert(json.size() - 1, ",\"started_unix_ns\":" + std::to_string(started_ns));
  }
  if (*diff) {
    json.insert(json.size() - 1,
                std::string(",\"base_extents\":\"") +
                    ((*diff)->base_from_record() ? "record" : "fiemap") +
                    "\",\"source_extents_recorded\":" + ((*diff)->recorded() ? "true" : "false"));
  }
  // --record-extents: what a round that diffed the source would have left
  // (a first, full round does not diff): its map, if it is immutable.
  if (f.count("record-extents")) {
    auto recorded = storage::RecordExtentMap(o.source_path);
    if (!recorded) return Fail(recorded.error());
    json.insert(json.size() - 1,
                std::string(",\"source_extents_recorded\":") + (*recorded ? "true" : "false"));
  }
  std::cout << json << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  drover::sync::TuneMallocForFrames();  // as the agent does
  if (argc < 2) return Usage("usage: drover-sync-peer keygen|ticket|receive|send ...");
  std::string cmd = argv[1];
  if (cmd == "keygen") {
    if (argc != 4) return Usage("usage: drover-sync-peer keygen DIR NAME");
    auto pair = wire::GenerateKeyPair();
    if (!pair) return Fail(pair.error());
    Status s = wire::WriteKeyPair(argv[2], argv[3], *pair);
    return s.ok() ? 0 : Fail(s);
  }
  if (cmd == "ticket") {
    auto t = sync::NewTicket();
    if (!t) return Fail(t.error());
    std::cout << *t << "\n";
    return 0;
  }
  auto flags = ParseFlags(argc, argv, 2);
  if (cmd == "receive") return Receive(flags);
  if (cmd == "send") return Send(flags);
  return Usage("unknown command " + cmd);
}
