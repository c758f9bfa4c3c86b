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

// The window is a ring: after many ids it still holds exactly the last N.
TEST(DuplicateGuardTest, KeepsExactlyTheLastIdsAfterManyWrapArounds) {
  DuplicateGuard guard(4);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(guard.FirstTime("a", std::to_string(i)));
  for (int i = 996; i < 1000; ++i) EXPECT_FALSE(guard.FirstTime("a", std::to_string(i)));
  EXPECT_TRUE(guard.FirstTime("a", "995"));  // out of the window: new again
  guard.Forget("a");
  EXPECT_TRUE(guard.FirstTime("a", "999"));
}

}  // namespace
}  // namespace drover::wire
