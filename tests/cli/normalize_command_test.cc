// `liaison normalize` run as a process, as a person would run it on a file
// they were sent.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace liaison {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;

// The regression of issue 12: an OSC escape sequence in an input file
// reached the terminal.
TEST(NormalizeCommandTest, ControlBytesFromTheFileAreEscaped) {
  testing::ScopedTempDir dir;
  testing::WriteFile(dir.Sub("in.txt"), "a\x1b]0;x\x07" "b\nevil.example\n");
  ProcessResult r = testing::RunLiaison({"normalize", "--input", dir.Sub("in.txt")}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x07'), std::string::npos) << r.out;
  EXPECT_THAT(r.out, HasSubstr("line 1: not a recognised indicator type"));
  EXPECT_THAT(r.out, HasSubstr("'a\\x1B]0;x\\x07b'"));
}

TEST(NormalizeCommandTest, AcceptedStringValuesAreEscapedToo) {
  testing::ScopedTempDir dir;
  testing::WriteFile(dir.Sub("in.txt"), "x\x1b[31my\n");
  ProcessResult r = testing::RunLiaison(
      {"normalize", "--input", dir.Sub("in.txt"), "--type", "string"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("x\\x1B[31my"));
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
}

// The regression of issue 12: a binary file printed thousands of rejects.
TEST(NormalizeCommandTest, BinaryInputListsTwentyRejectsAndTheFileHasAll) {
  testing::ScopedTempDir dir;
  std::string binary;
  for (int i = 0; i < 500; ++i) binary += std::string("\x7f" "ELF\x02\x01\x01\n", 8);
  binary += "evil.example\n";
  testing::WriteFile(dir.Sub("in.bin"), binary);
  ProcessResult r = testing::RunLiaison(
      {"normalize", "--input", dir.Sub("in.bin"), "--rejects", dir.Sub("rejects.csv")},
      dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("line 20:"));
  EXPECT_THAT(r.out, Not(HasSubstr("line 21:")));
  EXPECT_THAT(r.out, HasSubstr("... and 480 more record(s); all are in "));
  EXPECT_THAT(r.out, HasSubstr("# 1 accepted, 500 rejected"));
  const std::string csv = testing::ReadFileOrEmpty(dir.Sub("rejects.csv"));
  EXPECT_THAT(csv, HasSubstr("\n500,"));
  EXPECT_THAT(csv, HasSubstr("\"\\x7FELF\\x02\\x01\\x01\""));
}

TEST(NormalizeCommandTest, WithoutRejectsFileTheListSaysHowToGetAll) {
  testing::ScopedTempDir dir;
  std::string text;
  for (int i = 0; i < 30; ++i) text += "not an indicator\n";
  text += "evil.example\n";
  testing::WriteFile(dir.Sub("in.txt"), text);
  ProcessResult r = testing::RunLiaison({"normalize", "--input", dir.Sub("in.txt")}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("... and 10 more record(s); --rejects FILE lists them all"));
}

}  // namespace
}  // namespace liaison
