#include "plans/cli/plan_command.h"

#include <memory>

#include "plans/model/document_io.h"
#include "plans/model/inventory_json.h"
#include "plans/planners/planner.h"
#include "plans/render/render.h"

namespace drover::cli {
namespace {

using plans::LoadedInventory;
using plans::Plan;

constexpr size_t kMaxWarnings = 20;

struct Options {
  std::string inventory;
  std::string format = "text";
  std::string output;
  plans::EvacuateRequest evacuate;
  plans::MigrateRequest migrate;
  plans::CloneRequest clone;
  plans::RebalanceRequest rebalance;
};

struct Context {
  std::function<Result<nlohmann::json>()> live_inventory;
  std::ostream* out;
  std::ostream* err;
  int* exit_code;
};

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case Code::kInvalidArgument:
      return 2;
    case Code::kInfeasible:
      return 3;
    default:
      return 1;
  }
}

Result<LoadedInventory> Load(const Options& o, const Context& c) {
  Result<nlohmann::json> doc;
  std::string where = o.inventory;
  if (!o.inventory.empty()) {
    doc = plans::ReadJsonFile(o.inventory);
  } else if (c.live_inventory) {
    where = "live inventory";
    doc = c.live_inventory();
  } else {
    return Err(InvalidArgument("no --inventory FILE given and no daemon to ask"));
  }
  if (!doc) return Err(doc.error());
  auto inv = plans::LoadInventory(*doc);
  if (!inv) return Err(inv.error().WithContext(where));
  for (size_t i = 0; i < inv->warnings.size() && i < kMaxWarnings; ++i) {
    *c.err << "warning: " << where << ": " << inv->warnings[i] << "\n";
  }
  if (inv->warnings.size() > kMaxWarnings) {
    *c.err << "warning: " << where << ": ... and " << (inv->warnings.size() - kMaxWarnings)
           << " more\n";
  }
  return inv;
}

Status Emit(const Plan& plan, const Options& o, const Context& c) {
  auto format = plans::ParseFormat(o.format);
  std::string text = plans::Render(plan, *format);
  if (o.output.empty()) {
    *c.out << text;
    return Status::Ok();
  }
  return plans::WriteTextFile(o.output, text);
}

void Run(const std::string& kind, const Options& o, const Context& c) {
  Status st = [&]() -> Status {
    if (!plans::ParseFormat(o.format)) {
      return InvalidArgument("--format: \"" + o.format + "\" is not text, json, dot or svg");
    }
    auto inv = Load(o, c);
    if (!inv) return inv.error();
    Result<Plan> plan;
    if (kind == "evacuate")
      plan = plans::PlanEvacuate(*inv, o.evacuate);
    else if (kind == "migrate")
      plan = plans::PlanMigrate(*inv, o.migrate);
    else if (kind == "clone")
      plan = plans::PlanClone(*inv, o.clone);
    else
      plan = plans::PlanRebalance(*inv, o.rebalance);
    if (!plan) return plan.error();
    return Emit(*plan, o, c);
  }();
  *c.exit_code = st.ok() ? 0 : ExitCodeFor(st);
  if (!st.ok()) *c.err << "drover plan " << kind << ": " << st.message() << "\n";
}

void CommonOptions(CLI::App* sub, Options* o) {
  sub->add_option("--inventory", o->inventory, "plan offline from this inventory JSON file");
  sub->add_option("--format", o->format, "text, json, dot or svg (default text)");
  sub->add_option("-o,--output", o->output,
                  "write the plan to this file instead of standard output");
}

}  // namespace

void AddPlanCommand(CLI::App& root, std::function<Result<nlohmann::json>()> live_inventory,
                    std::ostream& out, std::ostream& err, int* exit_code) {
  auto o = std::make_shared<Options>();
  Context c{std::move(live_inventory), &out, &err, exit_code};
  CLI::App* plan = root.add_subcommand("plan", "compute a reviewable plan (nothing moves)");
  plan->require_subcommand(1);

  CLI::App* ev = plan->add_subcommand("evacuate", "empty hosts or a failure domain");
  ev->add_option("hosts", o->evacuate.hosts, "hosts to empty");
  ev->add_option("--domain", o->evacuate.domain, "empty every host of this failure domain");
  CommonOptions(ev, o.get());
  ev->callback([o, c] { Run("evacuate", *o, c); });

  CLI::App* mi = plan->add_subcommand("migrate", "move one guest to one host");
  mi->add_option("guest", o->migrate.guest, "guest to move")->required();
  mi->add_option("--to", o->migrate.to, "destination host")->required();
  CommonOptions(mi, o.get());
  mi->callback([o, c] { Run("migrate", *o, c); });

  CLI::App* cl = plan->add_subcommand("clone", "make copies of a guest with fan-out");
  cl->add_option("guest", o->clone.guest, "guest to copy")->required();
  cl->add_option("--count", o->clone.count, "number of copies")->required();
  cl->add_option("--to", o->clone.to, "destination hosts, used in turn");
  cl->add_option("--name-prefix", o->clone.name_prefix, "copies are named PREFIX1, PREFIX2, ...");
  CommonOptions(cl, o.get());
  cl->callback([o, c] { Run("clone", *o, c); });

  CLI::App* rb =
      plan->add_subcommand("rebalance", "improve resource complementarity with few moves");
  rb->add_option("--max-moves", o->rebalance.max_moves, "at most this many moves (default 50)");
  CommonOptions(rb, o.get());
  rb->callback([o, c] { Run("rebalance", *o, c); });
}

}  // namespace drover::cli
