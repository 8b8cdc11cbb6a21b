#include "session/job_params.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::session {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(JobParamsTest, EveryNameRoundTrips) {
  for (Question q : {Question::kMatch, Question::kCount, Question::kSum, Question::kQuorum}) {
    EXPECT_EQ(*ParseQuestion(QuestionName(q)), q);
  }
  for (ResultTo r : {ResultTo::kBoth, ResultTo::kMe, ResultTo::kPeer}) {
    EXPECT_EQ(*ParseResultTo(ResultToName(r)), r);
  }
  for (Security s : {Security::kSemiHonest, Security::kMalicious}) {
    EXPECT_EQ(*ParseSecurity(SecurityName(s)), s);
  }
  for (Protocol p : {Protocol::kRr22, Protocol::kEcdh}) {
    EXPECT_EQ(*ParseProtocol(ProtocolName(p)), p);
    EXPECT_EQ(*ParseProtocol(ProtocolSessionName(p)), p);
  }
  EXPECT_EQ(QuestionName(Question::kCount), "count");
  EXPECT_EQ(ProtocolName(Protocol::kEcdh), "ecdh");
  EXPECT_EQ(ProtocolSessionName(Protocol::kRr22), "rr22-psi");
  EXPECT_EQ(ResultToName(ResultTo::kPeer), "peer");
  EXPECT_EQ(SecurityName(Security::kSemiHonest), "semi-honest");
}

TEST(JobParamsTest, UnknownNamesAreInvalidArgumentNamingTheField) {
  struct Case {
    absl::Status status;
    std::string field;
  } cases[] = {{ParseQuestion("guess").status(), "question"},
               {ParseProtocol("kkrt").status(), "protocol"},
               {ParseResultTo("everyone").status(), "result_to"},
               {ParseSecurity("covert").status(), "security"}};
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(std::string(c.status.message()), StartsWith(c.field + " must be one of"));
    EXPECT_THAT(std::string(c.status.message()), ::testing::Not(HasSubstr("--")));
  }
  EXPECT_EQ(ParseResultTo("x").status().message(), "result_to must be one of both, me, peer, not 'x'");
}

TEST(JobParamsTest, JsonRoundTripsWithTheKeysOfARestBody) {
  JobParams p;
  p.question = Question::kSum;
  p.protocol = Protocol::kRr22;
  p.result_to = ResultTo::kPeer;
  p.security = Security::kMalicious;
  p.dp = DpParams{"0.5", "0.000001", "0.25", "0:100"};
  const std::string json = JobParamsJson(p);
  EXPECT_EQ(json,
            R"({"question":"sum","protocol":"rr22","result_to":"peer","security":"malicious",)"
            R"("epsilon":"0.5","delta":"0.000001","count_epsilon":"0.25","bounds":"0:100"})");
  absl::StatusOr<JobParams> back = ParseJobParams(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(JobParamsJson(*back), json);

  JobParams quorum;
  quorum.question = Question::kQuorum;
  quorum.participants = {"alpha", "bravo", "charlie"};
  quorum.threshold = 2;
  const std::string qjson = JobParamsJson(quorum);
  EXPECT_THAT(qjson, HasSubstr(R"("participants":["alpha","bravo","charlie"],"threshold":2)"));
  back = ParseJobParams(qjson);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->participants, quorum.participants);
  EXPECT_EQ(back->threshold, 2);
  EXPECT_EQ(JobParamsJson(*back), qjson);
}

TEST(JobParamsTest, AnEmptyObjectIsTheDefaults) {
  absl::StatusOr<JobParams> p = ParseJobParams("{}");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(JobParamsJson(*p), JobParamsJson(JobParams()));
  EXPECT_TRUE(ValidateJobParams(*p).ok());
}

TEST(JobParamsTest, MalformedJsonIsInvalidArgumentNamingTheField) {
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {R"([])", "job parameters"},
      {R"({"question":1})", "question"},
      {R"({"question":"guess"})", "question"},
      {R"({"protocol":"kkrt"})", "protocol"},
      {R"({"result_to":"all"})", "result_to"},
      {R"({"security":"covert"})", "security"},
      {R"({"epsilon":0.5})", "epsilon"},
      {R"({"participants":"alpha"})", "participants"},
      {R"({"participants":["alpha",2]})", "participants"},
      {R"({"threshold":"2"})", "threshold"},
      {R"({"threshold":2.5})", "threshold"},
      {R"({"colour":"red"})", "unknown field \"colour\""},
  };
  for (const Case& c : cases) {
    absl::Status s = ParseJobParams(c.json).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(std::string(s.message()), StartsWith(c.field)) << c.json;
  }
}

JobParams Noised(Question q) {
  JobParams p;
  p.question = q;
  p.result_to = ResultTo::kMe;
  p.dp.epsilon = "1";
  if (q == Question::kSum) p.dp.bounds = "0:10";
  return p;
}

