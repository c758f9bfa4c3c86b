#include "common/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace drover {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    std::ofstream(path_) << text;
    return path_;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::string path_ = ::testing::TempDir() + "/drover-config-" + std::to_string(getpid()) + ".json";
  std::vector<JsonField> spec_ = {{"listen", JsonType::kString},
                                  {"heartbeat_ms", JsonType::kInteger}};
};

TEST_F(ConfigTest, ReadsKnownKeys) {
  auto c = LoadConfigFile(Write(R"({"listen":"tcp://127.0.0.1:1","heartbeat_ms":250})"), spec_);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ((*c)["heartbeat_ms"], 250);
}

TEST_F(ConfigTest, NamesTheFileAndTheUnknownKey) {
  auto c = LoadConfigFile(Write(R"({"listen":"x","heartbeat_msec":250})"), spec_);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(c.error().message(), "config file " + path_ + ": unknown field 'heartbeat_msec'");
}

TEST_F(ConfigTest, NamesTheKeyWithTheWrongType) {
  auto c = LoadConfigFile(Write(R"({"heartbeat_ms":"fast"})"), spec_);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(),
            "config file " + path_ + ": field 'heartbeat_ms' must be an integer, not string");
}

TEST_F(ConfigTest, RejectsBadJsonAndMissingFiles) {
  EXPECT_FALSE(LoadConfigFile(Write("{listen:"), spec_));
  auto missing = LoadConfigFile("/nonexistent/drover.json", spec_);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("/nonexistent/drover.json"), std::string::npos);
}

}  // namespace
}  // namespace drover
