// LVM driver: parsing of captured lvm2 / thin_delta output, the commands it
// builds (argument vectors, never shell strings), and its failure paths.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "agent/storage/lvm_driver.h"
#include "agent/storage/lvm_report.h"
#include "agent/storage/thin_delta.h"
#include "tests/agent/storage/fake_runner.h"

namespace drover::storage {
namespace {

using ::testing::ElementsAre;
using testing::FakeRunner;
using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(DROVER_STORAGE_TESTDATA) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kLvsPrefix = "lvs --reportformat json --units b --nosuffix -o ";

TEST(LvmReportTest, ParsesThinPoolVolumesAndSnapshots) {
  auto lvs = ParseLvsReport(Fixture("lvs_thin.json"));
  ASSERT_TRUE(lvs) << lvs.error().ToString();
  ASSERT_EQ(lvs->size(), 4u);
  const LvRecord& pool = (*lvs)[0];
  EXPECT_TRUE(pool.IsThinPool());
  EXPECT_EQ(pool.lv_size, 4294967296u);
  EXPECT_DOUBLE_EQ(*pool.data_percent, 12.5);
  EXPECT_EQ(*pool.chunk_size, 65536u);
  EXPECT_FALSE(pool.thin_id.has_value());
  const LvRecord& snap = (*lvs)[2];
  EXPECT_TRUE(snap.IsThinVolume());
  EXPECT_EQ(snap.origin, "web1-disk");
  EXPECT_EQ(snap.pool_lv, "pool0");
  EXPECT_EQ(*snap.thin_id, 2u);
  EXPECT_FALSE(snap.snap_percent.has_value());
  EXPECT_FALSE(snap.IsInvalidSnapshot());
}

TEST(LvmReportTest, ParsesClassicSnapshotsAndSpotsInvalidOnes) {
  auto lvs = ParseLvsReport(Fixture("lvs_classic.json"));
  ASSERT_TRUE(lvs) << lvs.error().ToString();
  ASSERT_EQ(lvs->size(), 4u);
  EXPECT_TRUE((*lvs)[1].IsClassicSnapshot());
  EXPECT_FALSE((*lvs)[1].IsInvalidSnapshot());
  EXPECT_DOUBLE_EQ(*(*lvs)[1].snap_percent, 3.17);
  EXPECT_TRUE((*lvs)[2].IsInvalidSnapshot());
  EXPECT_FALSE((*lvs)[3].IsClassicSnapshot());
}

TEST(LvmReportTest, ParsesVgs) {
  auto vgs = ParseVgsReport(Fixture("vgs.json"));
  ASSERT_TRUE(vgs);
  ASSERT_EQ(vgs->size(), 2u);
  EXPECT_EQ((*vgs)[0].vg_name, "vg-data");
  EXPECT_EQ((*vgs)[0].vg_free, 6434062336u);
  EXPECT_EQ((*vgs)[1].vg_free, 0u);
}

TEST(LvmReportTest, RejectsUnexpectedOutput) {
  EXPECT_FALSE(ParseLvsReport("  WARNING: Failed to connect to lvmetad.\n"));
  EXPECT_FALSE(ParseLvsReport("{\"not_report\": []}"));
  // Sizes with units (someone dropped --units b --nosuffix) are refused by name.
  auto with_units = ParseVgsReport(
      R"({"report":[{"vg":[{"vg_name":"vg0","vg_size":"<10.00g","vg_free":"0 "}]}]})");
  ASSERT_FALSE(with_units);
  EXPECT_THAT(with_units.error().message(), HasSubstr("vg_size"));
  auto missing = ParseLvsReport(R"({"report":[{"lv":[{"lv_name":"a","vg_name":"v"}]}]})");
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(), HasSubstr("lv_size"));
  auto numbers = ParseLvsReport(
      R"({"report":[{"lv":[{"lv_name":"a","vg_name":"v","lv_size":5,"lv_attr":"-wi-a-----"}]}]})");
  EXPECT_FALSE(numbers);  // lvm2 writes every value as a string
}

TEST(ThinDeltaTest, ParsesChangedBlocksInBytes) {
  auto d = ParseThinDelta(Fixture("thin_delta.xml"));
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->data_block_bytes, 65536u);  // 128 sectors
  EXPECT_THAT(d->changed,
              ElementsAre(ByteRange{100 * 65536, 2 * 65536}, ByteRange{500 * 65536, 11 * 65536}));
}

