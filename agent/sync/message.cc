#include "agent/sync/message.h"

#include <cstring>

namespace drover::sync {
namespace {

constexpr uint32_t kMaxCount = 1 << 20;

// Counts the bytes a message encodes to, so that Writer allocates its frame
// once: a DataBatch of several hundred KiB built by appending was copied
// through a dozen reallocations, each a fresh mapping to fault in.
class SizeCounter {
 public:
  void U8(uint8_t) { n_ += 1; }
  void U32(uint32_t) { n_ += 4; }
  void U64(uint64_t) { n_ += 8; }
  void Bytes(std::span<const uint8_t> b) { n_ += 4 + b.size(); }
  void Str(const std::string& s) { n_ += 4 + s.size(); }
  void Dig(const Digest&) { n_ += 16; }
  void Pack(const Packed& p) { n_ += 1 + 4 + 4 + p.bytes.size(); }
  size_t size() const { return n_; }

 private:
  size_t n_ = 0;
};

class Writer {
 public:
  explicit Writer(size_t capacity) { out_.reserve(capacity); }
  void U8(uint8_t v) { out_.push_back(v); }
  void U32(uint32_t v) { Int(v, 4); }
  void U64(uint64_t v) { Int(v, 8); }
  void Bytes(std::span<const uint8_t> b) {
    U32(static_cast<uint32_t>(b.size()));
    out_.insert(out_.end(), b.begin(), b.end());
  }
  void Str(const std::string& s) {
    Bytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  }
  void Dig(const Digest& d) { U64(d.lo), U64(d.hi); }
  void Pack(const Packed& p) { U8(p.compressed ? 1 : 0), U32(p.raw_len), Bytes(p.bytes); }
  std::vector<uint8_t> Take() { return std::move(out_); }

