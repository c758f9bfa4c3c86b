#include "common/wire/duplicate_guard.h"

namespace drover::wire {

bool DuplicateGuard::FirstTime(const std::string& peer, const std::string& id) {
  Window& w = seen_[peer];
  uint64_t h = std::hash<std::string>{}(id);
  if (!w.ids.insert(h).second) return false;
  w.order.push_back(h);
  if (w.order.size() > per_peer_) {
    w.ids.erase(w.order.front());
    w.order.pop_front();
  }
  return true;
}

}  // namespace drover::wire
