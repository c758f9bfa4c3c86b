// Tests for the receiver's background flusher (agent/sync/flusher.h).
#include "agent/sync/flusher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

#include "tests/agent/sync/sync_fixture.h"

namespace drover::sync {
namespace {

TEST(FlusherTest, BackgroundAndFinalFlushesSucceedOnAFile) {
  testing::ScratchDir dir;
  int fd = ::open((dir / "vol").c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  std::vector<uint8_t> block(4096, 7);
  {
    Flusher f(fd, dir / "vol", 8192);
    for (int i = 0; i < 8; ++i) {
      ASSERT_EQ(::pwrite(fd, block.data(), block.size(), i * 4096), 4096);
      f.Wrote(block.size());
    }
    EXPECT_TRUE(f.Sync().ok());
  }
  ::close(fd);
}

// fdatasync fails on a pipe (EINVAL). A failure in a background flush must
// still be reported by the final Sync(), naming the target.
TEST(FlusherTest, FailedBackgroundFlushIsReportedBySync) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  {
    Flusher f(pipe_fds[1], "pipe-target", 1);
    f.Wrote(1);  // starts a background flush that fails
    Status s = f.Sync();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("pipe-target"), std::string::npos) << s.ToString();
  }
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

}  // namespace
}  // namespace drover::sync
