#include "data/output.h"

#include <sys/stat.h>

#include <string>

#include "data/testing/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace liaison::data {
namespace {

using ::testing::HasSubstr;
using testing::ReadFile;
using testing::TempDir;

Record MakeRecord(uint64_t line, std::string raw, ItemType type,
                  std::string value) {
  return Record{line, std::move(raw), Item{type, std::move(value)}, std::nullopt};
}

TEST(ResultWriterTest, CsvHasHeaderAndQuotesWhereNeeded) {
  TempDir dir;
  std::string path = dir.Sub("out.csv");
  auto w = ResultWriter::Create(path);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->format(), Format::kCsv);
  ASSERT_TRUE(
      (*w)->Write(MakeRecord(2, " 1.2.3.4", ItemType::kIpv4, "1.2.3.4")).ok());
  ASSERT_TRUE((*w)->Write(MakeRecord(7, "a,b \"q\"\nx", ItemType::kString,
                                     "a,b \"q\"\nx"))
                  .ok());
  ASSERT_TRUE((*w)->Write(MakeRecord(9, "cr\r", ItemType::kString, "cr")).ok());
  EXPECT_EQ((*w)->num_written(), 3u);
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(ReadFile(path),
            "value,type,raw,line\n"
            "1.2.3.4,ipv4, 1.2.3.4,2\n"
            "\"a,b \"\"q\"\"\nx\",string,\"a,b \"\"q\"\"\nx\",7\n"
            "cr,string,\"cr\r\",9\n");
}

TEST(ResultWriterTest, JsonLinesEscapesAndKeepsKeyOrder) {
  TempDir dir;
  std::string path = dir.Sub("out.jsonl");
  auto w = ResultWriter::Create(path);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->format(), Format::kJsonLines);
  ASSERT_TRUE((*w)->Write(MakeRecord(3, "Bücher \"x\"\\\t\x01",
                                     ItemType::kString, "Bücher \"x\"\\\t\x01"))
                  .ok());
  ASSERT_TRUE(
      (*w)->Write(MakeRecord(4, "bad \xff", ItemType::kString, "bad \xff"))
          .ok());
  ASSERT_TRUE((*w)->Commit().ok());
  std::string text = ReadFile(path);
  EXPECT_EQ(text,
            "{\"value\":\"Bücher \\\"x\\\"\\\\\\t\\u0001\",\"type\":\"string\","
            "\"raw\":\"Bücher \\\"x\\\"\\\\\\t\\u0001\",\"line\":3}\n"
            "{\"value\":\"bad \xEF\xBF\xBD\",\"type\":\"string\","
            "\"raw\":\"bad \xEF\xBF\xBD\",\"line\":4}\n");
  // Each line is a JSON object that reads back.
  size_t nl = text.find('\n');
  auto j = nlohmann::json::parse(text.substr(0, nl));
  EXPECT_EQ(j["value"], "Bücher \"x\"\\\t\x01");
  EXPECT_EQ(j["line"], 3);
}

TEST(ResultWriterTest, ExtraColumnsFollowTheLineInCsvAndJsonLines) {
  TempDir dir;
  ResultWriterOptions opts;
  opts.extra_columns = {"holders"};
  auto csv = ResultWriter::Create(dir.Sub("out.csv"), opts);
  auto jsonl = ResultWriter::Create(dir.Sub("out.jsonl"), opts);
  ASSERT_TRUE(csv.ok() && jsonl.ok());
  const int64_t three = 3;
  for (auto* w : {&*csv, &*jsonl}) {
    ASSERT_TRUE((*w)->Write(MakeRecord(2, "a.com", ItemType::kDomain, "a.com"),
                             absl::MakeConstSpan(&three, 1))
                    .ok());
    absl::Status missing = (*w)->Write(MakeRecord(3, "b.com", ItemType::kDomain, "b.com"));
    EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument) << missing;
    ASSERT_TRUE((*w)->Commit().ok());
  }
  EXPECT_EQ(ReadFile(dir.Sub("out.csv")), "value,type,raw,line,holders\na.com,domain,a.com,2,3\n");
  EXPECT_EQ(ReadFile(dir.Sub("out.jsonl")),
            "{\"value\":\"a.com\",\"type\":\"domain\",\"raw\":\"a.com\",\"line\":2,"
            "\"holders\":3}\n");
}

TEST(ResultWriterTest, TextWritesOneValuePerLine) {
  TempDir dir;
  std::string path = dir.Sub("out.txt");
  auto w = ResultWriter::Create(path);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE(
      (*w)->Write(MakeRecord(1, "A.com", ItemType::kDomain, "a.com")).ok());
  absl::Status s =
      (*w)->Write(MakeRecord(2, "x\ny", ItemType::kString, "x\ny"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("line 2"));
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(ReadFile(path), "a.com\n");
}

TEST(ResultWriterTest, FormatOptionOverridesExtension) {
  TempDir dir;
  std::string path = dir.Sub("out.dat");
  ResultWriterOptions opts;
  opts.format = Format::kCsv;
  auto w = ResultWriter::Create(path, opts);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(ReadFile(path), "value,type,raw,line\n");
}

TEST(ResultWriterTest, DestroyedWithoutCommitLeavesNothing) {
  TempDir dir;
  std::string path = dir.Sub("out.csv");
  {
    auto w = ResultWriter::Create(path);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->Write(MakeRecord(1, "x", ItemType::kString, "x")).ok());
    EXPECT_EQ(dir.NumEntries(), 1u) << "only the temporary file";
    EXPECT_FALSE(std::filesystem::exists(path));
  }
  EXPECT_EQ(dir.NumEntries(), 0u);
}

TEST(ResultWriterTest, CommitReplacesAnOldResultOnlyAtTheEnd) {
  TempDir dir;
  std::string path = dir.Write("out.txt", "old\n");
  auto w = ResultWriter::Create(path);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Write(MakeRecord(1, "n", ItemType::kString, "new")).ok());
  EXPECT_EQ(ReadFile(path), "old\n");
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(ReadFile(path), "new\n");
  EXPECT_EQ(dir.NumEntries(), 1u);
}

TEST(ResultWriterTest, ResultsAreOwnerOnlyByDefault) {
  TempDir dir;
  std::string path = dir.Sub("out.csv");
  auto w = ResultWriter::Create(path);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Commit().ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ResultWriterTest, MissingDirectoryIsNotFound) {
  TempDir dir;
  auto w = ResultWriter::Create(dir.Sub("no/such/dir/out.csv"));
  EXPECT_EQ(w.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace liaison::data
