// QmpClient: the one place that speaks QMP (QEMU Machine Protocol) to a QEMU
// process over its unix socket.
//
// Protocol: QEMU greets with {"QMP": {...}}; the client answers
// {"execute": "qmp_capabilities"}; afterwards every command gets exactly one
// reply, {"return": ...} or {"error": {"class", "desc"}}, carrying the "id" we
// sent, while asynchronous events ({"event": NAME, "data": ..., "timestamp"})
// may arrive interleaved at any time. Events seen while waiting for a reply are
// queued and handed out by TakeEvents()/WaitForEvent().
//
// Failure: every call returns a Status; a refused connection or a closed
// socket is kUnavailable, a deadline kTimeout, a malformed line kInternal, a
// QMP error reply kInvalidArgument / kNotFound with QEMU's desc. After a
// transport failure (closed socket, bad JSON) the client is disconnected and
// every further call fails until Connect() succeeds again; a timeout leaves it
// connected (a late reply is recognised by its id and skipped).
// Never throws, never aborts on anything QEMU sends.
//
// Ownership and thread-safety: owns its socket; not thread-safe (callers
// serialize, e.g. one mutex per guest). Movable, not copyable.
#pragma once

#include <chrono>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace drover::hv {

struct QmpEvent {
  std::string name;
  nlohmann::json data;
};

class QmpClient {
 public:
  using Clock = std::chrono::steady_clock;

  QmpClient() = default;
  ~QmpClient();
  QmpClient(QmpClient&& other) noexcept;
  QmpClient& operator=(QmpClient&& other) noexcept;
  QmpClient(const QmpClient&) = delete;
  QmpClient& operator=(const QmpClient&) = delete;

  // Connects to `socket_path`, reads the greeting and negotiates capabilities.
  // Retries a refused or missing socket until `timeout` (QEMU creates it a
  // moment after it starts). Idempotent: reconnects if already connected.
  Status Connect(const std::string& socket_path, std::chrono::milliseconds timeout);

  // Adopts an already connected stream socket (tests, socketpair); then does
  // the same greeting and negotiation as Connect().
  Status Attach(int fd, std::chrono::milliseconds timeout);

  bool connected() const { return fd_ >= 0; }
  void Close();

  // Runs one command and returns its "return" value.
  Result<nlohmann::json> Execute(const std::string& command,
                                 const nlohmann::json& arguments = nullptr,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Events received so far (oldest first); clears the queue.
  std::deque<QmpEvent> TakeEvents();

  // Reads until an event named `name` arrives (queued ones count) and
  // returns it, removing it from the queue; other events stay queued.
  Result<QmpEvent> WaitForEvent(const std::string& name, std::chrono::milliseconds timeout);

 private:
  Status Handshake(std::chrono::milliseconds timeout);
  // Reads one JSON message (one line) before `deadline`.
  Result<nlohmann::json> ReadMessage(Clock::time_point deadline);
  Status WriteAll(const std::string& data, Clock::time_point deadline);
  Status Fail(Status s);  // closes the socket, returns `s`

  int fd_ = -1;
  std::string buffer_;  // bytes read but not yet consumed
  std::deque<QmpEvent> events_;
  uint64_t next_id_ = 1;
};

}  // namespace drover::hv
