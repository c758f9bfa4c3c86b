#include "agent/sync/sender.h"

#include <fcntl.h>

#include <algorithm>
#include <map>
#include <memory>
#include <thread>

#include "agent/sync/background.h"
#include "agent/sync/data_channel.h"
#include "agent/sync/encode.h"
#include "agent/sync/message.h"
#include "agent/sync/rate_limiter.h"
#include "common/file_io.h"

namespace drover::sync {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kHashBatch = 4096;

class SenderSession {
 public:
  explicit SenderSession(const SenderOptions& o) : o_(o), limiter_(o.bandwidth_bytes_per_s) {}

  Result<SyncReport> Run() {
    start_ = Clock::now();
    RETURN_IF_ERROR(OpenSource());
    // Connect before discovery starts: the handshake then does not compete
    // for the cores with FIEMAP and the cache load, and the destination
    // starts loading its own digests (at Hello) a few milliseconds sooner.
    // A channel that cannot be set up costs no discovery.
    Status s = Connect();
    if (s.ok()) {
      Report(Phase::kDiscover);
      discovery_.Start(
          [this] {
            return DiscoverSource(fd_.get(), o_.source_path, o_.cache_tag, layout_,
                                  HashCache(o_.cache_dir), o_.base, o_.hash_threads, &stop_,
                                  &progress_);
          },
          &wake_);
      s = Loop();
    }
    stop_ = true;
    discovery_.Join();
    if (cache_store_.joinable()) cache_store_.join();
    if (!s.ok()) return Err(s);
    if (!cache_stored_.ok()) {
      report_.discovery_note += (report_.discovery_note.empty() ? "" : "; ") +
                                std::string("hash cache not saved: ") + cache_stored_.ToString();
    }
    report_.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    report_.bytes_sent = channel_->bytes_sent();
    report_.bytes_received = channel_->bytes_received();
    Report(Phase::kDone);
    return report_;
  }

 private:
  Status OpenSource() {
    auto fd = OpenFile(o_.source_path, O_RDONLY);
    if (!fd) return fd.error();
    fd_ = std::move(*fd);
    auto size = DescriptorSize(fd_.get());
    if (!size) return size.error();
    layout_ = Layout{*size, o_.chunk_size, o_.block_size};
    if (!layout_.Valid()) return InvalidArgument("chunk size must be a multiple of block size");
    listed_.assign(layout_.chunk_count(), false);
    report_.volume_bytes = *size;
    report_.chunks_total = layout_.chunk_count();
    source_id_ = o_.source_id;
    if (source_id_.empty()) {
      auto id = IdentifyFile(fd_.get(), o_.cache_tag);
      if (!id) return id.error();
      source_id_ = o_.source_path + "@" + std::to_string(id->ino) + ":" + std::to_string(id->size) +
                   ":" + std::to_string(id->mtime_ns);
    }
    return Status::Ok();
  }

  Status Connect() {
    auto ch = DataClient::Connect(o_.endpoint, o_.server_public_key, o_.own_keys);
    if (!ch) return ch.error();
    channel_ = std::move(*ch);
    Report(Phase::kConnect);
    return Send(Hello{kProtocolVersion, o_.ticket, source_id_, layout_.size, layout_.chunk_size,
                      layout_.block_size, o_.base ? kHelloChangeList : 0u});
  }

  Status Send(const Message& m) {
    std::vector<uint8_t> frame = Encode(m);
    limiter_.Acquire(frame.size());
    last_send_ = Clock::now();
    return channel_->Send(std::move(frame));
  }

  void Report(Phase phase) {
    phase_ = phase;
    if (!o_.progress) return;
    o_.progress(Progress{phase, done_chunks_, layout_.chunk_count(),
                         channel_ ? channel_->bytes_sent() : 0});
  }

