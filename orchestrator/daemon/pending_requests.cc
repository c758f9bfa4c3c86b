#include "orchestrator/daemon/pending_requests.h"

#include <vector>

namespace drover::daemon {

void PendingRequests::Add(const std::string& id, const std::string& agent_key,
                          const std::string& agent_name, Clock::time_point deadline,
                          Callback done) {
  pending_[id] = Entry{agent_key, agent_name, deadline, Clock::now(), std::move(done)};
}

bool PendingRequests::Complete(const wire::Message& reply, const std::string& from_key) {
  auto it = pending_.find(reply.re);
  if (it == pending_.end() || it->second.agent_key != from_key) return false;
  Callback done = std::move(it->second.done);
  pending_.erase(it);
  Status error = wire::ErrorOf(reply);
  if (!error.ok())
    done(Err(error));
  else
    done(reply);
  return true;
}

size_t PendingRequests::Expire(Clock::time_point now) {
  std::vector<std::pair<std::string, Entry>> overdue;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline <= now) {
      overdue.emplace_back(it->first, std::move(it->second));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [id, e] : overdue) {
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - e.sent).count();
    e.done(Err(Timeout("host " + e.agent_name + " did not answer request " + id + " within " +
                       std::to_string(waited) + " ms")));
  }
  return overdue.size();
}

void PendingRequests::FailAgent(const std::string& agent_key, const Status& why) {
  std::vector<Callback> failed;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.agent_key == agent_key) {
      failed.push_back(std::move(it->second.done));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& done : failed) done(Err(why));
}

}  // namespace drover::daemon
