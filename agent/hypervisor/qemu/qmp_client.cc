#include "agent/hypervisor/qemu/qmp_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace drover::hv {
namespace {

constexpr size_t kMaxLine = 16 << 20;  // a reply larger than this is not QMP

int RemainingMs(QmpClient::Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - QmpClient::Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

std::string StringField(const nlohmann::json& j, const char* key, const char* fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

nlohmann::json DataField(const nlohmann::json& msg) {
  auto it = msg.find("data");
  return it != msg.end() ? *it : nlohmann::json::object();
}

Status ErrorReply(const std::string& command, const nlohmann::json& error) {
  std::string cls = StringField(error, "class", "GenericError");
  std::string desc = StringField(error, "desc", "no description");
  std::string msg = "qmp " + command + ": " + cls + ": " + desc;
  if (cls == "DeviceNotFound" || cls == "CommandNotFound") return NotFound(msg);
  return InvalidArgument(msg);
}

}  // namespace

QmpClient::~QmpClient() { Close(); }

QmpClient::QmpClient(QmpClient&& other) noexcept { *this = std::move(other); }

QmpClient& QmpClient::operator=(QmpClient&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
    events_ = std::move(other.events_);
    next_id_ = other.next_id_;
  }
  return *this;
}

void QmpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

Status QmpClient::Fail(Status s) {
  Close();
  return s;
}

Status QmpClient::Connect(const std::string& socket_path, std::chrono::milliseconds timeout) {
  Close();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return InvalidArgument("qmp socket path too long: " + socket_path);
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return ErrnoStatus("socket", errno);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      return Attach(fd, std::chrono::milliseconds(RemainingMs(deadline) + 1));
    }
    int err = errno;
    ::close(fd);
    if ((err != ENOENT && err != ECONNREFUSED) || Clock::now() >= deadline) {
      return Unavailable("qmp connect " + socket_path + ": " + std::strerror(err));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Status QmpClient::Attach(int fd, std::chrono::milliseconds timeout) {
  Close();
  fd_ = fd;
  events_.clear();
  return Handshake(timeout);
}

Status QmpClient::Handshake(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto greeting = ReadMessage(deadline);
  if (!greeting) return greeting.error();
  if (!greeting->is_object() || !greeting->contains("QMP")) {
    return Fail(Internal("qmp: no greeting, got " + greeting->dump()));
  }
  auto caps =
      Execute("qmp_capabilities", nullptr, std::chrono::milliseconds(RemainingMs(deadline) + 1));
  return caps ? Status::Ok() : caps.error();
}

Status QmpClient::WriteAll(const std::string& data, Clock::time_point deadline) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN)
      return Fail(Unavailable(std::string("qmp send: ") + std::strerror(errno)));
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, RemainingMs(deadline)) == 0) return Fail(Timeout("qmp send timed out"));
  }
  return Status::Ok();
}

Result<nlohmann::json> QmpClient::ReadMessage(Clock::time_point deadline) {
  if (fd_ < 0) return Err(Unavailable("qmp: not connected"));
  for (;;) {
    size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto msg = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (msg.is_discarded() || !msg.is_object()) {
        return Err(Fail(Internal("qmp: malformed message: " + line.substr(0, 200))));
      }
      return msg;
    }
    if (buffer_.size() > kMaxLine) return Err(Fail(Internal("qmp: message too long")));
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, RemainingMs(deadline));
    if (r < 0 && errno == EINTR) continue;
    // A timeout leaves the connection usable: replies carry ids, so a late one
    // is recognised and skipped.
    if (r == 0) return Err(Timeout("qmp: no answer before the deadline"));
    char chunk[8192];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return Err(Fail(Unavailable("qmp: connection closed by QEMU")));
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

Result<nlohmann::json> QmpClient::Execute(const std::string& command,
                                          const nlohmann::json& arguments,
                                          std::chrono::milliseconds timeout) {
  if (fd_ < 0) return Err(Unavailable("qmp " + command + ": not connected"));
  auto deadline = Clock::now() + timeout;
  uint64_t id = next_id_++;
  nlohmann::json request = {{"execute", command}, {"id", id}};
  if (!arguments.is_null()) request["arguments"] = arguments;
  RETURN_IF_ERROR(WriteAll(request.dump() + "\n", deadline));
  for (;;) {
    ASSIGN_OR_RETURN(nlohmann::json msg, ReadMessage(deadline));
    if (msg.contains("event")) {
      events_.push_back({StringField(msg, "event", "?"), DataField(msg)});
      continue;
    }
    if (!msg.contains("id") || msg["id"] != id) continue;  // a stale reply
    if (msg.contains("return")) return nlohmann::json(msg["return"]);
    if (msg.contains("error") && msg["error"].is_object()) {
      return Err(ErrorReply(command, msg["error"]));
    }
    return Err(Fail(Internal("qmp " + command + ": reply without return or error")));
  }
}

std::deque<QmpEvent> QmpClient::TakeEvents() { return std::exchange(events_, {}); }

Result<QmpEvent> QmpClient::WaitForEvent(const std::string& name,
                                         std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    for (auto it = events_.begin(); it != events_.end(); ++it) {
      if (it->name == name) {
        QmpEvent e = std::move(*it);
        events_.erase(it);
        return e;
      }
    }
    ASSIGN_OR_RETURN(nlohmann::json msg, ReadMessage(deadline));
    if (msg.contains("event")) events_.push_back({StringField(msg, "event", "?"), DataField(msg)});
  }
}

}  // namespace drover::hv
