// RegionChangeFinder: how a send's regional discovery asks the storage
// driver. The driver here is a stand-in that answers from a fixed list (as
// LVM's thin_delta would, which these machines cannot run): only the
// finder's own logic is under test; the file driver's FIEMAP path is tested
// on a real XFS in tests/agent/storage.
#include "agent/daemon/region_changes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace drover::agent {
namespace {

using storage::ByteRange;
using testing::ElementsAre;

class ListDriver : public storage::StorageDriver {
 public:
  std::optional<std::vector<ByteRange>> list;
  Status failure;
  int whole_asked = 0;

  std::string name() const override { return "list (test stand-in)"; }
  Result<std::vector<storage::PoolInfo>> ListPools() override { return Unimplemented(); }
  Result<std::vector<storage::VolumeInfo>> ListVolumes(const std::string&) override {
    return Unimplemented();
  }
  Status CreateVolume(const std::string&, const std::string&, uint64_t) override {
    return Status(Code::kInternal, "not used by this test");
  }
  Status RemoveVolume(const std::string&, const std::string&) override {
    return Status(Code::kInternal, "not used by this test");
  }
  Status CreateSnapshot(const std::string&, const std::string&, const std::string&,
                        uint64_t) override {
    return Status(Code::kInternal, "not used by this test");
  }
  Status RemoveSnapshot(const std::string&, const std::string&) override {
    return Status(Code::kInternal, "not used by this test");
  }
  std::string SnapshotName(const std::string& v, const std::string& s) const override {
    return v + "-" + s;
  }
  Result<std::string> Path(const std::string&, const std::string&) override {
    return Unimplemented();
  }
  Result<int> Open(const std::string&, const std::string&, storage::OpenMode) override {
    return Unimplemented();
  }
  Result<std::optional<std::vector<ByteRange>>> ChangedRanges(const std::string&,
                                                              const std::string&,
                                                              const std::string&) override {
    ++whole_asked;
    if (!failure.ok()) return Err(failure);
    return list;
  }

 private:
  static tl::unexpected<Status> Unimplemented() {
    return Err(Status(Code::kInternal, "not used by this test"));
  }
};

std::vector<std::pair<uint64_t, uint64_t>> Pairs(const std::vector<sync::ByteRange>& rs) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto& r : rs) out.emplace_back(r.offset, r.length);
  return out;
}

TEST(RegionChangeFinderTest, AWholeListIsAskedOnceAndLookedUpPerRegion) {
  ListDriver driver;
  driver.list = std::vector<ByteRange>{{5000, 100}, {100, 50}, {900, 300}, {3000, 10}};
  driver.list->push_back({9000, UINT64_MAX});  // endless: in every region from 8000 on
  RegionFinder find = RegionChangeFinder(&driver, "vg", "s1", "s2");
  EXPECT_EQ(driver.whole_asked, 0);  // nothing asked until the first region
  auto a = find(0, 1000);
  auto b = find(1000, 2000);
  auto c = find(2000, 4000);
  auto d = find(4000, 8000);
  auto e = find(8000, 12000);
  auto f = find(12000, 16000);
  ASSERT_TRUE(a && b && c && d && e && f);
  EXPECT_EQ(driver.whole_asked, 1);
  // A range across a region's edge is named in both (the discovery clips).
  EXPECT_THAT(Pairs(*a), ElementsAre(std::pair<uint64_t, uint64_t>{100, 50},
                                     std::pair<uint64_t, uint64_t>{900, 300}));
  EXPECT_THAT(Pairs(*b), ElementsAre(std::pair<uint64_t, uint64_t>{900, 300}));
  EXPECT_THAT(Pairs(*c), ElementsAre(std::pair<uint64_t, uint64_t>{3000, 10}));
  EXPECT_THAT(Pairs(*d), ElementsAre(std::pair<uint64_t, uint64_t>{5000, 100}));
  EXPECT_THAT(Pairs(*e), ElementsAre(std::pair<uint64_t, uint64_t>{9000, UINT64_MAX}));
  EXPECT_THAT(Pairs(*f), ElementsAre(std::pair<uint64_t, uint64_t>{9000, UINT64_MAX}));
}

TEST(RegionChangeFinderTest, ADriverThatCannotTellOrFailsFailsEveryRegion) {
  ListDriver cannot;  // list stays nullopt
  RegionFinder find = RegionChangeFinder(&cannot, "vg", "s1", "s2");
  auto first = find(0, 10);
  ASSERT_FALSE(first);
  EXPECT_NE(first.error().message().find("cannot tell"), std::string::npos);
  EXPECT_FALSE(find(10, 20));
  EXPECT_EQ(cannot.whole_asked, 1);

  ListDriver failing;
  failing.failure = Status(Code::kIoError, "thin_delta: metadata snapshot busy");
  RegionFinder find2 = RegionChangeFinder(&failing, "vg", "s1", "s2");
  auto r = find2(0, 10);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("metadata snapshot busy"), std::string::npos);
}

}  // namespace
}  // namespace drover::agent
