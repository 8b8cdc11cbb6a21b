#include "base/log.h"

#include <string>

#include "gtest/gtest.h"

namespace liaison {
namespace {

// Issue 12: text a peer sent must not reach the terminal raw, nor forge a
// second log line.
TEST(LogTest, MessageIsEscapedToOneLine) {
  const LogLevel before = GetLogLevel();
  SetLogLevel(LogLevel::kWarning);
  ::testing::internal::CaptureStderr();
  Log(LogLevel::kWarning, "peer said \x1b]0;x\x07\nliaison: error: forged");
  const std::string err = ::testing::internal::GetCapturedStderr();
  SetLogLevel(before);
  EXPECT_EQ(err, "liaison: warning: peer said \\x1B]0;x\\x07\\nliaison: error: forged\n");
}

TEST(LogTest, BelowTheLevelPrintsNothing) {
  const LogLevel before = GetLogLevel();
  SetLogLevel(LogLevel::kError);
  ::testing::internal::CaptureStderr();
  Log(LogLevel::kInfo, "quiet");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  SetLogLevel(before);
}

}  // namespace
}  // namespace liaison
