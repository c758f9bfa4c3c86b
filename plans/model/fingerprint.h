// The inventory fingerprint: "sha256:" + hex SHA-256 of the canonical JSON of
// a document (keys sorted, no whitespace, nlohmann's number formatting), so
// that the same inventory, however it was formatted, has one fingerprint.
// Uses OpenSSL's libcrypto; never fails.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace drover::plans {

std::string CanonicalJson(const nlohmann::json& doc);
std::string Sha256Hex(std::string_view data);
std::string Fingerprint(const nlohmann::json& doc);

}  // namespace drover::plans
