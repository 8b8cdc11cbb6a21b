#include "cli/exit_codes.h"

#include "gtest/gtest.h"

namespace liaison::cli {
namespace {

TEST(ExitCodesTest, EachErrorClassHasItsCode) {
  EXPECT_EQ(ExitCode(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCode(absl::InvalidArgumentError("x")), kExitUsage);
  EXPECT_EQ(ExitCode(absl::NotFoundError("x")), kExitNotFound);
  EXPECT_EQ(ExitCode(absl::PermissionDeniedError("x")), kExitRefused);
  EXPECT_EQ(ExitCode(absl::FailedPreconditionError("x")), kExitMismatch);
  EXPECT_EQ(ExitCode(absl::UnavailableError("x")), kExitTransport);
  EXPECT_EQ(ExitCode(absl::DeadlineExceededError("x")), kExitTransport);
  EXPECT_EQ(ExitCode(absl::DataLossError("x")), kExitDataLoss);
  EXPECT_EQ(ExitCode(absl::ResourceExhaustedError("x")), kExitExhausted);
  EXPECT_EQ(ExitCode(absl::InternalError("x")), kExitInternal);
}

}  // namespace
}  // namespace liaison::cli
