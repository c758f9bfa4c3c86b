#include "plans/model/inventory.h"

namespace drover::plans {

std::string_view HostStateName(HostState s) {
  switch (s) {
    case HostState::kOnline:
      return "online";
    case HostState::kDrained:
      return "drained";
    case HostState::kOffline:
      return "offline";
  }
  return "?";
}

std::optional<HostState> ParseHostState(std::string_view s) {
  if (s == "online") return HostState::kOnline;
  if (s == "drained") return HostState::kDrained;
  if (s == "offline") return HostState::kOffline;
  return std::nullopt;
}

std::string_view SpreadPolicyName(SpreadPolicy s) {
  switch (s) {
    case SpreadPolicy::kNone:
      return "none";
    case SpreadPolicy::kHost:
      return "host";
    case SpreadPolicy::kFailureDomain:
      return "failure_domain";
  }
  return "?";
}

std::optional<SpreadPolicy> ParseSpreadPolicy(std::string_view s) {
  if (s == "none") return SpreadPolicy::kNone;
  if (s == "host") return SpreadPolicy::kHost;
  if (s == "failure_domain" || s == "domain") return SpreadPolicy::kFailureDomain;
  return std::nullopt;
}

void Inventory::BuildIndex() {
  host_by_name.clear();
  guest_by_name.clear();
  host_by_name.reserve(hosts.size());
  guest_by_name.reserve(guests.size());
  for (size_t i = 0; i < hosts.size(); ++i)
    host_by_name.emplace(hosts[i].name, static_cast<int>(i));
  guests_on_host.assign(hosts.size(), {});
  for (size_t i = 0; i < guests.size(); ++i) {
    Guest& g = guests[i];
    guest_by_name.emplace(g.name, static_cast<int>(i));
    g.host_index = HostIndex(g.host);
    if (g.host_index >= 0) guests_on_host[g.host_index].push_back(static_cast<int>(i));
  }
}

int Inventory::HostIndex(std::string_view name) const {
  auto it = host_by_name.find(std::string(name));
  return it == host_by_name.end() ? -1 : it->second;
}

int Inventory::GuestIndex(std::string_view name) const {
  auto it = guest_by_name.find(std::string(name));
  return it == guest_by_name.end() ? -1 : it->second;
}

}  // namespace drover::plans
