#include "common/wire/heartbeat.h"

#include "common/wire/codec.h"
#include "common/wire/protocol.h"

namespace drover::wire {
namespace {

// Characters that need no JSON escaping and that our ids are made of.
bool IsPlainIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool IsPlainId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    if (!IsPlainIdChar(c)) return false;
  }
  return true;
}

// Consumes `literal` at the front of `s`.
bool Eat(std::string_view& s, std::string_view literal) {
  if (s.substr(0, literal.size()) != literal) return false;
  s.remove_prefix(literal.size());
  return true;
}

}  // namespace

std::optional<Heartbeat> ParseHeartbeat(std::string_view s) {
  Heartbeat hb;
  if (!Eat(s, R"({"body":{"ack":)")) return std::nullopt;
  if (Eat(s, "true")) {
    hb.ack = true;
  } else if (!Eat(s, "false")) {
    return std::nullopt;
  }
  if (!Eat(s, R"(,"seq":)")) return std::nullopt;
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  // At most 18 digits always fit an int64_t; a leading zero is not JSON.
  if (digits == 0 || digits > 18 || (digits > 1 && s[0] == '0')) return std::nullopt;
  for (size_t i = 0; i < digits; ++i) hb.seq = hb.seq * 10 + (s[i] - '0');
  s.remove_prefix(digits);
  static_assert(kWireVersion == 1, "the literal below spells the wire version");
  if (!Eat(s, R"(},"drover":1,"id":")")) return std::nullopt;
  size_t end = s.find('"');
  if (end == std::string_view::npos || !IsPlainId(s.substr(0, end))) return std::nullopt;
  hb.id = s.substr(0, end);
  s.remove_prefix(end);
  if (!Eat(s, R"(","type":"heartbeat"})") || !s.empty()) return std::nullopt;
  return hb;
}

std::string EncodeHeartbeatAck(std::string_view id, std::string_view re, int64_t seq) {
  if (!IsPlainId(id) || !IsPlainId(re)) {
    // Not our ids: let the general encoder do the escaping.
    Message request{"heartbeat", std::string(re), "", {}};
    return Encode(MakeReply(request, std::string(id), {{"seq", seq}}));
  }
  std::string out;
  out.reserve(64 + id.size() + re.size());
  out += R"({"body":{"seq":)";
  out += std::to_string(seq);
  out += R"(},"drover":1,"id":")";
  out += id;
  out += R"(","re":")";
  out += re;
  out += R"(","type":"reply"})";
  return out;
}

}  // namespace drover::wire
