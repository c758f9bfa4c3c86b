#include "agent/daemon/retired_volumes.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace drover::agent {
namespace {

class RetiredVolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/drover-retired-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(RetiredVolumesTest, RecordsAreAppendedAndReadBackByAnotherInstance) {
  RetiredVolumes retired(dir_);
  EXPECT_TRUE(retired.Names().empty()) << "no file yet: nothing retired";
  auto first = retired.Record("vm1-disk", "migrated to h2");
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ((*first)["volume"], "vm1-disk");
  EXPECT_EQ((*first)["reason"], "migrated to h2");
  EXPECT_GT((*first)["retired_at"].get<int64_t>(), 0);
  ASSERT_TRUE(retired.Record("vm2-disk", "").has_value());
  ASSERT_TRUE(retired.Record("vm1-disk", "migrated to h3").has_value());  // retired again
  EXPECT_EQ(RetiredVolumes(dir_).Names(), (std::set<std::string>{"vm1-disk", "vm2-disk"}));
}

TEST_F(RetiredVolumesTest, APurgeEndsARetirementAndALaterRetirementCountsAgain) {
  RetiredVolumes retired(dir_);
  auto first = retired.Record("vm1-disk", "migrated to h2", "vm1");
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ((*first)["guest"], "vm1");
  ASSERT_TRUE(retired.Record("vm2-disk", "migrated to h3").has_value());
  EXPECT_FALSE(retired.Current().at("vm2-disk").contains("guest")) << "no guest: none recorded";
  ASSERT_TRUE(retired.Purged("vm1-disk").ok());
  EXPECT_EQ(RetiredVolumes(dir_).Names(), (std::set<std::string>{"vm2-disk"}));
  // The same name made and retired again later is retired again.
  ASSERT_TRUE(retired.Record("vm1-disk", "migrated to h4", "vm1").has_value());
  auto current = RetiredVolumes(dir_).Current();
  ASSERT_EQ(current.count("vm1-disk"), 1u);
  EXPECT_EQ(current["vm1-disk"]["reason"], "migrated to h4") << "the latest record counts";
  // The history stays: four lines, none rewritten.
  std::ifstream in(dir_ + "/retired-volumes.jsonl");
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, 4);
}

TEST_F(RetiredVolumesTest, ATornOrForeignLineIsSkippedAndTheRestStillCount) {
  {
    std::ofstream out(dir_ + "/retired-volumes.jsonl");
    out << "{\"volume\":\"a\"}\n"
        << "{\"volume\":\"b\",\"reas\n"  // torn by a crash mid-write
        << "[1,2]\n"
        << "{\"volume\":42}\n"
        << "\n"
        << "{\"volume\":\"c\",\"reason\":\"x\"}\n";
  }
  EXPECT_EQ(RetiredVolumes(dir_).Names(), (std::set<std::string>{"a", "c"}));
}

TEST_F(RetiredVolumesTest, AnUnwritableStateDirectoryIsAnErrorNamingTheFile) {
  RetiredVolumes retired(dir_ + "/missing");
  auto r = retired.Record("vm1-disk", "");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find(dir_ + "/missing/retired-volumes.jsonl"), std::string::npos)
      << r.error().ToString();
}

}  // namespace
}  // namespace drover::agent