  Status Loop() {
    auto last_recv = Clock::now();
    for (;;) {
      if (o_.cancel && o_.cancel->load()) return Aborted("sync cancelled");
      RETURN_STATUS_IF_ERROR(PumpHashes());
      // The discovery thread wakes us when it publishes a region or is done.
      auto in = channel_->Receive(std::chrono::milliseconds(50), &wake_);
      if (!in) return in.error();
      auto now = Clock::now();
      if (!*in) {
        if (now - last_recv > o_.peer_timeout) {
          return Unavailable("destination " + o_.endpoint + " silent for " +
                             std::to_string(o_.peer_timeout.count()) + " ms");
        }
        if (now - last_send_ > std::chrono::seconds(1)) RETURN_STATUS_IF_ERROR(Send(Ping{}));
        continue;
      }
      last_recv = now;
      auto msg = Decode((*in)->payload);
      if (!msg) return msg.error().WithContext("from destination");
      RETURN_STATUS_IF_ERROR(Handle(*msg));
      if (finished_) return Status::Ok();
    }
  }

  Status Handle(const Message& m) {
    if (auto* w = std::get_if<Welcome>(&m)) {
      welcomed_ = true;
      hash_credit_ += w->hash_credit;
      report_.resumed_from_chunk = w->resume_chunk;
      Report(Phase::kTransfer);
      return Status::Ok();
    }
    if (auto* r = std::get_if<Refuse>(&m)) {
      return Status(static_cast<Code>(r->code), "destination refused: " + r->reason);
    }
    if (!welcomed_) {
      if (std::holds_alternative<Ping>(m)) return Status::Ok();
      return InvalidArgument(std::string("destination sent ") + MessageName(m) + " before Welcome");
    }
    if (auto* c = std::get_if<Credit>(&m)) {
      hash_credit_ += c->hash_batches;
      if (c->done_chunks != done_chunks_) {
        done_chunks_ = c->done_chunks;
        Report(phase_);
      }
      return Status::Ok();
    }
    if (auto* r = std::get_if<Request>(&m)) return OnRequest(*r);
    if (auto* b = std::get_if<RequestBatch>(&m)) return OnRequestBatch(*b);
    if (auto* s = std::get_if<Sig>(&m)) return OnSig(*s);
    if (auto* f = std::get_if<Final>(&m)) return OnFinal(*f);
    if (std::holds_alternative<Ping>(m)) return Status::Ok();
    return InvalidArgument(std::string("unexpected ") + MessageName(m) + " from destination");
  }

  // Streams source digests while the destination grants credit.
  Status PumpHashes() {
    if (!welcomed_ || hashes_end_sent_) return Status::Ok();
    if (!digests_) TakeRegions();
    if (!digests_ && discovery_.ready()) {
      auto d = discovery_.Take();
      if (!d) return d.error().WithContext("discovering changes in " + o_.source_path);
      report_.discovery = MethodName(d->method);
      report_.discovery_note = d->note;
      changes_ = std::move(d->changed);
      std::sort(changes_.begin(), changes_.end(),
                [](const ByteRange& a, const ByteRange& b) { return a.offset < b.offset; });
      report_.bytes_read += d->bytes_read;
      digests_ = std::make_shared<const VolumeDigests>(std::move(d->digests));
      if (d->store_in_cache) StoreInCache(d->identity);
      // Chunks whose every byte was hashed in this session need no second
      // check against the discovery digest when they are read again.
      whole_hashed_ = d->method == DiscoveryMethod::kFullHash;
      // Chunks the change list touches: their digests were derived from the
      // listed blocks (read now) and the base's other block digests.
      listed_.assign(layout_.chunk_count(), false);
      if (d->method == DiscoveryMethod::kChangeTracking) {
        for (uint64_t c : ChunksTouching(layout_, changes_)) listed_[c] = true;
      }
      known_ = digests_->chunks;
      root_ = HashDigestList(known_);
    }
    const std::vector<Digest>& chunks = known_;
    while (hash_credit_ > 0 && next_hash_ < chunks.size()) {
      size_t n = std::min(kHashBatch, chunks.size() - next_hash_);
      Hashes h{next_hash_,
               std::vector<Digest>(chunks.begin() + next_hash_, chunks.begin() + next_hash_ + n)};
      RETURN_STATUS_IF_ERROR(Send(std::move(h)));
      next_hash_ += n;
      --hash_credit_;
    }
    if (digests_ && next_hash_ == chunks.size()) {
      RETURN_STATUS_IF_ERROR(Send(HashesEnd{root_}));
      hashes_end_sent_ = true;
    }
    return Status::Ok();
  }

