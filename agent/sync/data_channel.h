// Stage 3 transport: the agent-to-agent data channel, the only file that
// includes <zmq.h>.
//
// DataServer (destination) binds a CURVE ROUTER socket with its own key pair
// and runs a ZAP handler that admits exactly one client key, the source
// agent's, named with the one-time ticket; every received message is also
// checked against the ZAP "User-Id" (the admitted key), never the routing id.
// DataClient (source) connects a CURVE DEALER with its own key pair and the
// server's public key, and watches the handshake so that a refused key is a
// PermissionDenied instead of silence. Frames larger than kMaxFrame are
// dropped by libzmq. Each object owns its own ZeroMQ context (so each server
// has its own ZAP endpoint); not thread-safe: one thread drives an object.
// Destruction closes everything without lingering.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/sync/wakeup.h"
#include "common/status.h"
#include "common/wire/keys.h"

namespace drover::sync {

inline constexpr int64_t kMaxFrame = 8 << 20;

struct Incoming {
  std::string peer;  // routing id (server side only)
  std::vector<uint8_t> payload;
};

class DataServer {
 public:
  // `bind_endpoint` like "tcp://127.0.0.1:0" (0 or * picks a free port).
  static Result<std::unique_ptr<DataServer>> Bind(const std::string& bind_endpoint,
                                                  const wire::KeyPair& own,
                                                  const std::string& client_public_z85);
  ~DataServer();

  // The endpoint the source connects to, with the port resolved.
  const std::string& endpoint() const { return endpoint_; }
  // One message, or nullopt after `timeout` or a signal on `wake` (may be
  // null). Messages whose User-Id is not the admitted key are dropped (they
  // cannot pass ZAP; this is belt and braces).
  Result<std::optional<Incoming>> Receive(std::chrono::milliseconds timeout,
                                          const Wakeup* wake = nullptr);
  Status Send(const std::string& peer, std::span<const uint8_t> payload);
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_received() const { return bytes_received_; }
  uint64_t zap_refusals() const;

 private:
  struct Impl;
  explicit DataServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string endpoint_;
  uint64_t bytes_sent_ = 0, bytes_received_ = 0;
};

class DataClient {
 public:
  static Result<std::unique_ptr<DataClient>> Connect(const std::string& endpoint,
                                                     const std::string& server_public_z85,
                                                     const wire::KeyPair& own);
  ~DataClient();

  // One message, or nullopt after `timeout` or a signal on `wake` (may be
  // null); PermissionDenied once the server has refused our key.
  Result<std::optional<Incoming>> Receive(std::chrono::milliseconds timeout,
                                          const Wakeup* wake = nullptr);
  // Hands the frame to ZeroMQ without copying it (data frames are large).
  Status Send(std::vector<uint8_t>&& payload);
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_received() const { return bytes_received_; }

 private:
  struct Impl;
  explicit DataClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  uint64_t bytes_sent_ = 0, bytes_received_ = 0;
};

}  // namespace drover::sync