TEST(ThinDeltaTest, ParsesTheVerboseForm) {
  auto d = ParseThinDelta(Fixture("thin_delta_verbose.xml"));
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_THAT(d->changed,
              ElementsAre(ByteRange{100 * 65536, 2 * 65536}, ByteRange{500 * 65536, 10 * 65536}));
}

TEST(ThinDeltaTest, RejectsGarbage) {
  EXPECT_FALSE(ParseThinDelta(""));
  EXPECT_FALSE(ParseThinDelta("Unable to find mapping tree for snap1 (7)\n"));
  EXPECT_FALSE(ParseThinDelta("<superblock data_block_size=\"x\"><diff></diff></superblock>"));
  EXPECT_FALSE(ParseThinDelta(
      "<superblock data_block_size=\"128\"><diff><different begin=\"1\"/></diff></superblock>"));
  EXPECT_FALSE(
      ParseThinDelta("<superblock data_block_size=\"128\"><diff><bogus/></diff>"
                     "</superblock>"));
}

TEST(LvmDriverTest, DmNamesDoubleDashes) {
  EXPECT_EQ(LvmDriver::DmName("vg-data", "pool0"), "vg--data-pool0");
  EXPECT_EQ(LvmDriver::DmName("vg0", "my-pool"), "vg0-my--pool");
}

TEST(LvmDriverTest, CreatesClassicAndThinVolumesByArgumentVector) {
  FakeRunner run;
  run.On("lvcreate", CommandResult{0, "  Logical volume \"x\" created.\n", ""});
  LvmDriver lvm(run);
  ASSERT_TRUE(lvm.CreateVolume("vg0", "web1-disk", 1073741824).ok());
  ASSERT_TRUE(lvm.CreateVolume("vg-data/pool0", "web2-disk", 4096).ok());
  EXPECT_THAT(run.calls[0],
              ElementsAre("lvcreate", "-y", "-n", "web1-disk", "-L", "1073741824b", "vg0"));
  EXPECT_THAT(run.calls[1], ElementsAre("lvcreate", "-y", "-n", "web2-disk", "-V", "4096b", "-T",
                                        "vg-data/pool0"));
  // A name that would be an option or a path never reaches lvm2.
  EXPECT_FALSE(lvm.CreateVolume("vg0", "-L1g", 1).ok());
  EXPECT_FALSE(lvm.CreateVolume("vg0", "a/b", 1).ok());
  EXPECT_FALSE(lvm.CreateVolume("vg0", "x; rm -rf /", 1).ok());
  EXPECT_EQ(run.calls.size(), 2u);
}

TEST(LvmDriverTest, FullVolumeGroupIsAClearError) {
  FakeRunner run;
  run.On("lvcreate", CommandResult{5, "",
                                   "  Volume group \"vg0\" has insufficient free space "
                                   "(255 extents): 256 required.\n"});
  LvmDriver lvm(run);
  Status s = lvm.CreateVolume("vg0", "big", 1ull << 40);
  EXPECT_EQ(s.code(), Code::kIoError);
  EXPECT_THAT(s.message(), HasSubstr("volume group full"));
  EXPECT_THAT(s.message(), HasSubstr("insufficient free space"));
}

TEST(LvmDriverTest, ThinSnapshotIsActivatedWithK) {
  FakeRunner run;
  run.On(kLvsPrefix,
         CommandResult{0, R"({"report":[{"lv":[{"lv_name":"web1-disk","vg_name":"vg-data",
      "lv_size":"1073741824","origin":"","snap_percent":"","data_percent":"40.03",
      "lv_attr":"Vwi-aotz--","pool_lv":"pool0","thin_id":"1","lv_uuid":"u","chunk_size":"0"}]}]})",
                       ""});
  run.On("lvcreate", CommandResult{0, "", ""});
  run.On("lvchange", CommandResult{0, "", ""});
  LvmDriver lvm(run);
  ASSERT_TRUE(lvm.CreateSnapshot("vg-data/pool0", "web1-disk", "s3", 0).ok());
  auto lines = run.Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], "lvcreate -s -n s3 vg-data/web1-disk");
  EXPECT_EQ(lines[2], "lvchange -ay -K vg-data/s3");
}