  // Regions a regional change discovery published: their digests go out
  // (and their chunks may be asked for) before the rest is examined.
  void TakeRegions() {
    for (DiscoveryProgress::Region& r : progress_.Take()) {
      if (r.first_chunk != known_.size()) continue;  // never: regions come in order
      known_.insert(known_.end(), r.chunks.begin(), r.chunks.end());
      for (uint64_t c : ChunksTouching(layout_, r.changed)) listed_[c] = true;
      changes_.insert(changes_.end(), r.changed.begin(), r.changed.end());
    }
  }

  // New digests are saved for the next round while the transfer runs: the
  // first digest sent need not wait for several MiB written to the cache.
  void StoreInCache(const FileIdentity& id) {
    cache_store_ = std::thread([this, id, digests = digests_] {
      cache_stored_ = HashCache(o_.cache_dir).Store(o_.source_path, id, layout_, *digests);
    });
  }

  Result<std::vector<uint8_t>> ReadChunk(uint64_t chunk) {
    if (chunk >= layout_.chunk_count()) return Err(InvalidArgument("chunk past the volume end"));
    std::vector<uint8_t> buf(layout_.ChunkLength(chunk));
    RETURN_IF_ERROR(PreadFull(fd_.get(), buf, layout_.ChunkOffset(chunk)));
    report_.bytes_read += buf.size();
    return buf;
  }

  // The blocks of `chunk` that `spans` (relative to the chunk) touch.
  std::vector<bool> BlocksOf(uint64_t chunk, const std::vector<Span>& spans) const {
    const uint64_t bs = layout_.block_size, n = layout_.BlocksIn(chunk),
                   len = layout_.ChunkLength(chunk);
    std::vector<bool> changed(n, false);
    for (const Span& sp : spans) {
      const uint64_t end = std::min<uint64_t>(len, uint64_t{sp.offset} + sp.length);
      for (uint64_t b = sp.offset / bs; b < n && b * bs < end; ++b) changed[b] = true;
    }
    return changed;
  }

  // Only the changed blocks of a chunk are read (each once, neighbours
  // together), into a reused buffer; the rest of the buffer is stale and
  // never sent.
  Result<std::span<const uint8_t>> ReadChangedBlocks(uint64_t chunk,
                                                     const std::vector<bool>& changed) {
    scratch_.resize(layout_.chunk_size);
    std::span<uint8_t> buf(scratch_.data(), layout_.ChunkLength(chunk));
    const uint64_t bs = layout_.block_size, n = layout_.BlocksIn(chunk);
    for (uint64_t b = 0; b < n;) {
      if (!changed[b]) {
        ++b;
        continue;
      }
      uint64_t e = b;
      while (e < n && changed[e]) ++e;
      const uint64_t a = b * bs, z = std::min<uint64_t>(buf.size(), e * bs);
      RETURN_IF_ERROR(PreadFull(fd_.get(), buf.subspan(a, z - a), layout_.ChunkOffset(chunk) + a));
      report_.bytes_read += z - a;
      b = e;
    }
    return std::span<const uint8_t>(buf);
  }

  Status OnRequest(const Request& r) {
    auto data = BuildData(r);
    if (!data) return data.error();
    return Send(std::move(*data));
  }

