// The host graph: hosts are vertices, network links with bandwidth are edges
// (Boost.Graph, hidden in boost_graph.cc). Guests hang on their hosts through
// Inventory::guests_on_host. Immutable once built; safe to share read-only.
#pragma once

#include <memory>
#include <vector>

#include "plans/model/inventory.h"

namespace drover::plans {

class HostGraph {
 public:
  // Builds from an indexed, validated inventory. Parallel links between one
  // pair keep the fastest.
  explicit HostGraph(const Inventory& inv);
  ~HostGraph();
  HostGraph(HostGraph&&) noexcept;
  HostGraph& operator=(HostGraph&&) noexcept;

  int num_hosts() const;
  int num_links() const;
  // Megabits per second between two hosts: their link, or else the smaller of
  // their `nic_mbps` (DESIGN "Documents"). Zero for a == b.
  double BandwidthMbps(int a, int b) const;
  // Hosts with an explicit link to `h`, ascending.
  std::vector<int> Neighbors(int h) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace drover::plans
