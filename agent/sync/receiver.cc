#include "agent/sync/receiver.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <optional>

#include "agent/sync/apply.h"
#include "agent/sync/background.h"
#include "agent/sync/data_channel.h"
#include "agent/sync/discover.h"
#include "agent/sync/encode.h"
#include "agent/sync/flusher.h"
#include "agent/sync/hash_scan.h"
#include "agent/sync/message.h"
#include "agent/sync/rate_limiter.h"
#include "agent/sync/resume_state.h"
#include "agent/sync/ticket.h"
#include "common/file_io.h"

namespace drover::sync {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint32_t kInitialHashCredit = 16;
constexpr int kMaxAttempts = 4;
// Background fdatasync every this many written bytes (see flusher.h).
constexpr uint64_t kFlushEveryBytes = 2u << 20;

struct Preloaded {
  FileIdentity identity;
  Layout layout;
  VolumeDigests digests;
};

struct InFlight {
  std::unique_ptr<ChunkPatch> patch;  // set once Data arrived
  std::vector<Span> runs;
  int attempts = 1;
};

}  // namespace

class Receiver::Session {
 public:
  explicit Session(ReceiverOptions o)
      : o_(std::move(o)),
        limiter_(o_.bandwidth_bytes_per_s),
        resume_(o_.state_dir),
        cache_(o_.state_dir.empty() ? "" : o_.state_dir + "/hashes") {}

  Status Bind() {
    if (!WellFormedTicket(o_.ticket)) return InvalidArgument("malformed transfer ticket");
    auto fd = OpenFile(o_.target_path, O_RDWR);
    if (!fd) return fd.error().WithContext("destination volume");
    fd_ = std::move(*fd);
    flusher_ = std::make_unique<Flusher>(fd_.get(), o_.target_path, kFlushEveryBytes);
    auto server = DataServer::Bind(o_.bind_endpoint, o_.own_keys, o_.source_public_key);
    if (!server) return server.error();
    server_ = std::move(*server);
    // The target's cached digests (4 MiB a GiB, read and checked) load while
    // the source connects and completes its CURVE handshake, instead of
    // after its Hello, where every request waited for them.
    if (cache_.enabled()) preload_.Start([this] { return PreloadDigests(); }, nullptr);
    return Status::Ok();
  }

  const std::string& endpoint() const { return server_->endpoint(); }

  Result<SyncReport> Run() {
    start_ = Clock::now();
    Status s = Loop();
    stop_ = true;
    discovery_.Join();
    if (!s.ok()) {
      if (session_open_) {
        (void)SaveResumePoint(/*force=*/true);
        Refuse r{static_cast<uint32_t>(s.code()), s.message()};
        (void)server_->Send(peer_, Encode(r));
      }
      return Err(s);
    }
    report_.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    report_.bytes_sent = server_->bytes_sent();
    report_.bytes_received = server_->bytes_received();
    Report(Phase::kDone);
    return report_;
  }

 private:
  // ------------------------------------------------------------ main loop
  Status Loop() {
    auto last_recv = Clock::now();
    for (;;) {
      if (o_.cancel && o_.cancel->load()) return Aborted("sync cancelled");
      if (session_open_) RETURN_STATUS_IF_ERROR(Pump());
      if (finished_) return Status::Ok();
      // The discovery thread wakes us when it is done.
      auto in = server_->Receive(std::chrono::milliseconds(50), &wake_);
      if (!in) return in.error();
      auto now = Clock::now();
      if (!*in) {
        if (!session_open_ && now - start_ > o_.accept_timeout) {
          return Timeout("no source presented the ticket within " +
                         std::to_string(o_.accept_timeout.count()) + " ms");
        }
        if (session_open_ && now - last_recv > o_.peer_timeout) {
          return Unavailable("source silent for " + std::to_string(o_.peer_timeout.count()) +
                             " ms");
        }
        if (session_open_ && now - last_send_ > std::chrono::seconds(1)) {
          RETURN_STATUS_IF_ERROR(Send(Ping{}));
        }
        continue;
      }
      auto msg = Decode((*in)->payload);
      if (!msg) {
        if ((*in)->peer != peer_) continue;  // noise from a refused peer
        return msg.error().WithContext("from source");
      }
      if (auto* hello = std::get_if<Hello>(&*msg)) {
        RETURN_STATUS_IF_ERROR(OnHello((*in)->peer, *hello));
        if (session_open_ && (*in)->peer == peer_) last_recv = now;
        continue;
      }
      if (!session_open_ || (*in)->peer != peer_) continue;  // no ticket, no say
      last_recv = now;
      RETURN_STATUS_IF_ERROR(Handle(*msg));
    }
  }

