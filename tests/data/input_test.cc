#include "data/input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/strings.h"
#include "data/testing/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;

struct Result {
  std::vector<Record> records;
  std::vector<Reject> rejects;
  absl::Status status;
};

Result Read(const InputSpec& spec) {
  Result r;
  r.status = ReadInput(
      spec, Profile::V1(), [&](Record&& rec) { r.records.push_back(rec); },
      [&](Reject&& rej) { r.rejects.push_back(rej); });
  return r;
}

Result ReadFileAs(const TempDir& dir, std::string_view name,
                  std::string_view content, InputSpec spec = {}) {
  spec.path = dir.Write(name, content);
  return Read(spec);
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

std::vector<std::string> Values(const Result& r) {
  std::vector<std::string> v;
  for (const Record& rec : r.records) v.push_back(rec.item.value);
  return v;
}

std::vector<uint64_t> Lines(const Result& r) {
  std::vector<uint64_t> v;
  for (const Record& rec : r.records) v.push_back(rec.line);
  return v;
}

TEST(FormatForPathTest, PicksFormatByExtension) {
  EXPECT_EQ(FormatForPath("a/b.csv"), Format::kCsv);
  EXPECT_EQ(FormatForPath("B.CSV"), Format::kCsv);
  EXPECT_EQ(FormatForPath("x.jsonl"), Format::kJsonLines);
  EXPECT_EQ(FormatForPath("x.ndjson"), Format::kJsonLines);
  EXPECT_EQ(FormatForPath("x.json"), Format::kJsonLines);
  EXPECT_EQ(FormatForPath("x.txt"), Format::kText);
  EXPECT_EQ(FormatForPath("dir.csv/list"), Format::kText);
  EXPECT_EQ(FormatForPath("-"), Format::kText);
  EXPECT_EQ(FormatName(Format::kJsonLines), "jsonl");
}

TEST(TextInputTest, ReadsOneItemPerLineSkippingCommentsAndBlanks) {
  TempDir dir;
  Result r = ReadFileAs(dir, "list.txt",
                        "# indicators from partner\n"
                        "1.2.3.4\r\n"
                        "\n"
                        "   \t\n"
                        "  # indented comment\n"
                        "  Example.COM  \r\n"
                        "hxxp://evil[.]example/a\n"
                        "not an indicator\n"
                        "d41d8cd98f00b204e9800998ecf8427e");
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(Values(r),
              ElementsAre("1.2.3.4", "example.com", "http://evil.example/a",
                          "d41d8cd98f00b204e9800998ecf8427e"));
  EXPECT_THAT(Lines(r), ElementsAre(2, 6, 7, 9));
  EXPECT_EQ(r.records[1].raw, "  Example.COM  ") << "raw is untrimmed, no CR";
  EXPECT_EQ(r.records[1].item.type, ItemType::kDomain);
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 8u);
  EXPECT_EQ(r.rejects[0].raw, "not an indicator");
  EXPECT_EQ(r.rejects[0].reason,
            "not a recognised indicator type (give --type string to match it "
            "exactly)");
}

TEST(TextInputTest, ExplicitTypeAppliesToEveryLine) {
  TempDir dir;
  InputSpec spec;
  spec.type = ItemType::kString;
  Result r = ReadFileAs(dir, "list.txt", "Hello\nnot an indicator\n", spec);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(Values(r), ElementsAre("Hello", "not an indicator"));
  EXPECT_TRUE(r.rejects.empty());
}

TEST(TextInputTest, ByteOrderMarkIsIgnored) {
  TempDir dir;
  Result r = ReadFileAs(dir, "list.txt",
                        "\xEF\xBB\xBF"
                        "1.2.3.4\n");
  ASSERT_TRUE(r.status.ok());
  EXPECT_THAT(Values(r), ElementsAre("1.2.3.4"));
}

TEST(TextInputTest, OverlongLineIsARejectAndReadingGoesOn) {
  TempDir dir;
  std::string content = std::string(kMaxLineLen + 10, 'a') + "\n1.2.3.4\n";
  Result r = ReadFileAs(dir, "list.txt", content);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 1u);
  EXPECT_EQ(r.rejects[0].raw.size(), 256u);
  EXPECT_THAT(r.rejects[0].reason, HasSubstr("line longer than"));
  EXPECT_THAT(Values(r), ElementsAre("1.2.3.4"));
  EXPECT_THAT(Lines(r), ElementsAre(2));
}

TEST(TextInputTest, FormatFieldOverridesTheExtension) {
  TempDir dir;
  InputSpec spec;
  spec.format = Format::kText;
  Result r = ReadFileAs(dir, "list.csv", "1.2.3.4\n", spec);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(Values(r), ElementsAre("1.2.3.4"));
}

TEST(TextInputTest, DashReadsStandardInput) {
  TempDir dir;
  std::string path = dir.Write("stdin.txt", "1.2.3.4\n");
  int saved = dup(0);
  ASSERT_GE(saved, 0);
  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(dup2(fd, 0), 0);
  close(fd);
  InputSpec spec;
  spec.path = "-";
  Result r = Read(spec);
  dup2(saved, 0);
  close(saved);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(Values(r), ElementsAre("1.2.3.4"));
}

