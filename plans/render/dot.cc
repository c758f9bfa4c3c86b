// The step graph in Graphviz DOT: one node per step, one edge per dependency;
// the critical path drawn bold red.
#include <set>

#include "plans/render/escape.h"
#include "plans/render/render.h"

namespace drover::plans {

std::string RenderDot(const Plan& p) {
  std::set<std::string> critical(p.estimate.critical_path.begin(), p.estimate.critical_path.end());
  std::set<std::pair<std::string, std::string>> critical_edges;
  for (size_t i = 1; i < p.estimate.critical_path.size(); ++i) {
    critical_edges.insert({p.estimate.critical_path[i - 1], p.estimate.critical_path[i]});
  }
  std::string o =
      "digraph \"drover_plan\" {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n";
  o += "  label=\"" +
       DotEscape(p.kind + " — makespan " + FormatDuration(p.estimate.makespan_seconds)) + "\";\n";
  for (const Step& s : p.steps) {
    std::string label = s.id + " " + s.action + " " + s.guest +
                        (s.new_name.empty() ? "" : " > " + s.new_name) + "\n" + s.from + " -> " +
                        s.to + "\n" + FormatDuration(s.est_seconds) + ", " +
                        FormatBytes(static_cast<double>(s.est_bytes));
    o += "  \"" + DotEscape(s.id) + "\" [label=\"" + DotEscape(label) + "\"";
    if (critical.count(s.id)) o += ", color=red, penwidth=2";
    o += "];\n";
  }
  for (const Step& s : p.steps) {
    for (const std::string& d : s.depends_on) {
      o += "  \"" + DotEscape(d) + "\" -> \"" + DotEscape(s.id) + "\"";
      if (critical_edges.count({d, s.id})) o += " [color=red, penwidth=2]";
      o += ";\n";
    }
  }
  return o + "}\n";
}

}  // namespace drover::plans
