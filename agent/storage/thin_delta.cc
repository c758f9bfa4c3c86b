#include "agent/storage/thin_delta.h"

#include <charconv>
#include <map>

namespace drover::storage {
namespace {

// One XML tag: its name (with a leading '/' for closing tags) and attributes.
struct Tag {
  std::string name;
  std::map<std::string, std::string> attrs;
};

Result<std::vector<Tag>> Tokenize(const std::string& xml) {
  std::vector<Tag> tags;
  size_t pos = 0;
  while ((pos = xml.find('<', pos)) != std::string::npos) {
    size_t end = xml.find('>', pos);
    if (end == std::string::npos) return Err(InvalidArgument("thin_delta: unterminated tag"));
    std::string body = xml.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (!body.empty() && (body[0] == '?' || body[0] == '!')) continue;
    if (!body.empty() && body.back() == '/') body.pop_back();
    Tag t;
    size_t i = body.find_first_of(" \t\n");
    t.name = body.substr(0, i);
    while (i != std::string::npos && i < body.size()) {
      size_t k = body.find_first_not_of(" \t\n", i);
      if (k == std::string::npos) break;
      size_t eq = body.find('=', k);
      if (eq == std::string::npos || eq + 1 >= body.size() || body[eq + 1] != '"') {
        return Err(InvalidArgument("thin_delta: malformed attribute in <" + t.name + ">"));
      }
      size_t close = body.find('"', eq + 2);
      if (close == std::string::npos) return Err(InvalidArgument("thin_delta: unterminated value"));
      t.attrs[body.substr(k, eq - k)] = body.substr(eq + 2, close - eq - 2);
      i = close + 1;
    }
    tags.push_back(std::move(t));
  }
  return tags;
}

Result<uint64_t> Number(const Tag& t, const char* attr) {
  auto it = t.attrs.find(attr);
  if (it == t.attrs.end()) {
    return Err(InvalidArgument("thin_delta: <" + t.name + "> lacks " + attr));
  }
  uint64_t v = 0;
  const std::string& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return Err(
        InvalidArgument("thin_delta: " + std::string(attr) + "=\"" + s + "\" is not a number"));
  }
  return v;
}

}  // namespace

Result<ThinDelta> ParseThinDelta(const std::string& xml) {
  ASSIGN_OR_RETURN(std::vector<Tag> tags, Tokenize(xml));
  ThinDelta d;
  bool saw_superblock = false, saw_diff = false;
  std::string group;  // verbose form: the enclosing <different> etc.
  std::vector<std::pair<uint64_t, uint64_t>> blocks;
  for (const Tag& t : tags) {
    if (t.name == "superblock") {
      ASSIGN_OR_RETURN(uint64_t sectors, Number(t, "data_block_size"));
      if (sectors == 0) return Err(InvalidArgument("thin_delta: data_block_size is 0"));
      d.data_block_bytes = sectors * 512;
      saw_superblock = true;
    } else if (t.name == "diff") {
      saw_diff = true;
    } else if (t.name == "same" || t.name == "different" || t.name == "left_only" ||
               t.name == "right_only" || t.name == "range") {
      bool has_range = t.attrs.count("begin") > 0;
      if (!has_range) {
        group = t.name;  // verbose opening tag
        continue;
      }
      const std::string& kind = t.name == "range" ? group : t.name;
      if (kind.empty()) return Err(InvalidArgument("thin_delta: <range> outside a group"));
      ASSIGN_OR_RETURN(uint64_t begin, Number(t, "begin"));
      ASSIGN_OR_RETURN(uint64_t length, Number(t, "length"));
      if (kind != "same") blocks.emplace_back(begin, length);
    } else if (t.name == "/same" || t.name == "/different" || t.name == "/left_only" ||
               t.name == "/right_only") {
      group.clear();
    } else if (t.name != "/diff" && t.name != "/superblock") {
      return Err(InvalidArgument("thin_delta: unexpected <" + t.name + ">"));
    }
  }
  if (!saw_superblock || !saw_diff) {
    return Err(InvalidArgument("thin_delta output lacks <superblock> or <diff>"));
  }
  for (auto [begin, length] : blocks) {
    d.changed.push_back(ByteRange{begin * d.data_block_bytes, length * d.data_block_bytes});
  }
  d.changed = NormalizeRanges(std::move(d.changed));
  return d;
}

}  // namespace drover::storage