TEST(CsvInputTest, SelectsTheColumnByHeaderName) {
  TempDir dir;
  InputSpec spec;
  spec.column = "indicator";
  Result r = ReadFileAs(dir, "feed.csv",
                        "id,indicator,comment\r\n"
                        "1,1.2.3.4,plain\r\n"
                        "2,\"Example.COM\",\"quoted, with comma\"\r\n"
                        "3,\"evil[.]example\",\"two\nline comment\"\r\n"
                        "4,,empty\r\n"
                        "5,bad value,x\r\n",
                        spec);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(Values(r), ElementsAre("1.2.3.4", "example.com", "evil.example"));
  EXPECT_THAT(Lines(r), ElementsAre(2, 3, 4));
  EXPECT_EQ(r.records[1].raw, "Example.COM");
  ASSERT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(r.rejects[0].line, 6u) << "line numbers count embedded newlines";
  EXPECT_EQ(r.rejects[0].reason, "empty value");
  EXPECT_EQ(r.rejects[1].line, 7u);
  EXPECT_EQ(r.rejects[1].raw, "bad value");
}

TEST(CsvInputTest, QuotedCellWithNewlineIsOneRecord) {
  TempDir dir;
  InputSpec spec;
  spec.column = "note";
  spec.type = ItemType::kString;
  Result r =
      ReadFileAs(dir, "notes.csv",
                 "note\n\"first, line\nsecond \"\"line\"\"\"\nnext\n", spec);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(Values(r), ElementsAre("first, line\nsecond \"line\"", "next"));
  EXPECT_THAT(Lines(r), ElementsAre(2, 4));
}

TEST(CsvInputTest, MissingColumnNamesTheColumnsThatExist) {
  TempDir dir;
  InputSpec spec;
  spec.column = "ip";
  Result r = ReadFileAs(dir, "feed.csv", "id,indicator,comment\n1,2,3\n", spec);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(r.status),
            "line 1: no column \"ip\" in the CSV header; the columns are: "
            "\"id\", \"indicator\", \"comment\"");
  EXPECT_TRUE(r.records.empty());
}

TEST(CsvInputTest, SingleColumnNeedsNoColumnName) {
  TempDir dir;
  Result r = ReadFileAs(dir, "feed.csv", "indicator\n1.2.3.4\n");
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(Values(r), ElementsAre("1.2.3.4"));
}

TEST(CsvInputTest, SeveralColumnsNeedAColumnName) {
  TempDir dir;
  Result r = ReadFileAs(dir, "feed.csv", "a,b\n1,2\n");
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(r.status), HasSubstr("2 columns (\"a\", \"b\")"));
}

TEST(CsvInputTest, DuplicateColumnNameIsAmbiguous) {
  TempDir dir;
  InputSpec spec;
  spec.column = "a";
  Result r = ReadFileAs(dir, "feed.csv", "a,a\n1,2\n", spec);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(r.status), HasSubstr("more than once"));
}

TEST(CsvInputTest, ShortRowIsARejectNamingTheColumn) {
  TempDir dir;
  InputSpec spec;
  spec.column = "indicator";
  Result r = ReadFileAs(dir, "feed.csv", "id,indicator\n1\n2,1.2.3.4\n", spec);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 2u);
  EXPECT_EQ(r.rejects[0].reason,
            "row has 1 field(s), so no column \"indicator\"");
  EXPECT_THAT(Values(r), ElementsAre("1.2.3.4"));
}

TEST(CsvInputTest, EmptyFileHasNoHeader) {
  TempDir dir;
  Result r = ReadFileAs(dir, "feed.csv", "");
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(r.status), HasSubstr("header row is required"));
}

TEST(CsvInputTest, UnterminatedQuoteIsAnErrorNamingTheLine) {
  TempDir dir;
  Result r = ReadFileAs(dir, "feed.csv", "v\n1.2.3.4\n\"5.6.7.8\n9.9.9.9\n");
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(r.status), HasSubstr("line 3: unterminated quoted"));
  EXPECT_THAT(Values(r), ElementsAre("1.2.3.4"));
}

