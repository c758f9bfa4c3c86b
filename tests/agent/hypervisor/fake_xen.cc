#include "tests/agent/hypervisor/fake_xen.h"

#include <unistd.h>

#include <string>
#include <vector>

namespace drover::hv::testing {

std::map<uint32_t, XenDomainInfo> FakeXen::Domains() {
  std::lock_guard<std::mutex> lock(mu_);
  return domains_;
}

std::optional<XenDomainInfo> FakeXen::ByName(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, d] : domains_) {
    if (d.name == name) return d;
  }
  return std::nullopt;
}

Result<XenDomainInfo*> FakeXen::Find(uint32_t domid) {
  auto it = domains_.find(domid);
  if (it == domains_.end()) return Err(NotFound("fake xen: no domain " + std::to_string(domid)));
  return &it->second;
}

Result<std::vector<XenDomainInfo>> FakeXen::ListDomains() {
  std::vector<XenDomainInfo> out;
  for (const auto& [id, d] : Domains()) out.push_back(d);
  return out;
}

Result<XenDomainInfo> FakeXen::FindDomain(const std::string& name) {
  auto d = ByName(name);
  if (!d) return Err(NotFound("fake xen: no domain " + name));
  return *d;
}

Result<uint32_t> FakeXen::Create(const XenDomainSpec& spec, bool paused) {
  std::lock_guard<std::mutex> lock(mu_);
  XenDomainInfo d;
  d.domid = next_domid_++;
  d.name = spec.name;
  d.running = !paused;
  d.paused = paused;
  d.max_memkb = d.current_memkb = spec.memory_kib;
  d.vcpus = spec.vcpus;
  domains_[d.domid] = d;
  return d.domid;
}

Result<uint32_t> FakeXen::CreateRestore(const XenDomainSpec& spec, int fd, int /*send_back*/) {
  std::vector<char> buf(kStreamBytes);
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n <= 0) return Err(Internal("fake xen: restore stream ended early"));
    got += static_cast<size_t>(n);
  }
  if (fail_restore) return Err(Internal("fake xen: restore failed (injected)"));
  XenDomainSpec incoming = spec;
  incoming.name = IncomingName(spec.name);
  return Create(incoming, /*paused=*/true);
}

Status FakeXen::Suspend(uint32_t domid, int fd, bool /*live*/) {
  if (fail_suspend) return Internal("fake xen: suspend failed (injected)");
  std::vector<char> stream(kStreamBytes, 'x');
  size_t sent = 0;
  while (sent < stream.size()) {
    ssize_t n = ::write(fd, stream.data() + sent, stream.size() - sent);
    if (n <= 0) return Internal("fake xen: stream write failed");
    sent += static_cast<size_t>(n);
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto d = Find(domid);
  if (!d) return d.error();
  (*d)->running = false;
  (*d)->shutdown = (*d)->suspended = true;
  return Status::Ok();
}

Status FakeXen::Resume(uint32_t domid, bool /*cancel*/) {
  std::lock_guard<std::mutex> lock(mu_);
  auto d = Find(domid);
  if (!d) return d.error();
  (*d)->shutdown = (*d)->suspended = (*d)->paused = false;
  (*d)->running = true;
  return Status::Ok();
}

Status FakeXen::Pause(uint32_t domid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto d = Find(domid);
  if (!d) return d.error();
  (*d)->paused = true;
  (*d)->running = false;
  return Status::Ok();
}

Status FakeXen::Unpause(uint32_t domid) {
  if (on_unpause) on_unpause();
  if (fail_unpause) return Internal("fake xen: unpause failed (injected)");
  std::lock_guard<std::mutex> lock(mu_);
  auto d = Find(domid);
  if (!d) return d.error();
  (*d)->paused = false;
  (*d)->running = true;
  return Status::Ok();
}

Status FakeXen::Shutdown(uint32_t domid) { return Destroy(domid); }

Status FakeXen::Destroy(uint32_t domid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (domains_.erase(domid) == 0) return NotFound("fake xen: no domain " + std::to_string(domid));
  return Status::Ok();
}

Status FakeXen::Rename(uint32_t domid, const std::string& old_name, const std::string& new_name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto d = Find(domid);
  if (!d) return d.error();
  if ((*d)->name != old_name) return InvalidArgument("fake xen: rename of a renamed domain");
  (*d)->name = new_name;
  return Status::Ok();
}

}  // namespace drover::hv::testing
