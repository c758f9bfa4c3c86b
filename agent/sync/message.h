// The data channel's messages (protocol version 2; see docs/sync.md).
//
// One ZeroMQ frame per message: a type byte, then fixed little-endian fields
// and u32-length-prefixed byte strings. Decode never trusts a length: a
// truncated, oversized or unknown message is an InvalidArgument, never a
// crash. S = source agent (sender), D = destination agent (receiver).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "agent/sync/compress.h"
#include "agent/sync/hash.h"
#include "common/status.h"

namespace drover::sync {

// 2: chunk digests are digests of block digests (hash.h).
// 3: a Request names blocks by BlockKey (the low half of the block digest).
inline constexpr uint32_t kProtocolVersion = 3;

// S→D, first message: presents the one-time ticket.
struct Hello {
  uint32_t version = kProtocolVersion;
  std::string ticket;
  std::string source_id;  // identifies the source snapshot; resume needs the same one
  uint64_t size = 0;
  uint32_t chunk_size = 0;
  uint32_t block_size = 0;
  uint32_t flags = 0;  // kHelloChangeList
};
// The source knows exactly which ranges changed since its base snapshot: a
// Request without block digests asks it to send those ranges.
inline constexpr uint32_t kHelloChangeList = 1;
// D→S: the ticket is accepted; start at `resume_chunk`.
struct Welcome {
  uint64_t resume_chunk = 0;
  uint32_t hash_credit = 0;  // batches of source digests S may send now
};
// Either side: the sync cannot go on (wrong ticket, pool full, ...).
struct Refuse {
  uint32_t code = 0;  // drover::Code
  std::string reason;
};
// S→D: source chunk digests [first, first + digests.size()).
struct Hashes {
  uint64_t first = 0;
  std::vector<Digest> digests;
};
// S→D: all digests sent; the source content hash.
struct HashesEnd {
  Digest root;
};
// D→S: more hash batches allowed, and progress (chunks verified so far).
struct Credit {
  uint32_t hash_batches = 0;
  uint64_t done_chunks = 0;
};
// D→S: chunk differs; here are D's block digests for it (none: send the
// ranges your change list names, see kHelloChangeList).
struct Request {
  uint64_t chunk = 0;
  std::vector<uint64_t> blocks;
};
// Changed bytes at `offset` within the chunk.
struct Literal {
  uint32_t offset = 0;
  uint32_t length = 0;
  Packed data;
};
struct Span {
  uint32_t offset = 0;
  uint32_t length = 0;
};
// S→D: literals for short changed runs; `runs` need librsync (D answers Sig).
struct Data {
  uint64_t chunk = 0;
  std::vector<Literal> literals;
  std::vector<Span> runs;
};
// D→S: librsync signatures of D's old bytes, one per run of the Data.
struct Sig {
  uint64_t chunk = 0;
  std::vector<std::vector<uint8_t>> signatures;
};
// S→D: librsync deltas (zstd-packed), one per run.
struct Delta {
  uint64_t chunk = 0;
  std::vector<Packed> deltas;
};
// D→S, last message: the outcome.
struct Final {
  bool ok = false;
  std::string message;
  Digest root;
};
struct Ping {};
// D→S: several Requests in one frame; S answers with one DataBatch.
struct RequestBatch {
  std::vector<Request> requests;
};
// S→D: the Data answering one RequestBatch, in its order.
struct DataBatch {
  std::vector<Data> items;
};

using Message = std::variant<Hello, Welcome, Refuse, Hashes, HashesEnd, Credit, Request, Data, Sig,
                             Delta, Final, Ping, RequestBatch, DataBatch>;

std::vector<uint8_t> Encode(const Message& m);
Result<Message> Decode(std::span<const uint8_t> frame);
const char* MessageName(const Message& m);

}  // namespace drover::sync