TEST(JsonLinesInputTest, ReadsTheFieldOfEachObject) {
  TempDir dir;
  InputSpec spec;
  spec.field = "value";
  Result r =
      ReadFileAs(dir, "feed.jsonl",
                 "{\"value\": \"1.2.3.4\", \"tlp\": \"amber\"}\n"
                 "\n"
                 "{\"value\": \"Example.COM\"}\r\n"
                 "{\"tlp\": \"red\"}\n"
                 "{\"value\": null}\n"
                 "{\"value\": [1]}\n"
                 "{not json}\n"
                 "{\"value\": \"\\u0045xample.org\", \"n\": {\"deep\": 1}}\n",
                 spec);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(Values(r), ElementsAre("1.2.3.4", "example.com", "example.org"));
  EXPECT_THAT(Lines(r), ElementsAre(1, 3, 8));
  EXPECT_EQ(r.records[2].raw, "Example.org");
  ASSERT_EQ(r.rejects.size(), 4u);
  EXPECT_EQ(r.rejects[0].line, 4u);
  EXPECT_EQ(r.rejects[0].reason, "missing field \"value\"");
  EXPECT_EQ(r.rejects[0].raw, "{\"tlp\": \"red\"}");
  EXPECT_EQ(r.rejects[1].reason, "field \"value\" is null, expected a string");
  EXPECT_EQ(r.rejects[2].reason, "field \"value\" is array, expected a string");
  EXPECT_EQ(r.rejects[3].line, 7u);
  EXPECT_EQ(r.rejects[3].raw, "{not json}");
  EXPECT_THAT(r.rejects[3].reason,
              HasSubstr("invalid JSON: column 3: syntax error"));
}

TEST(JsonLinesInputTest, IntegerFieldsAreReadInDecimal) {
  TempDir dir;
  InputSpec spec;
  spec.field = "account";
  spec.type = ItemType::kString;
  Result r = ReadFileAs(dir, "feed.ndjson",
                        "{\"account\": 12345678901234567890}\n"
                        "{\"account\": -7}\n{\"account\": 1.5}\n",
                        spec);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(Values(r), ElementsAre("12345678901234567890", "-7"));
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].reason,
            "field \"account\" is number, expected a string");
}

TEST(JsonLinesInputTest, ValueThatIsNotAnObjectIsAnErrorNamingTheLine) {
  TempDir dir;
  InputSpec spec;
  spec.field = "v";
  Result r =
      ReadFileAs(dir, "feed.json", "{\"v\": \"1.2.3.4\"}\n\"text\"\n", spec);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(r.status), "line 2: expected a JSON object, found string");
  EXPECT_THAT(Values(r), ElementsAre("1.2.3.4"));
}

TEST(JsonLinesInputTest, JsonArrayDocumentIsAnError) {
  TempDir dir;
  InputSpec spec;
  spec.field = "v";
  Result r =
      ReadFileAs(dir, "feed.json", "[\n  {\"v\": \"1.2.3.4\"}\n]\n", spec);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(r.status), HasSubstr("line 1: expected one JSON object "
                                           "per line"));
}

TEST(JsonLinesInputTest, FieldIsRequired) {
  TempDir dir;
  Result r = ReadFileAs(dir, "feed.jsonl", "{\"v\": \"1.2.3.4\"}\n");
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(r.status), HasSubstr("needs a field"));
}

TEST(OpenInputTest, MissingFileIsNotFound) {
  TempDir dir;
  InputSpec spec;
  spec.path = dir.Sub("absent.txt");
  Result r = Read(spec);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(r.status), HasSubstr("absent.txt"));
}

TEST(OpenInputTest, UnreadableFileIsPermissionDenied) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads every file";
  TempDir dir;
  InputSpec spec;
  spec.path = dir.Write("secret.txt", "1.2.3.4\n");
  ASSERT_EQ(chmod(spec.path.c_str(), 0), 0);
  Result r = Read(spec);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kPermissionDenied);
}

TEST(OpenInputTest, DirectoryIsInvalidArgument) {
  TempDir dir;
  InputSpec spec;
  spec.path = dir.path();
  Result r = Read(spec);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(r.status), HasSubstr("is a directory"));
}

// 200,000 lines of mixed indicators stream through with bounded memory (the
// reader holds one line at a time); every line is accounted for.
TEST(LargeInputTest, TwoHundredThousandLinesStream) {
  TempDir dir;
  std::string content;
  constexpr int kLines = 200000;
  content.reserve(kLines * 24);
  for (int i = 0; i < kLines; ++i) {
    switch (i % 4) {
      case 0:
        StrAppend(content, "10.", (i >> 16) & 255, '.', (i >> 8) & 255, '.',
                  i & 255, '\n');
        break;
      case 1:
        StrAppend(content, "Host", i, ".Example.COM\n");
        break;
      case 2:
        StrAppend(content, "hxxp://h", i, "[.]example/p\n");
        break;
      case 3:
        StrAppend(content, "bad value ", i, '\n');
        break;
    }
  }
  std::string path = dir.Write("big.txt", content);
  content.clear();
  InputSpec spec;
  spec.path = path;
  uint64_t num_records = 0, num_rejects = 0, last_line = 0;
  bool in_order = true;
  absl::Status s = ReadInput(
      spec, Profile::V1(),
      [&](Record&& r) {
        ++num_records;
        in_order = in_order && r.line > last_line;
        last_line = r.line;
      },
      [&](Reject&& r) {
        ++num_rejects;
        in_order = in_order && r.line > last_line;
        last_line = r.line;
      });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(num_records, 150000u);
  EXPECT_EQ(num_rejects, 50000u);
  EXPECT_EQ(last_line, static_cast<uint64_t>(kLines));
  EXPECT_TRUE(in_order);
}

}  // namespace
}  // namespace liaison::data
