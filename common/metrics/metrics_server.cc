#include "common/metrics/metrics_server.h"

#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>
#include <vector>

#include "common/metrics/exposition.h"

namespace drover::metrics {
namespace {

using Clock = std::chrono::steady_clock;

// How long a connection is drained after its reply, at most.
constexpr std::chrono::milliseconds kLinger{1000};

enum class Phase { kReading, kWriting, kDraining };

struct Connection {
  int fd = -1;
  Phase phase = Phase::kReading;
  std::string in;
  std::string out;
  size_t written = 0;
  Clock::time_point deadline;
};

std::string Reply(int code, std::string_view reason, std::string_view content_type,
                  const std::string& body, bool head_only, std::string_view extra = "") {
  std::string r = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason) + "\r\n";
  r += "Content-Type: " + std::string(content_type) + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r += std::string(extra) + "Connection: close\r\n\r\n";
  if (!head_only) r += body;
  return r;
}

std::string ErrorReply(int code, std::string_view reason, std::string_view extra = "") {
  return Reply(code, reason, "text/plain; charset=utf-8", std::string(reason) + "\n", false, extra);
}

bool IsMethodToken(std::string_view m) {
  return !m.empty() && std::all_of(m.begin(), m.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// The reply to a complete request head (request line and headers).
std::string Answer(std::string_view head, const MetricsServer::RenderFn& render) {
  std::string_view line = head.substr(0, head.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return ErrorReply(400, "Bad Request");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsMethodToken(method) || target.empty() || target[0] != '/' ||
      version.substr(0, 7) != "HTTP/1.") {
    return ErrorReply(400, "Bad Request");
  }
  if (target.substr(0, target.find('?')) != "/metrics") return ErrorReply(404, "Not Found");
  if (method != "GET" && method != "HEAD") {
    return ErrorReply(405, "Method Not Allowed", "Allow: GET, HEAD\r\n");
  }
  return Reply(200, "OK", kExpositionContentType, render(), method == "HEAD");
}

// The end of the request head in `in` (after its blank line), or npos.
size_t HeadEnd(const std::string& in) {
  size_t crlf = in.find("\r\n\r\n");
  size_t lf = in.find("\n\n");
  if (crlf != std::string::npos && (lf == std::string::npos || crlf < lf)) return crlf + 4;
  return lf == std::string::npos ? lf : lf + 2;
}

void StartReply(Connection& c, std::string reply) {
  c.out = std::move(reply);
  c.written = 0;
  c.phase = Phase::kWriting;
}

void StartDraining(Connection& c) {
  ::shutdown(c.fd, SHUT_WR);
  c.phase = Phase::kDraining;
  c.deadline = std::min(c.deadline, Clock::now() + kLinger);
}

// Reads what is there; false when the connection is to be closed.
bool OnReadable(Connection& c, const MetricsServerOptions& o,
                const MetricsServer::RenderFn& render) {
  char buf[4096];
  ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  if (n == 0) return false;
  if (c.phase == Phase::kDraining) return true;
  c.in.append(buf, static_cast<size_t>(n));
  size_t end = HeadEnd(c.in);
  if (end != std::string::npos && end <= o.max_request_bytes) {
    StartReply(c, Answer(std::string_view(c.in).substr(0, end), render));
  } else if (c.in.size() > o.max_request_bytes) {
    StartReply(c, ErrorReply(431, "Request Header Fields Too Large"));
  }
  return true;
}

// Writes what it can; false when the connection is to be closed.
bool OnWritable(Connection& c) {
  ssize_t n = ::send(c.fd, c.out.data() + c.written, c.out.size() - c.written, MSG_NOSIGNAL);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  c.written += static_cast<size_t>(n);
  if (c.written == c.out.size()) StartDraining(c);
  return true;
}

// On a deadline: a last try at a 408 for a client that never finished its request.
void OnExpired(Connection& c) {
  if (c.phase != Phase::kReading) return;
  std::string r = ErrorReply(408, "Request Timeout");
  (void)!::send(c.fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

struct HostPort {
  std::string host, port;
};

Result<HostPort> SplitAddress(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Err(InvalidArgument("metrics address '" + address + "' is not HOST:PORT"));
  }
  HostPort hp{address.substr(0, colon), address.substr(colon + 1)};
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  int port = -1;
  auto [end, ec] = std::from_chars(hp.port.data(), hp.port.data() + hp.port.size(), port);
  if (hp.port.empty() || ec != std::errc() || end != hp.port.data() + hp.port.size() || port < 0 ||
      port > 65535) {
    return Err(InvalidArgument("metrics address '" + address + "': bad port '" + hp.port + "'"));
  }
  return hp;
}

int BoundPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

Result<int> Listen(const std::string& address) {
  ASSIGN_OR_RETURN(HostPort hp, SplitAddress(address));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  int rc =
      ::getaddrinfo(hp.host.empty() ? nullptr : hp.host.c_str(), hp.port.c_str(), &hints, &res);
  if (rc != 0) return Err(IoError("metrics address '" + address + "': " + gai_strerror(rc)));
  int err = 0;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      err = errno;
      continue;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 64) == 0) {
      ::freeaddrinfo(res);
      return fd;
    }
    err = errno;
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return Err(ErrnoStatus("metrics: listening on " + address, err));
}

// Until the next deadline, or until accepting resumes, whichever is first.
int PollTimeoutMs(const std::vector<Connection>& conns, Clock::time_point accept_paused_until) {
  auto now = Clock::now();
  auto first = accept_paused_until > now ? accept_paused_until : Clock::time_point::max();
  for (const Connection& c : conns) first = std::min(first, c.deadline);
  if (first == Clock::time_point::max()) return -1;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(first - now).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 60'000));
}

}  // namespace

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(MetricsServerOptions options,
                                                            RenderFn render) {
  ASSIGN_OR_RETURN(int listen_fd, Listen(options.address));
  int wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    int err = errno;
    ::close(listen_fd);
    return Err(ErrnoStatus("metrics: eventfd", err));
  }
  int port = BoundPort(listen_fd);
  return std::unique_ptr<MetricsServer>(
      new MetricsServer(std::move(options), std::move(render), listen_fd, wake_fd, port));
}