TEST(JobParamsTest, ValidJobsPass) {
  EXPECT_TRUE(ValidateJobParams(JobParams()).ok());
  EXPECT_TRUE(ValidateJobParams(Noised(Question::kCount)).ok());
  EXPECT_TRUE(ValidateJobParams(Noised(Question::kSum)).ok());
  JobParams exact;
  exact.question = Question::kCount;
  exact.protocol = Protocol::kEcdh;
  EXPECT_TRUE(ValidateJobParams(exact).ok());
  JobParams malicious = Noised(Question::kSum);
  malicious.security = Security::kMalicious;
  EXPECT_TRUE(ValidateJobParams(malicious).ok());
  JobParams quorum;
  quorum.question = Question::kQuorum;
  quorum.participants = {"alpha", "bravo", "charlie"};
  quorum.threshold = 3;
  EXPECT_TRUE(ValidateJobParams(quorum).ok());
}

// Each invalid field gives InvalidArgument with a message that starts with
// the field, never with a command-line flag.
TEST(JobParamsTest, EachInvalidFieldIsNamed) {
  struct Case {
    JobParams params;
    std::string field;
  };
  std::vector<Case> cases;
  auto add = [&](std::string field, auto mutate, JobParams p = JobParams()) {
    mutate(p);
    cases.push_back({p, std::move(field)});
  };
  add("epsilon", [](JobParams& p) { p.dp.epsilon = "1"; });
  add("bounds", [](JobParams& p) { p.dp.bounds = "0:1"; });
  add("epsilon", [](JobParams& p) { p.dp.epsilon = "0"; }, Noised(Question::kCount));
  add("epsilon", [](JobParams& p) { p.dp.epsilon = ""; }, Noised(Question::kSum));
  add("delta", [](JobParams& p) { p.dp.delta = "1.5"; }, Noised(Question::kCount));
  add("bounds", [](JobParams& p) { p.dp.bounds = "0:1"; }, Noised(Question::kCount));
  add("count_epsilon", [](JobParams& p) { p.dp.count_epsilon = "1"; }, Noised(Question::kCount));
  add("bounds", [](JobParams& p) { p.dp.bounds = ""; }, Noised(Question::kSum));
  add("bounds", [](JobParams& p) { p.dp.bounds = "ten"; }, Noised(Question::kSum));
  add("count_epsilon", [](JobParams& p) { p.dp.count_epsilon = "-1"; }, Noised(Question::kSum));
  add("protocol", [](JobParams& p) { p.protocol = Protocol::kEcdh; }, Noised(Question::kCount));
  add("security", [](JobParams& p) {
    p.protocol = Protocol::kEcdh;
    p.security = Security::kMalicious;
  });
  add("result_to", [](JobParams& p) {
    p.security = Security::kMalicious;
    p.result_to = ResultTo::kBoth;
  }, Noised(Question::kSum));
  add("participants", [](JobParams& p) { p.participants = {"alpha", "bravo"}; });
  add("threshold", [](JobParams& p) { p.threshold = 2; });
  JobParams quorum;
  quorum.question = Question::kQuorum;
  quorum.participants = {"alpha", "bravo", "charlie"};
  quorum.threshold = 2;
  add("participants", [](JobParams& p) { p.participants = {"alpha"}; }, quorum);
  add("participants", [](JobParams& p) { p.participants = {"alpha", "alpha", "bravo"}; }, quorum);
  add("participants", [](JobParams& p) { p.participants.push_back(""); }, quorum);
  add("threshold", [](JobParams& p) { p.threshold = 1; }, quorum);
  add("threshold", [](JobParams& p) { p.threshold = 4; }, quorum);
  add("epsilon", [](JobParams& p) { p.dp.epsilon = "1"; }, quorum);
  for (const Case& c : cases) {
    absl::Status s = ValidateJobParams(c.params);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << JobParamsJson(c.params);
    EXPECT_THAT(std::string(s.message()), StartsWith(c.field)) << JobParamsJson(c.params);
    EXPECT_THAT(std::string(s.message()), ::testing::Not(HasSubstr("--")))
        << JobParamsJson(c.params);
  }
}

TEST(JobParamsTest, DpSpecOfCalibratesAndBlamesTheField) {
  std::string field;
  absl::StatusOr<psi::DpAggregateSpec> spec =
      DpSpecOf(Question::kSum, DpParams{"1", "", "0.5", "-5:5"}, &field);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->kind, psi::AggregateKind::kSum);
  EXPECT_EQ(spec->lo, -5);
  EXPECT_EQ(spec->hi, 5);
  EXPECT_EQ(DpSpecOf(Question::kMatch, DpParams{"1", "", "", ""}, &field).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(field, "question");
  EXPECT_FALSE(DpSpecOf(Question::kCount, DpParams{"1", "2", "", ""}, &field).ok());
  EXPECT_EQ(field, "delta");
}

}  // namespace
}  // namespace liaison::session