  Status Send(const Message& m) {
    std::vector<uint8_t> frame = Encode(m);
    limiter_.Acquire(frame.size());
    last_send_ = Clock::now();
    return server_->Send(peer_, frame);
  }

  void Report(Phase phase) {
    phase_ = phase;
    if (o_.progress)
      o_.progress(Progress{phase, done_, layout_.chunk_count(), server_->bytes_sent()});
  }

  // ------------------------------------------------------------ session open
  Status RefusePeer(const std::string& peer, Code code, const std::string& why) {
    ++refused_hellos_;
    return server_->Send(peer, Encode(Refuse{static_cast<uint32_t>(code), why}));
  }

  Status OnHello(const std::string& peer, const Hello& h) {
    if (ticket_spent_) {
      return RefusePeer(peer, Code::kPermissionDenied, "transfer ticket already used");
    }
    if (!TicketsEqual(h.ticket, o_.ticket)) {
      return RefusePeer(peer, Code::kPermissionDenied, "wrong transfer ticket");
    }
    ticket_spent_ = true;
    peer_ = peer;
    session_open_ = true;
    // The first resume point is due one interval into the session, not at
    // once: a save costs an fdatasync and an fsync'd file, and a session
    // shorter than the interval needs none (failures save anyway).
    last_save_ = Clock::now();
    if (h.version != kProtocolVersion) {
      return InvalidArgument("source speaks data protocol " + std::to_string(h.version) +
                             ", this agent " + std::to_string(kProtocolVersion));
    }
    layout_ = Layout{h.size, h.chunk_size, h.block_size};
    if (!layout_.Valid()) return InvalidArgument("source proposed an invalid chunk layout");
    source_id_ = h.source_id;
    source_change_list_ = (h.flags & kHelloChangeList) != 0;
    report_.volume_bytes = h.size;
    report_.chunks_total = layout_.chunk_count();
    RETURN_STATUS_IF_ERROR(SizeTarget());
    if (auto p = resume_.Load(o_.target_path);
        p && p->source_id == source_id_ && p->size == h.size && p->chunk_size == h.chunk_size) {
      resume_chunk_ = std::min(p->next_chunk, layout_.chunk_count());
      resume_prefix_ = p->prefix_digest;
    }
    report_.resumed_from_chunk = resume_chunk_;
    watermark_saved_ = resume_chunk_;
    src_.assign(layout_.chunk_count(), Digest{});
    Report(Phase::kDiscover);
    discovery_.Start(
        [this]() -> Result<Discovery> {
          if (auto d = TakePreloaded()) return std::move(*d);
          return DiscoverDestination(fd_.get(), o_.target_path, o_.cache_tag, layout_, cache_,
                                     resume_chunk_, o_.hash_threads, &stop_);
        },
        &wake_);
    return Send(Welcome{resume_chunk_, kInitialHashCredit});
  }

  // The cached digests as they were at Bind, whatever layout they had.
  Result<Preloaded> PreloadDigests() const {
    ASSIGN_OR_RETURN(FileIdentity id, IdentifyFile(fd_.get(), o_.cache_tag));
    ASSIGN_OR_RETURN(Layout layout, cache_.StoredLayout(o_.target_path));
    ASSIGN_OR_RETURN(VolumeDigests digests, cache_.Load(o_.target_path, id, layout));
    if (o_.test_after_preload) o_.test_after_preload();
    return Preloaded{std::move(id), layout, std::move(digests)};
  }

  // The preloaded digests, if they are for the layout the source proposed
  // and the target is still what they describe (SizeTarget may have resized
  // it since, and anything else may have written it).
  std::optional<Discovery> TakePreloaded() {
    if (!preload_.pending()) return std::nullopt;
    Result<Preloaded> pre = preload_.Take();
    if (!pre || pre->layout != layout_) return std::nullopt;
    auto now = IdentifyFile(fd_.get(), o_.cache_tag);
    if (!now || *now != pre->identity) return std::nullopt;
    Discovery d;
    d.digests = std::move(pre->digests);
    d.method = DiscoveryMethod::kCache;
    return d;
  }

