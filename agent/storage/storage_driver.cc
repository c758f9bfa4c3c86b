#include "agent/storage/storage_driver.h"

#include <algorithm>

namespace drover::storage {

Status ValidateName(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.' || name[0] == '-') {
    return InvalidArgument("invalid volume name '" + name + "'");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '_' || c == '.' || c == '-' || c == '@';
    if (!ok) return InvalidArgument("invalid character in volume name '" + name + "'");
  }
  return Status::Ok();
}

std::vector<ByteRange> NormalizeRanges(std::vector<ByteRange> ranges) {
  std::erase_if(ranges, [](const ByteRange& r) { return r.length == 0; });
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.offset < b.offset; });
  std::vector<ByteRange> out;
  for (const ByteRange& r : ranges) {
    if (!out.empty() && r.offset <= out.back().offset + out.back().length) {
      uint64_t end = std::max(out.back().offset + out.back().length, r.offset + r.length);
      out.back().length = end - out.back().offset;
    } else {
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace drover::storage
