#include "plans/model/plan_json.h"

#include <set>
#include <unordered_map>

#include "plans/graph/dag.h"
#include "plans/model/json_fields.h"

namespace drover::plans {
namespace {

nlohmann::json StepToJson(const Step& s, const StepTiming* t) {
  nlohmann::json j = {{"id", s.id},
                      {"action", s.action},
                      {"guest", s.guest},
                      {"from", s.from},
                      {"to", s.to},
                      {"depends_on", s.depends_on},
                      {"est_seconds", s.est_seconds},
                      {"est_bytes", s.est_bytes}};
  if (!s.new_name.empty()) j["new_name"] = s.new_name;
  if (s.action != "clone") j["est_downtime_seconds"] = s.est_downtime_seconds;
  if (s.action == "migrate") {
    j["precopy_rounds"] = s.precopy_rounds;
    j["converges"] = s.converges;
  }
  if (!s.group.empty()) j["group"] = s.group;
  if (t != nullptr) {
    j["est_start_seconds"] = t->start;
    j["est_end_seconds"] = t->end;
    j["wave"] = t->wave;
  }
  return j;
}

Status ParseStep(const nlohmann::json& j, size_t i, Step* s) {
  FieldReader r(j, "steps[" + std::to_string(i) + "]");
  r.String("id", &s->id, true);
  r.String("action", &s->action, true);
  r.String("guest", &s->guest, true);
  r.String("new_name", &s->new_name, false);
  r.String("from", &s->from, true);
  r.String("to", &s->to, true);
  r.Strings("depends_on", &s->depends_on);
  r.Number("est_seconds", &s->est_seconds, true);
  double bytes = 0, down = 0, rounds = 0;
  r.Number("est_bytes", &bytes, false);
  r.Number("est_downtime_seconds", &down, false);
  r.Number("precopy_rounds", &rounds, false);
  r.Bool("converges", &s->converges);
  r.String("group", &s->group, false);
  RETURN_STATUS_IF_ERROR(r.status());
  s->est_bytes = static_cast<int64_t>(bytes);
  s->est_downtime_seconds = down;
  s->precopy_rounds = static_cast<int>(rounds);
  if (s->action != "migrate" && s->action != "move" && s->action != "clone") {
    return InvalidArgument(r.path() + ".action: \"" + s->action +
                           "\" is not migrate, move or clone");
  }
  return Status::Ok();
}

Status ParseMove(const nlohmann::json& j, size_t i, Move* m) {
  FieldReader r(j, "moves[" + std::to_string(i) + "]");
  r.String("guest", &m->guest, true);
  r.String("from", &m->from, true);
  r.String("to", &m->to, true);
  r.String("mode", &m->mode, true);
  r.String("new_name", &m->new_name, false);
  r.String("reason", &m->reason, false);
  RETURN_STATUS_IF_ERROR(r.status());
  if (m->mode != "live" && m->mode != "cold" && m->mode != "clone") {
    return InvalidArgument(r.path() + ".mode: \"" + m->mode + "\" is not live, cold or clone");
  }
  if (m->mode == "clone" && m->new_name.empty())
    return InvalidArgument(r.path() + ".new_name: missing for a clone");
  return Status::Ok();
}

Status CheckGraph(const Plan& p) {
  std::unordered_map<std::string, int> index;
  for (size_t i = 0; i < p.steps.size(); ++i) {
    if (!index.emplace(p.steps[i].id, static_cast<int>(i)).second) {
      return InvalidArgument("steps[" + std::to_string(i) + "].id: duplicate step id \"" +
                             p.steps[i].id + "\"");
    }
  }
  std::vector<std::pair<int, int>> edges;
  for (size_t i = 0; i < p.steps.size(); ++i) {
    for (const std::string& d : p.steps[i].depends_on) {
      auto it = index.find(d);
      if (it == index.end()) {
        return InvalidArgument("step \"" + p.steps[i].id + "\".depends_on: unknown step \"" + d +
                               "\"");
      }
      edges.emplace_back(it->second, static_cast<int>(i));
    }
  }
  if (!TopologicalOrder(static_cast<int>(p.steps.size()), edges)) {
    return InvalidArgument("steps: depends_on forms a cycle");
  }
  return Status::Ok();
}

}  // namespace

nlohmann::json PlanToJson(const Plan& plan) {
  nlohmann::json doc = {{"drover_plan", plan.version},
                        {"kind", plan.kind},
                        {"targets", plan.targets},
                        {"inventory_fingerprint", plan.inventory_fingerprint},
                        {"limits",
                         {{"max_migrations_per_host", plan.limits.max_per_host},
                          {"max_migrations_per_link", plan.limits.max_per_link}}}};
  doc["moves"] = nlohmann::json::array();
  for (const Move& m : plan.moves) {
    nlohmann::json j = {{"guest", m.guest}, {"from", m.from}, {"to", m.to}, {"mode", m.mode}};
    if (!m.new_name.empty()) j["new_name"] = m.new_name;
    if (!m.reason.empty()) j["reason"] = m.reason;
    doc["moves"].push_back(std::move(j));
  }
  doc["steps"] = nlohmann::json::array();
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const StepTiming* t = i < plan.timing.size() ? &plan.timing[i] : nullptr;
    doc["steps"].push_back(StepToJson(plan.steps[i], t));
  }
  const PlanEstimate& e = plan.estimate;
  doc["estimate"] = {{"makespan_seconds", e.makespan_seconds},
                     {"bytes", e.bytes},
                     {"critical_path_seconds", e.critical_path_seconds},
                     {"critical_path", e.critical_path},
                     {"bytes_per_link", e.bytes_per_link},
                     {"downtime_seconds", e.downtime_seconds},
                     {"waves", e.waves}};
  doc["warnings"] = plan.warnings;
  return doc;
}