  Status SizeTarget() {
    auto size = DescriptorSize(fd_.get());
    if (!size) return size.error();
    if (*size == layout_.size) return Status::Ok();
    auto id = IdentifyFile(fd_.get());
    if (!id) return id.error();
    if (id->block_device) {
      if (*size < layout_.size) {
        return InvalidArgument("destination volume " + o_.target_path + " has " +
                               std::to_string(*size) + " bytes, the source " +
                               std::to_string(layout_.size));
      }
      return Status::Ok();
    }
    if (::ftruncate(fd_.get(), static_cast<off_t>(layout_.size)) != 0) {
      return ErrnoStatus("resize " + o_.target_path, errno);
    }
    return Status::Ok();
  }

  // ------------------------------------------------------------ messages
  Status Handle(const Message& m) {
    if (auto* h = std::get_if<Hashes>(&m)) return OnHashes(*h);
    if (auto* e = std::get_if<HashesEnd>(&m)) {
      src_root_ = e->root;
      hashes_end_ = true;
      return Status::Ok();
    }
    if (auto* d = std::get_if<Data>(&m)) return OnData(*d);
    if (auto* b = std::get_if<DataBatch>(&m)) {
      for (const Data& d : b->items) RETURN_STATUS_IF_ERROR(OnData(d));
      return Status::Ok();
    }
    if (auto* d = std::get_if<Delta>(&m)) return OnDelta(*d);
    if (auto* r = std::get_if<Refuse>(&m)) {
      return Status(static_cast<Code>(r->code), "source gave up: " + r->reason);
    }
    if (std::holds_alternative<Ping>(m)) return Status::Ok();
    return InvalidArgument(std::string("unexpected ") + MessageName(m) + " from source");
  }

  Status OnHashes(const Hashes& h) {
    if (h.first != src_known_ || h.first + h.digests.size() > src_.size()) {
      return InvalidArgument("source digests out of order");
    }
    std::copy(h.digests.begin(), h.digests.end(), src_.begin() + h.first);
    src_known_ += h.digests.size();
    return Send(Credit{1, done_});
  }

  Status OnData(const Data& d) {
    auto it = inflight_.find(d.chunk);
    if (it == inflight_.end() || it->second.patch) return InvalidArgument("unrequested Data");
    if (d.runs.empty() && d.chunk >= blocks_known_from_ && WholeBlocks(d)) return ApplyBlocks(d);
    auto old = ReadChunk(d.chunk);
    if (!old) return old.error();
    it->second.patch = std::make_unique<ChunkPatch>(std::move(*old));
    Status s = it->second.patch->ApplyLiterals(d.literals);
    if (!s.ok()) return Retry(d.chunk, s);
    if (d.runs.empty()) return Finish(d.chunk);
    auto sigs = it->second.patch->Signatures(d.runs, layout_.block_size);
    if (!sigs) return Retry(d.chunk, sigs.error());
    it->second.runs = d.runs;
    return Send(Sig{d.chunk, std::move(*sigs)});
  }

  Status OnDelta(const Delta& d) {
    auto it = inflight_.find(d.chunk);
    if (it == inflight_.end() || !it->second.patch) return InvalidArgument("unrequested Delta");
    Status s = it->second.patch->ApplyDeltas(it->second.runs, d.deltas);
    if (!s.ok()) return Retry(d.chunk, s);
    return Finish(d.chunk);
  }

  // ------------------------------------------------------------ chunks
  Result<std::vector<uint8_t>> ReadChunk(uint64_t chunk) {
    std::vector<uint8_t> buf(layout_.ChunkLength(chunk));
    RETURN_IF_ERROR(PreadFull(fd_.get(), buf, layout_.ChunkOffset(chunk)));
    report_.bytes_read += buf.size();
    return buf;
  }

  Status Finish(uint64_t chunk) {
    InFlight& f = inflight_[chunk];
    const auto& bytes = f.patch->bytes();
    std::vector<Digest> blocks(layout_.BlocksIn(chunk));
    if (HashChunk(bytes, layout_.block_size, blocks.data()) != src_[chunk]) {
      return Retry(chunk, InvalidArgument("chunk digest differs from the source's"));
    }
    for (const Span& span : f.patch->dirty()) {
      Status s =
          PwriteFull(fd_.get(), std::span<const uint8_t>(bytes.data() + span.offset, span.length),
                     layout_.ChunkOffset(chunk) + span.offset);
      if (!s.ok()) return WriteError(s, chunk);
    }
    StartWriteback(f.patch->dirty());
    return Written(chunk, blocks);
  }

