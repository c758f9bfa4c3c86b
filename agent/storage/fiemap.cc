#include "agent/storage/fiemap.h"

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

namespace drover::storage {
namespace {

constexpr uint32_t kBatch = 512;
constexpr uint32_t kInexact = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
                              FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_ENCRYPTED |
                              FIEMAP_EXTENT_NOT_ALIGNED | FIEMAP_EXTENT_DATA_INLINE |
                              FIEMAP_EXTENT_DATA_TAIL;

// The extent covering `pos`, or nullptr for a hole. `extents` is sorted.
const Extent* Covering(const std::vector<Extent>& extents, uint64_t pos, uint64_t* next_edge) {
  auto it = std::upper_bound(extents.begin(), extents.end(), pos,
                             [](uint64_t p, const Extent& e) { return p < e.logical; });
  if (it != extents.begin()) {
    const Extent& prev = *(it - 1);
    if (pos < prev.logical + prev.length) {
      *next_edge = prev.logical + prev.length;
      return &prev;
    }
  }
  *next_edge = it == extents.end() ? UINT64_MAX : it->logical;
  return nullptr;
}

}  // namespace

Result<std::vector<Extent>> ReadExtents(int fd, uint64_t begin, uint64_t end, bool sync) {
  std::vector<uint8_t> buf(sizeof(struct fiemap) + kBatch * sizeof(struct fiemap_extent));
  auto* fm = reinterpret_cast<struct fiemap*>(buf.data());
  std::vector<Extent> out;
  uint64_t start = begin;
  uint32_t flags = sync ? FIEMAP_FLAG_SYNC : 0;
  end = std::min<uint64_t>(end, FIEMAP_MAX_OFFSET);
  while (start < end) {
    std::fill(buf.begin(), buf.end(), 0);
    fm->fm_start = start;
    fm->fm_length = end - start;
    fm->fm_flags = flags;
    fm->fm_extent_count = kBatch;
    if (::ioctl(fd, FS_IOC_FIEMAP, fm) != 0) {
      if (errno == EOPNOTSUPP || errno == ENOTTY) {
        return Err(InvalidArgument("this file system does not support FIEMAP"));
      }
      return Err(ErrnoStatus("FS_IOC_FIEMAP", errno));
    }
    flags = 0;  // synced once is enough
    if (fm->fm_mapped_extents == 0) return out;
    bool last = false;
    for (uint32_t i = 0; i < fm->fm_mapped_extents; ++i) {
      const struct fiemap_extent& e = fm->fm_extents[i];
      out.push_back(Extent{e.fe_logical, e.fe_physical, e.fe_length, (e.fe_flags & kInexact) == 0,
                           (e.fe_flags & FIEMAP_EXTENT_SHARED) != 0});
      last = last || (e.fe_flags & FIEMAP_EXTENT_LAST);
      start = e.fe_logical + e.fe_length;
    }
    if (last) return out;
  }
  return out;
}

std::vector<ByteRange> DiffExtents(const std::vector<Extent>& a, const std::vector<Extent>& b,
                                   uint64_t size) {
  return DiffExtents(a, b, 0, size);
}

std::vector<ByteRange> DiffExtents(const std::vector<Extent>& a, const std::vector<Extent>& b,
                                   uint64_t begin, uint64_t end) {
  std::vector<ByteRange> changed;
  uint64_t pos = begin;
  while (pos < end) {
    uint64_t edge_a, edge_b;
    const Extent* ea = Covering(a, pos, &edge_a);
    const Extent* eb = Covering(b, pos, &edge_b);
    uint64_t next = std::min({edge_a, edge_b, end});
    bool same;
    if (!ea && !eb) {
      same = true;  // hole in both
    } else if (!ea || !eb || !ea->exact || !eb->exact) {
      same = false;
    } else {
      same = ea->physical + (pos - ea->logical) == eb->physical + (pos - eb->logical);
    }
    if (!same) changed.push_back(ByteRange{pos, next - pos});
    pos = next;
  }
  return NormalizeRanges(std::move(changed));
}

ReflinkDiff::~ReflinkDiff() {
  for (int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

Result<std::unique_ptr<ReflinkDiff>> ReflinkDiff::Open(const std::string& a, const std::string& b) {
  std::unique_ptr<ReflinkDiff> diff(new ReflinkDiff);
  const std::string* paths[2] = {&a, &b};
  for (int i = 0; i < 2; ++i) {
    diff->names_[i] = *paths[i];
    diff->fds_[i] = ::open(paths[i]->c_str(), O_RDONLY | O_CLOEXEC);
    if (diff->fds_[i] < 0) return Err(ErrnoStatus("open " + *paths[i], errno));
    struct stat st;
    if (::fstat(diff->fds_[i], &st) != 0 || !S_ISREG(st.st_mode)) {
      return Err(InvalidArgument(*paths[i] + " is not a regular file"));
    }
    diff->size_ = std::max<uint64_t>(diff->size_, static_cast<uint64_t>(st.st_size));
  }
  // Records are an optimisation: any failure here only means FIEMAP.
  if (auto id = IdentifyImmutable(diff->fds_[0]); id && *id) {
    diff->base_record_ = LoadExtentRecord(a, **id);
    diff->base_id_ = **id;
  }
  if (auto id = IdentifyImmutable(diff->fds_[1]); id && *id) diff->new_id_ = **id;
  return diff;
}

Result<const std::vector<Extent>*> ReflinkDiff::BaseExtents(uint64_t begin, uint64_t end,
                                                            std::vector<Extent>& fresh) {
  if (base_record_) {
    // The record holds only while the base is immutable and untouched.
    auto now = IdentifyImmutable(fds_[0]);
    if (now && *now && **now == base_id_) return &*base_record_;
    base_record_.reset();
    return Err(Aborted(names_[0] + " changed since its extents were recorded"));
  }
  auto extents = ReadExtents(fds_[0], begin, end, /*sync=*/!synced_);
  if (!extents) return Err(extents.error().WithContext(names_[0]));
  fresh = std::move(*extents);
  return &fresh;
}

void ReflinkDiff::Accumulate(uint64_t begin, uint64_t end, const std::vector<Extent>& extents) {
  if (!new_id_) return;
  if (begin > new_asked_to_) {  // a gap: the map could not be whole
    new_id_.reset();
    return;
  }
  // Regions overlap at extents that cross their edges: keep each byte once,
  // whether or not FIEMAP clipped such an extent to the range asked.
  for (Extent e : extents) {
    const uint64_t e_end = e.logical + e.length;
    if (e_end <= new_covered_) continue;
    if (e.logical < new_covered_) {
      const uint64_t skip = new_covered_ - e.logical;
      e.logical += skip;
      e.physical += skip;
      e.length -= skip;
    }
    new_map_.push_back(e);
    new_covered_ = e_end;
  }
  new_asked_to_ = std::max(new_asked_to_, end);
  if (new_asked_to_ < size_) return;
  auto now = IdentifyImmutable(fds_[1]);
  if (now && *now && **now == *new_id_) {
    auto stored = StoreExtentRecord(names_[1], *new_id_, new_map_);
    recorded_ = stored && *stored;
  }
  new_id_.reset();
  new_map_ = {};
}

Result<std::vector<ByteRange>> ReflinkDiff::ChangedIn(uint64_t begin, uint64_t end) {
  end = std::min(end, size_);
  if (begin >= end) return std::vector<ByteRange>{};
  std::vector<Extent> fresh;
  auto base = BaseExtents(begin, end, fresh);
  if (!base) return Err(base.error());
  auto extents = ReadExtents(fds_[1], begin, end, /*sync=*/!synced_);
  if (!extents) return Err(extents.error().WithContext(names_[1]));
  synced_ = true;
  Accumulate(begin, end, *extents);
  return DiffExtents(**base, *extents, begin, end);
}

}  // namespace drover::storage
