// Remembers the last request ids seen from each peer, so that a replayed or
// duplicated request is refused instead of being acted on twice.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <unordered_set>

namespace drover::wire {

class DuplicateGuard {
 public:
  explicit DuplicateGuard(size_t per_peer = 256) : per_peer_(per_peer) {}

  // True when `id` is new for `peer` (and remembers it); false for a repeat.
  bool FirstTime(const std::string& peer, const std::string& id);
  void Forget(const std::string& peer) { seen_.erase(peer); }

 private:
  struct Window {
    std::unordered_set<std::string> ids;
    std::deque<std::string> order;
  };
  size_t per_peer_;
  std::map<std::string, Window> seen_;
};

}  // namespace drover::wire
