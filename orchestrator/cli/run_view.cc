#include "orchestrator/cli/run_view.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <map>
#include <thread>

#include "orchestrator/cli/progress_line.h"
#include "orchestrator/cli/table.h"

namespace drover::cli {
namespace {

using nlohmann::json;

std::atomic<bool> g_interrupted{false};
void OnInterrupt(int) { g_interrupted = true; }

std::string Fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string Clock() {
  std::time_t now = std::time(nullptr);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&now));
  return buf;
}

bool Ended(const std::string& state) { return state != "running"; }

}  // namespace

std::string StepLine(const json& s) {
  std::string guest = s.value("guest", "");
  if (s.contains("new_name")) guest += ">" + s.value("new_name", "");
  std::string line = Pad(s.value("step", ""), 5) + " " + Pad(s.value("action", ""), 7) + " " +
                     Pad(guest, 14) + " " +
                     Pad(s.value("from", "") + " -> " + s.value("to", ""), 14) + " " +
                     Pad(s.value("state", ""), 8);
  std::string state = s.value("state", "");
  if (state == "running") {
    json p = s.value("progress", json::object());
    std::string phase = p.value("phase", s.value("phase", ""));
    if (p.contains("round")) phase += " " + std::to_string(p.value("round", 0));
    line += " " + Pad(phase.empty() ? "starting" : phase, 12);
    if (p.contains("bytes")) line += " " + HumanBytes(p.value("bytes", 0.0));
    if (s.contains("rate_bytes_per_s")) {
      line += "  " + HumanBytes(s.value("rate_bytes_per_s", 0.0)) + "/s";
    }
    if (s.contains("eta_s")) line += "  eta " + Fixed(s.value("eta_s", 0.0), 0) + " s";
  } else if (state == "done") {
    json r = s.value("result", json::object());
    if (s.contains("downtime_ms")) {
      line += " downtime " + std::to_string(s.value("downtime_ms", 0)) + " ms";
    }
    if (r.value("recovered", false)) line += " (finished by recovery)";
  } else if (s.contains("error")) {
    line += " " + s.value("error", "");
  }
  return line;
}

std::string RunLine(const json& r) {
  return "run " + r.value("run", "") + " " + r.value("state", "") + ": " +
         std::to_string(r.value("steps_done", 0)) + "/" +
         std::to_string(r.value("steps_total", 0)) + " steps done, " +
         HumanBytes(r.value("bytes_done", 0.0)) + " moved";
}

std::string RenderRun(const json& r) {
  std::string o = RunLine(r) + "\n";
  std::string targets;
  for (const auto& t : r.value("targets", json::array())) targets += " " + t.get<std::string>();
  o += "plan " + r.value("kind", "") + targets + "\n";
  for (const auto& s : r.value("steps", json::array())) o += "  " + StepLine(s) + "\n";
  if (!r.value("error", "").empty()) o += "error: " + r.value("error", "") + "\n";
  return o;
}

Status FollowRun(CliContext& ctx, const std::string& id) {
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  bool terminal = !ctx.json && StdoutIsTerminal();
  bool abort_sent = false;
  size_t drawn = 0;                         // lines on screen (terminal)
  std::map<std::string, std::string> seen;  // step -> state/phase printed (plain)
  for (;;) {
    ASSIGN_OR_RETURN(json r, AskDaemon(ctx, "op.run", {{"run", id}}));
    std::string state = r.value("state", "");
    if (!ctx.json && terminal) {
      std::string text = RunLine(r) + "\n";
      for (const auto& s : r.value("steps", json::array())) text += "  " + StepLine(s) + "\n";
      if (drawn > 0) *ctx.out << "\033[" << drawn << "A";
      size_t lines = 0;
      for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\n', start);
        *ctx.out << "\033[2K" << text.substr(start, end - start) << "\n";
        start = end + 1;
        ++lines;
      }
      drawn = lines;
      ctx.out->flush();
    } else if (!ctx.json) {
      for (const auto& s : r.value("steps", json::array())) {
        json p = s.value("progress", json::object());
        std::string key = s.value("state", "") + "/" + p.value("phase", s.value("phase", "")) +
                          "/" + std::to_string(p.value("round", 0));
        std::string& last = seen[s.value("step", "")];
        if (key == last) continue;
        last = key;
        *ctx.out << Clock() << " " << StepLine(s) << "\n";
      }
      ctx.out->flush();
    }
    if (Ended(state)) {
      if (ctx.json) *ctx.out << r.dump(2) << "\n";
      if (!ctx.json) *ctx.out << RunLine(r) << "\n";
      if (state == "done") return Status::Ok();
      std::string failed;
      for (const auto& s : r.value("steps", json::array())) {
        if (s.value("state", "") == "done") continue;
        failed += (failed.empty() ? "" : "; ") + s.value("step", "") + " (" + s.value("guest", "") +
                  ") " + s.value("state", "") +
                  (s.contains("error") ? ": " + s.value("error", "") : "");
      }
      return Aborted("run " + id + " " + state + (failed.empty() ? "" : ": " + failed) +
                     (state == "done" ? "" : "; `drover resume " + id + "` goes on"));
    }
    if (g_interrupted && !abort_sent) {
      auto a = AskDaemon(ctx, "op.run.abort", {{"run", id}});
      if (!a) return Err(a.error().WithContext("aborting run " + id));
      abort_sent = true;
      if (!ctx.json) {
        *ctx.out << "aborting run " << id << ": steps in flight roll back, finished steps stay\n";
        drawn = 0;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(terminal ? 250 : 500));
  }
}

}  // namespace drover::cli
