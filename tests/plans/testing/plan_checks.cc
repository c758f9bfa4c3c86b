#include "tests/plans/testing/plan_checks.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "plans/model/resources.h"
#include "plans/ordering/step_graph.h"

namespace drover::plans::testing {
namespace {

constexpr double kEps = 1e-6;

struct Ctx {
  const Inventory& inv;
  const Plan& plan;
  std::vector<std::string>* out;
  std::vector<int> guest_of_step;
};

void CheckDeps(Ctx& c) {
  auto g = BuildStepGraph(c.plan);
  if (!g) return c.out->push_back("step graph: " + g.error().message());
  for (size_t i = 0; i < c.plan.steps.size(); ++i) {
    for (int d : g->preds[i]) {
      if (c.plan.timing[d].end > c.plan.timing[i].start + kEps) {
        c.out->push_back(c.plan.steps[i].id + " starts before its dependency " +
                         c.plan.steps[d].id + " ends");
      }
    }
  }
}

// Sweeps the schedule: capacity and concurrency at every moment.
void CheckMoments(Ctx& c) {
  const Inventory& inv = c.inv;
  std::vector<Res> used(inv.hosts.size());
  for (const Guest& g : inv.guests) used[g.host_index] += Demand(g);
  std::vector<std::tuple<double, int, int>>
      events;  // (time, kind, step); kind 0 end, 1 start, 2 zero-length end
  for (size_t i = 0; i < c.plan.steps.size(); ++i) {
    const StepTiming& t = c.plan.timing[i];
    events.emplace_back(t.start, 1, static_cast<int>(i));
    events.emplace_back(t.end, t.end > t.start ? 0 : 2, static_cast<int>(i));
  }
  std::sort(events.begin(), events.end());
  std::unordered_map<std::string, int> per_host, per_link;
  for (auto [time, kind, i] : events) {
    const Step& s = c.plan.steps[i];
    const Res d = Demand(inv.guests[c.guest_of_step[i]]);
    const int from = inv.HostIndex(s.from), to = inv.HostIndex(s.to);
    const std::string link = s.from < s.to ? s.from + "--" + s.to : s.to + "--" + s.from;
    if (kind == 1) {
      used[to] += d;
      if (!used[to].FitsIn(Capacity(inv.hosts[to], inv.policy))) {
        c.out->push_back("capacity of " + s.to + " exceeded when " + s.id + " starts at " +
                         std::to_string(time) + ": " +
                         DescribeExcess(used[to], Capacity(inv.hosts[to], inv.policy)));
      }
      if (++per_host[s.from] > c.plan.limits.max_per_host ||
          ++per_host[s.to] > c.plan.limits.max_per_host) {
        c.out->push_back("host concurrency exceeded when " + s.id + " starts");
      }
      if (++per_link[link] > c.plan.limits.max_per_link)
        c.out->push_back("link concurrency exceeded by " + s.id);
    } else {
      if (s.action != "clone") used[from] -= d;
      --per_host[s.from], --per_host[s.to], --per_link[link];
    }
  }
}

// Waves: dependencies sit in earlier waves and every wave holds the limits.
void CheckWaves(Ctx& c) {
  std::map<std::pair<int, std::string>, int> hosts, links;
  std::unordered_map<std::string, int> wave_of;
  for (size_t i = 0; i < c.plan.steps.size(); ++i)
    wave_of[c.plan.steps[i].id] = c.plan.timing[i].wave;
  for (size_t i = 0; i < c.plan.steps.size(); ++i) {
    const Step& s = c.plan.steps[i];
    const int w = c.plan.timing[i].wave;
    for (const std::string& d : s.depends_on) {
      if (wave_of[d] >= w)
        c.out->push_back(s.id + " is in wave " + std::to_string(w) + ", not after " + d);
    }
    const std::string link = s.from < s.to ? s.from + "--" + s.to : s.to + "--" + s.from;
    if (++hosts[{w, s.from}] > c.plan.limits.max_per_host ||
        ++hosts[{w, s.to}] > c.plan.limits.max_per_host ||
        ++links[{w, link}] > c.plan.limits.max_per_link) {
      c.out->push_back("wave " + std::to_string(w) + " exceeds a limit with " + s.id);
    }
  }
  int last = 0;
  for (const StepTiming& t : c.plan.timing) last = std::max(last, t.wave);
  if (last != c.plan.estimate.waves)
    c.out->push_back("estimate.waves disagrees with the steps' waves");
}

void CheckGroupsOverlap(Ctx& c) {
  std::map<std::string, std::vector<int>> by_group;
  for (size_t i = 0; i < c.plan.steps.size(); ++i) {
    const Guest& g = c.inv.guests[c.guest_of_step[i]];
    if (!g.group.empty() && c.plan.steps[i].action != "clone")
      by_group[g.group].push_back(static_cast<int>(i));
  }
  for (const auto& [group, steps] : by_group) {
    for (size_t a = 0; a < steps.size(); ++a) {
      for (size_t b = a + 1; b < steps.size(); ++b) {
        const StepTiming &x = c.plan.timing[steps[a]], &y = c.plan.timing[steps[b]];
        if (x.start < y.end - kEps && y.start < x.end - kEps) {
          c.out->push_back("group " + group + ": " + c.plan.steps[steps[a]].id + " and " +
                           c.plan.steps[steps[b]].id + " move at the same time");
        }
      }
    }
  }
}

std::string SpreadOf(const Inventory& inv, int h) { return SpreadKey(inv, h); }

void CheckFinalState(Ctx& c, const std::vector<std::string>& emptied) {
  const Inventory& inv = c.inv;
  std::vector<int> loc(inv.guests.size());
  for (size_t g = 0; g < inv.guests.size(); ++g) loc[g] = inv.guests[g].host_index;
  std::vector<int> moves(inv.guests.size(), 0);
  std::vector<char> moved(inv.guests.size(), 0);
  for (size_t i = 0; i < c.plan.steps.size(); ++i) {
    const Step& s = c.plan.steps[i];
    const int g = c.guest_of_step[i], to = inv.HostIndex(s.to);
    if (inv.hosts[to].state != HostState::kOnline)
      c.out->push_back(s.id + ": destination " + s.to + " not online");
    if (std::find(emptied.begin(), emptied.end(), s.to) != emptied.end()) {
      c.out->push_back(s.id + ": moves into emptied host " + s.to);
    }
    if (s.action == "clone") continue;
    if (inv.guests[g].pinned) c.out->push_back(s.id + ": moves pinned guest " + s.guest);
    if (++moves[g] > 1) c.out->push_back("guest " + s.guest + " moves twice");
    if (inv.hosts[loc[g]].name != s.from)
      c.out->push_back(s.id + ": guest " + s.guest + " is not on " + s.from);
    loc[g] = to;
    moved[g] = 1;
  }
  for (size_t g = 0; g < inv.guests.size(); ++g) {
    if (std::find(emptied.begin(), emptied.end(), inv.hosts[loc[g]].name) != emptied.end()) {
      c.out->push_back("guest " + inv.guests[g].name + " still on emptied host " +
                       inv.hosts[loc[g]].name);
    }
  }
  if (inv.policy.spread_groups_across == SpreadPolicy::kNone) return;
  std::map<std::pair<std::string, std::string>, int> members;
  for (size_t g = 0; g < inv.guests.size(); ++g) {
    if (!inv.guests[g].group.empty()) ++members[{inv.guests[g].group, SpreadOf(inv, loc[g])}];
  }
  for (size_t g = 0; g < inv.guests.size(); ++g) {
    if (moved[g] && !inv.guests[g].group.empty() &&
        members[{inv.guests[g].group, SpreadOf(inv, loc[g])}] > 1) {
      c.out->push_back("guest " + inv.guests[g].name + " joins another member of group " +
                       inv.guests[g].group);
    }
  }
}

void CheckAfter(Ctx& c) {
  std::unordered_map<std::string, int> step_of;
  for (size_t i = 0; i < c.plan.steps.size(); ++i) {
    if (c.plan.steps[i].action != "clone") step_of[c.plan.steps[i].guest] = static_cast<int>(i);
  }
  for (const auto& [guest, i] : step_of) {
    for (const std::string& a : c.inv.guests[c.inv.GuestIndex(guest)].after) {
      auto it = step_of.find(a);
      if (it != step_of.end() && c.plan.timing[it->second].end > c.plan.timing[i].start + kEps) {
        c.out->push_back("guest " + guest + " moves before " + a + " finished");
      }
    }
  }
}

}  // namespace

std::vector<std::string> CheckPlan(const Inventory& inv, const Plan& plan,
                                   const std::vector<std::string>& emptied) {
  std::vector<std::string> out;
  if (plan.timing.size() != plan.steps.size()) return {"plan has no timing for every step"};
  Ctx c{inv, plan, &out, {}};
  for (const Step& s : plan.steps) {
    int g = inv.GuestIndex(s.guest);
    if (g < 0 || inv.HostIndex(s.from) < 0 || inv.HostIndex(s.to) < 0)
      return {"step " + s.id + " names unknowns"};
    c.guest_of_step.push_back(g);
  }
  CheckDeps(c);
  CheckMoments(c);
  CheckWaves(c);
  CheckGroupsOverlap(c);
  CheckFinalState(c, emptied);
  CheckAfter(c);
  return out;
}

}  // namespace drover::plans::testing
