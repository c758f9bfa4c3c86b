// Properties over random inventories (rapidcheck): every plan holds capacity
// at every moment of its own schedule, holds the concurrency limits and the
// groups, has an acyclic step graph, leaves evacuated hosts empty, and is
// deterministic. Infeasible requests fail with an explanation, never with a
// partial plan.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "plans/model/plan_json.h"
#include "plans/model/resources.h"
#include "plans/planners/planner.h"
#include "tests/plans/testing/inventory_builder.h"
#include "tests/plans/testing/plan_checks.h"

namespace drover::plans {
namespace {

using testing::CheckPlan;

int Pick(int lo, int hi) { return *rc::gen::inRange(lo, hi + 1); }

// A valid random inventory: guests only go where they fit, groups start spread.
LoadedInventory RandomInventory() {
  nlohmann::json doc = {{"hosts", nlohmann::json::array()}, {"guests", nlohmann::json::array()}};
  const int hosts = Pick(3, 12), domains = Pick(1, 4);
  const std::vector<std::string> spreads = {"none", "host", "failure_domain"};
  const std::string spread = spreads[Pick(0, 2)];
  doc["policy"] = {{"cpu_overcommit", Pick(1, 4)},
                   {"max_migrations_per_host", Pick(1, 3)},
                   {"max_migrations_per_link", Pick(1, 2)},
                   {"spread_groups_across", spread}};
  const double fill = Pick(1, 4) / 4.0;  // how full the generator may make hosts
  std::vector<Res> free;
  std::vector<std::string> domain_of;
  for (int h = 0; h < hosts; ++h) {
    const int state = Pick(0, 19);  // mostly online
    const double cpus = 4 * Pick(1, 8), mem = 4096.0 * Pick(1, 16), disk = 100.0 * Pick(1, 20);
    domain_of.push_back("d" + std::to_string(h % domains));
    doc["hosts"].push_back({{"name", "h" + std::to_string(h)},
                            {"cpus", cpus},
                            {"memory_mib", mem},
                            {"disk_gib", disk},
                            {"nic_mbps", 1000 * Pick(1, 10)},
                            {"failure_domain", domain_of.back()},
                            {"state", state == 0   ? "offline"
                                      : state == 1 ? "drained"
                                                   : "online"}});
    free.push_back({cpus * Pick(1, 4) * fill, mem * fill, disk * fill});
  }
  if (Pick(0, 1)) doc["links"] = {{{"a", "h0"}, {"b", "h1"}, {"mbps", 100 * Pick(1, 100)}}};
  std::set<std::pair<std::string, std::string>> group_at;
  doc["policy"]["cpu_overcommit"] = 4;  // capacity above uses at most 4x
  const int guests = Pick(1, 40);
  for (int g = 0, made = 0; g < guests; ++g) {
    const int h = Pick(0, hosts - 1);
    Res d{static_cast<double>(Pick(1, 8)), 512.0 * Pick(1, 16), 10.0 * Pick(1, 20)};
    if (!d.FitsIn(free[h])) continue;  // (may leave no guest at all: fine)
    free[h] -= d;
    const std::string name = "g" + std::to_string(g);
    nlohmann::json j = {
        {"name", name},
        {"host", "h" + std::to_string(h)},
        {"vcpus", d.cpu},
        {"memory_mib", d.mem},
        {"disk_gib", d.disk},
        {"load",
         {{"cpu", Pick(0, 10) / 10.0}, {"io", Pick(0, 10) / 10.0}, {"memory", Pick(0, 10) / 10.0}}},
        {"dirty_mib_s", Pick(0, 50)},
        {"running", Pick(0, 5) != 0},
        {"pinned", Pick(0, 30) == 0}};
    if (Pick(0, 2) == 0) {
      const std::string group = "grp" + std::to_string(Pick(0, 2));
      const std::string key = spread == "failure_domain" ? domain_of[h] : "h" + std::to_string(h);
      if (group_at.insert({group, key}).second || spread == "none") j["group"] = group;
    }
    if (made > 0 && Pick(0, 5) == 0) j["after"] = {"g" + std::to_string(Pick(0, g - 1))};
    doc["guests"].push_back(j);
    ++made;
  }
  // `after` may name a guest that was skipped: drop those references.
  std::set<std::string> names;
  for (const auto& g : doc["guests"]) names.insert(g["name"].get<std::string>());
  for (auto& g : doc["guests"]) {
    if (g.contains("after") && !names.count(g["after"][0].get<std::string>())) g.erase("after");
  }
  auto inv = LoadInventory(doc);
  RC_ASSERT(inv.has_value());
  return std::move(*inv);
}

void ExpectSound(const LoadedInventory& inv, const Result<Plan>& plan,
                 const std::vector<std::string>& emptied) {
  if (!plan) {
    RC_ASSERT(plan.error().code() == Code::kInfeasible);
    RC_ASSERT(!plan.error().message().empty());
    const std::string& m = plan.error().message();
    RC_CLASSIFY(m.find("pinned") != std::string::npos, "infeasible: pinned");
    RC_CLASSIFY(m.find("offline host") != std::string::npos, "infeasible: offline source");
    RC_CLASSIFY(m.find("short of") != std::string::npos, "infeasible: capacity");
    RC_CLASSIFY(m.find("member of its group") != std::string::npos, "infeasible: group");
    return;
  }
  RC_CLASSIFY(!plan->steps.empty(), "plan with steps");
  bool cascade = false;
  for (const Move& m : plan->moves) cascade |= m.reason.rfind("make room", 0) == 0;
  RC_CLASSIFY(cascade, "cascade");
  for (const std::string& v : CheckPlan(inv.inventory, *plan, emptied)) RC_FAIL(v);
  RC_ASSERT(plan->inventory_fingerprint == inv.fingerprint);
}

RC_GTEST_PROP(PlanProperties, EvacuationIsSoundAndDeterministic, ()) {
  const LoadedInventory inv = RandomInventory();
  const int n = static_cast<int>(inv.inventory.hosts.size());
  EvacuateRequest req;
  const int count = Pick(1, 3);
  for (int i = 0; i < count; ++i) {
    const int h = Pick(0, n - 1);  // offline hosts rarely: they make the plan infeasible at once
    if (inv.inventory.hosts[h].state != HostState::kOffline || Pick(0, 4) == 0)
      req.hosts.push_back("h" + std::to_string(h));
  }
  RC_PRE(!req.hosts.empty());
  auto plan = PlanEvacuate(inv, req);
  ExpectSound(inv, plan, req.hosts);
  auto again = PlanEvacuate(inv, req);
  RC_ASSERT(plan.has_value() == again.has_value());
  if (plan)
    RC_ASSERT(PlanToJson(*plan) == PlanToJson(*again));
  else
    RC_ASSERT(plan.error().message() == again.error().message());
}

RC_GTEST_PROP(PlanProperties, RebalanceIsSound, ()) {
  const LoadedInventory inv = RandomInventory();
  auto plan = PlanRebalance(inv, {Pick(0, 10)});
  RC_ASSERT(plan.has_value());
  ExpectSound(inv, plan, {});
}

RC_GTEST_PROP(PlanProperties, CloneIsSound, ()) {
  const LoadedInventory inv = RandomInventory();
  RC_PRE(!inv.inventory.guests.empty());
  const auto& g = inv.inventory.guests[Pick(0, static_cast<int>(inv.inventory.guests.size()) - 1)];
  auto plan = PlanClone(inv, {g.name, Pick(1, 9), {}, ""});
  ExpectSound(inv, plan, {});
  if (plan) RC_ASSERT(plan->steps.size() == plan->moves.size());
}

RC_GTEST_PROP(PlanProperties, MigrateIsSound, ()) {
  const LoadedInventory inv = RandomInventory();
  RC_PRE(!inv.inventory.guests.empty());
  const auto& g = inv.inventory.guests[Pick(0, static_cast<int>(inv.inventory.guests.size()) - 1)];
  const int n = static_cast<int>(inv.inventory.hosts.size());
  const std::string to = "h" + std::to_string((g.host_index + Pick(1, n - 1)) % n);
  ExpectSound(inv, PlanMigrate(inv, {g.name, to}), {});
}

}  // namespace
}  // namespace drover::plans
