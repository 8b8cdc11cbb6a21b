#include "base/escape.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison {
namespace {

using namespace std::string_literals;

TEST(EscapeNonPrintableTest, PrintableAsciiAndValidUtf8AreKept) {
  EXPECT_EQ(EscapeNonPrintable("evil.example/a?b=c d"), "evil.example/a?b=c d");
  EXPECT_EQ(EscapeNonPrintable("b\xC3\xBC" "cher.example"), "b\xC3\xBC" "cher.example");
  EXPECT_EQ(EscapeNonPrintable("\xE2\x82\xAC \xF0\x9F\x98\x80"), "\xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(EscapeNonPrintable(""), "");
}

// The regression of issue 12: an OSC sequence in an input file reached the
// terminal through `liaison normalize`.
TEST(EscapeNonPrintableTest, OscEscapeSequenceIsDefused) {
  EXPECT_EQ(EscapeNonPrintable("a\x1b]0;x\x07" "b"), "a\\x1B]0;x\\x07b");
}

TEST(EscapeNonPrintableTest, AsciiControlsAndBackslashAreEscaped) {
  EXPECT_EQ(EscapeNonPrintable("\t\n\r"), "\\t\\n\\r");
  EXPECT_EQ(EscapeNonPrintable("a\0b"s), "a\\x00b");
  EXPECT_EQ(EscapeNonPrintable("\x08\x7f"), "\\x08\\x7F");
  // A backslash is doubled, so "\x1B" in the input and ESC differ.
  EXPECT_EQ(EscapeNonPrintable("\\x1B"), "\\\\x1B");
}

TEST(EscapeNonPrintableTest, KeepBackslashLeavesEarlierEscapesReadable) {
  EXPECT_EQ(EscapeNonPrintable("byte 2 is \\xFC: '\x1b'", Backslash::kKeep),
            "byte 2 is \\xFC: '\\x1B'");
}

TEST(EscapeNonPrintableTest, InvalidUtf8IsEscapedBytewise) {
  EXPECT_EQ(EscapeNonPrintable("\xff\xfe"), "\\xFF\\xFE");
  EXPECT_EQ(EscapeNonPrintable("a\x80" "b"), "a\\x80b");              // stray continuation
  EXPECT_EQ(EscapeNonPrintable("\xC0\xAF"), "\\xC0\\xAF");            // overlong '/'
  EXPECT_EQ(EscapeNonPrintable("\xED\xA0\x80"), "\\xED\\xA0\\x80");  // a surrogate
  EXPECT_EQ(EscapeNonPrintable("\xF4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // > U+10FFFF
  EXPECT_EQ(EscapeNonPrintable("\xE2\x82"), "\\xE2\\x82");            // truncated
  EXPECT_EQ(EscapeNonPrintable("\xE2\x82" "A"), "\\xE2\\x82" "A");
}

TEST(EscapeNonPrintableTest, C1ControlsSeparatorsAndFormatCharactersAreEscaped) {
  EXPECT_EQ(EscapeNonPrintable("\xC2\x9B" "31m"), "\\u{009B}31m");  // C1 CSI
  EXPECT_EQ(EscapeNonPrintable("\xC2\x85"), "\\u{0085}");
  EXPECT_EQ(EscapeNonPrintable("\xE2\x80\xA8"), "\\u{2028}");
  // Right-to-left override, as in "Trojan Source".
  EXPECT_EQ(EscapeNonPrintable("a\xE2\x80\xAE" "cba"), "a\\u{202E}cba");
  EXPECT_EQ(EscapeNonPrintable("\xE2\x80\x8B"), "\\u{200B}");  // zero-width space
  EXPECT_EQ(EscapeNonPrintable("\xEF\xBB\xBF"), "\\u{FEFF}");
  EXPECT_EQ(EscapeNonPrintable("\xF3\xA0\x80\x81"), "\\u{E0001}");
  // The non-breaking space and the soft hyphen's neighbours print.
  EXPECT_EQ(EscapeNonPrintable("\xC2\xA0\xC2\xAC"), "\xC2\xA0\xC2\xAC");
  EXPECT_EQ(EscapeNonPrintable("\xC2\xAD"), "\\u{00AD}");
}

TEST(EscapeNonPrintableTest, TruncatedKeepsWholeCharactersAndMarksTheCut) {
  EXPECT_EQ(EscapeNonPrintableTruncated("abcdef", 6), "abcdef");
  EXPECT_EQ(EscapeNonPrintableTruncated("abcdefg", 6), "abcdef...");
  // "ab€" is 5 bytes; cutting at 4 would split the euro sign.
  EXPECT_EQ(EscapeNonPrintableTruncated("ab\xE2\x82\xAC" "cd", 4), "ab...");
  EXPECT_EQ(EscapeNonPrintableTruncated("\x1b\x1b\x1b", 2), "\\x1B\\x1B...");
}

}  // namespace
}  // namespace liaison
