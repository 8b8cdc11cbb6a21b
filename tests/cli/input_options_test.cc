#include "cli/input_options.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace liaison::cli {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::vector<data::Reject> ManyRejects(size_t n) {
  std::vector<data::Reject> out;
  for (size_t i = 0; i < n; ++i) out.push_back({i + 1, "bad\x1b[2J" + std::to_string(i), "not an indicator"});
  return out;
}

TEST(FormatRejectTest, ControlBytesOfTheRecordAreEscaped) {
  data::Reject r{7, "a\x1b]0;x\x07" "b", "not a recognised indicator type"};
  EXPECT_EQ(FormatReject(r), "line 7: not a recognised indicator type: 'a\\x1B]0;x\\x07b'");
}

TEST(FormatRejectTest, ReasonKeepsItsOwnEscapes) {
  data::Reject r{3, "j\xFCrgen@example.com", "email local part is not valid UTF-8 (byte 2 is \\xFC)"};
  EXPECT_EQ(FormatReject(r),
            "line 3: email local part is not valid UTF-8 (byte 2 is \\xFC): 'j\\xFCrgen@example.com'");
}

TEST(FormatRejectTest, LongRecordIsCutWithoutSplittingACharacter) {
  std::string raw(79, 'a');
  raw += "\xC3\xBC\xC3\xBC";  // the cut at 80 would fall inside the first ü
  std::string shown = FormatReject({1, raw, "r"});
  EXPECT_THAT(shown, HasSubstr(std::string(79, 'a') + "...'"));
  EXPECT_THAT(shown, Not(HasSubstr("\\x")));
}

TEST(RejectListTextTest, ShowsAllWhenFew) {
  std::string text = RejectListText(ManyRejects(3), "p: ", "");
  EXPECT_THAT(text, StartsWith("p: line 1: not an indicator: 'bad\\x1B[2J0'\n"));
  EXPECT_THAT(text, HasSubstr("p: line 3:"));
  EXPECT_THAT(text, Not(HasSubstr("more")));
  EXPECT_EQ(RejectListText({}, "p: ", ""), "");
}

// The regression of issue 12: a binary input printed 7,840 rejects.
TEST(RejectListTextTest, CapsTheTerminalListAndSaysWhereTheRestIs) {
  std::vector<data::Reject> rejects = ManyRejects(7840);
  std::string text = RejectListText(rejects, "", "");
  EXPECT_THAT(text, HasSubstr("line 20:"));
  EXPECT_THAT(text, Not(HasSubstr("line 21:")));
  EXPECT_THAT(text, EndsWith("... and 7820 more record(s); --rejects FILE lists them all\n"));
  EXPECT_THAT(RejectListText(rejects, "", "r.csv"),
              EndsWith("... and 7820 more record(s); all are in r.csv\n"));
}

TEST(WriteRejectsTest, KeepsEveryRejectEscapedAndQuoted) {
  testing::ScopedTempDir dir;
  const std::string path = dir.Sub("rejects.csv");
  std::vector<data::Reject> rejects = ManyRejects(25);
  rejects.push_back({99, "say \"hi\",\n\x1b]0;x\x07", "reason"});
  ASSERT_TRUE(WriteRejects(path, rejects).ok());
  std::string text = testing::ReadFileOrEmpty(path);
  EXPECT_THAT(text, StartsWith("line,reason,raw\n1,\"not an indicator\",\"bad\\x1B[2J0\"\n"));
  EXPECT_THAT(text, HasSubstr("\n25,"));
  EXPECT_THAT(text, EndsWith("\n99,\"reason\",\"say \"\"hi\"\",\\n\\x1B]0;x\\x07\"\n"));
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace liaison::cli