MetricsServer::MetricsServer(MetricsServerOptions options, RenderFn render, int listen_fd,
                             int wake_fd, int port)
    : options_(std::move(options)),
      render_(std::move(render)),
      listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      port_(port),
      thread_([this] { Run(); }) {}

MetricsServer::~MetricsServer() {
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void MetricsServer::Run() {
  std::vector<Connection> conns;
  std::vector<pollfd> fds;
  Clock::time_point accept_paused_until;
  for (;;) {
    fds.assign({{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}});
    if (conns.size() >= options_.max_connections || Clock::now() < accept_paused_until) {
      fds[1].events = 0;
    }
    for (const Connection& c : conns) {
      fds.push_back({c.fd, static_cast<short>(c.phase == Phase::kWriting ? POLLOUT : POLLIN), 0});
    }
    if (::poll(fds.data(), fds.size(), PollTimeoutMs(conns, accept_paused_until)) < 0 &&
        errno != EINTR)
      break;
    if (fds[0].revents != 0) break;
    std::vector<Connection> next;
    for (size_t i = 0; i < conns.size(); ++i) {
      Connection& c = conns[i];
      short ev = fds[i + 2].revents;
      bool keep = true;
      if (ev & (POLLIN | POLLHUP | POLLERR)) {
        keep = c.phase == Phase::kWriting ? OnWritable(c) : OnReadable(c, options_, render_);
      } else if (ev & POLLOUT) {
        keep = OnWritable(c);
      }
      if (keep && Clock::now() >= c.deadline) {
        OnExpired(c);
        keep = false;
      }
      if (keep) {
        next.push_back(std::move(c));
      } else {
        ::close(c.fd);
      }
    }
    conns = std::move(next);
    while ((fds[1].revents & POLLIN) && conns.size() < options_.max_connections) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        // Out of descriptors: leave the rest in the backlog for a moment
        // rather than spin on a listener that stays readable.
        if (errno == EMFILE || errno == ENFILE) accept_paused_until = Clock::now() + kLinger / 10;
        break;
      }
      conns.push_back({fd, Phase::kReading, {}, {}, 0, Clock::now() + options_.timeout});
    }
  }
  for (Connection& c : conns) ::close(c.fd);
}

}  // namespace drover::metrics
