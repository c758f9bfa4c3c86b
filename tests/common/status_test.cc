#include "common/status.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Err(InvalidArgument("odd number " + std::to_string(x)));
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(StatusTest, OkAndErrorsCarryCodeAndMessage) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = NotFound("volume vm1-disk");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "not found: volume vm1-disk");
  EXPECT_EQ(s.WithContext("host h2").message(), "host h2: volume vm1-disk");
}

TEST(StatusTest, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "odd number 3");
}

}  // namespace
}  // namespace drover
