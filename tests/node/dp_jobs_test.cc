#include "node/dp_jobs.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::node {
namespace {

using ::testing::HasSubstr;

TEST(DpJobsTest, CountSpecIsParsedExactly) {
  auto spec = DpSpecOf("count", OfferDp{"0.3", "", "", "", ""});
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->kind, psi::AggregateKind::kCount);
  EXPECT_TRUE(spec->epsilon == mpq_class(3, 10));
  EXPECT_FALSE(spec->delta.has_value());
}

TEST(DpJobsTest, SumNeedsBoundsAndTakesACountEpsilon) {
  EXPECT_EQ(DpSpecOf("sum", OfferDp{"1", "", "", "", "responder"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto spec = DpSpecOf("sum", OfferDp{"1", "", "0.5", "-10:100", "responder"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->lo, -10);
  EXPECT_EQ(spec->hi, 100);
  EXPECT_TRUE(*spec->count_epsilon == mpq_class(1, 2));
}

TEST(DpJobsTest, BadParametersAreInvalidArgument) {
  for (const OfferDp& dp : {OfferDp{"", "", "", "", ""}, OfferDp{"0", "", "", "", ""},
                            OfferDp{"1", "1", "", "", ""}, OfferDp{"1", "", "", "0:1", ""},
                            OfferDp{"1", "", "0.5", "", ""}, OfferDp{"0.1e", "", "", "", ""}}) {
    EXPECT_EQ(DpSpecOf("count", dp).status().code(), absl::StatusCode::kInvalidArgument)
        << dp.epsilon << " " << dp.delta;
  }
  EXPECT_EQ(DpSpecOf("match", OfferDp{"1", "", "", "", ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DpSpecOf("sum", OfferDp{"1", "", "", "5:1", "initiator"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DpJobsTest, SpecErrorsNameTheParameterAtFault) {
  struct Case {
    std::string question;
    OfferDp dp;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"count", OfferDp{"", "", "", "", ""}, "epsilon"},
      {"count", OfferDp{"-1", "", "", "", ""}, "epsilon"},
      {"count", OfferDp{"1", "2", "", "", ""}, "delta"},
      {"count", OfferDp{"1", "", "", "0:1", ""}, "bounds"},
      {"count", OfferDp{"1", "", "0.5", "", ""}, "count_epsilon"},
      {"count", OfferDp{"1", "", "", "", "initiator"}, "values"},
      {"sum", OfferDp{"1", "", "", "", "initiator"}, "bounds"},
      {"sum", OfferDp{"1", "", "", "9:1", "initiator"}, "bounds"},
      {"sum", OfferDp{"1", "", "", "0:0", "initiator"}, "bounds"},
      {"sum", OfferDp{"1", "", "zero", "0:1", "initiator"}, "count_epsilon"},
      {"match", OfferDp{"1", "", "", "", ""}, "question"},
  };
  for (const Case& c : cases) {
    std::string field;
    auto spec = DpSpecOf(c.question, c.dp, &field);
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(field, c.field);
  }
}

DatasetConfig Dataset(bool with_values) {
  DatasetConfig d;
  d.name = with_values ? "amounts" : "ind";
  if (with_values) d.value_column = "amount";
  return d;
}

TEST(DpJobsTest, JobDpOfDecidesTheValueSideAndChecksTheParameters) {
  auto count = JobDpOf("count", "rr22", "both", session::Security::kSemiHonest, Dataset(false), DpJobParams{"0.3", "", "", ""});
  ASSERT_TRUE(count.ok()) << count.status();
  ASSERT_TRUE(count->has_value());
  EXPECT_EQ((*count)->offer.values, "");
  EXPECT_TRUE((*count)->spec.epsilon == mpq_class(3, 10));

  auto theirs = JobDpOf("sum", "rr22", "me", session::Security::kSemiHonest, Dataset(false), DpJobParams{"1", "", "", "0:9"});
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_EQ((*theirs)->offer.values, "responder");
  auto ours = JobDpOf("sum", "rr22", "peer", session::Security::kSemiHonest, Dataset(true), DpJobParams{"1", "", "", "0:9"});
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_EQ((*ours)->offer.values, "initiator");

  auto match = JobDpOf("match", "ecdh", "me", session::Security::kSemiHonest, Dataset(false), DpJobParams{});
  ASSERT_TRUE(match.ok()) << match.status();
  EXPECT_FALSE(match->has_value());
}

TEST(DpJobsTest, JobDpOfRefusalsNameTheJobFieldAtFault) {
  struct Case {
    std::string question, protocol, result_to;
    bool with_values;
    DpJobParams params;
    std::string field;
    session::Security security = session::Security::kSemiHonest;
  };
  const std::vector<Case> cases = {
      {"match", "rr22", "me", false, DpJobParams{"1", "", "", ""}, "epsilon"},
      {"match", "rr22", "me", false, DpJobParams{"", "", "", "0:1"}, "bounds"},
      {"count", "ecdh", "me", false, DpJobParams{"1", "", "", ""}, "protocol"},
      {"sum", "rr22", "me", true, DpJobParams{"1", "", "", "0:9"}, "result_to"},
      {"sum", "rr22", "both", false, DpJobParams{"1", "", "", ""}, "bounds"},
      {"count", "rr22", "both", false, DpJobParams{"", "", "", ""}, "epsilon"},
      {"count", "rr22", "both", false, DpJobParams{"1", "", "", ""}, "result_to",
       session::Security::kMalicious},
      {"sum", "rr22", "both", true, DpJobParams{"1", "", "", "0:9"}, "result_to",
       session::Security::kMalicious},
  };
  for (const Case& c : cases) {
    std::string field;
    auto dp = JobDpOf(c.question, c.protocol, c.result_to, c.security, Dataset(c.with_values),
                      c.params, &field);
    EXPECT_EQ(dp.status().code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(field, c.field);
  }
}

TEST(DpJobsTest, AMaliciousCountOrSumGoesToOneSideOnly) {
  const auto malicious = session::Security::kMalicious;
  auto mine = JobDpOf("count", "rr22", "me", malicious, Dataset(false), DpJobParams{"1", "", "", ""});
  ASSERT_TRUE(mine.ok()) << mine.status();
  EXPECT_TRUE((*mine)->spec.malicious);
  auto theirs = JobDpOf("sum", "rr22", "peer", malicious, Dataset(true),
                        DpJobParams{"1", "", "", "0:9"});
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  auto both = JobDpOf("count", "rr22", "both", malicious, Dataset(false),
                      DpJobParams{"1", "", "", ""});
  EXPECT_EQ(both.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(both.status().message()), HasSubstr("one side"));
  // A match has no such limit: with result_to both, the first to learn can
  // only leave matches out of what the other learns (docs/node.md).
  auto match = JobDpOf("match", "rr22", "both", malicious, Dataset(false), DpJobParams{});
  EXPECT_TRUE(match.ok()) << match.status();
}

TEST(DpJobsTest, ASideIsChargedOnlyWhenItsPeerReceives) {
  auto spec = DpSpecOf("sum", OfferDp{"1", "0.000001", "0.5", "0:10", "initiator"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  PrivacyAmount none = PrivacyChargeOf(*spec, /*peer_receives=*/false);
  EXPECT_TRUE(none.epsilon == 0 && none.delta == 0);
  PrivacyAmount charged = PrivacyChargeOf(*spec, /*peer_receives=*/true);
  EXPECT_TRUE(charged.epsilon == mpq_class(3, 2));
  EXPECT_TRUE(charged.delta == mpq_class(1, 500000));  // two Gaussian releases
}

}  // namespace
}  // namespace liaison::node
