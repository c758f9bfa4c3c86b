// The one file that includes Boost.Graph: the host graph and the DAG order.
#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/topological_sort.hpp>
#include <iterator>

#include "plans/graph/dag.h"
#include "plans/graph/host_graph.h"

namespace drover::plans {
namespace {

struct LinkProps {
  double mbps = 0;
};
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS,
                                    boost::no_property, LinkProps>;
using Dag = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;

}  // namespace

struct HostGraph::Impl {
  Graph g;
  std::vector<double> nic;
};

HostGraph::HostGraph(const Inventory& inv) : impl_(std::make_unique<Impl>()) {
  impl_->g = Graph(inv.hosts.size());
  impl_->nic.reserve(inv.hosts.size());
  for (const Host& h : inv.hosts) impl_->nic.push_back(h.nic_mbps);
  for (const Link& l : inv.links) {
    int a = inv.HostIndex(l.a), b = inv.HostIndex(l.b);
    if (a < 0 || b < 0 || a == b) continue;  // validation reports these
    auto [e, exists] = boost::edge(a, b, impl_->g);
    if (exists) {
      impl_->g[e].mbps = std::max(impl_->g[e].mbps, l.mbps);
    } else {
      boost::add_edge(a, b, LinkProps{l.mbps}, impl_->g);
    }
  }
}

HostGraph::~HostGraph() = default;
HostGraph::HostGraph(HostGraph&&) noexcept = default;
HostGraph& HostGraph::operator=(HostGraph&&) noexcept = default;

int HostGraph::num_hosts() const { return static_cast<int>(boost::num_vertices(impl_->g)); }
int HostGraph::num_links() const { return static_cast<int>(boost::num_edges(impl_->g)); }

double HostGraph::BandwidthMbps(int a, int b) const {
  if (a == b) return 0;
  auto [e, exists] = boost::edge(a, b, impl_->g);
  if (exists) return impl_->g[e].mbps;
  return std::min(impl_->nic[a], impl_->nic[b]);
}

std::vector<int> HostGraph::Neighbors(int h) const {
  std::vector<int> out;
  for (auto [it, end] = boost::adjacent_vertices(h, impl_->g); it != end; ++it) {
    out.push_back(static_cast<int>(*it));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::vector<int>> TopologicalOrder(int n,
                                                 const std::vector<std::pair<int, int>>& edges) {
  Dag dag(n);
  for (const auto& [u, v] : edges) boost::add_edge(u, v, dag);
  std::vector<int> reversed;
  reversed.reserve(n);
  try {
    boost::topological_sort(dag, std::back_inserter(reversed));
  } catch (const boost::not_a_dag&) {
    return std::nullopt;
  }
  std::reverse(reversed.begin(), reversed.end());
  return reversed;
}

}  // namespace drover::plans
