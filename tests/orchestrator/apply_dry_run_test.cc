// `drover apply [--dry-run] PLAN` through CLI11, on plans the planner makes
// from the example inventories, and on bad plan files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "orchestrator/cli/apply_command.h"
#include "plans/cli/plan_command.h"
#include "plans/model/document_io.h"
#include "plans/model/plan_json.h"
#include "plans/render/render.h"

namespace drover::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Outcome {
  int code = -1;
  std::string out, err;
};

std::vector<const char*> Argv(std::vector<std::string>& args) {
  args.insert(args.begin(), "drover");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return argv;
}

// `drover apply ...` as main wires it: global options, fallthrough.
Outcome Apply(std::vector<std::string> args) {
  CLI::App app("drover");
  app.fallthrough();
  CliContext ctx;
  std::ostringstream out, err;
  ctx.out = &out;
  ctx.err = &err;
  AddGlobalOptions(app, &ctx);
  AddApplyCommand(app, &ctx);
  auto argv = Argv(args);
  app.parse(static_cast<int>(argv.size()), argv.data());
  return {ctx.exit_code, out.str(), err.str()};
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/apply-" + std::to_string(getpid()) + "-" + name;
}

// Plans with `drover plan ARGS --inventory EXAMPLE --format json -o FILE`; returns FILE.
std::string MakePlan(const std::string& example, std::vector<std::string> args) {
  std::string path = TempPath(example + ".plan.json");
  args.insert(args.begin(), "plan");
  args.insert(args.end(), {"--inventory", std::string(DROVER_EXAMPLES_DIR) + "/" + example,
                           "--format", "json", "-o", path});
  CLI::App app("drover");
  int code = -1;
  std::ostringstream out, err;
  AddPlanCommand(app, nullptr, out, err, &code);
  auto argv = Argv(args);
  app.parse(static_cast<int>(argv.size()), argv.data());
  EXPECT_EQ(code, 0) << err.str();
  return path;
}

plans::Plan ReadPlan(const std::string& path) {
  auto doc = plans::ReadJsonFile(path);
  EXPECT_TRUE(doc.has_value());
  auto plan = plans::ParsePlan(*doc);
  EXPECT_TRUE(plan.has_value()) << plan.error().ToString();
  return *plan;
}

// The planner's wave count, from the document (ParsePlan does not read it back).
int DocWaves(const std::string& path) {
  return plans::ReadJsonFile(path)->at("estimate").at("waves").get<int>();
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// What every simulated timeline must satisfy, checked from its JSON form.
void CheckTimeline(const plans::Plan& plan, int waves, const nlohmann::json& doc) {
  const auto& events = doc["events"];
  ASSERT_EQ(events.size(), 2 * plan.steps.size());
  std::map<std::string, double> started, ended;
  std::map<std::string, int> per_host, per_link;
  double last = 0;
  for (const auto& e : events) {
    double t = e["time_seconds"];
    EXPECT_GE(t, last);
    last = t;
    std::string id = e["step"], from = e["from"], to = e["to"];
    std::string link = from < to ? from + "--" + to : to + "--" + from;
    int delta = e["event"] == "start" ? 1 : -1;
    per_host[from] += delta;
    per_host[to] += delta;
    per_link[link] += delta;
    if (delta > 0) {
      started[id] = t;
      EXPECT_LE(per_host[from], plan.limits.max_per_host) << id;
      EXPECT_LE(per_host[to], plan.limits.max_per_host) << id;
      EXPECT_LE(per_link[link], plan.limits.max_per_link) << id;
    } else {
      ASSERT_TRUE(started.count(id)) << id << " ends before it starts";
      ended[id] = t;
    }
  }
  for (const auto& s : plan.steps) {
    EXPECT_NEAR(ended[s.id] - started[s.id], s.est_seconds, 1e-6) << s.id;
    for (const auto& d : s.depends_on) {
      EXPECT_GE(started[s.id], ended[d]) << s.id << " starts before " << d << " ends";
    }
  }
  const auto& final_event = events.back();
  EXPECT_EQ(final_event["steps_done"], plan.steps.size());
  EXPECT_EQ(final_event["bytes_done"], plan.estimate.bytes);
  EXPECT_EQ(doc["summary"]["bytes"], plan.estimate.bytes);
  EXPECT_EQ(doc["summary"]["waves"], waves);
  EXPECT_NEAR(doc["summary"]["makespan_seconds"].get<double>(), plan.estimate.makespan_seconds,
              1e-6);
  for (const auto& [guest, seconds] : plan.estimate.downtime_seconds) {
    EXPECT_NEAR(doc["summary"]["downtime_seconds"][guest].get<double>(), seconds, 1e-9) << guest;
  }
}

TEST(ApplyDryRunTest, TextTimelineOfAnEvacuation) {
  std::string path = MakePlan("two-racks.json", {"evacuate", "a1"});
  plans::Plan plan = ReadPlan(path);
  ASSERT_GE(plan.steps.size(), 2u);
  Outcome r = Apply({"apply", "--dry-run", path});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, IsEmpty());
  EXPECT_THAT(r.out, HasSubstr("dry run of plan evacuate a1 (inventory sha256:"));
  EXPECT_THAT(r.out, HasSubstr("no agent is contacted"));
  for (const auto& s : plan.steps) {
    for (std::string event : {"start", "end  "}) {
      std::string prefix = event + " " + s.id;
      EXPECT_THAT(r.out, HasSubstr(prefix)) << prefix;
    }
    EXPECT_THAT(r.out, HasSubstr(s.from + " -> " + s.to));
    EXPECT_THAT(r.out, HasSubstr(s.guest));
  }
  EXPECT_THAT(r.out, HasSubstr("  0%  0/" + std::to_string(plan.steps.size()) + " steps"));
  std::string all = std::to_string(plan.steps.size());
  EXPECT_THAT(r.out, HasSubstr("100%  " + all + "/" + all + " steps"));
  EXPECT_THAT(r.out,
              HasSubstr("makespan     " + plans::FormatDuration(plan.estimate.makespan_seconds)));
  EXPECT_THAT(r.out, HasSubstr("transfer     " +
                               plans::FormatBytes(static_cast<double>(plan.estimate.bytes))));
  EXPECT_THAT(r.out, HasSubstr("waves        " + std::to_string(DocWaves(path))));
  for (const auto& [guest, seconds] : plan.estimate.downtime_seconds) {
    EXPECT_THAT(r.out, HasSubstr("downtime     " + guest));
  }
}

