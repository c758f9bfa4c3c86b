#include "common/wire/transport.h"

#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "common/wire/protocol.h"

namespace drover::wire {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr const char* kZapDomain = "drover";

Status ZmqError(const std::string& what) {
  return Unavailable(what + ": " + zmq_strerror(zmq_errno()));
}

bool SetInt(void* socket, int option, int value) {
  return zmq_setsockopt(socket, option, &value, sizeof value) == 0;
}

bool SetStr(void* socket, int option, const std::string& value) {
  return zmq_setsockopt(socket, option, value.data(), value.size()) == 0;
}

std::string FrameString(zmq_msg_t* msg) {
  return std::string(static_cast<const char*>(zmq_msg_data(msg)), zmq_msg_size(msg));
}

// Receives all frames of one message; the first `n` are returned as strings.
int ReceiveFrames(void* socket, std::vector<std::string>* frames, std::string* user_id) {
  int count = 0;
  int more = 1;
  while (more) {
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, socket, ZMQ_DONTWAIT) < 0) {
      zmq_msg_close(&msg);
      return count;
    }
    if (user_id != nullptr && user_id->empty()) {
      const char* uid = zmq_msg_gets(&msg, "User-Id");
      if (uid != nullptr) *user_id = uid;
    }
    frames->push_back(FrameString(&msg));
    more = zmq_msg_more(&msg);
    zmq_msg_close(&msg);
    ++count;
  }
  return count;
}

Status SendFrames(void* socket, const std::vector<const std::string*>& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    int flags = ZMQ_DONTWAIT | (i + 1 < frames.size() ? ZMQ_SNDMORE : 0);
    if (zmq_send(socket, frames[i]->data(), frames[i]->size(), flags) < 0) {
      return ZmqError("send");
    }
  }
  return Status::Ok();
}

}  // namespace

void* SharedClientContext() {
  static void* context = [] {
    void* c = zmq_ctx_new();
    zmq_ctx_set(c, ZMQ_MAX_SOCKETS, 8192);
    return c;
  }();
  return context;
}

// ---------------------------------------------------------------- server

Result<std::unique_ptr<ServerSocket>> ServerSocket::Bind(const std::string& endpoint,
                                                         const KeyPair& server_key, AdmitFn admit) {
  if (!zmq_has("curve")) return Err(Internal("this libzmq was built without CURVE"));
  std::unique_ptr<ServerSocket> s(new ServerSocket());
  s->admit_ = std::move(admit);
  s->context_ = zmq_ctx_new();
  zmq_ctx_set(s->context_, ZMQ_MAX_SOCKETS, 8192);
  // The ZAP handler must be bound before the server socket sees a peer.
  s->zap_ = zmq_socket(s->context_, ZMQ_REP);
  if (zmq_bind(s->zap_, kZapEndpoint) != 0) return Err(ZmqError("bind ZAP handler"));
  s->router_ = zmq_socket(s->context_, ZMQ_ROUTER);
  bool ok = SetInt(s->router_, ZMQ_CURVE_SERVER, 1) &&
            SetStr(s->router_, ZMQ_CURVE_SECRETKEY, server_key.secret_z85) &&
            SetStr(s->router_, ZMQ_ZAP_DOMAIN, kZapDomain) &&
            SetInt(s->router_, ZMQ_ROUTER_MANDATORY, 1) && SetInt(s->router_, ZMQ_LINGER, 0) &&
            SetInt(s->router_, ZMQ_SNDHWM, 10000) && SetInt(s->router_, ZMQ_RCVHWM, 100000) &&
            zmq_setsockopt(s->router_, ZMQ_MAXMSGSIZE, &kMaxFrameBytes, sizeof kMaxFrameBytes) == 0;
  if (!ok) return Err(ZmqError("configure server socket"));
  if (zmq_bind(s->router_, endpoint.c_str()) != 0) {
    return Err(ZmqError("cannot bind control socket at " + endpoint));
  }
  return s;
}

ServerSocket::~ServerSocket() {
  if (router_ != nullptr) zmq_close(router_);
  if (zap_ != nullptr) zmq_close(zap_);
  if (context_ != nullptr) zmq_ctx_term(context_);
}

std::string ServerSocket::endpoint() const {
  char buf[256];
  size_t len = sizeof buf;
  if (zmq_getsockopt(router_, ZMQ_LAST_ENDPOINT, buf, &len) != 0) return "";
  return std::string(buf);
}

