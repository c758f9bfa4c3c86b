// `drover plan ...` through CLI11: argument vectors in, output and exit codes out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "plans/cli/plan_command.h"
#include "plans/model/document_io.h"
#include "plans/model/plan_json.h"
#include "tests/plans/testing/inventory_builder.h"

namespace drover::cli {
namespace {

using ::testing::HasSubstr;

const std::string kExample = std::string(DROVER_EXAMPLES_DIR) + "/two-racks.json";

struct Outcome {
  int code = -1;
  std::string out, err;
};

Outcome Invoke(std::vector<std::string> args,
               std::function<Result<nlohmann::json>()> live = nullptr) {
  CLI::App app("drover");
  Outcome r;
  std::ostringstream out, err;
  AddPlanCommand(app, std::move(live), out, err, &r.code);
  args.insert(args.begin(), "drover");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  r.out = out.str();
  r.err = err.str();
  return r;
}

TEST(PlanCommandTest, EvacuateTextOffline) {
  Outcome r = Invoke({"plan", "evacuate", "a1", "--inventory", kExample});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("plan evacuate a1"));
  EXPECT_THAT(r.out, HasSubstr("inventory    sha256:"));
  EXPECT_THAT(r.out, HasSubstr("waves"));
  EXPECT_THAT(r.out, HasSubstr("db1"));
  EXPECT_THAT(r.out, HasSubstr("web1"));
}

TEST(PlanCommandTest, JsonToFileParsesBack) {
  const std::string path = ::testing::TempDir() + "/plan-" + std::to_string(getpid()) + ".json";
  Outcome r = Invoke({"plan", "evacuate", "--domain", "rack-a", "--inventory", kExample, "--format",
                      "json", "-o", path});
  EXPECT_EQ(r.code, 3) << "db1 may not join db2's rack and a3 is drained";
  EXPECT_THAT(r.err, HasSubstr("holding a member of its group \"db\""));
  r = Invoke({"plan", "evacuate", "a1", "--inventory", kExample, "--format", "json", "-o", path});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  auto doc = plans::ReadJsonFile(path);
  ASSERT_TRUE(doc);
  auto plan = plans::ParsePlan(*doc);
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(plan->kind, "evacuate");
  EXPECT_EQ(plan->steps.size(), 2u);  // db1 and web1
  EXPECT_EQ(plan->targets, std::vector<std::string>{"a1"});
  std::remove(path.c_str());
}

TEST(PlanCommandTest, OtherKindsAndFormats) {
  Outcome r =
      Invoke({"plan", "clone", "web1", "--count", "3", "--inventory", kExample, "--format", "dot"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("digraph"));
  r = Invoke({"plan", "migrate", "web2", "--to", "b2", "--inventory", kExample, "--format", "svg"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("<svg"));
  r = Invoke({"plan", "rebalance", "--max-moves", "2", "--inventory", kExample});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("plan rebalance"));
}

TEST(PlanCommandTest, ExitCodes) {
  Outcome r = Invoke({"plan", "evacuate", "nohost", "--inventory", kExample});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown host \"nohost\""));
  r = Invoke({"plan", "evacuate", "a1", "--inventory", "/nonexistent.json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("/nonexistent.json: cannot read"));
  r = Invoke({"plan", "evacuate", "a1", "--inventory", kExample, "--format", "pdf"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--format"));
  r = Invoke({"plan", "evacuate", "b2", "--inventory", kExample});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("guest \"dns1\" is pinned to b2"));
  r = Invoke({"plan", "clone", "web1", "--count", "0", "--inventory", kExample});
  EXPECT_EQ(r.code, 2);
  r = Invoke({"plan", "evacuate", "a1", "--inventory", kExample, "-o", "/nonexistent/dir/plan"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot write"));
  EXPECT_THROW(Invoke({"plan", "migrate", "web1", "--inventory", kExample}), CLI::ParseError);
}

TEST(PlanCommandTest, InvalidInventoryIsBadInputWithWarnings) {
  plans::testing::InventoryBuilder b;
  b.Host("h1", 4, 1024, 10).Guest("g", "h2", 1, 512, 1);
  const std::string path = ::testing::TempDir() + "/inv-" + std::to_string(getpid()) + ".json";
  ASSERT_TRUE(plans::WriteTextFile(path, b.doc().dump()).ok());
  Outcome r = Invoke({"plan", "rebalance", "--inventory", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ": invalid inventory"));
  EXPECT_THAT(r.err, HasSubstr("guest \"g\".host: unknown host \"h2\""));
  nlohmann::json doc = plans::testing::InventoryBuilder().Host("h1", 4, 1024, 10).doc();
  doc["hosts"][0]["colour"] = "red";
  ASSERT_TRUE(plans::WriteTextFile(path, doc.dump()).ok());
  r = Invoke({"plan", "rebalance", "--inventory", path});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("warning: " + path + ": hosts[0] \"h1\": unknown field \"colour\""));
  std::remove(path.c_str());
}

TEST(PlanCommandTest, LiveInventoryWithoutFile) {
  auto doc = plans::ReadJsonFile(kExample);
  ASSERT_TRUE(doc);
  int calls = 0;
  Outcome r = Invoke({"plan", "evacuate", "a1"}, [&]() -> Result<nlohmann::json> {
    ++calls;
    return *doc;
  });
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(calls, 1);
  r = Invoke({"plan", "evacuate", "a1"}, []() -> Result<nlohmann::json> {
    return Err(Unavailable("daemon at tcp://127.0.0.1:7700 does not answer"));
  });
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("does not answer"));
  r = Invoke({"plan", "evacuate", "a1"});
  EXPECT_EQ(r.code, 2);
}

}  // namespace
}  // namespace drover::cli
