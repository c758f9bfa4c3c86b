#include "agent/daemon/region_changes.h"

#include <algorithm>
#include <memory>
#include <optional>

namespace drover::agent {
namespace {

struct FinderState {
  storage::StorageDriver* driver = nullptr;
  std::string pool, from, to;
  bool asked = false;
  Status failed;
  std::optional<storage::StorageDriver::RegionChanges> by_region;
  std::vector<storage::ByteRange> whole;  // sorted, when asked whole

  void Ask() {
    asked = true;
    auto regional = driver->ChangedRangesByRegion(pool, from, to);
    if (!regional) {
      failed = regional.error();
      return;
    }
    if (*regional) {
      by_region = std::move(**regional);
      return;
    }
    auto ranges = driver->ChangedRanges(pool, from, to);
    if (!ranges) {
      failed = ranges.error();
    } else if (!*ranges) {
      failed = Unavailable("the storage driver cannot tell what changed");
    } else {
      whole = std::move(**ranges);
      std::sort(whole.begin(), whole.end(),
                [](const auto& a, const auto& b) { return a.offset < b.offset; });
    }
  }

  Result<std::vector<sync::ByteRange>> In(uint64_t begin, uint64_t end) {
    if (!asked) Ask();
    if (!failed.ok()) return Err(failed);
    std::vector<sync::ByteRange> out;
    if (by_region) {
      ASSIGN_OR_RETURN(auto ranges, (*by_region)(begin, end));
      for (const auto& r : ranges) out.push_back({r.offset, r.length});
      return out;
    }
    // The ranges reaching into [begin, end): from the last one starting
    // before `begin` (it may reach in) to the first starting at `end`.
    auto it = std::upper_bound(whole.begin(), whole.end(), begin,
                               [](uint64_t pos, const auto& r) { return pos < r.offset; });
    if (it != whole.begin()) --it;
    for (; it != whole.end() && it->offset < end; ++it) {
      const uint64_t reach = it->offset + std::min(it->length, UINT64_MAX - it->offset);
      if (reach > begin) out.push_back({it->offset, it->length});
    }
    return out;
  }
};

}  // namespace

RegionFinder RegionChangeFinder(storage::StorageDriver* driver, std::string pool, std::string from,
                                std::string to) {
  auto state = std::make_shared<FinderState>();
  state->driver = driver;
  state->pool = std::move(pool);
  state->from = std::move(from);
  state->to = std::move(to);
  return [state](uint64_t begin, uint64_t end) { return state->In(begin, end); };
}

}  // namespace drover::agent