 private:
  void Int(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> out_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  bool ok() const { return ok_ && pos_ == in_.size(); }
  uint8_t U8() { return static_cast<uint8_t>(Int(1)); }
  bool Bool() {
    uint8_t v = U8();
    if (v > 1) ok_ = false;  // one encoding per value
    return v == 1;
  }
  uint32_t U32() { return static_cast<uint32_t>(Int(4)); }
  uint64_t U64() { return Int(8); }
  std::vector<uint8_t> Bytes() {
    uint32_t n = U32();
    if (!Need(n)) return {};
    std::vector<uint8_t> b(in_.begin() + pos_, in_.begin() + pos_ + n);
    pos_ += n;
    return b;
  }
  std::string Str() {
    auto b = Bytes();
    return std::string(b.begin(), b.end());
  }
  Digest Dig() {
    Digest d;
    d.lo = U64();
    d.hi = U64();
    return d;
  }
  Packed Pack() {
    Packed p;
    p.compressed = Bool();
    p.raw_len = U32();
    p.bytes = Bytes();
    return p;
  }
  // A count of items each at least `min_size` bytes: bounded by what is left.
  uint32_t Count(size_t min_size) {
    uint32_t n = U32();
    if (n > kMaxCount) ok_ = false;
    if (!ok_ || !Need(static_cast<uint64_t>(n) * min_size)) return 0;
    return n;
  }

 private:
  bool Need(uint64_t n) {
    if (!ok_ || in_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  uint64_t Int(int n) {
    if (!Need(n)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(in_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

template <typename Sink>
struct EncodeVisitor {
  Sink& w;
  void operator()(const Hello& m) {
    w.U32(m.version), w.Str(m.ticket), w.Str(m.source_id), w.U64(m.size);
    w.U32(m.chunk_size), w.U32(m.block_size), w.U32(m.flags);
  }
  void operator()(const Welcome& m) { w.U64(m.resume_chunk), w.U32(m.hash_credit); }
  void operator()(const Refuse& m) { w.U32(m.code), w.Str(m.reason); }
  void operator()(const Hashes& m) {
    w.U64(m.first), w.U32(static_cast<uint32_t>(m.digests.size()));
    for (const auto& d : m.digests) w.Dig(d);
  }
  void operator()(const HashesEnd& m) { w.Dig(m.root); }
  void operator()(const Credit& m) { w.U32(m.hash_batches), w.U64(m.done_chunks); }
  void operator()(const Request& m) {
    w.U64(m.chunk), w.U32(static_cast<uint32_t>(m.blocks.size()));
    for (uint64_t b : m.blocks) w.U64(b);
  }
  void operator()(const Data& m) {
    w.U64(m.chunk), w.U32(static_cast<uint32_t>(m.literals.size()));
    for (const auto& l : m.literals) w.U32(l.offset), w.U32(l.length), w.Pack(l.data);
    w.U32(static_cast<uint32_t>(m.runs.size()));
    for (const auto& r : m.runs) w.U32(r.offset), w.U32(r.length);
  }
  void operator()(const Sig& m) {
    w.U64(m.chunk), w.U32(static_cast<uint32_t>(m.signatures.size()));
    for (const auto& s : m.signatures) w.Bytes(s);
  }
  void operator()(const Delta& m) {
    w.U64(m.chunk), w.U32(static_cast<uint32_t>(m.deltas.size()));
    for (const auto& d : m.deltas) w.Pack(d);
  }
  void operator()(const Final& m) { w.U8(m.ok ? 1 : 0), w.Str(m.message), w.Dig(m.root); }
  void operator()(const Ping&) {}
  void operator()(const RequestBatch& m) {
    w.U32(static_cast<uint32_t>(m.requests.size()));
    for (const auto& r : m.requests) (*this)(r);
  }
  void operator()(const DataBatch& m) {
    w.U32(static_cast<uint32_t>(m.items.size()));
    for (const auto& d : m.items) (*this)(d);
  }
};

template <typename T>
T DecodeBody(Reader& r);

template <>
Hello DecodeBody<Hello>(Reader& r) {
  Hello m;
  m.version = r.U32(), m.ticket = r.Str(), m.source_id = r.Str(), m.size = r.U64();
  m.chunk_size = r.U32(), m.block_size = r.U32(), m.flags = r.U32();
  return m;
}
template <>
Welcome DecodeBody<Welcome>(Reader& r) {
  Welcome m;
  m.resume_chunk = r.U64(), m.hash_credit = r.U32();
  return m;
}
template <>
Refuse DecodeBody<Refuse>(Reader& r) {
  Refuse m;
  m.code = r.U32(), m.reason = r.Str();
  return m;
}
template <>
Hashes DecodeBody<Hashes>(Reader& r) {
  Hashes m;
  m.first = r.U64();
  m.digests.resize(r.Count(16));
  for (auto& d : m.digests) d = r.Dig();
  return m;
}
template <>
HashesEnd DecodeBody<HashesEnd>(Reader& r) {
  return HashesEnd{r.Dig()};
}
template <>
Credit DecodeBody<Credit>(Reader& r) {
  Credit m;
  m.hash_batches = r.U32(), m.done_chunks = r.U64();
  return m;
}
template <>
Request DecodeBody<Request>(Reader& r) {
  Request m;
  m.chunk = r.U64();
  m.blocks.resize(r.Count(8));
  for (auto& b : m.blocks) b = r.U64();
  return m;
}
template <>
Data DecodeBody<Data>(Reader& r) {
  Data m;
  m.chunk = r.U64();
  m.literals.resize(r.Count(17));
  for (auto& l : m.literals) l.offset = r.U32(), l.length = r.U32(), l.data = r.Pack();
  m.runs.resize(r.Count(8));
  for (auto& s : m.runs) s.offset = r.U32(), s.length = r.U32();
  return m;
}
template <>
Sig DecodeBody<Sig>(Reader& r) {
  Sig m;
  m.chunk = r.U64();
  m.signatures.resize(r.Count(4));
  for (auto& s : m.signatures) s = r.Bytes();
  return m;
}
template <>
Delta DecodeBody<Delta>(Reader& r) {
  Delta m;
  m.chunk = r.U64();
  m.deltas.resize(r.Count(9));
  for (auto& d : m.deltas) d = r.Pack();
  return m;
}
template <>
Final DecodeBody<Final>(Reader& r) {
  Final m;
  m.ok = r.Bool(), m.message = r.Str(), m.root = r.Dig();
  return m;
}
template <>
Ping DecodeBody<Ping>(Reader&) {
  return Ping{};
}

template <>
RequestBatch DecodeBody<RequestBatch>(Reader& r) {
  RequestBatch m;
  m.requests.resize(r.Count(12));
  for (auto& q : m.requests) q = DecodeBody<Request>(r);
  return m;
}
template <>
DataBatch DecodeBody<DataBatch>(Reader& r) {
  DataBatch m;
  m.items.resize(r.Count(16));
  for (auto& d : m.items) d = DecodeBody<Data>(r);
  return m;
}

template <size_t I = 0>
Result<Message> DecodeIndex(size_t index, Reader& r) {
  if constexpr (I < std::variant_size_v<Message>) {
    if (index == I) return Message(DecodeBody<std::variant_alternative_t<I, Message>>(r));
    return DecodeIndex<I + 1>(index, r);
  } else {
    return Err(InvalidArgument("unknown message type " + std::to_string(index + 1)));
  }
}

}  // namespace

std::vector<uint8_t> Encode(const Message& m) {
  SizeCounter count;
  std::visit(EncodeVisitor<SizeCounter>{count}, m);
  Writer w(1 + count.size());
  w.U8(static_cast<uint8_t>(m.index() + 1));
  std::visit(EncodeVisitor<Writer>{w}, m);
  return w.Take();
}

Result<Message> Decode(std::span<const uint8_t> frame) {
  if (frame.empty()) return Err(InvalidArgument("empty message"));
  Reader r(frame.subspan(1));
  ASSIGN_OR_RETURN(Message m, DecodeIndex(static_cast<size_t>(frame[0]) - 1, r));
  if (!r.ok()) return Err(InvalidArgument(std::string("malformed ") + MessageName(m) + " message"));
  return m;
}

const char* MessageName(const Message& m) {
  static const char* kNames[] = {"Hello",  "Welcome", "Refuse",       "Hashes",   "HashesEnd",
                                 "Credit", "Request", "Data",         "Sig",      "Delta",
                                 "Final",  "Ping",    "RequestBatch", "DataBatch"};
  return kNames[m.index()];
}

}  // namespace drover::sync
