// Extent records (agent/storage/extent_record.h): what makes one valid. The
// tests on a real XFS with immutable snapshots are in file_driver_test.cc.
#include "agent/storage/extent_record.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace drover::storage {
namespace {

using namespace std::chrono_literals;

class ExtentRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("drover-extent-record-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    file_ = (dir_ / "vol@s1").string();
    id_ = ImmutableIdentity{1, 2, 3, 1 << 20, 1000000000, 999};  // ctime long ago
    extents_ = {Extent{0, 4096, 65536, true, true}, Extent{65536, 9 << 20, 4096, true, false},
                Extent{1 << 19, 1 << 21, 1 << 19, false, true}};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string file_;
  ImmutableIdentity id_;
  std::vector<Extent> extents_;
};

bool Same(const std::vector<Extent>& a, const std::vector<Extent>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].logical != b[i].logical || a[i].physical != b[i].physical ||
        a[i].length != b[i].length || a[i].exact != b[i].exact || a[i].shared != b[i].shared) {
      return false;
    }
  }
  return true;
}

TEST_F(ExtentRecordTest, RoundTripsForTheSameIdentityOnly) {
  auto stored = StoreExtentRecord(file_, id_, extents_);
  ASSERT_TRUE(stored) << stored.error().ToString();
  ASSERT_TRUE(*stored);
  EXPECT_EQ(ExtentRecordPath(file_), (dir_ / ".drover-extents" / "vol@s1").string());
  auto back = LoadExtentRecord(file_, id_);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(Same(*back, extents_));
  // Any field of the identity that differs makes it another file, or the
  // same file changed since (a cleared flag changes ctime).
  for (int field = 0; field < 6; ++field) {
    ImmutableIdentity other = id_;
    switch (field) {
      case 0:
        other.dev++;
        break;
      case 1:
        other.ino++;
        break;
      case 2:
        other.generation++;
        break;
      case 3:
        other.size++;
        break;
      case 4:
        other.ctime_ns++;
        break;
      case 5:
        other.mtime_ns++;
        break;
    }
    EXPECT_FALSE(LoadExtentRecord(file_, other).has_value()) << "field " << field;
  }
  RemoveExtentRecord(file_);
  EXPECT_FALSE(LoadExtentRecord(file_, id_).has_value());
}

TEST_F(ExtentRecordTest, AFileChangedWithinTheMinimumAgeIsNotRecorded) {
  ImmutableIdentity young = id_;
  young.ctime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto stored = StoreExtentRecord(file_, young, extents_);
  ASSERT_TRUE(stored);
  EXPECT_FALSE(*stored);
  EXPECT_FALSE(std::filesystem::exists(ExtentRecordPath(file_)));
  stored = StoreExtentRecord(file_, young, extents_, 0ns);
  ASSERT_TRUE(stored);
  EXPECT_TRUE(*stored);
}

TEST_F(ExtentRecordTest, ADamagedOrTruncatedRecordIsIgnored) {
  ASSERT_TRUE(StoreExtentRecord(file_, id_, extents_));
  const std::string path = ExtentRecordPath(file_);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 100u);
  auto write = [&](const std::string& b) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << b;
  };
  for (size_t at : {size_t{0}, size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x40);
    write(bad);
    EXPECT_FALSE(LoadExtentRecord(file_, id_).has_value()) << "byte " << at;
  }
  write(bytes.substr(0, bytes.size() - 17));
  EXPECT_FALSE(LoadExtentRecord(file_, id_).has_value());
  write("");
  EXPECT_FALSE(LoadExtentRecord(file_, id_).has_value());
  write(bytes);
  EXPECT_TRUE(LoadExtentRecord(file_, id_).has_value());
}

TEST_F(ExtentRecordTest, AFileThatIsNotImmutableHasNoIdentityAndNoRecord) {
  { std::ofstream(file_) << "data"; }
  int fd = ::open(file_.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  auto id = IdentifyImmutable(fd);
  ::close(fd);
  ASSERT_TRUE(id) << id.error().ToString();
  EXPECT_FALSE(id->has_value());
  auto recorded = RecordExtentMap(file_, 0ns);
  ASSERT_TRUE(recorded) << recorded.error().ToString();
  EXPECT_FALSE(*recorded);
  EXPECT_FALSE(std::filesystem::exists(ExtentRecordPath(file_)));
}

}  // namespace
}  // namespace drover::storage