  // Bookkeeping once a verified chunk is on disk: its block digests now
  // describe our bytes (the cache and later fast-path chunks rely on it).
  Status Written(uint64_t chunk, const std::vector<Digest>& blocks) {
    std::copy(blocks.begin(), blocks.end(), dst_->blocks.begin() + layout_.FirstBlock(chunk));
    written_.push_back(chunk);
    ++report_.chunks_changed;
    ++done_;
    inflight_.erase(chunk);
    return Status::Ok();
  }

  // Data that only replaces whole blocks (the last block of the volume may
  // be partial) and needs no librsync: the fast path applies.
  bool WholeBlocks(const Data& d) const {
    const uint64_t bs = layout_.block_size, len = layout_.ChunkLength(d.chunk);
    for (const Literal& l : d.literals) {
      const uint64_t end = uint64_t{l.offset} + l.length;
      if (l.length == 0 || end > len || l.offset % bs != 0 || (l.length % bs != 0 && end != len)) {
        return false;
      }
    }
    return true;
  }

  // The fast path: our block digests are true to our bytes (from the cache
  // of an untouched file, or hashed in this session, and updated on every
  // write), so the chunk's new digest follows from the digests of the new
  // blocks and of the blocks it keeps, without reading the chunk. Only a
  // chunk whose digest equals the source's is written.
  Status ApplyBlocks(const Data& d) {
    const uint64_t first = layout_.FirstBlock(d.chunk);
    const uint32_t bs = layout_.block_size;
    std::vector<Digest> blocks(dst_->blocks.begin() + first,
                               dst_->blocks.begin() + first + layout_.BlocksIn(d.chunk));
    // Stored literals are used where they lie in the message; only packed
    // ones are unpacked (into `unpacked`, which `raws` then points into).
    std::vector<std::vector<uint8_t>> unpacked;
    unpacked.reserve(d.literals.size());
    std::vector<std::span<const uint8_t>> raws;
    std::vector<Span> spans;
    for (const Literal& l : d.literals) {
      std::span<const uint8_t> raw;
      if (l.data.compressed) {
        auto out = Decompress(l.data, l.length);
        if (!out) return Retry(d.chunk, out.error());
        unpacked.push_back(std::move(*out));
        raw = unpacked.back();
      } else {
        raw = l.data.bytes;
      }
      if (raw.size() != l.length || l.data.raw_len != l.length)
        return Retry(d.chunk, InvalidArgument("literal of wrong length"));
      for (uint32_t off = 0; off < l.length; off += bs) {
        blocks[(l.offset + off) / bs] =
            HashBlockDigest(raw.subspan(off, std::min<uint32_t>(bs, l.length - off)));
      }
      raws.push_back(raw);
      spans.push_back(Span{l.offset, l.length});
    }
    if (HashDigestList(blocks) != src_[d.chunk]) {
      return Retry(d.chunk, InvalidArgument("chunk digest differs from the source's"));
    }
    for (size_t k = 0; k < raws.size(); ++k) {
      Status s = PwriteFull(fd_.get(), raws[k], layout_.ChunkOffset(d.chunk) + spans[k].offset);
      if (!s.ok()) return WriteError(s, d.chunk);
    }
    StartWriteback(spans);
    return Written(d.chunk, blocks);
  }

  // Durability overlaps the transfer: the flusher syncs in the background
  // every few MiB, so the flush before success has only the tail left.
  void StartWriteback(const std::vector<Span>& spans) {
    for (const Span& sp : spans) flusher_->Wrote(sp.length);
  }

  Status WriteError(const Status& s, uint64_t chunk) {
    std::string where = " writing chunk " + std::to_string(chunk) + " of " + o_.target_path;
    if (s.message().find("No space left") != std::string::npos) {
      return IoError("destination pool full (no space left on device)" + where);
    }
    return s.WithContext("destination" + where);
  }

  // A chunk that failed its check (corruption, a bad frame) is asked again.
  Status Retry(uint64_t chunk, const Status& why) {
    InFlight& f = inflight_[chunk];
    if (f.attempts >= kMaxAttempts) {
      return IoError("chunk " + std::to_string(chunk) + " failed " + std::to_string(f.attempts) +
                     " times: " + why.message());
    }
    ++f.attempts;
    ++report_.chunks_resent;
    f.patch.reset();
    f.runs.clear();
    return RequestChunk(chunk);
  }

