#include "common/wire/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace drover::wire {
namespace {

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t start = s.find_first_not_of(" \t");
  return start == std::string::npos ? std::string() : s.substr(start);
}

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Err(ErrnoStatus("cannot read " + path, errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return Trim(ss.str());
}

Status WriteFileMode(const std::string& path, const std::string& content, mode_t mode,
                     bool exclusive) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
  int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) return ErrnoStatus("cannot create " + path, errno);
  ::fchmod(fd, mode);  // the umask must not widen or narrow what we promise
  std::string line = content + "\n";
  ssize_t n = ::write(fd, line.data(), line.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) return ErrnoStatus("cannot write " + path, err);
  return Status::Ok();
}

}  // namespace

bool IsZ85Key(std::string_view key) {
  if (key.size() != 40) return false;
  for (char c : key) {
    if (kZ85Alphabet.find(c) == std::string_view::npos) return false;
  }
  return true;
}

Result<KeyPair> GenerateKeyPair() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0) {
    return Err(Internal("zmq_curve_keypair failed: this libzmq lacks CURVE support"));
  }
  return KeyPair{pub, sec};
}

Status WriteKeyPair(const std::string& dir, const std::string& name, const KeyPair& pair) {
  std::string base = dir + "/" + name;
  RETURN_STATUS_IF_ERROR(WriteFileMode(base + ".key", pair.secret_z85, 0600, true));
  return WriteFileMode(base + ".pub", pair.public_z85, 0644, false);
}

Result<KeyPair> LoadKeyPair(const std::string& secret_key_path) {
  ASSIGN_OR_RETURN(std::string secret, ReadSmallFile(secret_key_path));
  if (!IsZ85Key(secret)) {
    return Err(InvalidArgument(secret_key_path + ": not a 40-character Z85 CURVE secret key"));
  }
  char pub[41];
  if (zmq_curve_public(pub, secret.c_str()) != 0) {
    return Err(InvalidArgument(secret_key_path + ": cannot derive the public key"));
  }
  return KeyPair{pub, secret};
}

Result<std::string> LoadPublicKey(const std::string& path_or_key) {
  // A file first: a path of 40 characters can also read as a Z85 key
  // ("/work/wt-lead/.lab/keys/orchestrator.pub" does), and taking it for one
  // made every CURVE handshake with the orchestrator fail.
  struct stat st {};
  if (::stat(path_or_key.c_str(), &st) != 0 && IsZ85Key(path_or_key)) return path_or_key;
  ASSIGN_OR_RETURN(std::string key, ReadSmallFile(path_or_key));
  if (!IsZ85Key(key)) {
    return Err(InvalidArgument(path_or_key + ": not a 40-character Z85 CURVE public key"));
  }
  return key;
}

}  // namespace drover::wire
