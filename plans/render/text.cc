// The text review: summary, waves, a table of steps, links and warnings.
#include <algorithm>
#include <cstdio>
#include <map>

#include "plans/render/render.h"

namespace drover::plans {
namespace {

constexpr size_t kMaxWarnings = 50;

std::string Pad(std::string s, size_t w) {
  if (s.size() < w) s.append(w - s.size(), ' ');
  return s;
}

void Summary(const Plan& p, std::string* o) {
  const PlanEstimate& e = p.estimate;
  std::string targets;
  for (const auto& t : p.targets) targets += (targets.empty() ? "" : " ") + t;
  double worst = 0;
  std::string worst_guest;
  for (const auto& [g, d] : e.downtime_seconds) {
    if (d > worst) worst = d, worst_guest = g;
  }
  *o += "plan " + p.kind + (targets.empty() ? "" : " " + targets) + "\n";
  *o += "  inventory    " + p.inventory_fingerprint + "\n";
  *o += "  steps        " + std::to_string(p.steps.size()) + " in " + std::to_string(e.waves) +
        " wave" + (e.waves == 1 ? "" : "s") + " (at most " + std::to_string(p.limits.max_per_host) +
        " per host, " + std::to_string(p.limits.max_per_link) + " per link)\n";
  *o += "  makespan     " + FormatDuration(e.makespan_seconds) + " (critical path " +
        FormatDuration(e.critical_path_seconds) + ", " + std::to_string(e.critical_path.size()) +
        " step" + (e.critical_path.size() == 1 ? "" : "s") + ")\n";
  *o += "  transfer     " + FormatBytes(static_cast<double>(e.bytes)) + "\n";
  if (!worst_guest.empty()) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%.3f s (%s)", worst, worst_guest.c_str());
    *o += std::string("  downtime     worst ") + buf + "\n";
  }
  if (p.steps.empty()) *o += "  nothing to do\n";
}

void Waves(const Plan& p, std::string* o) {
  std::map<int, std::vector<size_t>> waves;
  for (size_t i = 0; i < p.steps.size() && i < p.timing.size(); ++i)
    waves[p.timing[i].wave].push_back(i);
  if (waves.empty()) return;
  *o += "\nwaves\n";
  for (const auto& [w, steps] : waves) {
    std::string line = "  " + std::to_string(w) + ":";
    for (size_t i : steps) line += " " + p.steps[i].id;
    *o += line + "\n";
  }
}

void Table(const Plan& p, std::string* o) {
  if (p.steps.empty()) return;
  *o += "\n" + Pad("step", 7) + Pad("action", 9) + Pad("guest", 18) + Pad("from", 12) +
        Pad("to", 12) + Pad("bytes", 11) + Pad("start", 10) + Pad("est", 10) + Pad("downtime", 10) +
        "after\n";
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const Step& s = p.steps[i];
    std::string guest = s.new_name.empty() ? s.guest : s.guest + ">" + s.new_name;
    std::string after;
    for (const auto& d : s.depends_on) after += (after.empty() ? "" : ",") + d;
    char down[32] = "-";
    if (s.action != "clone") std::snprintf(down, sizeof down, "%.3f s", s.est_downtime_seconds);
    double start = i < p.timing.size() ? p.timing[i].start : 0;
    *o += Pad(s.id, 7) + Pad(s.action, 9) + Pad(guest, 18) + Pad(s.from, 12) + Pad(s.to, 12) +
          Pad(FormatBytes(static_cast<double>(s.est_bytes)), 11) + Pad(FormatDuration(start), 10) +
          Pad(FormatDuration(s.est_seconds), 10) + Pad(down, 10) + (after.empty() ? "-" : after) +
          "\n";
  }
}

void Links(const Plan& p, std::string* o) {
  if (p.estimate.bytes_per_link.empty()) return;
  *o += "\nlinks\n";
  for (const auto& [link, bytes] : p.estimate.bytes_per_link) {
    *o += "  " + Pad(link, 26) + FormatBytes(static_cast<double>(bytes)) + "\n";
  }
}

void Warnings(const Plan& p, std::string* o) {
  if (p.warnings.empty()) return;
  *o += "\nwarnings\n";
  for (size_t i = 0; i < p.warnings.size() && i < kMaxWarnings; ++i)
    *o += "  " + p.warnings[i] + "\n";
  if (p.warnings.size() > kMaxWarnings) {
    *o += "  ... and " + std::to_string(p.warnings.size() - kMaxWarnings) + " more\n";
  }
}

}  // namespace

std::string RenderText(const Plan& p) {
  std::string o;
  Summary(p, &o);
  Waves(p, &o);
  Table(p, &o);
  Links(p, &o);
  Warnings(p, &o);
  return o;
}

}  // namespace drover::plans
