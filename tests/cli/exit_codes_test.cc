#include "cli/exit_codes.h"

#include "gmock/gmock.h"
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

// An error message may quote input (a CSV header, a peer's text): its
// control bytes must not reach the terminal, its line breaks may.
TEST(ReportErrorTest, MessageIsEscapedLineByLine) {
  ::testing::internal::CaptureStderr();
  int code = ReportError("normalize", absl::InvalidArgumentError("no column 'a\x1b]0;x\x07'\nsecond"));
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, kExitUsage);
  EXPECT_EQ(err, "liaison normalize: error: no column 'a\\x1B]0;x\\x07'\nsecond\n");
}

}  // namespace
}  // namespace liaison::cli
