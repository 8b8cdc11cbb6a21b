#include "session/record_set.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::session {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

data::InputSpec Spec(const std::string& path) {
  data::InputSpec spec;
  spec.path = path;
  return spec;
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(RecordSetTest, DuplicatesShareOneKeyAndEveryRowIsKept) {
  std::string path = WriteTemp("dups.txt", "evil.example\n# comment\nEVIL.example.\n203.0.113.9\n"
                                           "evil[.]example\nnot an indicator\n");
  std::vector<data::Reject> rejects;
  auto set = LoadRecordSet(Spec(path), data::Profile::V1(),
                           [&](const data::Reject& r) { rejects.push_back(r); });
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->records.size(), 4u);
  EXPECT_EQ(set->keys.size(), 2u);
  EXPECT_THAT(set->record_key, ElementsAre(0, 0, 1, 0));
  EXPECT_EQ(set->num_rejected, 1u);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].line, 6u);
  // Key 0 (evil.example) matched: its three rows, in input order.
  EXPECT_THAT(set->RecordsOfKeys({0}), ElementsAre(0, 1, 3));
  EXPECT_THAT(set->RecordsOfKeys({1}), ElementsAre(2));
  EXPECT_TRUE(set->RecordsOfKeys({}).empty());
}

TEST(RecordSetTest, FileWithNoValidRecordIsInvalidArgument) {
  std::string path = WriteTemp("none.txt", "# only comments\nnot an indicator\n");
  auto set = LoadRecordSet(Spec(path), data::Profile::V1(), nullptr);
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(set.status().message(), HasSubstr("no valid record (1 rejected)"));
}

TEST(RecordSetTest, MissingFileIsNotFound) {
  auto set = LoadRecordSet(Spec(::testing::TempDir() + "/does-not-exist.txt"),
                           data::Profile::V1(), nullptr);
  EXPECT_EQ(set.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace liaison::session
