// Topological order of a directed graph given as edges u -> v ("u must finish
// before v"). Implemented with Boost.Graph in boost_graph.cc.
#pragma once

#include <optional>
#include <utility>
#include <vector>

namespace drover::plans {

// Vertices 0..n-1 in an order where every edge goes forward, or nullopt when
// the graph has a cycle. Deterministic for the same input.
std::optional<std::vector<int>> TopologicalOrder(int n,
                                                 const std::vector<std::pair<int, int>>& edges);

}  // namespace drover::plans
