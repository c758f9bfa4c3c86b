#include "common/wire/duplicate_guard.h"

#include <algorithm>
#include <functional>

namespace drover::wire {

bool DuplicateGuard::FirstTime(const std::string& peer, std::string_view id) {
  Window& w = seen_[peer];
  uint64_t h = std::hash<std::string_view>{}(id);
  if (std::find(w.ring.begin(), w.ring.end(), h) != w.ring.end()) return false;
  if (w.ring.size() < per_peer_) {
    w.ring.push_back(h);
  } else {
    w.ring[w.next] = h;
    w.next = (w.next + 1) % per_peer_;
  }
  return true;
}

}  // namespace drover::wire