  Status RequestChunk(uint64_t chunk) {
    auto old = ReadChunk(chunk);
    if (!old) return old.error();
    return Send(Request{chunk, BlockKeys(*old, layout_.block_size)});
  }

  std::string PrefixDigest(uint64_t n) const {
    return HashDigestList(std::span<const Digest>(src_.data(), n)).Hex();
  }

  // Once the source's digests cover the resume point: do they match the ones
  // the point was saved with? If not (a source_id reused for other content),
  // hash our own chunks below the point and compare everything.
  Status CheckResumePrefix() {
    if (resume_checked_ || src_known_ < resume_chunk_) return Status::Ok();
    resume_checked_ = true;
    if (resume_chunk_ == 0 || PrefixDigest(resume_chunk_) == resume_prefix_) return Status::Ok();
    std::vector<uint64_t> below;
    for (uint64_t c = 0; c < resume_chunk_; ++c) below.push_back(c);
    RETURN_STATUS_IF_ERROR(
        HashSomeChunks(fd_.get(), layout_, below, *dst_, o_.hash_threads, &stop_));
    blocks_known_from_ = 0;
    for (uint64_t c : below) report_.bytes_read += layout_.ChunkLength(c);
    resume_chunk_ = 0;
    report_.resumed_from_chunk = 0;
    watermark_saved_ = 0;
    return Status::Ok();
  }

  // Compares what both sides know and keeps `window_chunks` requests in flight.
  Status Pump() {
    if (!dst_) {
      if (!discovery_.ready()) return Status::Ok();
      auto d = discovery_.Take();
      if (!d) return d.error().WithContext("hashing destination " + o_.target_path);
      dst_ = std::move(d->digests);
      dst_from_cache_ = d->method == DiscoveryMethod::kCache;
      // A hash from the resume point on leaves the blocks below unknown.
      blocks_known_from_ = dst_from_cache_ ? 0 : resume_chunk_;
      report_.discovery = MethodName(d->method);
      report_.bytes_read += d->bytes_read;
      Report(Phase::kTransfer);
    }
    RETURN_STATUS_IF_ERROR(CheckResumePrefix());
    if (!resume_checked_) return Status::Ok();
    // Requests go out in batches of a quarter window, so that several
    // batches are in flight and neither side waits for the other.
    const size_t batch_max = std::max<uint32_t>(1, o_.window_chunks / 4);
    RequestBatch batch;
    while (next_compare_ < src_known_ && inflight_.size() < o_.window_chunks) {
      uint64_t c = next_compare_++;
      if (c < resume_chunk_ || dst_->chunks[c] == src_[c]) {
        ++done_;
        continue;
      }
      inflight_[c] = InFlight{};
      if (source_change_list_ && dst_from_cache_) {
        // Our copy is what we last synced; the source knows what changed
        // since its base. If the two differ, the chunk check fails and the
        // retry compares blocks.
        batch.requests.push_back(Request{c, {}});
      } else if (c >= blocks_known_from_) {
        // Our block digests are true to our bytes (see ApplyBlocks): no
        // need to read the chunk again to describe it.
        batch.requests.push_back(
            Request{c, BlockKeys(std::span<const Digest>(
                           dst_->blocks.data() + layout_.FirstBlock(c), layout_.BlocksIn(c)))});
      } else {
        auto old = ReadChunk(c);
        if (!old) return old.error();
        batch.requests.push_back(Request{c, BlockKeys(*old, layout_.block_size)});
      }
      if (batch.requests.size() == batch_max) {
        RETURN_STATUS_IF_ERROR(Send(std::move(batch)));
        batch = RequestBatch{};
      }
    }
    if (!batch.requests.empty()) RETURN_STATUS_IF_ERROR(Send(std::move(batch)));
    RETURN_STATUS_IF_ERROR(SaveResumePoint(false));
    if (Clock::now() - last_progress_ > std::chrono::milliseconds(250)) {
      last_progress_ = Clock::now();
      Report(phase_);
      RETURN_STATUS_IF_ERROR(Send(Credit{0, done_}));
    }
    if (hashes_end_ && next_compare_ == layout_.chunk_count() && inflight_.empty()) {
      return Verify();
    }
    return Status::Ok();
  }

  uint64_t Watermark() const {
    return inflight_.empty() ? next_compare_ : std::min(next_compare_, inflight_.begin()->first);
  }

