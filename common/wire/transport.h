// CURVE-authenticated ZeroMQ sockets for the control plane.
//
// This file and transport.cc are the only place the control plane touches
// <zmq.h>. A ServerSocket is a ROUTER with CURVE on and a ZAP handler that
// asks `admit` about every connecting key: a CURVE server without a ZAP
// handler would accept any key (encryption without authorisation). Each
// inbound message carries the sender's public key as ZAP set it (User-Id), so
// callers authorise by key, never by the routing id a client picks itself.
//
// Neither class is thread-safe: each belongs to the thread that polls it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/wire/keys.h"

namespace drover::wire {

struct ZapRequest {
  std::string public_key;  // Z85
  std::string address;     // peer IP address
};

struct Inbound {
  std::string routing_id;  // opaque; use only to reply
  std::string public_key;  // Z85, as authenticated by CURVE + ZAP
  std::string payload;     // first payload frame
  int extra_frames = 0;    // frames beyond the first (a protocol error)
};

class ServerSocket {
 public:
  using AdmitFn = std::function<bool(const ZapRequest&)>;

  // Binds a ROUTER at `endpoint` (e.g. "tcp://127.0.0.1:7400"). Fails with a
  // Status naming the endpoint when it cannot bind.
  static Result<std::unique_ptr<ServerSocket>> Bind(const std::string& endpoint,
                                                    const KeyPair& server_key, AdmitFn admit);
  ~ServerSocket();
  ServerSocket(const ServerSocket&) = delete;
  ServerSocket& operator=(const ServerSocket&) = delete;

  // What one Receive brought: how many messages it appended, and whether the
  // fd given to WakeOn is readable (the caller should drain it).
  struct Received {
    size_t messages = 0;
    bool woken = false;
  };

  // Waits up to `timeout` for messages, answering ZAP requests meanwhile, then
  // takes every message already queued, at most `max`, into (*out)[0] to
  // (*out)[messages - 1]. `out` only grows: its entries, and their strings'
  // buffers, are reused from call to call, so a steady stream of heartbeats
  // allocates nothing here. One poll per call however many messages it
  // takes: under load a loop turn handles a batch, not one message per
  // system call.
  Result<Received> Receive(std::chrono::milliseconds timeout, size_t max,
                           std::vector<Inbound>* out);

  // Waits up to `timeout` for the WakeOn fd (answering ZAP requests) without
  // reading or even looking at the control socket, so that messages queue up
  // inside ZeroMQ and the next Receive takes them together. True when woken.
  Result<bool> WaitForWake(std::chrono::milliseconds timeout);

  // Sends without blocking. Unavailable when the peer is gone or its queue is
  // full: the message is dropped and the caller decides what that means.
  Status Send(const std::string& routing_id, const std::string& payload);

  // Also wakes Receive when `fd` becomes readable (Receive then returns
  // nullopt, as on a timeout). The caller owns the fd and drains it.
  void WakeOn(int fd) { wake_fd_ = fd; }

  // The endpoint actually bound (resolves a port 0 / wildcard bind).
  std::string endpoint() const;

 private:
  ServerSocket() = default;
  void AnswerZap();
  // Reads one queued message into `in`; false when none is queued.
  bool TakeQueued(Inbound* in);

  void* context_ = nullptr;
  void* router_ = nullptr;
  void* zap_ = nullptr;
  AdmitFn admit_;
  int wake_fd_ = -1;
};

class ClientSocket {
 public:
  // Connects a DEALER to `endpoint`, trusting only `server_public_key`. The
  // connection is made in the background; WaitConnected tells how it went.
  static Result<std::unique_ptr<ClientSocket>> Connect(const std::string& endpoint,
                                                       const std::string& server_public_key,
                                                       const KeyPair& client_key);
  ~ClientSocket();
  ClientSocket(const ClientSocket&) = delete;
  ClientSocket& operator=(const ClientSocket&) = delete;

  // Ok once the CURVE handshake succeeded; PermissionDenied when the server
  // refused our key; Unavailable on timeout (nothing listening, or a server
  // whose key is not the one we trust).
  Status WaitConnected(std::chrono::milliseconds timeout);

  Status Send(const std::string& payload);
  Result<std::optional<std::string>> Receive(std::chrono::milliseconds timeout);

  // The raw socket handle, for polling several clients at once (load tools).
  void* handle() const { return dealer_; }

 private:
  ClientSocket() = default;
  void DrainMonitor();

  void* context_ = nullptr;
  void* dealer_ = nullptr;
  void* monitor_ = nullptr;
  bool connected_ = false;
  bool refused_ = false;
};

// A process-wide ZeroMQ context for clients (one I/O thread), so that a
// process with many clients does not start a thread per client.
void* SharedClientContext();

}  // namespace drover::wire
