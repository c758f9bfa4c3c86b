#include "agent/sync/data_channel.h"

#include <sys/eventfd.h>
#include <unistd.h>
#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

namespace drover::sync {
namespace {

constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
constexpr char kDomain[] = "drover-data";

Status ZmqStatus(const std::string& what) {
  int err = zmq_errno();
  return Unavailable(what + ": " + zmq_strerror(err));
}

std::vector<uint8_t> MsgBytes(zmq_msg_t* m) {
  auto* p = static_cast<const uint8_t*>(zmq_msg_data(m));
  return std::vector<uint8_t>(p, p + zmq_msg_size(m));
}

// Receives all frames of one message (non-blocking; call after poll).
Result<std::vector<std::vector<uint8_t>>> RecvFrames(void* socket, std::string* user_id) {
  std::vector<std::vector<uint8_t>> frames;
  for (;;) {
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, socket, ZMQ_DONTWAIT) < 0) {
      zmq_msg_close(&m);
      return Err(ZmqStatus("zmq receive"));
    }
    if (user_id) {
      const char* uid = zmq_msg_gets(&m, "User-Id");
      if (uid) *user_id = uid;
    }
    frames.push_back(MsgBytes(&m));
    bool more = zmq_msg_more(&m);
    zmq_msg_close(&m);
    if (!more) return frames;
  }
}

Status SendFrame(void* socket, std::span<const uint8_t> data, bool more) {
  int flags = more ? ZMQ_SNDMORE : 0;
  for (;;) {
    if (zmq_send(socket, data.data(), data.size(), flags) >= 0) return Status::Ok();
    if (zmq_errno() != EINTR) return ZmqStatus("zmq send");
  }
}

void SetCommonOptions(void* s) {
  int linger = 1000;  // lets a last Final or Refuse reach the peer
  zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
  int send_timeout = 5000;
  zmq_setsockopt(s, ZMQ_SNDTIMEO, &send_timeout, sizeof send_timeout);
  int64_t max = kMaxFrame;
  zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max);
  int ivl = 1000, ttl = 10000, timeout = 10000;
  zmq_setsockopt(s, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
  zmq_setsockopt(s, ZMQ_HEARTBEAT_TTL, &ttl, sizeof ttl);
  zmq_setsockopt(s, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout);
}

// Waits for `socket` to be readable; false on timeout.
// Whether `socket` has a message, after at most `timeout`; a signal on
// `wake` ends the wait early (and is drained) with false.
Result<bool> PollIn(void* socket, std::chrono::milliseconds timeout, const Wakeup* wake) {
  zmq_pollitem_t items[2] = {{socket, 0, ZMQ_POLLIN, 0},
                             {nullptr, wake ? wake->fd() : -1, ZMQ_POLLIN, 0}};
  int count = wake && wake->fd() >= 0 ? 2 : 1;
  int n = zmq_poll(items, count, static_cast<long>(timeout.count()));
  if (n < 0 && zmq_errno() == EINTR) return false;
  if (n < 0) return Err(ZmqStatus("zmq poll"));
  if (count == 2 && (items[1].revents & ZMQ_POLLIN)) wake->Drain();
  return (items[0].revents & ZMQ_POLLIN) != 0;
}

}  // namespace

// ---------------------------------------------------------------- server

struct DataServer::Impl {
  void* ctx = nullptr;
  void* zap = nullptr;
  void* router = nullptr;
  std::string client_key_z85;
  uint8_t client_key[32];
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> refusals{0};
  std::thread zap_thread;
  // Wakes the ZAP thread at once when the server closes: a session's end
  // must not wait out a poll timeout.
  int wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

  ~Impl() {
    stop = true;
    uint64_t one = 1;
    if (wake_fd >= 0) (void)!::write(wake_fd, &one, sizeof one);
    if (zap_thread.joinable()) zap_thread.join();
    if (wake_fd >= 0) ::close(wake_fd);
    if (router) zmq_close(router);
    if (zap) zmq_close(zap);
    if (ctx) zmq_ctx_term(ctx);
  }