  Status SaveResumePoint(bool force) {
    uint64_t w = Watermark();
    if (w <= watermark_saved_) return Status::Ok();
    if (!force && Clock::now() - last_save_ < o_.resume_interval) return Status::Ok();
    last_save_ = Clock::now();
    if (Status s = flusher_->Sync(); !s.ok()) return WriteError(s, w);
    RETURN_STATUS_IF_ERROR(resume_.Save(
        o_.target_path,
        ResumePoint{source_id_, layout_.size, layout_.chunk_size, w, PrefixDigest(w)}));
    watermark_saved_ = w;
    return Status::Ok();
  }

  // ------------------------------------------------------------ verify
  Status Verify() {
    Report(Phase::kVerify);
    if (Status s = flusher_->Sync(); !s.ok()) return WriteError(s, layout_.chunk_count());
    std::vector<Digest> mine = dst_->chunks;
    for (uint64_t c = 0; c < resume_chunk_; ++c) mine[c] = src_[c];  // verified earlier
    // Changed chunks were hashed before they were written; unchanged ones
    // were hashed from this disk (now or, with the cache, in an earlier
    // round with the file untouched since). full_verify reads it all again.
    std::vector<uint64_t> reread;
    for (uint64_t c = 0; o_.full_verify && c < layout_.chunk_count(); ++c) reread.push_back(c);
    for (uint64_t c : written_) mine[c] = src_[c];
    for (uint64_t c : reread) {
      auto bytes = ReadChunk(c);
      if (!bytes) return bytes.error();
      mine[c] = HashChunk(*bytes, layout_.block_size, &dst_->blocks[layout_.FirstBlock(c)]);
    }
    if (o_.full_verify) blocks_known_from_ = 0;
    Digest root = HashDigestList(mine);
    if (root != src_root_) {
      return Internal("destination content hash " + root.Hex() + " differs from the source's " +
                      src_root_.Hex());
    }
    report_.content_hash = root.Hex();
    // The cache must describe every block; after a resumed session that
    // did not hash the chunks below its resume point it cannot.
    auto id = IdentifyFile(fd_.get(), o_.cache_tag);
    dst_->chunks = std::move(mine);
    if (id && blocks_known_from_ == 0) {
      (void)cache_.Store(o_.target_path, *id, layout_, *dst_);
    } else {
      cache_.Remove(o_.target_path);
    }
    resume_.Clear(o_.target_path);
    RETURN_STATUS_IF_ERROR(Send(Final{true, "", root}));
    finished_ = true;
    return Status::Ok();
  }

  ReceiverOptions o_;
  RateLimiter limiter_;
  ResumeStore resume_;
  HashCache cache_;
  UniqueFd fd_;
  std::unique_ptr<Flusher> flusher_;  // declared after fd_: joins before the close
  std::unique_ptr<DataServer> server_;
  std::string peer_, source_id_;
  bool source_change_list_ = false, dst_from_cache_ = false, resume_checked_ = false;
  std::string resume_prefix_;
  bool ticket_spent_ = false, session_open_ = false, hashes_end_ = false, finished_ = false;
  uint64_t refused_hellos_ = 0;
  Layout layout_;
  std::vector<Digest> src_;
  std::optional<VolumeDigests> dst_;
  uint64_t blocks_known_from_ = 0;  // dst_->blocks of chunks below this are unknown
  Digest src_root_;
  uint64_t src_known_ = 0, next_compare_ = 0, resume_chunk_ = 0, done_ = 0, watermark_saved_ = 0;
  std::map<uint64_t, InFlight> inflight_;
  std::vector<uint64_t> written_;
  std::atomic<bool> stop_{false};
  Wakeup wake_;                              // outlives the discovery thread
  Background<Result<Discovery>> discovery_;  // joined before the members above go
  Background<Result<Preloaded>> preload_;    // taken by the discovery thread, or joined here
  Phase phase_ = Phase::kConnect;
  SyncReport report_;
  Clock::time_point start_, last_send_, last_save_, last_progress_;
};

Receiver::Receiver(std::unique_ptr<Session> s) : session_(std::move(s)) {}
Receiver::~Receiver() = default;

Result<std::unique_ptr<Receiver>> Receiver::Bind(ReceiverOptions options) {
  auto session = std::make_unique<Session>(std::move(options));
  RETURN_IF_ERROR(session->Bind());
  return std::unique_ptr<Receiver>(new Receiver(std::move(session)));
}

const std::string& Receiver::endpoint() const { return session_->endpoint(); }

Result<SyncReport> Receiver::Run() { return session_->Run(); }

}  // namespace drover::sync