void ServerSocket::AnswerZap() {
  std::vector<std::string> f;
  ReceiveFrames(zap_, &f, nullptr);
  // version, request id, domain, address, identity, mechanism, credentials...
  std::string status = "400", text = "refused", user;
  if (f.size() >= 7 && f[0] == "1.0" && f[5] == "CURVE" && f[6].size() == 32) {
    char z85[41];
    zmq_z85_encode(z85, reinterpret_cast<const uint8_t*>(f[6].data()), 32);
    ZapRequest request{z85, f[3]};
    if (admit_ && admit_(request)) {
      status = "200";
      text = "OK";
      user = z85;
    }
  }
  std::string version = "1.0", request_id = f.size() > 1 ? f[1] : "", metadata;
  (void)SendFrames(zap_, {&version, &request_id, &status, &text, &user, &metadata});
}

bool ServerSocket::TakeQueued(Inbound* in) {
  // Frames are read straight into `in`, whose strings keep their buffers from
  // one message to the next: routing id, payload, and any further frames only
  // counted (a protocol error the caller answers).
  for (;;) {
    int count = 0;
    in->public_key.clear();
    for (int more = 1; more; ++count) {
      zmq_msg_t msg;
      zmq_msg_init(&msg);
      if (zmq_msg_recv(&msg, router_, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&msg);
        if (count == 0) return false;
        break;  // cannot happen: ZeroMQ delivers a message's frames together
      }
      if (in->public_key.empty()) {
        const char* uid = zmq_msg_gets(&msg, "User-Id");
        if (uid != nullptr) in->public_key = uid;
      }
      const char* data = static_cast<const char*>(zmq_msg_data(&msg));
      if (count == 0) in->routing_id.assign(data, zmq_msg_size(&msg));
      if (count == 1) in->payload.assign(data, zmq_msg_size(&msg));
      more = zmq_msg_more(&msg);
      zmq_msg_close(&msg);
    }
    if (count < 2) continue;  // a routing id with no payload: nothing to answer
    in->extra_frames = count - 2;
    return true;
  }
}

Result<ServerSocket::Received> ServerSocket::Receive(std::chrono::milliseconds timeout, size_t max,
                                                     std::vector<Inbound>* out) {
  zmq_pollitem_t items[] = {
      {router_, 0, ZMQ_POLLIN, 0}, {zap_, 0, ZMQ_POLLIN, 0}, {nullptr, wake_fd_, ZMQ_POLLIN, 0}};
  // zmq_poll returns at once when a message is queued already.
  int rc = zmq_poll(items, wake_fd_ >= 0 ? 3 : 2, std::max<long>(0, timeout.count()));
  Received r;
  if (rc < 0) {
    if (zmq_errno() == EINTR) return r;
    return Err(ZmqError("poll"));
  }
  if (items[1].revents & ZMQ_POLLIN) AnswerZap();
  r.woken = wake_fd_ >= 0 && (items[2].revents & ZMQ_POLLIN);
  if (items[0].revents & ZMQ_POLLIN) {
    while (r.messages < max) {
      if (out->size() <= r.messages) out->emplace_back();
      if (!TakeQueued(&(*out)[r.messages])) break;
      ++r.messages;
    }
  }
  return r;
}

Result<bool> ServerSocket::WaitForWake(std::chrono::milliseconds timeout) {
  zmq_pollitem_t items[] = {{zap_, 0, ZMQ_POLLIN, 0}, {nullptr, wake_fd_, ZMQ_POLLIN, 0}};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    int rc = zmq_poll(items, wake_fd_ >= 0 ? 2 : 1, left.count());
    if (rc < 0) {
      if (zmq_errno() == EINTR) return false;
      return Err(ZmqError("poll"));
    }
    if (rc == 0) return false;
    if (items[0].revents & ZMQ_POLLIN) AnswerZap();
    if (wake_fd_ >= 0 && (items[1].revents & ZMQ_POLLIN)) return true;
  }
}

Status ServerSocket::Send(const std::string& routing_id, const std::string& payload) {
  return SendFrames(router_, {&routing_id, &payload});
}

// ---------------------------------------------------------------- client