Result<Plan> ParsePlan(const nlohmann::json& doc) {
  Plan p;
  FieldReader r(doc, "plan");
  int version = 0;
  r.Int("drover_plan", &version, true);
  r.String("kind", &p.kind, true);
  r.Strings("targets", &p.targets);
  r.String("inventory_fingerprint", &p.inventory_fingerprint, false);
  r.Strings("warnings", &p.warnings);
  if (const nlohmann::json* lim = r.Object("limits")) {
    FieldReader lr(*lim, "plan.limits");
    lr.Int("max_migrations_per_host", &p.limits.max_per_host, false);
    lr.Int("max_migrations_per_link", &p.limits.max_per_link, false);
    RETURN_IF_ERROR(lr.status());
  }
  RETURN_IF_ERROR(r.status());
  if (version != kPlanVersion) {
    return Err(InvalidArgument("plan.drover_plan: version " + std::to_string(version) +
                               " is not supported (this drover reads version " +
                               std::to_string(kPlanVersion) + ")"));
  }
  if (p.limits.max_per_host < 1 || p.limits.max_per_link < 1) {
    return Err(InvalidArgument("plan.limits: limits must be at least 1"));
  }
  for (const char* key : {"moves", "steps"}) {
    auto it = doc.find(key);
    if (it != doc.end() && !it->is_array()) {
      return Err(InvalidArgument(std::string("plan.") + key + ": expected an array"));
    }
  }
  if (auto it = doc.find("moves"); it != doc.end()) {
    p.moves.resize(it->size());
    for (size_t i = 0; i < it->size(); ++i) RETURN_IF_ERROR(ParseMove((*it)[i], i, &p.moves[i]));
  }
  auto steps = doc.find("steps");
  if (steps == doc.end()) return Err(InvalidArgument("plan.steps: missing"));
  p.steps.resize(steps->size());
  for (size_t i = 0; i < steps->size(); ++i)
    RETURN_IF_ERROR(ParseStep((*steps)[i], i, &p.steps[i]));
  RETURN_IF_ERROR(CheckGraph(p));
  if (auto est = doc.find("estimate"); est != doc.end() && est->is_object()) {
    FieldReader er(*est, "plan.estimate");
    er.Number("makespan_seconds", &p.estimate.makespan_seconds, false);
    er.Number("critical_path_seconds", &p.estimate.critical_path_seconds, false);
    er.Int("waves", &p.estimate.waves, false);
    double bytes = 0;
    er.Number("bytes", &bytes, false);
    RETURN_IF_ERROR(er.status());
    p.estimate.bytes = static_cast<int64_t>(bytes);
  }
  return p;
}

}  // namespace drover::plans