TEST(ApplyDryRunTest, JsonTimelineHoldsLimitsAndDependencies) {
  for (auto [example, args] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"two-racks.json", {"evacuate", "a1"}},
           {"tight.json", {"evacuate", "h1"}},
           {"two-racks.json", {"rebalance"}}}) {
    SCOPED_TRACE(example + " " + args[0]);
    std::string path = MakePlan(example, args);
    plans::Plan plan = ReadPlan(path);
    Outcome r = Apply({"apply", "--dry-run", path, "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    auto doc = plans::ParseJsonText(r.out, "output");
    ASSERT_TRUE(doc.has_value()) << r.out;
    EXPECT_EQ((*doc)["plan"]["kind"], plan.kind);
    CheckTimeline(plan, DocWaves(path), *doc);
  }
}

TEST(ApplyDryRunTest, CascadeWaitsForTheMoveThatMakesRoom) {
  // tight.json: big only fits on h2 once a has left it.
  std::string path = MakePlan("tight.json", {"evacuate", "h1"});
  Outcome r = Apply({"--json", "apply", "--dry-run", path});
  ASSERT_EQ(r.code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  std::vector<std::string> order;
  for (const auto& e : doc["events"])
    order.push_back(e["event"].get<std::string>() + " " + e["guest"].get<std::string>());
  EXPECT_EQ(order, (std::vector<std::string>{"start a", "end a", "start big", "end big"}));
}

TEST(ApplyDryRunTest, CloneHasNoDowntime) {
  std::string path = MakePlan("two-racks.json", {"clone", "web1", "--count", "3"});
  plans::Plan plan = ReadPlan(path);
  Outcome r = Apply({"apply", "--dry-run", path});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("web1>"));
  EXPECT_THAT(r.out, HasSubstr("downtime     none"));
  r = Apply({"apply", "--dry-run", path, "--json"});
  auto doc = nlohmann::json::parse(r.out);
  CheckTimeline(plan, DocWaves(path), doc);
  EXPECT_TRUE(doc["events"][0].contains("new_name"));
}

// Without --dry-run the plan goes to the daemon (tests/integration/run_test.cc
// runs it); with no way to reach one, nothing runs and the error says why.
TEST(ApplyDryRunTest, WithoutDryRunNeedsTheDaemonAndRunsNothingWithoutIt) {
  std::string path = MakePlan("two-racks.json", {"evacuate", "a1"});
  Outcome r = Apply({"apply", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, HasSubstr("talking to the daemon needs --key"));
}

TEST(ApplyDryRunTest, MissingFileIsBadInput) {
  std::string path = TempPath("does-not-exist.json");
  Outcome r = Apply({"apply", "--dry-run", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, HasSubstr(path));
}

TEST(ApplyDryRunTest, MalformedJsonIsBadInput) {
  std::string path = TempPath("malformed.json");
  WriteFile(path, "{\"drover_plan\": 1, \"steps\": [");
  Outcome r = Apply({"apply", "--dry-run", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path));
}

TEST(ApplyDryRunTest, BadFieldsAreNamed) {
  std::string good = MakePlan("tight.json", {"evacuate", "h1"});
  auto doc = *plans::ReadJsonFile(good);
  struct Case {
    std::string name;
    std::function<void(nlohmann::json&)> edit;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"unknown-dep", [](auto& d) { d["steps"][1]["depends_on"] = {"s9"}; },
            "step \"s2\".depends_on: unknown step \"s9\""},
           {"cycle", [](auto& d) { d["steps"][0]["depends_on"] = {"s2"}; }, "cycle"},
           {"action", [](auto& d) { d["steps"][0]["action"] = "teleport"; }, ".action"},
           {"version", [](auto& d) { d["drover_plan"] = 99; }, "plan.drover_plan"},
           {"no-steps", [](auto& d) { d.erase("steps"); }, "plan.steps: missing"}}) {
    SCOPED_TRACE(c.name);
    nlohmann::json bad = doc;
    c.edit(bad);
    std::string path = TempPath(c.name + ".json");
    WriteFile(path, bad.dump());
    Outcome r = Apply({"apply", "--dry-run", path});
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.out, IsEmpty());
    EXPECT_THAT(r.err, HasSubstr(path + ": "));
    EXPECT_THAT(r.err, HasSubstr(c.expected));
  }
}

TEST(ApplyDryRunTest, MissingPlanIsAUsageError) {
  EXPECT_THROW(Apply({"apply", "--dry-run"}), CLI::RequiredError);
}

}  // namespace
}  // namespace drover::cli
