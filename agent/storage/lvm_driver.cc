#include "agent/storage/lvm_driver.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "agent/storage/thin_delta.h"

namespace drover::storage {
namespace {

std::string Bytes(uint64_t n) { return std::to_string(n) + "b"; }

std::vector<std::string> ReportArgs(const char* tool, const char* fields) {
  return {tool, "--reportformat", "json", "--units", "b", "--nosuffix", "-o", fields};
}

}  // namespace

std::string LvmDriver::DmName(const std::string& vg, const std::string& lv) {
  auto dbl = [](const std::string& s) {
    std::string o;
    for (char c : s) o += c == '-' ? std::string("--") : std::string(1, c);
    return o;
  };
  return dbl(vg) + "-" + dbl(lv);
}

Result<LvmDriver::PoolName> LvmDriver::SplitPool(const std::string& pool) {
  PoolName p;
  auto slash = pool.find('/');
  p.vg = pool.substr(0, slash);
  if (slash != std::string::npos) p.thin_pool = pool.substr(slash + 1);
  RETURN_IF_ERROR(ValidateName(p.vg));
  if (slash != std::string::npos) RETURN_IF_ERROR(ValidateName(p.thin_pool));
  return p;
}

Result<CommandResult> LvmDriver::Checked(const std::vector<std::string>& argv) {
  ASSIGN_OR_RETURN(CommandResult r, run_.Run(argv));
  if (r.exit_code == 0) return r;
  std::string msg = r.err.empty() ? r.out : r.err;
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::string line = CommandLine(argv) + " exited " + std::to_string(r.exit_code) + ": " + msg;
  if (msg.find("Insufficient free space") != std::string::npos ||
      msg.find("insufficient free space") != std::string::npos) {
    return Err(IoError("volume group full: " + line));
  }
  if (msg.find("not found") != std::string::npos ||
      msg.find("Failed to find") != std::string::npos) {
    return Err(NotFound(line));
  }
  if (msg.find("already exists") != std::string::npos) return Err(AlreadyExists(line));
  return Err(IoError(line));
}

Result<std::vector<PoolInfo>> LvmDriver::ListPools() {
  ASSIGN_OR_RETURN(CommandResult r, Checked(ReportArgs("vgs", kVgsFields)));
  ASSIGN_OR_RETURN(auto vgs, ParseVgsReport(r.out));
  std::vector<PoolInfo> out;
  for (const VgRecord& vg : vgs) out.push_back(PoolInfo{vg.vg_name, vg.vg_size, vg.vg_free});
  ASSIGN_OR_RETURN(CommandResult lr, Checked(ReportArgs("lvs", kLvsFields)));
  ASSIGN_OR_RETURN(auto lvs, ParseLvsReport(lr.out));
  for (const LvRecord& lv : lvs) {
    if (!lv.IsThinPool()) continue;
    uint64_t used = static_cast<uint64_t>(lv.lv_size * (lv.data_percent.value_or(0) / 100.0));
    out.push_back(PoolInfo{lv.vg_name + "/" + lv.lv_name, lv.lv_size, lv.lv_size - used});
  }
  return out;
}

Result<std::vector<VolumeInfo>> LvmDriver::ListVolumes(const std::string& pool) {
  ASSIGN_OR_RETURN(PoolName p, SplitPool(pool));
  auto args = ReportArgs("lvs", kLvsFields);
  args.push_back(p.vg);
  ASSIGN_OR_RETURN(CommandResult r, Checked(args));
  ASSIGN_OR_RETURN(auto lvs, ParseLvsReport(r.out));
  std::vector<VolumeInfo> out;
  for (const LvRecord& lv : lvs) {
    if (lv.IsThinPool() || lv.lv_attr.empty() || lv.lv_attr[0] == 'T' || lv.lv_attr[0] == 'e' ||
        lv.lv_name.starts_with("[")) {
      continue;  // pools and their hidden parts are not volumes
    }
    if (!p.thin_pool.empty() && lv.pool_lv != p.thin_pool) continue;
    if (p.thin_pool.empty() && !lv.pool_lv.empty()) continue;
    VolumeInfo v{pool, lv.lv_name, lv.lv_size, lv.lv_size, !lv.origin.empty(), lv.origin};
    if (lv.IsThinVolume() && lv.data_percent) {
      v.used_bytes = static_cast<uint64_t>(lv.lv_size * (*lv.data_percent / 100.0));
    }
    out.push_back(std::move(v));
  }
  return out;
}

Status LvmDriver::CreateVolume(const std::string& pool, const std::string& volume,
                               uint64_t size_bytes) {
  RETURN_STATUS_IF_ERROR(ValidateName(volume));
  auto p = SplitPool(pool);
  if (!p) return p.error();
  std::vector<std::string> args = {"lvcreate", "-y", "-n", volume};
  if (p->thin_pool.empty()) {
    args.insert(args.end(), {"-L", Bytes(size_bytes), p->vg});
  } else {
    args.insert(args.end(), {"-V", Bytes(size_bytes), "-T", p->vg + "/" + p->thin_pool});
  }
  auto r = Checked(args);
  return r ? Status::Ok() : r.error();
}

Status LvmDriver::RemoveVolume(const std::string& pool, const std::string& volume) {
  RETURN_STATUS_IF_ERROR(ValidateName(volume));
  auto p = SplitPool(pool);
  if (!p) return p.error();
  auto r = Checked({"lvremove", "-y", p->vg + "/" + volume});
  return r ? Status::Ok() : r.error();
}

Result<LvRecord> LvmDriver::Lookup(const std::string& vg, const std::string& lv) {
  auto args = ReportArgs("lvs", kLvsFields);
  args.push_back(vg + "/" + lv);
  ASSIGN_OR_RETURN(CommandResult r, Checked(args));
  ASSIGN_OR_RETURN(auto lvs, ParseLvsReport(r.out));
  if (lvs.size() != 1) {
    return Err(InvalidArgument("lvs " + vg + "/" + lv + " reported " + std::to_string(lvs.size()) +
                               " volumes"));
  }
  return lvs[0];
}

Status LvmDriver::CreateSnapshot(const std::string& pool, const std::string& volume,
                                 const std::string& snapshot, uint64_t cow_bytes) {
  RETURN_STATUS_IF_ERROR(ValidateName(volume));
  RETURN_STATUS_IF_ERROR(ValidateName(snapshot));
  auto p = SplitPool(pool);
  if (!p) return p.error();
  auto origin = Lookup(p->vg, volume);
  if (!origin) return origin.error();
  std::vector<std::string> args = {"lvcreate", "-s", "-n", snapshot};
  bool thin = origin->IsThinVolume();
  if (!thin) {
    if (cow_bytes == 0) return InvalidArgument("a classic LVM snapshot needs a COW size");
    args.insert(args.end(), {"-L", Bytes(cow_bytes)});
  }
  args.push_back(p->vg + "/" + volume);
  auto r = Checked(args);
  if (!r) return r.error();
  if (thin) {
    auto act = Checked({"lvchange", "-ay", "-K", p->vg + "/" + snapshot});
    if (!act) {
      (void)Checked({"lvremove", "-y", p->vg + "/" + snapshot});  // leave nothing half-made
      return act.error().WithContext("activating thin snapshot");
    }
  }
  return Status::Ok();
}

Status LvmDriver::RemoveSnapshot(const std::string& pool, const std::string& snapshot) {
  return RemoveVolume(pool, snapshot);
}

Result<std::string> LvmDriver::Path(const std::string& pool, const std::string& name) {
  RETURN_IF_ERROR(ValidateName(name));
  ASSIGN_OR_RETURN(PoolName p, SplitPool(pool));
  return opt_.dev_dir + "/" + p.vg + "/" + name;
}

Result<int> LvmDriver::Open(const std::string& pool, const std::string& name, OpenMode mode) {
  ASSIGN_OR_RETURN(PoolName p, SplitPool(pool));
  ASSIGN_OR_RETURN(LvRecord lv, Lookup(p.vg, name));
  if (lv.IsInvalidSnapshot()) {
    return Err(IoError("snapshot " + p.vg + "/" + name +
                       " is invalid (its COW space overflowed); take a new one"));
  }
  ASSIGN_OR_RETURN(std::string path, Path(pool, name));
  int fd = ::open(path.c_str(), (mode == OpenMode::kRead ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return Err(ErrnoStatus("open " + path, errno));
  return fd;
}

Result<std::vector<ByteRange>> LvmDriver::ThinDeltaRanges(const std::string& vg,
                                                          const std::string& pool, uint64_t id1,
                                                          uint64_t id2) {
  const std::string tpool = DmName(vg, pool) + "-tpool";
  const std::string tmeta = opt_.dev_dir + "/mapper/" + DmName(vg, pool) + "_tmeta";
  ASSIGN_OR_RETURN(CommandResult reserve,
                   Checked({"dmsetup", "message", tpool, "0", "reserve_metadata_snap"}));
  (void)reserve;
  auto delta = Checked(
      {"thin_delta", "-m", "--snap1", std::to_string(id1), "--snap2", std::to_string(id2), tmeta});
  // Always released, whatever thin_delta did: a held metadata snapshot pins
  // pool metadata until someone releases it.
  auto release = Checked({"dmsetup", "message", tpool, "0", "release_metadata_snap"});
  if (!delta) return Err(delta.error());
  if (!release) return Err(release.error().WithContext("releasing the metadata snapshot"));
  ASSIGN_OR_RETURN(ThinDelta parsed, ParseThinDelta(delta->out));
  return parsed.changed;
}

Result<std::optional<std::vector<ByteRange>>> LvmDriver::ChangedRanges(const std::string& pool,
                                                                       const std::string& from,
                                                                       const std::string& to) {
  ASSIGN_OR_RETURN(PoolName p, SplitPool(pool));
  ASSIGN_OR_RETURN(LvRecord a, Lookup(p.vg, from));
  ASSIGN_OR_RETURN(LvRecord b, Lookup(p.vg, to));
  if (!a.IsThinVolume() || !b.IsThinVolume() || a.pool_lv.empty() || a.pool_lv != b.pool_lv ||
      !a.thin_id || !b.thin_id) {
    return std::optional<std::vector<ByteRange>>();  // classic snapshots: hash instead
  }
  ASSIGN_OR_RETURN(auto ranges, ThinDeltaRanges(p.vg, a.pool_lv, *a.thin_id, *b.thin_id));
  return std::optional<std::vector<ByteRange>>(std::move(ranges));
}

}  // namespace drover::storage
