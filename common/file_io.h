// Small POSIX file helpers for the agent (the sync engine, the storage
// drivers): an owning descriptor, full-length positional reads and writes,
// and whole small files.
//
// Every function retries on EINTR and short transfers; a read past the end of
// the file is an IoError (volumes do not shrink under a sync). Thread-safe
// for concurrent calls on one descriptor (pread/pwrite carry the offset).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

#include "common/status.h"

namespace drover {

// Owns a file descriptor; closes it on destruction. Movable, not copyable.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.Release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  void Reset();

 private:
  int fd_ = -1;
};

// Opens `path` with `flags` (O_CLOEXEC is added).
Result<UniqueFd> OpenFile(const std::string& path, int flags, int mode = 0644);

Status PreadFull(int fd, std::span<uint8_t> buf, uint64_t offset);
Status PwriteFull(int fd, std::span<const uint8_t> buf, uint64_t offset);

// Size of a regular file or block device (BLKGETSIZE64).
Result<uint64_t> DescriptorSize(int fd);

// Writes `content` to `path` atomically: a temporary file of this writer's
// own (concurrent writers of one path never share one), fsynced unless
// `durable` is false (for data that is cheap to lose), then renamed over.
Status WriteFileAtomic(const std::string& path, std::span<const uint8_t> content,
                       bool durable = true);

// Writes `parts` one after another over `path` in place (created if
// missing, cut to their length), without fsync: a reader meanwhile, or a
// crash, may see old and new bytes mixed. Only for data whose reader checks
// all of it and which is cheap to lose (hash cache entries).
Status OverwriteFile(const std::string& path,
                     std::initializer_list<std::span<const uint8_t>> parts);

// Creates `dir` and its missing parents (mode 0700); existing ones are fine.
Status MakeDirs(const std::string& dir);

// Reads a whole (small) file. NotFound when it does not exist.
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace drover
