#include "common/wire/duplicate_guard.h"

#include <gtest/gtest.h>

namespace drover::wire {
namespace {

TEST(DuplicateGuardTest, RefusesARepeatedIdPerPeerWithinItsWindow) {
  DuplicateGuard guard(3);
  EXPECT_TRUE(guard.FirstTime("a", "1"));
  EXPECT_FALSE(guard.FirstTime("a", "1"));
  EXPECT_TRUE(guard.FirstTime("b", "1"));  // another peer may use the same id
  EXPECT_TRUE(guard.FirstTime("a", "2"));
  EXPECT_TRUE(guard.FirstTime("a", "3"));
  EXPECT_TRUE(guard.FirstTime("a", "4"));  // "1" falls out of the window
  EXPECT_TRUE(guard.FirstTime("a", "1"));
  EXPECT_FALSE(guard.FirstTime("a", "4"));
}

}  // namespace
}  // namespace drover::wire
