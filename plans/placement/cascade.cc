#include "plans/placement/cascade.h"

#include <algorithm>

namespace drover::plans {
namespace {

constexpr int kMaxSingleTries = 8;

Res Deficit(const ClusterState& s, int item, int h) {
  Res f = s.final_use(h) + s.item(item).demand, c = s.cap(h);
  return {std::max(0.0, f.cpu - c.cpu), std::max(0.0, f.mem - c.mem),
          std::max(0.0, f.disk - c.disk)};
}

// Share of the deficit a victim covers (sum over short dimensions, capped at 1 each).
double Coverage(const Res& v, const Res& need) {
  double c = 0;
  if (need.cpu > 0) c += std::min(1.0, v.cpu / need.cpu);
  if (need.mem > 0) c += std::min(1.0, v.mem / need.mem);
  if (need.disk > 0) c += std::min(1.0, v.disk / need.disk);
  return c;
}

// Whether `h` could hold the item if residents left: every constraint but capacity holds.
bool Candidate(const ClusterState& s, int item, int h) {
  Reject r = s.Check(item, h);
  if (r != Reject::kCpu && r != Reject::kMemory && r != Reject::kDisk) return false;
  return s.item(item).demand.FitsIn(s.cap(h));
}

std::vector<int> Movable(const ClusterState& s, int h, const std::vector<char>& movable) {
  std::vector<int> out;
  for (int g : s.Residents(h)) {
    if (movable[g]) out.push_back(g);
  }
  return out;
}

std::string RoomReason(const ClusterState& s, int item, int h) {
  return "make room for " + s.item(item).name + " on " + s.inventory().hosts[h].name;
}

// Commits victims in order until the item fits on `h`. Returns the number
// committed, or -1 after rolling them back when the item still does not fit.
int Free(ClusterState* s, int item, int h, const std::vector<int>& victims) {
  int committed = 0;
  for (int v : victims) {
    if (s->Check(item, h) == Reject::kOk) break;
    int to = s->FindHost(v, [h](int x) { return x != h; });
    if (to < 0) continue;
    s->Commit(v, to, RoomReason(*s, item, h));
    ++committed;
  }
  if (s->Check(item, h) == Reject::kOk) return committed;
  for (int k = 0; k < committed; ++k) s->Uncommit();
  return -1;
}

bool SingleVictim(ClusterState* s, int item, int h, const std::vector<char>& movable) {
  Res need = Deficit(*s, item, h);
  std::vector<int> fit;
  for (int v : Movable(*s, h, movable)) {
    if (need.FitsIn(s->item(v).demand)) fit.push_back(v);
  }
  auto size = [&](int v) { return s->item(v).demand.disk * 1024 + s->item(v).demand.mem; };
  std::stable_sort(fit.begin(), fit.end(), [&](int a, int b) { return size(a) < size(b); });
  if (fit.size() > kMaxSingleTries) fit.resize(kMaxSingleTries);
  for (int v : fit) {
    if (Free(s, item, h, {v}) == 1) return true;
  }
  return false;
}

std::vector<int> ByCoverage(const ClusterState& s, int item, int h,
                            const std::vector<char>& movable) {
  Res need = Deficit(s, item, h);
  std::vector<int> v = Movable(s, h, movable);
  std::stable_sort(v.begin(), v.end(), [&](int a, int b) {
    return Coverage(s.item(a).demand, need) > Coverage(s.item(b).demand, need);
  });
  return v;
}

}  // namespace

int PlaceWithCascade(ClusterState* s, int item, const std::vector<char>& movable,
                     const std::function<bool(int)>& filter, const std::string& reason) {
  std::vector<int> hosts;
  s->ForEachByResource(s->item(item).dominant, [&](int h) {
    if ((!filter || filter(h)) && Candidate(*s, item, h)) hosts.push_back(h);
    return hosts.size() < static_cast<size_t>(kMaxCascadeHosts);
  });
  for (int h : hosts) {
    if (SingleVictim(s, item, h, movable)) {
      s->Commit(item, h, reason);
      return h;
    }
  }
  int best = -1, best_count = 0;
  for (int h : hosts) {
    int n = Free(s, item, h, ByCoverage(*s, item, h, movable));
    if (n < 0) continue;
    for (int k = 0; k < n; ++k) s->Uncommit();
    if (best < 0 || n < best_count) best = h, best_count = n;
  }
  if (best < 0) return -1;
  if (Free(s, item, best, ByCoverage(*s, item, best, movable)) < 0)
    std::abort();  // same input, same result
  s->Commit(item, best, reason);
  return best;
}

}  // namespace drover::plans
