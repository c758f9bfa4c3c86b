#include "agent/hypervisor/xen/xen_messages.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace drover::hv::xen_wire {
namespace {

using Clock = std::chrono::steady_clock;

// Each constant as it goes on the wire: the string_view of a literal plus its
// NUL for all but the banner.
const std::string kBytes[] = {
    std::string(kReceiverBanner),
    std::string(kReceiverReady) + '\0',
    std::string(kPermissionToGo) + '\0',
    std::string(kReport) + '\0',
};

int LeftMs(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms < 0 ? 0 : static_cast<int>(ms);
}

Status WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, LeftMs(deadline));
    if (r > 0) return Status::Ok();
    if (r == 0) return Timeout("xen migration handshake: peer silent");
    if (errno != EINTR) return ErrnoStatus("poll", errno);
  }
}

Status WriteAll(int fd, const std::string& data, Clock::time_point deadline) {
  size_t done = 0;
  while (done < data.size()) {
    RETURN_STATUS_IF_ERROR(WaitFor(fd, POLLOUT, deadline));
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return Unavailable(std::string("xen migration handshake: send: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status ReadExactly(int fd, char* buf, size_t len, Clock::time_point deadline) {
  size_t done = 0;
  while (done < len) {
    RETURN_STATUS_IF_ERROR(WaitFor(fd, POLLIN, deadline));
    ssize_t n = ::read(fd, buf + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return Unavailable("xen migration handshake: peer closed the connection");
    if (n < 0)
      return Unavailable(std::string("xen migration handshake: read: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

std::string_view Bytes(Message m) { return kBytes[static_cast<int>(m)]; }

Status Send(int fd, Message m, std::chrono::milliseconds timeout) {
  return WriteAll(fd, std::string(Bytes(m)), Clock::now() + timeout);
}

Status Expect(int fd, Message m, std::chrono::milliseconds timeout) {
  std::string_view want = Bytes(m);
  std::string got(want.size(), '\0');
  RETURN_STATUS_IF_ERROR(ReadExactly(fd, got.data(), got.size(), Clock::now() + timeout));
  if (got != want) {
    return InvalidArgument("xen migration handshake: expected \"" +
                           std::string(want.substr(0, want.find('\0'))) + "\"");
  }
  return Status::Ok();
}

Status SendReport(int fd, uint8_t rc, std::chrono::milliseconds timeout) {
  std::string data(Bytes(Message::kReport));
  data.push_back(static_cast<char>(rc));
  return WriteAll(fd, data, Clock::now() + timeout);
}

Result<uint8_t> ExpectReport(int fd, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  RETURN_IF_ERROR(Expect(fd, Message::kReport, std::chrono::milliseconds(LeftMs(deadline))));
  char rc = 0;
  RETURN_IF_ERROR(ReadExactly(fd, &rc, 1, deadline));
  return static_cast<uint8_t>(rc);
}

}  // namespace drover::hv::xen_wire
