#include "common/wire/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace drover::wire {
namespace {

TEST(KeysTest, WritesASecretFileOnlyTheOwnerCanReadAndLoadsItBack) {
  std::string dir = ::testing::TempDir() + "/drover-keys-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto pair = GenerateKeyPair();
  ASSERT_TRUE(pair);
  EXPECT_TRUE(IsZ85Key(pair->public_z85));
  ASSERT_TRUE(WriteKeyPair(dir, "h1", *pair).ok());
  struct stat st {};
  ASSERT_EQ(stat((dir + "/h1.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = LoadKeyPair(dir + "/h1.key");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->public_z85, pair->public_z85);  // derived, not stored
  EXPECT_EQ(*LoadPublicKey(dir + "/h1.pub"), pair->public_z85);
  EXPECT_EQ(*LoadPublicKey(pair->public_z85), pair->public_z85);
  // Never overwrite a secret.
  EXPECT_FALSE(WriteKeyPair(dir, "h1", *pair).ok());
  std::filesystem::remove_all(dir);
}

TEST(KeysTest, AFortyCharacterPathIsReadAsAFileNotTakenForAKey) {
  // "/tmp/drover-k-NNNNNN/keys/orchestrat.pub" style: 40 characters, every
  // one in the Z85 alphabet.
  std::string dir = "/tmp/drover-k-" + std::to_string(100000 + getpid() % 900000) + "/keys";
  std::string path = dir + "/" + std::string(40 - dir.size() - 5, 'o') + ".pub";
  ASSERT_EQ(path.size(), 40u);
  ASSERT_TRUE(IsZ85Key(path)) << path;
  std::filesystem::create_directories(dir);
  auto pair = GenerateKeyPair();
  ASSERT_TRUE(pair);
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs((pair->public_z85 + "\n").c_str(), f);
  fclose(f);
  auto loaded = LoadPublicKey(path);
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  EXPECT_EQ(*loaded, pair->public_z85);
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
  // Without the file, the same 40 characters are a key.
  EXPECT_EQ(*LoadPublicKey(path), path);
}

TEST(KeysTest, RefusesFilesThatHoldNoKey) {
  std::string path = ::testing::TempDir() + "/drover-bad-" + std::to_string(getpid()) + ".key";
  FILE* f = fopen(path.c_str(), "w");
  fputs("not a key\n", f);
  fclose(f);
  auto r = LoadKeyPair(path);
  std::remove(path.c_str());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("not a 40-character Z85"), std::string::npos);
  EXPECT_FALSE(LoadPublicKey("/nonexistent.pub"));
  EXPECT_FALSE(IsZ85Key(std::string(40, '"')));
}

}  // namespace
}  // namespace drover::wire