  // ZAP (RFC 27): admit only the ticket's client key.
  void ServeZap() {
    while (!stop) {
      zmq_pollitem_t items[2] = {{zap, 0, ZMQ_POLLIN, 0}, {nullptr, wake_fd, ZMQ_POLLIN, 0}};
      // Without the eventfd (it failed to open) the timeout bounds the wait.
      int n = zmq_poll(items, wake_fd >= 0 ? 2 : 1, 50);
      if (n <= 0 || !(items[0].revents & ZMQ_POLLIN)) continue;
      auto frames = RecvFrames(zap, nullptr);
      if (!frames || frames->size() < 6) continue;
      auto& f = *frames;
      bool ok = f.size() >= 7 && std::string(f[5].begin(), f[5].end()) == "CURVE" &&
                f[6].size() == 32 && std::memcmp(f[6].data(), client_key, 32) == 0;
      if (!ok) ++refusals;
      auto str = [](const std::string& s) {
        return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
      };
      std::string status = ok ? "200" : "400";
      std::string text = ok ? "OK" : "key not named by the transfer ticket";
      std::string user = ok ? client_key_z85 : "";
      (void)SendFrame(zap, str("1.0"), true);
      (void)SendFrame(zap, f[1], true);
      (void)SendFrame(zap, str(status), true);
      (void)SendFrame(zap, str(text), true);
      (void)SendFrame(zap, str(user), true);
      (void)SendFrame(zap, {}, false);
    }
  }
};

DataServer::DataServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataServer::~DataServer() = default;

uint64_t DataServer::zap_refusals() const { return impl_->refusals; }

Result<std::unique_ptr<DataServer>> DataServer::Bind(const std::string& bind_endpoint,
                                                     const wire::KeyPair& own,
                                                     const std::string& client_public_z85) {
  if (!wire::IsZ85Key(client_public_z85) || !wire::IsZ85Key(own.secret_z85)) {
    return Err(InvalidArgument("data channel: malformed CURVE key"));
  }
  auto impl = std::make_unique<Impl>();
  impl->client_key_z85 = client_public_z85;
  zmq_z85_decode(impl->client_key, client_public_z85.c_str());
  impl->ctx = zmq_ctx_new();
  impl->zap = zmq_socket(impl->ctx, ZMQ_REP);
  int zero = 0;
  zmq_setsockopt(impl->zap, ZMQ_LINGER, &zero, sizeof zero);
  if (zmq_bind(impl->zap, kZapEndpoint) != 0) return Err(ZmqStatus("bind ZAP handler"));
  impl->zap_thread = std::thread([p = impl.get()] { p->ServeZap(); });

  impl->router = zmq_socket(impl->ctx, ZMQ_ROUTER);
  SetCommonOptions(impl->router);
  int one = 1;
  zmq_setsockopt(impl->router, ZMQ_CURVE_SERVER, &one, sizeof one);
  zmq_setsockopt(impl->router, ZMQ_CURVE_SECRETKEY, own.secret_z85.c_str(), 40);
  zmq_setsockopt(impl->router, ZMQ_ZAP_DOMAIN, kDomain, std::strlen(kDomain));
  zmq_setsockopt(impl->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
  std::string ep = bind_endpoint;
  if (ep.size() > 2 && ep.substr(ep.size() - 2) == ":0") ep = ep.substr(0, ep.size() - 1) + "*";
  if (zmq_bind(impl->router, ep.c_str()) != 0) return Err(ZmqStatus("bind " + bind_endpoint));
  char last[256];
  size_t len = sizeof last;
  zmq_getsockopt(impl->router, ZMQ_LAST_ENDPOINT, last, &len);
  auto server = std::unique_ptr<DataServer>(new DataServer(std::move(impl)));
  server->endpoint_ = last;
  return server;
}

Result<std::optional<Incoming>> DataServer::Receive(std::chrono::milliseconds timeout,
                                                    const Wakeup* wake) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    ASSIGN_OR_RETURN(bool ready,
                     PollIn(impl_->router, std::max(left, std::chrono::milliseconds(0)), wake));
    if (!ready) return std::optional<Incoming>();
    std::string user;
    ASSIGN_OR_RETURN(auto frames, RecvFrames(impl_->router, &user));
    if (frames.size() != 2 || user != impl_->client_key_z85) continue;
    bytes_received_ += frames[1].size();
    Incoming in;
    in.peer.assign(frames[0].begin(), frames[0].end());
    in.payload = std::move(frames[1]);
    return std::optional<Incoming>(std::move(in));
  }
}

Status DataServer::Send(const std::string& peer, std::span<const uint8_t> payload) {
  Status s = SendFrame(
      impl_->router,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(peer.data()), peer.size()), true);
  if (!s.ok() && zmq_errno() == EHOSTUNREACH) {
    return Unavailable("source disconnected from the data channel");
  }
  RETURN_STATUS_IF_ERROR(s);
  RETURN_STATUS_IF_ERROR(SendFrame(impl_->router, payload, false));
  bytes_sent_ += payload.size();
  return Status::Ok();
}

// ---------------------------------------------------------------- client

