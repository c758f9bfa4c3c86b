// MetricsServer: a tiny HTTP/1.1 endpoint that answers Prometheus scrapes.
//
//   GET /metrics (or HEAD)  200, Content-Type "text/plain; version=0.0.4",
//                           the body `render()` returns
//   another path            404
//   another method          405 on /metrics (Allow: GET, HEAD)
//   not an HTTP request     400
//   request head too big    431 (more than max_request_bytes before the blank line)
//   too slow                408 and the connection closed once `timeout` has passed
//                           since it was accepted, whatever it was doing
//
// One connection, one reply, then the connection is closed ("Connection:
// close"); the rest of what the client sends is read and dropped until it
// closes or its time is up, so it never sees a reset instead of the reply.
//
// One background thread serves every connection with poll() and non-blocking
// sockets, so a client that connects and sends nothing, or reads slowly,
// delays nobody; at most max_connections are open at once (more wait in the
// kernel's backlog). `render` runs on that thread and must be thread-safe
// with the rest of the process (MetricsRegistry::Render is).
//
// The destructor stops the thread and closes every socket; it returns within
// one poll round, however many clients are connected.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"

namespace drover::metrics {

struct MetricsServerOptions {
  // "HOST:PORT": "127.0.0.1:9464", "[::1]:9464", ":9464" (every interface);
  // port 0 picks a free port (see MetricsServer::port).
  std::string address = "127.0.0.1:9464";
  size_t max_request_bytes = 8192;
  std::chrono::milliseconds timeout{5000};
  size_t max_connections = 64;
};

class MetricsServer {
 public:
  using RenderFn = std::function<std::string()>;

  // Binds and listens on options.address and starts serving. Errors:
  // InvalidArgument for an address that is not HOST:PORT, IoError (naming
  // the address) when it cannot be resolved, bound or listened on.
  static Result<std::unique_ptr<MetricsServer>> Start(MetricsServerOptions options,
                                                      RenderFn render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port bound, the one the kernel picked when asked for 0.
  int port() const { return port_; }

 private:
  MetricsServer(MetricsServerOptions options, RenderFn render, int listen_fd, int wake_fd,
                int port);
  void Run();

  const MetricsServerOptions options_;
  const RenderFn render_;
  const int listen_fd_;
  const int wake_fd_;  // eventfd: written by the destructor to stop Run
  const int port_;
  std::thread thread_;
};

}  // namespace drover::metrics
