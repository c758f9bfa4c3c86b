// Remembers the last request ids seen from each peer, so that a replayed or
// duplicated request is refused instead of being acted on twice.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace drover::wire {

class DuplicateGuard {
 public:
  explicit DuplicateGuard(size_t per_peer = 256) : per_peer_(per_peer) {}

  // True when `id` is new for `peer` (and remembers it); false for a repeat.
  bool FirstTime(const std::string& peer, std::string_view id);
  void Forget(const std::string& peer) { seen_.erase(peer); }

 private:
  // Ids are remembered by a 64-bit hash in a ring of the last `per_peer_`:
  // on the heartbeat path of a thousand agents a scan of one small array
  // beats a node-based set (an allocation per id), and a collision within
  // 256 ids of one peer is far below any real risk.
  struct Window {
    std::vector<uint64_t> ring;  // grows to per_peer_, then wraps at `next`
    size_t next = 0;
  };
  size_t per_peer_;
  std::unordered_map<std::string, Window> seen_;
};

}  // namespace drover::wire
