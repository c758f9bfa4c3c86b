#include "plans/model/fingerprint.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace drover::plans {

std::string CanonicalJson(const nlohmann::json& doc) {
  // nlohmann::json keeps object keys in a std::map, so dump() is sorted.
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    std::abort();  // libcrypto cannot fail on SHA-256 of memory: a broken install
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string Fingerprint(const nlohmann::json& doc) {
  return "sha256:" + Sha256Hex(CanonicalJson(doc));
}

}  // namespace drover::plans
