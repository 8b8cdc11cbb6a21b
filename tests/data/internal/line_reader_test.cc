#include "data/internal/line_reader.h"

#include <string>
#include <vector>

#include "data/testing/files.h"
#include "gtest/gtest.h"

namespace liaison::data::internal {
namespace {

using Result = LineReader::Result;

std::vector<std::string> ReadAll(std::string_view content,
                                 size_t max_len = 1 << 20) {
  testing::MemFd file(content);
  LineReader reader(file.fd(), max_len);
  std::vector<std::string> lines;
  std::string line;
  while (true) {
    auto r = reader.Next(line);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || *r == Result::kEnd) break;
    lines.push_back(line);
    EXPECT_EQ(reader.line_number(), lines.size());
  }
  return lines;
}

TEST(LineReaderTest, SplitsOnLfAndKeepsCr) {
  EXPECT_EQ(ReadAll("a\nb\r\n\nc"),
            (std::vector<std::string>{"a", "b\r", "", "c"}));
}

TEST(LineReaderTest, EmptyInputHasNoLines) {
  EXPECT_TRUE(ReadAll("").empty());
  EXPECT_EQ(ReadAll("\n"), (std::vector<std::string>{""}));
}

TEST(LineReaderTest, DropsByteOrderMarkAtTheStartOnly) {
  EXPECT_EQ(ReadAll("\xEF\xBB\xBFx\n\xEF\xBB\xBFy\n"),
            (std::vector<std::string>{"x", "\xEF\xBB\xBFy"}));
}

TEST(LineReaderTest, LinesLongerThanTheBufferAreWhole) {
  std::string big(200000, 'x');
  auto lines = ReadAll(big + "\n" + big);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], big);
  EXPECT_EQ(lines[1], big);
}

TEST(LineReaderTest, OverlongLineIsCutAndTheNextLineIsIntact) {
  testing::MemFd file(std::string(100, 'x') + "\nshort\n");
  LineReader reader(file.fd(), 10);
  std::string line;
  auto r = reader.Next(line);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, Result::kTooLong);
  EXPECT_EQ(line, std::string(10, 'x'));
  EXPECT_EQ(reader.line_number(), 1u);
  r = reader.Next(line);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, Result::kLine);
  EXPECT_EQ(line, "short");
  EXPECT_EQ(reader.line_number(), 2u);
  r = reader.Next(line);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, Result::kEnd);
}

TEST(LineReaderTest, ReadErrorIsAStatus) {
  LineReader reader(-1, 10);
  std::string line;
  auto r = reader.Next(line);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace liaison::data::internal
