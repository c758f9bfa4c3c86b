#include "plans/ordering/schedule.h"

#include <algorithm>
#include <queue>
#include <set>
#include <unordered_map>

#include "plans/ordering/step_graph.h"

namespace drover::plans {
namespace {

// Slot accounting for hosts and links.
class Slots {
 public:
  Slots(const PlanLimits& l) : limits_(l) {}
  bool Free(const Step& s) const {
    return Count(hosts_, s.from) < limits_.max_per_host &&
           Count(hosts_, s.to) < limits_.max_per_host &&
           Count(links_, LinkKey(s.from, s.to)) < limits_.max_per_link;
  }
  void Take(const Step& s, int delta) {
    hosts_[s.from] += delta;
    if (s.to != s.from) hosts_[s.to] += delta;
    links_[LinkKey(s.from, s.to)] += delta;
  }

 private:
  static int Count(const std::unordered_map<std::string, int>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? 0 : it->second;
  }
  PlanLimits limits_;
  std::unordered_map<std::string, int> hosts_;
  std::unordered_map<std::string, int> links_;
};

std::vector<double> BottomLevels(const Plan& plan, const StepGraph& g) {
  std::vector<double> bl(plan.steps.size(), 0);
  for (auto it = g.order.rbegin(); it != g.order.rend(); ++it) {
    double tail = 0;
    for (int s : g.succs[*it]) tail = std::max(tail, bl[s]);
    bl[*it] = plan.steps[*it].est_seconds + tail;
  }
  return bl;
}

// Waves follow the simulated start order (ties: topological order), so the
// review's batches match the timeline.
int AssignWaves(const Plan& plan, const StepGraph& g, std::vector<StepTiming>* timing) {
  std::vector<int> rank(g.order.size());
  for (size_t k = 0; k < g.order.size(); ++k) rank[g.order[k]] = static_cast<int>(k);
  std::vector<int> order = g.order;
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    const double sa = (*timing)[a].start, sb = (*timing)[b].start;
    return sa != sb ? sa < sb : rank[a] < rank[b];
  });
  std::vector<Slots> waves;
  int last = 0;
  for (int i : order) {
    int w = 1;
    for (int p : g.preds[i]) w = std::max(w, (*timing)[p].wave + 1);
    while (true) {
      while (static_cast<int>(waves.size()) < w) waves.emplace_back(plan.limits);
      if (waves[w - 1].Free(plan.steps[i])) break;
      ++w;
    }
    waves[w - 1].Take(plan.steps[i], 1);
    (*timing)[i].wave = w;
    last = std::max(last, w);
  }
  return last;
}

}  // namespace

std::string LinkKey(const std::string& a, const std::string& b) {
  return a < b ? a + "--" + b : b + "--" + a;
}

Result<Schedule> SimulateSchedule(const Plan& plan) {
  ASSIGN_OR_RETURN(StepGraph g, BuildStepGraph(plan));
  const int n = static_cast<int>(plan.steps.size());
  std::vector<double> bl = BottomLevels(plan, g);
  Schedule out;
  out.timing.resize(n);
  std::vector<int> waiting(n);
  std::set<std::pair<double, int>> ready;  // (-bottom level, index)
  for (int i = 0; i < n; ++i) {
    waiting[i] = static_cast<int>(g.preds[i].size());
    if (waiting[i] == 0) ready.insert({-bl[i], i});
  }
  using Event = std::pair<double, int>;  // (end time, index)
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> running;
  Slots slots(plan.limits);
  double now = 0;
  int done = 0;
  while (done < n) {
    for (auto it = ready.begin(); it != ready.end();) {
      const Step& s = plan.steps[it->second];
      if (!slots.Free(s)) {
        ++it;
        continue;
      }
      slots.Take(s, 1);
      out.timing[it->second].start = now;
      out.timing[it->second].end = now + s.est_seconds;
      running.push({now + s.est_seconds, it->second});
      it = ready.erase(it);
    }
    if (running.empty()) std::abort();  // every step has free slots when alone: unreachable
    now = running.top().first;
    while (!running.empty() && running.top().first <= now) {
      int i = running.top().second;
      running.pop();
      ++done;
      slots.Take(plan.steps[i], -1);
      for (int s : g.succs[i]) {
        if (--waiting[s] == 0) ready.insert({-bl[s], s});
      }
    }
  }
  out.makespan = now;
  out.waves = AssignWaves(plan, g, &out.timing);
  return out;
}

}  // namespace drover::plans