  // One frame answers a whole batch: fewer wake-ups on both sides.
  Status OnRequestBatch(const RequestBatch& b) {
    DataBatch out;
    for (const Request& r : b.requests) {
      auto data = BuildData(r);
      if (!data) return data.error();
      out.items.push_back(std::move(*data));
    }
    return Send(std::move(out));  // moved: a copy would duplicate every literal
  }

  Result<Data> BuildData(const Request& r) {
    if (r.chunk >= layout_.chunk_count())
      return Err(InvalidArgument("request past the volume end"));
    if (r.chunk >= known_.size()) {
      return Err(InvalidArgument("Request for a chunk whose digest was not sent"));
    }
    const bool by_change_list = r.blocks.empty() && o_.base;
    if (by_change_list && listed_[r.chunk]) {
      // The destination holds the base: the listed blocks, as literals, are
      // all it needs (no librsync round trip: a block device changes in
      // place, and whole blocks let the destination derive the chunk's
      // digest without reading the chunk).
      std::vector<Span> spans = ChangesIn(r.chunk);
      auto bytes = ReadChangedBlocks(r.chunk, BlocksOf(r.chunk, spans));
      if (!bytes) return Err(bytes.error());
      Data data;
      data.chunk = r.chunk;
      EncodeOptions eo{layout_.block_size, /*rsync_min_bytes=*/0, o_.zstd_level};
      uint64_t changed = PlanChangedRanges(*bytes, spans, eo, data);
      return Account(r.chunk, changed, std::move(data));
    }
    if (whole_hashed_ && !by_change_list && r.blocks.size() == layout_.BlocksIn(r.chunk) &&
        digests_->blocks.size() == layout_.block_count()) {
      return FromBlockKeys(r);
    }
    auto bytes = ReadChunk(r.chunk);
    if (!bytes) return Err(bytes.error());
    if (!whole_hashed_ && HashChunk(*bytes, layout_.block_size) != known_[r.chunk]) {
      return Err(Aborted("source chunk " + std::to_string(r.chunk) +
                         " differs from its discovery digest: the snapshot changed during the "
                         "sync (snapshots must not be written)" +
                         (listed_[r.chunk] ? ", or the change list missed a write" : "")));
    }
    Data data;
    data.chunk = r.chunk;
    EncodeOptions eo{layout_.block_size, o_.rsync_min_bytes, o_.zstd_level};
    uint64_t changed = by_change_list ? PlanChangedRanges(*bytes, ChangesIn(r.chunk), eo, data)
                                      : PlanChunk(*bytes, r.blocks, eo, data);
    return Account(r.chunk, changed, std::move(data));
  }

  // The destination described its blocks, and this session hashed every
  // block of ours, so only the blocks that differ are read. (Digests from a
  // cache or derived from a change list are not trusted this far: the whole
  // chunk is read and checked instead, which is what catches a change list
  // that missed a write.)
  Result<Data> FromBlockKeys(const Request& r) {
    const uint64_t first = layout_.FirstBlock(r.chunk), n = layout_.BlocksIn(r.chunk);
    std::vector<bool> changed(n);
    for (uint64_t b = 0; b < n; ++b) {
      changed[b] = BlockKey(digests_->blocks[first + b]) != r.blocks[b];
    }
    auto bytes = ReadChangedBlocks(r.chunk, changed);
    if (!bytes) return Err(bytes.error());
    Data data;
    data.chunk = r.chunk;
    EncodeOptions eo{layout_.block_size, o_.rsync_min_bytes, o_.zstd_level};
    uint64_t n_changed = PlanBlocks(*bytes, changed, eo, data);
    return Account(r.chunk, n_changed, std::move(data));
  }

  Data Account(uint64_t chunk, uint64_t changed, Data data) {
    if (!requested_[chunk]) report_.bytes_changed += changed;
    requested_[chunk] = true;
    if (static_cast<int64_t>(chunk) == o_.test_corrupt_chunk && !corrupted_) {
      corrupted_ = true;
      Corrupt(data);
    }
    if (!data.runs.empty()) pending_runs_[chunk] = data.runs;
    return data;
  }

