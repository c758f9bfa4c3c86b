// Shared helpers for the sync tests: scratch directories, volumes with
// random content and random writes, key pairs, and an in-process
// sender/receiver pair on loopback.
#pragma once

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "agent/sync/receiver.h"
#include "agent/sync/sender.h"
#include "common/wire/keys.h"

namespace drover::sync::testing {

// A fresh directory under /tmp, removed with its contents on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::vector<uint8_t> ReadAll(const std::string& path);
void WriteAll(const std::string& path, const std::vector<uint8_t>& bytes);
void FillRandom(std::vector<uint8_t>& bytes, uint64_t offset, uint64_t length,
                std::mt19937_64& rng);

struct Keys {
  wire::KeyPair source, destination, stranger;
};
const Keys& TestKeys();

struct PairResult {
  Result<SyncReport> sender = Err(Internal("not run"));
  Result<SyncReport> receiver = Err(Internal("not run"));
};

// Runs a receiver (thread) and a sender (this thread) between two files.
// `tweak_*` adjust the default options (keys, ticket, paths are filled in).
PairResult SyncFiles(const std::string& source, const std::string& target,
                     const std::string& state_dir,
                     const std::function<void(SenderOptions&)>& tweak_sender = {},
                     const std::function<void(ReceiverOptions&)>& tweak_receiver = {});

}  // namespace drover::sync::testing