Result<std::unique_ptr<ClientSocket>> ClientSocket::Connect(const std::string& endpoint,
                                                            const std::string& server_public_key,
                                                            const KeyPair& client_key) {
  if (!IsZ85Key(server_public_key)) {
    return Err(InvalidArgument("orchestrator key '" + server_public_key +
                               "' is not a 40-character Z85 CURVE public key"));
  }
  static std::atomic<int> monitor_seq{0};
  std::unique_ptr<ClientSocket> c(new ClientSocket());
  c->context_ = SharedClientContext();
  c->dealer_ = zmq_socket(c->context_, ZMQ_DEALER);
  if (c->dealer_ == nullptr) return Err(ZmqError("create client socket"));
  bool ok = SetStr(c->dealer_, ZMQ_CURVE_SERVERKEY, server_public_key) &&
            SetStr(c->dealer_, ZMQ_CURVE_PUBLICKEY, client_key.public_z85) &&
            SetStr(c->dealer_, ZMQ_CURVE_SECRETKEY, client_key.secret_z85) &&
            SetInt(c->dealer_, ZMQ_LINGER, 0) && SetInt(c->dealer_, ZMQ_IMMEDIATE, 1) &&
            SetInt(c->dealer_, ZMQ_RECONNECT_IVL, 200) &&
            SetInt(c->dealer_, ZMQ_RECONNECT_IVL_MAX, 2000) &&
            zmq_setsockopt(c->dealer_, ZMQ_MAXMSGSIZE, &kMaxFrameBytes, sizeof kMaxFrameBytes) == 0;
  if (!ok) return Err(ZmqError("configure client socket"));
  std::string monitor = "inproc://drover-monitor-" + std::to_string(monitor_seq++);
  if (zmq_socket_monitor(c->dealer_, monitor.c_str(),
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                             ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_DISCONNECTED) != 0) {
    return Err(ZmqError("monitor client socket"));
  }
  c->monitor_ = zmq_socket(c->context_, ZMQ_PAIR);
  if (zmq_connect(c->monitor_, monitor.c_str()) != 0) return Err(ZmqError("connect monitor"));
  if (zmq_connect(c->dealer_, endpoint.c_str()) != 0) {
    return Err(ZmqError("cannot connect to " + endpoint));
  }
  return c;
}

ClientSocket::~ClientSocket() {
  if (dealer_ != nullptr) {
    zmq_socket_monitor(dealer_, nullptr, 0);
    zmq_close(dealer_);
  }
  if (monitor_ != nullptr) zmq_close(monitor_);
}

void ClientSocket::DrainMonitor() {
  for (;;) {
    std::vector<std::string> f;
    if (ReceiveFrames(monitor_, &f, nullptr) == 0) return;
    if (f.empty() || f[0].size() < 6) continue;
    uint16_t event;
    std::memcpy(&event, f[0].data(), sizeof event);
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) connected_ = true, refused_ = false;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) refused_ = true;
    if (event == ZMQ_EVENT_DISCONNECTED) connected_ = false;
  }
}

Status ClientSocket::WaitConnected(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    DrainMonitor();
    if (connected_) return Status::Ok();
    if (refused_) return PermissionDenied("the orchestrator refused this client's key");
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      if (refused_) return PermissionDenied("the orchestrator refused this client's key");
      return Unavailable("no authenticated connection within " + std::to_string(timeout.count()) +
                         " ms");
    }
    zmq_pollitem_t item = {monitor_, 0, ZMQ_POLLIN, 0};
    zmq_poll(&item, 1, std::min<long>(left.count(), 100));
  }
}

Status ClientSocket::Send(const std::string& payload) {
  if (zmq_send(dealer_, payload.data(), payload.size(), ZMQ_DONTWAIT) < 0) {
    return ZmqError("send to orchestrator");
  }
  return Status::Ok();
}

Result<std::optional<std::string>> ClientSocket::Receive(std::chrono::milliseconds timeout) {
  zmq_pollitem_t item = {dealer_, 0, ZMQ_POLLIN, 0};
  int rc = zmq_poll(&item, 1, timeout.count());
  if (rc < 0 && zmq_errno() != EINTR) return Err(ZmqError("poll"));
  if (rc <= 0) return std::optional<std::string>();
  std::vector<std::string> frames;
  ReceiveFrames(dealer_, &frames, nullptr);
  if (frames.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(frames[0]));
}

}  // namespace drover::wire