TEST(LvmDriverTest, ClassicSnapshotNeedsACowSizeAndFailedActivationCleansUp) {
  FakeRunner run;
  run.On(kLvsPrefix, CommandResult{0, Fixture("lvs_classic.json").substr(0), ""});
  LvmDriver lvm(run);
  // lvs VG/LV answers one row in reality; the fixture has four: refused.
  EXPECT_FALSE(lvm.CreateSnapshot("vg0", "db1-disk", "s", 1 << 30).ok());

  FakeRunner run2;
  run2.On(kLvsPrefix, CommandResult{0, R"({"report":[{"lv":[{"lv_name":"db1-disk","vg_name":"vg0",
      "lv_size":"21474836480","origin":"","snap_percent":"","data_percent":"",
      "lv_attr":"owi-aos---","pool_lv":"","thin_id":"","lv_uuid":"u","chunk_size":"0"}]}]})",
                                    ""});
  run2.On("lvcreate", CommandResult{0, "", ""});
  LvmDriver lvm2(run2);
  EXPECT_EQ(lvm2.CreateSnapshot("vg0", "db1-disk", "s", 0).code(), Code::kInvalidArgument);
  ASSERT_TRUE(lvm2.CreateSnapshot("vg0", "db1-disk", "s", 2147483648).ok());
  EXPECT_EQ(run2.Lines().back(), "lvcreate -s -n s -L 2147483648b vg0/db1-disk");

  FakeRunner run3;
  run3.On(kLvsPrefix, CommandResult{0, R"({"report":[{"lv":[{"lv_name":"t","vg_name":"vg0",
      "lv_size":"1","origin":"","snap_percent":"","data_percent":"1",
      "lv_attr":"Vwi-aotz--","pool_lv":"p","thin_id":"1","lv_uuid":"u","chunk_size":"0"}]}]})",
                                    ""});
  run3.On("lvcreate", CommandResult{0, "", ""});
  run3.On("lvchange", CommandResult{5, "", "  Failed to activate"});
  run3.On("lvremove", CommandResult{0, "", ""});
  LvmDriver lvm3(run3);
  EXPECT_FALSE(lvm3.CreateSnapshot("vg0/p", "t", "s", 0).ok());
  EXPECT_EQ(run3.Lines().back(), "lvremove -y vg0/s");
}

TEST(LvmDriverTest, InvalidSnapshotIsNotOpened) {
  FakeRunner run;
  run.On(kLvsPrefix, CommandResult{0, R"({"report":[{"lv":[{"lv_name":"db1-old","vg_name":"vg0",
      "lv_size":"21474836480","origin":"db1-disk","snap_percent":"100.00","data_percent":"100.00",
      "lv_attr":"swi-I-s---","pool_lv":"","thin_id":"","lv_uuid":"u","chunk_size":"4096"}]}]})",
                                   ""});
  LvmDriver lvm(run);
  auto fd = lvm.Open("vg0", "db1-old", OpenMode::kRead);
  ASSERT_FALSE(fd);
  EXPECT_THAT(fd.error().message(), HasSubstr("invalid"));
}

TEST(LvmDriverTest, ListsPoolsIncludingThinPools) {
  FakeRunner run;
  run.On("vgs", CommandResult{0, Fixture("vgs.json"), ""});
  run.On("lvs", CommandResult{0, Fixture("lvs_thin.json"), ""});
  LvmDriver lvm(run);
  auto pools = lvm.ListPools();
  ASSERT_TRUE(pools) << pools.error().ToString();
  ASSERT_EQ(pools->size(), 3u);
  EXPECT_EQ((*pools)[2].name, "vg-data/pool0");
  EXPECT_EQ((*pools)[2].free_bytes, 4294967296u - 536870912u);
  auto vols = lvm.ListVolumes("vg-data/pool0");
  ASSERT_TRUE(vols);
  ASSERT_EQ(vols->size(), 3u);
  EXPECT_TRUE((*vols)[1].snapshot);
  EXPECT_EQ((*vols)[1].origin, "web1-disk");
  EXPECT_EQ(run.Lines().back(), kLvsPrefix + kLvsFields + " vg-data");
}

