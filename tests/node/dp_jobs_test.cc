#include "node/dp_jobs.h"

#include "gtest/gtest.h"

namespace liaison::node {
namespace {

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
