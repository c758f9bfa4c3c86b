#include "plans/model/inventory_json.h"

#include "plans/model/fingerprint.h"
#include "plans/model/json_fields.h"
#include "plans/model/validate.h"

namespace drover::plans {
namespace {

std::string ItemPath(const char* list, size_t i, const nlohmann::json& item) {
  std::string p = std::string(list) + "[" + std::to_string(i) + "]";
  if (item.is_object()) {
    auto it = item.find("name");
    if (it != item.end() && it->is_string()) p += " \"" + it->get<std::string>() + "\"";
  }
  return p;
}

Status ParseHost(const nlohmann::json& j, size_t i, Host* h, std::vector<std::string>* w) {
  FieldReader r(j, ItemPath("hosts", i, j));
  r.String("name", &h->name, true);
  r.Number("cpus", &h->cpus, true);
  r.Number("memory_mib", &h->memory_mib, true);
  r.Number("disk_gib", &h->disk_gib, true);
  r.Number("nic_mbps", &h->nic_mbps, false);
  r.String("failure_domain", &h->failure_domain, false);
  std::string state = "online";
  r.String("state", &state, false);
  r.Strings("tags", &h->tags);
  RETURN_STATUS_IF_ERROR(r.status());
  auto s = ParseHostState(state);
  if (!s)
    return InvalidArgument(r.path() + ".state: \"" + state +
                           "\" is not online, drained or offline");
  h->state = *s;
  r.WarnUnknown(w);
  return Status::Ok();
}

Status ParseLink(const nlohmann::json& j, size_t i, Link* l, std::vector<std::string>* w) {
  FieldReader r(j, "links[" + std::to_string(i) + "]");
  r.String("a", &l->a, true);
  r.String("b", &l->b, true);
  r.Number("mbps", &l->mbps, true);
  RETURN_STATUS_IF_ERROR(r.status());
  r.WarnUnknown(w);
  return Status::Ok();
}

Status ParseLoad(FieldReader* gr, Load* load, std::vector<std::string>* w) {
  const nlohmann::json* lj = gr->Object("load");
  RETURN_STATUS_IF_ERROR(gr->status());
  if (lj == nullptr) return Status::Ok();
  FieldReader r(*lj, gr->path() + ".load");
  r.Number("cpu", &load->cpu, false);
  r.Number("io", &load->io, false);
  r.Number("memory", &load->memory, false);
  RETURN_STATUS_IF_ERROR(r.status());
  for (auto [name, v] : {std::pair{"cpu", load->cpu}, {"io", load->io}, {"memory", load->memory}}) {
    if (v > 1.0)
      return InvalidArgument(r.path() + "." + name + ": " + std::to_string(v) + " is above 1");
  }
  r.WarnUnknown(w);
  return Status::Ok();
}

Status ParseGuest(const nlohmann::json& j, size_t i, Guest* g, std::vector<std::string>* w) {
  FieldReader r(j, ItemPath("guests", i, j));
  r.String("name", &g->name, true);
  r.String("host", &g->host, true);
  r.Number("vcpus", &g->vcpus, true);
  r.Number("memory_mib", &g->memory_mib, true);
  r.Number("disk_gib", &g->disk_gib, true);
  r.Number("dirty_mib_s", &g->dirty_mib_s, false);
  r.String("group", &g->group, false);
  r.Strings("after", &g->after);
  r.Bool("pinned", &g->pinned);
  r.Bool("running", &g->running);
  RETURN_STATUS_IF_ERROR(r.status());
  RETURN_STATUS_IF_ERROR(ParseLoad(&r, &g->load, w));
  r.WarnUnknown(w);
  return Status::Ok();
}

Status ParsePolicy(const nlohmann::json& j, Policy* p, std::vector<std::string>* w) {
  FieldReader r(j, "policy");
  r.Number("cpu_overcommit", &p->cpu_overcommit, false);
  r.Number("memory_overcommit", &p->memory_overcommit, false);
  r.Int("max_migrations_per_host", &p->max_migrations_per_host, false);
  r.Int("max_migrations_per_link", &p->max_migrations_per_link, false);
  std::string spread(SpreadPolicyName(p->spread_groups_across));
  r.String("spread_groups_across", &spread, false);
  r.Number("max_downtime_ms", &p->max_downtime_ms, false);
  r.Int("max_precopy_rounds", &p->max_precopy_rounds, false);
  r.Number("heavy_load", &p->heavy_load, false);
  r.Number("cutover_overhead_s", &p->cutover_overhead_s, false);
  RETURN_STATUS_IF_ERROR(r.status());
  auto s = ParseSpreadPolicy(spread);
  if (!s) {
    return InvalidArgument("policy.spread_groups_across: \"" + spread +
                           "\" is not host, failure_domain or none");
  }
  p->spread_groups_across = *s;
  if (p->max_migrations_per_host < 1)
    return InvalidArgument("policy.max_migrations_per_host: must be at least 1");
  if (p->max_migrations_per_link < 1)
    return InvalidArgument("policy.max_migrations_per_link: must be at least 1");
  if (p->cpu_overcommit <= 0 || p->memory_overcommit <= 0) {
    return InvalidArgument("policy: overcommit ratios must be above 0");
  }
  r.WarnUnknown(w);
  return Status::Ok();
}

template <typename T, typename F>
Status ParseList(const nlohmann::json& doc, const char* key, bool required, std::vector<T>* out,
                 std::vector<std::string>* w, F parse) {
  auto it = doc.find(key);
  if (it == doc.end()) {
    return required ? InvalidArgument(std::string("inventory: \"") + key + "\" missing")
                    : Status::Ok();
  }
  if (!it->is_array()) {
    return InvalidArgument(std::string(key) + ": expected an array, got " + JsonTypeName(*it));
  }
  out->resize(it->size());
  for (size_t i = 0; i < it->size(); ++i) RETURN_STATUS_IF_ERROR(parse((*it)[i], i, &(*out)[i], w));
  return Status::Ok();
}

}  // namespace

Result<Inventory> ParseInventory(const nlohmann::json& doc, std::vector<std::string>* warnings) {
  if (!doc.is_object())
    return Err(InvalidArgument("inventory: expected an object, got " + JsonTypeName(doc)));
  Inventory inv;
  RETURN_IF_ERROR(ParseList(doc, "hosts", true, &inv.hosts, warnings, ParseHost));
  RETURN_IF_ERROR(ParseList(doc, "links", false, &inv.links, warnings, ParseLink));
  RETURN_IF_ERROR(ParseList(doc, "guests", false, &inv.guests, warnings, ParseGuest));
  auto pol = doc.find("policy");
  if (pol != doc.end()) RETURN_IF_ERROR(ParsePolicy(*pol, &inv.policy, warnings));
  for (const auto& [k, v] : doc.items()) {
    if (k != "hosts" && k != "links" && k != "guests" && k != "policy") {
      warnings->push_back("inventory: unknown field \"" + k + "\" ignored");
    }
  }
  inv.BuildIndex();
  return inv;
}

Result<LoadedInventory> LoadInventory(const nlohmann::json& doc) {
  LoadedInventory out;
  ASSIGN_OR_RETURN(out.inventory, ParseInventory(doc, &out.warnings));
  RETURN_IF_ERROR(ValidateInventory(out.inventory, &out.warnings));
  out.fingerprint = Fingerprint(doc);
  return out;
}

nlohmann::json InventoryToJson(const Inventory& inv) {
  nlohmann::json doc;
  doc["hosts"] = nlohmann::json::array();
  for (const Host& h : inv.hosts) {
    nlohmann::json j = {
        {"name", h.name},         {"cpus", h.cpus},         {"memory_mib", h.memory_mib},
        {"disk_gib", h.disk_gib}, {"nic_mbps", h.nic_mbps}, {"state", HostStateName(h.state)},
        {"tags", h.tags}};
    if (!h.failure_domain.empty()) j["failure_domain"] = h.failure_domain;
    doc["hosts"].push_back(std::move(j));
  }
  doc["links"] = nlohmann::json::array();
  for (const Link& l : inv.links)
    doc["links"].push_back({{"a", l.a}, {"b", l.b}, {"mbps", l.mbps}});
  doc["guests"] = nlohmann::json::array();
  for (const Guest& g : inv.guests) {
    nlohmann::json j = {
        {"name", g.name},
        {"host", g.host},
        {"vcpus", g.vcpus},
        {"memory_mib", g.memory_mib},
        {"disk_gib", g.disk_gib},
        {"load", {{"cpu", g.load.cpu}, {"io", g.load.io}, {"memory", g.load.memory}}},
        {"dirty_mib_s", g.dirty_mib_s},
        {"after", g.after},
        {"pinned", g.pinned}};
    if (!g.group.empty()) j["group"] = g.group;
    if (!g.running) j["running"] = false;
    doc["guests"].push_back(std::move(j));
  }
  const Policy& p = inv.policy;
  doc["policy"] = {{"cpu_overcommit", p.cpu_overcommit},
                   {"memory_overcommit", p.memory_overcommit},
                   {"max_migrations_per_host", p.max_migrations_per_host},
                   {"max_migrations_per_link", p.max_migrations_per_link},
                   {"spread_groups_across", SpreadPolicyName(p.spread_groups_across)},
                   {"max_downtime_ms", p.max_downtime_ms},
                   {"max_precopy_rounds", p.max_precopy_rounds},
                   {"heavy_load", p.heavy_load},
                   {"cutover_overhead_s", p.cutover_overhead_s}};
  return doc;
}

}  // namespace drover::plans
