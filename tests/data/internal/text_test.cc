#include "data/internal/text.h"

#include "gtest/gtest.h"

namespace liaison::data::internal {
namespace {

TEST(TrimAsciiSpaceTest, RemovesAsciiWhitespaceAtBothEndsOnly) {
  EXPECT_EQ(TrimAsciiSpace(" \t\r\n\v\fa b\t \r\n"), "a b");
  EXPECT_EQ(TrimAsciiSpace("   "), "");
  EXPECT_EQ(TrimAsciiSpace(""), "");
  // U+00A0 (no-break space) is not ASCII whitespace and stays.
  EXPECT_EQ(TrimAsciiSpace("\xc2\xa0x"), "\xc2\xa0x");
}

TEST(AsciiLowerCopyTest, LowersOnlyAsciiLetters) {
  EXPECT_EQ(AsciiLowerCopy("AbC-Z\xc3\x9c"), "abc-z\xc3\x9c");
}

TEST(EqualsIgnoreAsciiCaseTest, ComparesFoldingCase) {
  EXPECT_TRUE(EqualsIgnoreAsciiCase("SHA256", "sha256"));
  EXPECT_FALSE(EqualsIgnoreAsciiCase("sha256", "sha25"));
  EXPECT_FALSE(EqualsIgnoreAsciiCase("md5", "md6"));
}

TEST(IsAllAsciiTest, DetectsHighBytes) {
  EXPECT_TRUE(IsAllAscii("plain ascii ~"));
  EXPECT_FALSE(IsAllAscii("b\xc3\xbc"));
}

TEST(HexValueTest, DecodesBothCases) {
  EXPECT_EQ(HexValue('0'), 0);
  EXPECT_EQ(HexValue('a'), 10);
  EXPECT_EQ(HexValue('F'), 15);
  EXPECT_EQ(HexValue('g'), -1);
}

TEST(DescribeCharTest, KeepsMessagesPrintable) {
  EXPECT_EQ(DescribeChar('x'), "'x'");
  EXPECT_EQ(DescribeChar(' '), "a space");
  EXPECT_EQ(DescribeChar('\n'), "\\x0A");
  EXPECT_EQ(DescribeChar('\xff'), "\\xFF");
}

TEST(InvalidTest, IsInvalidArgumentWithTheReason) {
  absl::Status s = Invalid("some reason");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MessageOf(s), "some reason");
}

}  // namespace
}  // namespace liaison::data::internal
