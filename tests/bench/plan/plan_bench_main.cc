// plan_bench: the planner benchmark's helper program.
//
//   plan_bench generate --hosts N --guests M [--rack-size R] [--seed S] -o FILE
//   plan_bench hbal-convert INVENTORY.json -o FILE
//   plan_bench waves PLAN.json          prints the plan's wave count
//   plan_bench plan ARGS...             runs `drover plan ARGS...` offline and
//                                       prints "elapsed_s=.. rss_mib=.. exit=.."
//                                       on standard error
// Exit status: the `plan` run's own, else 0, or 2 on bad input.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "plans/cli/plan_command.h"
#include "plans/model/document_io.h"
#include "plans/model/inventory_json.h"
#include "plans/model/plan_json.h"
#include "plans/ordering/schedule.h"
#include "tests/bench/plan/hbal_text.h"
#include "tests/bench/plan/synthetic_inventory.h"

namespace {

using namespace drover;

int Fail(const Status& s) {
  std::cerr << "plan_bench: " << s.ToString() << "\n";
  return 2;
}

int RunPlan(int argc, char** argv) {
  const auto start = std::chrono::steady_clock::now();
  CLI::App app("drover");
  int code = 1;
  cli::AddPlanCommand(app, nullptr, std::cout, std::cerr, &code);
  std::vector<const char*> args = {"drover", "plan"};
  for (int i = 0; i < argc; ++i) args.push_back(argv[i]);
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::fprintf(stderr, "elapsed_s=%.3f rss_mib=%.1f exit=%d\n", secs, ru.ru_maxrss / 1024.0, code);
  return code;
}

int Generate(int argc, char** argv) {
  plans::bench::SyntheticSpec spec;
  std::string out;
  CLI::App app("plan_bench generate");
  app.add_option("--hosts", spec.hosts);
  app.add_option("--guests", spec.guests);
  app.add_option("--rack-size", spec.rack_size);
  app.add_option("--seed", spec.seed);
  app.add_option("--max-per-host", spec.max_per_host);
  app.add_option("-o", out)->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  Status s = plans::WriteTextFile(out, plans::bench::SyntheticInventory(spec).dump());
  return s.ok() ? 0 : Fail(s);
}

int HbalConvert(int argc, char** argv) {
  std::string in, out;
  CLI::App app("plan_bench hbal-convert");
  app.add_option("inventory", in)->required();
  app.add_option("-o", out)->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto doc = plans::ReadJsonFile(in);
  if (!doc) return Fail(doc.error());
  auto inv = plans::LoadInventory(*doc);
  if (!inv) return Fail(inv.error());
  Status s = plans::WriteTextFile(out, plans::bench::HbalText(inv->inventory));
  return s.ok() ? 0 : Fail(s);
}

int Waves(const char* path) {
  auto doc = plans::ReadJsonFile(path);
  if (!doc) return Fail(doc.error());
  auto plan = plans::ParsePlan(*doc);
  if (!plan) return Fail(plan.error());
  auto schedule = plans::SimulateSchedule(*plan);
  if (!schedule) return Fail(schedule.error());
  std::printf("%d\n", schedule->waves);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "plan") return RunPlan(argc - 2, argv + 2);
  if (cmd == "generate") return Generate(argc - 1, argv + 1);
  if (cmd == "hbal-convert") return HbalConvert(argc - 1, argv + 1);
  if (cmd == "waves" && argc == 3) return Waves(argv[2]);
  std::cerr << "usage: plan_bench generate|hbal-convert|waves|plan ...\n";
  return 2;
}
