#include "common/wire/duplicate_guard.h"

namespace drover::wire {

bool DuplicateGuard::FirstTime(const std::string& peer, const std::string& id) {
  Window& w = seen_[peer];
  if (!w.ids.insert(id).second) return false;
  w.order.push_back(id);
  if (w.order.size() > per_peer_) {
    w.ids.erase(w.order.front());
    w.order.pop_front();
  }
  return true;
}

}  // namespace drover::wire