struct DataClient::Impl {
  void* ctx = nullptr;
  void* dealer = nullptr;
  void* monitor = nullptr;
  bool refused = false;
  ~Impl() {
    if (monitor) zmq_close(monitor);
    if (dealer) zmq_close(dealer);
    if (ctx) zmq_ctx_term(ctx);
  }
};

DataClient::DataClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataClient::~DataClient() = default;

Result<std::unique_ptr<DataClient>> DataClient::Connect(const std::string& endpoint,
                                                        const std::string& server_public_z85,
                                                        const wire::KeyPair& own) {
  if (!wire::IsZ85Key(server_public_z85) || !wire::IsZ85Key(own.public_z85) ||
      !wire::IsZ85Key(own.secret_z85)) {
    return Err(InvalidArgument("data channel: malformed CURVE key"));
  }
  auto impl = std::make_unique<Impl>();
  impl->ctx = zmq_ctx_new();
  impl->dealer = zmq_socket(impl->ctx, ZMQ_DEALER);
  SetCommonOptions(impl->dealer);
  zmq_setsockopt(impl->dealer, ZMQ_CURVE_SERVERKEY, server_public_z85.c_str(), 40);
  zmq_setsockopt(impl->dealer, ZMQ_CURVE_PUBLICKEY, own.public_z85.c_str(), 40);
  zmq_setsockopt(impl->dealer, ZMQ_CURVE_SECRETKEY, own.secret_z85.c_str(), 40);
  std::string mon = "inproc://drover-data-monitor";
  if (zmq_socket_monitor(impl->dealer, mon.c_str(), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0) {
    return Err(ZmqStatus("zmq monitor"));
  }
  impl->monitor = zmq_socket(impl->ctx, ZMQ_PAIR);
  int zero = 0;
  zmq_setsockopt(impl->monitor, ZMQ_LINGER, &zero, sizeof zero);
  if (zmq_connect(impl->monitor, mon.c_str()) != 0) return Err(ZmqStatus("zmq monitor"));
  if (zmq_connect(impl->dealer, endpoint.c_str()) != 0) {
    return Err(InvalidArgument("cannot connect to data endpoint " + endpoint + ": " +
                               zmq_strerror(zmq_errno())));
  }
  return std::unique_ptr<DataClient>(new DataClient(std::move(impl)));
}

Result<std::optional<Incoming>> DataClient::Receive(std::chrono::milliseconds timeout,
                                                    const Wakeup* wake) {
  zmq_pollitem_t items[3] = {{impl_->dealer, 0, ZMQ_POLLIN, 0},
                             {impl_->monitor, 0, ZMQ_POLLIN, 0},
                             {nullptr, wake ? wake->fd() : -1, ZMQ_POLLIN, 0}};
  int count = wake && wake->fd() >= 0 ? 3 : 2;
  int n = zmq_poll(items, count, static_cast<long>(timeout.count()));
  if (n < 0 && zmq_errno() != EINTR) return Err(ZmqStatus("zmq poll"));
  if (n > 0 && count == 3 && (items[2].revents & ZMQ_POLLIN)) wake->Drain();
  if (n > 0 && (items[1].revents & ZMQ_POLLIN)) {
    auto frames = RecvFrames(impl_->monitor, nullptr);
    if (frames && !frames->empty() && (*frames)[0].size() >= 2) {
      impl_->refused = true;
    }
  }
  if (impl_->refused) {
    return Err(PermissionDenied("the destination refused our CURVE key during the handshake"));
  }
  if (n <= 0 || !(items[0].revents & ZMQ_POLLIN)) return std::optional<Incoming>();
  ASSIGN_OR_RETURN(auto frames, RecvFrames(impl_->dealer, nullptr));
  if (frames.size() != 1) return std::optional<Incoming>();
  bytes_received_ += frames[0].size();
  Incoming in;
  in.payload = std::move(frames[0]);
  return std::optional<Incoming>(std::move(in));
}

Status DataClient::Send(std::vector<uint8_t>&& payload) {
  auto* owned = new std::vector<uint8_t>(std::move(payload));
  const size_t size = owned->size();
  zmq_msg_t msg;
  zmq_msg_init_data(
      &msg, owned->data(), size,
      [](void*, void* hint) { delete static_cast<std::vector<uint8_t>*>(hint); }, owned);
  for (;;) {
    if (zmq_msg_send(&msg, impl_->dealer, 0) >= 0) break;
    if (zmq_errno() != EINTR) {
      zmq_msg_close(&msg);  // frees `owned`
      return ZmqStatus("zmq send");
    }
  }
  bytes_sent_ += size;
  return Status::Ok();
}

}  // namespace drover::sync