TEST(LvmDriverTest, ThinDeltaBetweenSnapshotsReleasesTheMetadataSnapshot) {
  FakeRunner run;
  run.On(kLvsPrefix + kLvsFields + " vg-data/web1-disk-s1",
         CommandResult{0, R"({"report":[{"lv":[{"lv_name":"web1-disk-s1","vg_name":"vg-data",
      "lv_size":"1073741824","origin":"web1-disk","snap_percent":"","data_percent":"40",
      "lv_attr":"Vwi---tz-k","pool_lv":"pool0","thin_id":"2","lv_uuid":"u","chunk_size":"0"}]}]})",
                       ""});
  run.On(kLvsPrefix + kLvsFields + " vg-data/web1-disk-s2",
         CommandResult{0, R"({"report":[{"lv":[{"lv_name":"web1-disk-s2","vg_name":"vg-data",
      "lv_size":"1073741824","origin":"web1-disk","snap_percent":"","data_percent":"40",
      "lv_attr":"Vwi-a-tz-k","pool_lv":"pool0","thin_id":"3","lv_uuid":"u","chunk_size":"0"}]}]})",
                       ""});
  run.On("dmsetup message", CommandResult{0, "", ""});
  run.On("thin_delta", CommandResult{0, Fixture("thin_delta.xml"), ""});
  LvmDriver lvm(run);
  auto ranges = lvm.ChangedRanges("vg-data/pool0", "web1-disk-s1", "web1-disk-s2");
  ASSERT_TRUE(ranges) << ranges.error().ToString();
  ASSERT_TRUE(ranges->has_value());
  EXPECT_EQ((*ranges)->size(), 2u);
  auto lines = run.Lines();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[2], "dmsetup message vg--data-pool0-tpool 0 reserve_metadata_snap");
  EXPECT_EQ(lines[3], "thin_delta -m --snap1 2 --snap2 3 /dev/mapper/vg--data-pool0_tmeta");
  EXPECT_EQ(lines[4], "dmsetup message vg--data-pool0-tpool 0 release_metadata_snap");
}

TEST(LvmDriverTest, ThinDeltaFailureStillReleasesAndMissingToolIsNamed) {
  for (bool missing : {false, true}) {
    FakeRunner run;
    run.On(kLvsPrefix, CommandResult{0, R"({"report":[{"lv":[{"lv_name":"x","vg_name":"vg",
      "lv_size":"1","origin":"","snap_percent":"","data_percent":"1",
      "lv_attr":"Vwi-a-tz--","pool_lv":"p","thin_id":"7","lv_uuid":"u","chunk_size":"0"}]}]})",
                                     ""});
    run.On("dmsetup message", CommandResult{0, "", ""});
    if (missing) {
      run.OnMissing("thin_delta");
    } else {
      run.On("thin_delta", CommandResult{1, "", "Unable to find mapping tree for snap1 (7)\n"});
    }
    LvmDriver lvm(run);
    auto ranges = lvm.ChangedRanges("vg/p", "x", "x");
    ASSERT_FALSE(ranges);
    if (missing) {
      EXPECT_EQ(ranges.error().code(), Code::kNotFound);
    }
    EXPECT_EQ(run.Lines().back(), "dmsetup message vg-p-tpool 0 release_metadata_snap");
  }
}

TEST(LvmDriverTest, ClassicSnapshotsHaveNoChangeTracking) {
  FakeRunner run;
  run.On(kLvsPrefix, CommandResult{0, R"({"report":[{"lv":[{"lv_name":"s","vg_name":"vg0",
      "lv_size":"1","origin":"o","snap_percent":"1.00","data_percent":"1.00",
      "lv_attr":"swi-a-s---","pool_lv":"","thin_id":"","lv_uuid":"u","chunk_size":"4096"}]}]})",
                                   ""});
  LvmDriver lvm(run);
  auto ranges = lvm.ChangedRanges("vg0", "s", "s");
  ASSERT_TRUE(ranges);
  EXPECT_FALSE(ranges->has_value());
}

TEST(ExecCommandRunnerTest, RunsByArgvCapturesOutputAndNamesMissingTools) {
  ExecCommandRunner run;
  auto r = run.Run({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  auto literal = run.Run({"echo", "a; rm -rf /", "$HOME"});
  ASSERT_TRUE(literal);
  EXPECT_EQ(literal->out, "a; rm -rf / $HOME\n");  // no shell saw it
  auto missing = run.Run({"drover-no-such-tool-xyz", "--version"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

TEST(LvmDriverTest, MissingLvm2IsNotFound) {
  ExecCommandRunner real;
  LvmDriver lvm(real);
  if (::access("/sbin/lvs", X_OK) == 0 || ::access("/usr/sbin/lvs", X_OK) == 0) {
    GTEST_SKIP() << "lvm2 is installed here; this checks the message when it is not";
  }
  auto pools = lvm.ListPools();
  ASSERT_FALSE(pools);
  EXPECT_EQ(pools.error().code(), Code::kNotFound);
  EXPECT_THAT(pools.error().message(), HasSubstr("vgs"));
}

}  // namespace
}  // namespace drover::storage
