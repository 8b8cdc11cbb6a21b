#include "data/internal/csv.h"

#include <string>
#include <vector>

#include "data/internal/text.h"
#include "data/testing/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::data::internal {
namespace {

using ::testing::HasSubstr;
using Rows = std::vector<std::vector<std::string>>;

struct Parsed {
  Rows rows;
  std::vector<uint64_t> lines;
  absl::Status status;
};

Parsed Parse(std::string_view content, size_t max_record_len = 1 << 20) {
  testing::MemFd file(content);
  LineReader lines(file.fd(), 1 << 20);
  CsvReader csv(lines, max_record_len);
  Parsed out;
  std::vector<std::string> fields;
  while (true) {
    auto more = csv.Next(fields);
    if (!more.ok()) {
      out.status = more.status();
      break;
    }
    if (!*more) break;
    out.rows.push_back(fields);
    out.lines.push_back(csv.record_line());
  }
  return out;
}

TEST(CsvReaderTest, SplitsSimpleRecords) {
  Parsed p = Parse("a,b,c\n1,2,3\n");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(p.rows, (Rows{{"a", "b", "c"}, {"1", "2", "3"}}));
}

TEST(CsvReaderTest, HandlesQuotedCommasQuotesAndEmptyFields) {
  Parsed p = Parse("\"a,b\",\"say \"\"hi\"\"\",,\"\"\n,\n");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(p.rows, (Rows{{"a,b", "say \"hi\"", "", ""}, {"", ""}}));
}

TEST(CsvReaderTest, QuotedFieldsKeepTheirLineBreaks) {
  Parsed p = Parse("h\n\"one\ntwo\"\n\"three\r\nfour\"\r\nnext\n");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(p.rows, (Rows{{"h"}, {"one\ntwo"}, {"three\r\nfour"}, {"next"}}));
  EXPECT_EQ(p.lines, (std::vector<uint64_t>{1, 2, 4, 6}));
}

TEST(CsvReaderTest, CrlfEndsRecords) {
  Parsed p = Parse("a,\"b\"\r\nc,d\r\n");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(p.rows, (Rows{{"a", "b"}, {"c", "d"}}));
}

TEST(CsvReaderTest, SkipsBlankLinesBetweenRecords) {
  Parsed p = Parse("a\n\n\r\nb\n");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(p.rows, (Rows{{"a"}, {"b"}}));
  EXPECT_EQ(p.lines, (std::vector<uint64_t>{1, 4}));
}

TEST(CsvReaderTest, QuoteInsideUnquotedFieldIsLiteral) {
  Parsed p = Parse("5'10\",x\n");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(p.rows, (Rows{{"5'10\"", "x"}}));
}

TEST(CsvReaderTest, UnterminatedQuoteNamesTheLineWhereItStarts) {
  Parsed p = Parse("h\nok\n\"never closed\nmore\n");
  EXPECT_EQ(p.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(MessageOf(p.status)),
              HasSubstr("line 3: unterminated quoted field"));
  EXPECT_EQ(p.rows.size(), 2u);
}

TEST(CsvReaderTest, TextAfterClosingQuoteIsAnError) {
  Parsed p = Parse("h\n\"a\"b\n");
  EXPECT_EQ(p.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(MessageOf(p.status)),
              HasSubstr("line 2: 'b' after the closing quote"));
}

TEST(CsvReaderTest, RunawayRecordHitsTheLengthLimit) {
  std::string content = "\"";
  for (int i = 0; i < 100; ++i) content += "0123456789\n";
  Parsed p = Parse(content, 500);
  EXPECT_EQ(p.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(MessageOf(p.status)),
              HasSubstr("line 1: record is longer than 500 bytes"));
}

}  // namespace
}  // namespace liaison::data::internal
