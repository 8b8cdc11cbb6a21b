#include "node/rest_api.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::node {
namespace {

TEST(ParseJobSubmissionTest, ReadsRequiredAndOptionalFields) {
  auto s = ParseJobSubmission(
      R"({"alliance":"fin","peer":"b","dataset":"ind","protocol":"ecdh","result_to":"both",
          "peer_dataset":"wl"})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->alliance, "fin");
  EXPECT_EQ(s->peer, "b");
  EXPECT_EQ(s->dataset, "ind");
  EXPECT_EQ(s->protocol, "ecdh");
  EXPECT_EQ(s->result_to, "both");
  EXPECT_EQ(s->peer_dataset, "wl");
  EXPECT_EQ(s->question, "match");  // the default
  EXPECT_EQ(s->idempotency_key, "");  // a header, not a body field
}

TEST(ParseJobSubmissionTest, MalformedBodiesAreInvalidArgument) {
  for (const char* bad :
       {"", "[]", "null", "{", R"({"alliance":"fin","peer":"b"})",
        R"({"alliance":"fin","peer":"b","dataset":7})",
        R"({"alliance":"fin","peer":"b","dataset":"ind","colour":"red"})",
        R"({"alliance":"fin","peer":"b","dataset":"ind","idempotency_key":"k"})"}) {
    EXPECT_EQ(ParseJobSubmission(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  auto unknown = ParseJobSubmission(R"({"alliance":"fin","peer":"b","dataset":"ind","x":"v"})");
  EXPECT_THAT(std::string(unknown.status().message()), ::testing::HasSubstr("\"x\""));
  auto long_key = ParseJobSubmission("{\"" + std::string(100, 'k') + "\":1}");
  EXPECT_THAT(std::string(long_key.status().message()),
              ::testing::Not(::testing::HasSubstr(std::string(100, 'k'))));
}

TEST(HttpStatusForTest, MapsStatusCodesInOnePlace) {
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kOk), 200);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDataLoss), 500);
}

}  // namespace
}  // namespace liaison::node