  // The change list's ranges inside `chunk`, relative to the chunk.
  std::vector<Span> ChangesIn(uint64_t chunk) const {
    const uint64_t begin = layout_.ChunkOffset(chunk), end = begin + layout_.ChunkLength(chunk);
    std::vector<Span> out;
    auto it = std::upper_bound(changes_.begin(), changes_.end(), begin,
                               [](uint64_t pos, const ByteRange& r) { return pos < r.offset; });
    if (it != changes_.begin()) --it;
    for (; it != changes_.end() && it->offset < end; ++it) {
      uint64_t a = std::max(begin, it->offset), b = std::min(end, it->offset + it->length);
      if (a < b)
        out.push_back(Span{static_cast<uint32_t>(a - begin), static_cast<uint32_t>(b - a)});
    }
    return out;
  }

  // Test hook: the wire carries wrong bytes for this chunk once.
  static void Corrupt(Data& data) {
    for (Literal& l : data.literals) {
      if (!l.data.bytes.empty()) {
        l.data.bytes[l.data.bytes.size() / 2] ^= 0x5a;
        return;
      }
    }
    for (Span& s : data.runs) s.length = s.length > 1 ? s.length - 1 : s.length;
  }

  Status OnSig(const Sig& s) {
    auto it = pending_runs_.find(s.chunk);
    if (it == pending_runs_.end()) return InvalidArgument("Sig for a chunk without runs");
    auto bytes = ReadChunk(s.chunk);
    if (!bytes) return bytes.error();
    auto deltas = EncodeRuns(*bytes, it->second, s.signatures, o_.zstd_level);
    pending_runs_.erase(it);
    if (!deltas) return deltas.error();
    return Send(Delta{s.chunk, std::move(*deltas)});
  }

  Status OnFinal(const Final& f) {
    if (!f.ok) return Aborted("destination failed: " + f.message);
    if (!digests_ || f.root != root_) {
      return Internal("destination content hash " + f.root.Hex() + " differs from the source's " +
                      root_.Hex());
    }
    report_.content_hash = root_.Hex();
    done_chunks_ = layout_.chunk_count();
    finished_ = true;
    return Status::Ok();
  }

  const SenderOptions& o_;
  RateLimiter limiter_;
  UniqueFd fd_;
  Layout layout_;
  std::string source_id_;
  std::unique_ptr<DataClient> channel_;
  std::atomic<bool> stop_{false};
  // Discovery's chunk and block digests (the blocks for FromBlockKeys),
  // shared with the thread that saves them in the hash cache.
  std::shared_ptr<const VolumeDigests> digests_;  // set once discovery ended
  Wakeup wake_;                                   // outlives the discovery thread
  DiscoveryProgress progress_{[this] { wake_.Signal(); }};
  Background<Result<Discovery>> discovery_;  // joined before the members above go
  std::vector<Digest> known_;                // chunk digests sent or ready to send, from chunk 0
  std::thread cache_store_;
  Status cache_stored_;  // the background save's outcome, once joined
  Digest root_;
  bool welcomed_ = false, hashes_end_sent_ = false, finished_ = false, corrupted_ = false;
  uint64_t hash_credit_ = 0, next_hash_ = 0, done_chunks_ = 0;
  std::map<uint64_t, std::vector<Span>> pending_runs_;
  std::map<uint64_t, bool> requested_;
  bool whole_hashed_ = false;
  std::vector<bool> listed_;
  std::vector<uint8_t> scratch_;    // ReadChangedBlocks' buffer
  std::vector<ByteRange> changes_;  // sorted by offset
  Phase phase_ = Phase::kConnect;
  SyncReport report_;
  Clock::time_point start_, last_send_;
};

}  // namespace

Result<SyncReport> RunSender(const SenderOptions& options) {
  SenderSession session(options);
  return session.Run();
}

}  // namespace drover::sync
