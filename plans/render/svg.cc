// The SVG timeline: one lane per host taking part, time left to right; each
// step is a bar in its source's lane and in its destination's lane from its
// simulated start to its end (blue live migration, orange cold move, green
// clone; red outline on the critical path), with a tooltip. Steps that
// overlap on one host get sub-rows of the lane. The plan's targets (hosts
// being emptied) come first, then the other hosts by name.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "plans/render/escape.h"
#include "plans/render/render.h"

namespace drover::plans {
namespace {

constexpr double kLeft = 140, kWidth = 960, kRow = 16, kLaneGap = 6, kTop = 40;

struct Bar {
  size_t step;
  double start, end;
  int row = 0;
};

const char* Color(const std::string& action) {
  if (action == "clone") return "#3a9a4a";
  if (action == "move") return "#e08a2c";
  return "#3a6fd0";
}

std::string F(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Greedy interval colouring: each bar takes the first row free at its start.
int AssignRows(std::vector<Bar>* bars) {
  std::sort(bars->begin(), bars->end(), [](const Bar& a, const Bar& b) {
    return a.start != b.start ? a.start < b.start : a.step < b.step;
  });
  std::vector<double> row_end;
  for (Bar& b : *bars) {
    size_t r = 0;
    while (r < row_end.size() && row_end[r] > b.start + 1e-9) ++r;
    if (r == row_end.size()) row_end.push_back(0);
    row_end[r] = b.end;
    b.row = static_cast<int>(r);
  }
  return std::max<int>(1, static_cast<int>(row_end.size()));
}

double TickStep(double span) {
  double raw = span / 8, p = std::pow(10, std::floor(std::log10(std::max(raw, 1e-3))));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10 * p;
}

}  // namespace

std::string RenderSvg(const Plan& p) {
  std::map<std::string, std::vector<Bar>> lanes;
  for (size_t i = 0; i < p.steps.size() && i < p.timing.size(); ++i) {
    const Step& s = p.steps[i];
    lanes[s.from].push_back({i, p.timing[i].start, p.timing[i].end});
    lanes[s.to].push_back({i, p.timing[i].start, p.timing[i].end});
  }
  std::vector<std::string> order;
  for (const std::string& t : p.targets) {
    if (lanes.count(t) && std::find(order.begin(), order.end(), t) == order.end())
      order.push_back(t);
  }
  for (const auto& [host, bars] : lanes) {
    if (std::find(order.begin(), order.end(), host) == order.end()) order.push_back(host);
  }
  const double span = std::max(p.estimate.makespan_seconds, 1e-9);
  const double scale = kWidth / span;
  std::set<std::string> critical(p.estimate.critical_path.begin(), p.estimate.critical_path.end());
  std::string body;
  double y = kTop;
  for (const std::string& host : order) {
    std::vector<Bar>& bars = lanes[host];
    const double h = AssignRows(&bars) * kRow;
    body += "<rect x=\"0\" y=\"" + F(y - 2) + "\" width=\"" + F(kLeft + kWidth + 20) +
            "\" height=\"" + F(h + 4) + "\" fill=\"#f4f4f4\"/>\n";
    body += "<text x=\"6\" y=\"" + F(y + h / 2 + 4) + "\" class=\"host\">" + XmlEscape(host) +
            "</text>\n";
    for (const Bar& b : bars) {
      const Step& s = p.steps[b.step];
      const double x = kLeft + b.start * scale, w = std::max(1.0, (b.end - b.start) * scale);
      const double by = y + b.row * kRow;
      const std::string who = s.new_name.empty() ? s.guest : s.new_name;
      const std::string tip = s.id + " " + s.action + " " + who + ": " + s.from + " -> " + s.to +
                              ", " + FormatDuration(b.start) + " + " +
                              FormatDuration(s.est_seconds) + ", " +
                              FormatBytes(static_cast<double>(s.est_bytes));
      body += "<g><title>" + XmlEscape(tip) + "</title><rect x=\"" + F(x) + "\" y=\"" + F(by + 1) +
              "\" width=\"" + F(w) + "\" height=\"" + F(kRow - 2) + "\" fill=\"" + Color(s.action) +
              "\"" + (critical.count(s.id) ? " stroke=\"#d01c1c\" stroke-width=\"2\"" : "") + "/>";
      if (w > 7.0 * static_cast<double>(who.size())) {
        body += "<text x=\"" + F(x + 3) + "\" y=\"" + F(by + kRow - 4) + "\" class=\"bar\">" +
                XmlEscape(who) + "</text>";
      }
      body += "</g>\n";
    }
    y += h + kLaneGap;
  }
  std::string axis;
  const double tick = TickStep(span);
  for (double t = 0; t <= span + 1e-9; t += tick) {
    const double x = kLeft + t * scale;
    axis += "<line x1=\"" + F(x) + "\" y1=\"" + F(kTop - 8) + "\" x2=\"" + F(x) + "\" y2=\"" +
            F(y) + "\" stroke=\"#ccc\"/><text x=\"" + F(x) + "\" y=\"" + F(kTop - 12) +
            "\" class=\"tick\">" + XmlEscape(FormatDuration(t)) + "</text>\n";
  }
  const std::string title = "drover plan " + p.kind + ": " + std::to_string(p.steps.size()) +
                            " steps, makespan " + FormatDuration(p.estimate.makespan_seconds) +
                            ", " + FormatBytes(static_cast<double>(p.estimate.bytes));
  const double width = kLeft + kWidth + 40, height = y + 20;
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + F(width) + "\" height=\"" +
         F(height) + "\" viewBox=\"0 0 " + F(width) + " " + F(height) +
         "\" font-family=\"sans-serif\">\n" +
         "<style>.host{font-size:12px}.bar{font-size:10px;fill:#fff}.tick{font-size:10px;fill:#555;"
         "text-anchor:middle}</style>\n<text x=\"6\" y=\"16\" font-size=\"14\">" +
         XmlEscape(title) + "</text>\n" + axis + body + "</svg>\n";
}

}  // namespace drover::plans
