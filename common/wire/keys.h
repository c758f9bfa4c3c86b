// CURVE key pairs: generation, files on disk, and Z85 validation.
//
// A key pair lives in two files: NAME.key holds the Z85 secret key (mode 0600)
// and NAME.pub the Z85 public key. The public key is derived from the secret
// key on load, so a .key file alone is enough to act as that identity.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace drover::wire {

struct KeyPair {
  std::string public_z85;  // 40 characters
  std::string secret_z85;  // 40 characters
};

// True when `key` is 40 characters of the Z85 alphabet (what CURVE accepts).
bool IsZ85Key(std::string_view key);

Result<KeyPair> GenerateKeyPair();

// Writes DIR/NAME.key (0600) and DIR/NAME.pub (0644). Refuses to overwrite an
// existing secret key file.
Status WriteKeyPair(const std::string& dir, const std::string& name, const KeyPair& pair);

// Reads a secret key file (NAME.key) and derives its public key.
Result<KeyPair> LoadKeyPair(const std::string& secret_key_path);

// Reads a public key: the .pub file at `path_or_key` if there is one, else
// `path_or_key` itself if it is a Z85 key (a 40-character path may be both).
Result<std::string> LoadPublicKey(const std::string& path_or_key);

}  // namespace drover::wire
