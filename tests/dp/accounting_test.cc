#include "dp/accounting.h"

#include <gmpxx.h>

#include <string>
#include <vector>

#include "dp/rational.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::dp {
namespace {

using ::testing::HasSubstr;

PrivacyCost Pure(const char* epsilon) {
  return *PureDpCost(*ParsePositive("epsilon", epsilon));
}
PrivacyCost Zcdp(const char* rho) {
  return *ZcdpCost(*ParsePositive("rho", rho));
}

TEST(CheckBudgetTest, TenTenthsFitInOneAndTheEleventhIsRefused) {
  const PrivacyCost budget = Pure("1.0");
  const PrivacyCost job = Pure("0.1");
  PrivacyCost spent = *PureDpCost(0);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(CheckBudget(spent, job, budget).ok()) << "job " << i + 1;
    spent = Compose(spent, job);
  }
  EXPECT_EQ(spent.value, 1);
  const absl::Status eleventh = CheckBudget(spent, job, budget);
  EXPECT_EQ(eleventh.code(), absl::StatusCode::kResourceExhausted);
  // People read the amounts in decimals (issue 12).
  EXPECT_THAT(std::string(eleventh.message()), HasSubstr("epsilon=1.1 after this job, budget epsilon=1"));
}

TEST(CheckBudgetTest, ZcdpTenthsFitExactlyToo) {
  const PrivacyCost budget = Zcdp("0.5");
  PrivacyCost spent = *ZcdpCost(0);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(CheckBudget(spent, Zcdp("0.1"), budget).ok());
    spent = Compose(spent, Zcdp("0.1"));
  }
  EXPECT_EQ(CheckBudget(spent, Zcdp("0.000001"), budget).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(ComposeTest, PureAddsZcdpAddsMixedConvertsToZcdp) {
  EXPECT_EQ(Compose(Pure("0.25"), Pure("0.5")).value, mpq_class(3, 4));
  EXPECT_EQ(Compose(Pure("0.25"), Pure("0.5")).model, PrivacyModel::kPureDp);
  EXPECT_EQ(Compose(Zcdp("0.25"), Zcdp("0.5")).value, mpq_class(3, 4));
  // ε = 1 is ρ = 1/2; plus ρ = 1/4.
  const PrivacyCost mixed = Compose(Pure("1"), Zcdp("0.25"));
  EXPECT_EQ(mixed.model, PrivacyModel::kZcdp);
  EXPECT_EQ(mixed.value, mpq_class(3, 4));
  EXPECT_EQ(ToZcdp(Pure("0.1")).value, mpq_class(1, 200));
  const std::vector<PrivacyCost> costs = {Pure("0.1"), Pure("0.2"),
                                          Pure("0.3")};
  EXPECT_EQ(ComposeAll(costs).value, mpq_class(3, 5));
  EXPECT_EQ(ComposeAll({}).value, 0);
}

TEST(CheckBudgetTest, PureCostsChargeToZcdpBudgetOneByOne) {
  // Ten jobs of ε = 0.1 are ten times ρ = 1/200 = 1/20 in all, well under
  // (Σε)²/2 = 1/2.
  const PrivacyCost budget = Zcdp("0.05");
  PrivacyCost spent = *ZcdpCost(0);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(CheckBudget(spent, Pure("0.1"), budget).ok()) << i;
    spent = Compose(spent, ToZcdp(Pure("0.1")));
  }
  EXPECT_EQ(CheckBudget(spent, Pure("0.1"), budget).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(CheckBudgetTest, ZcdpCostAgainstPureBudgetIsInvalidArgument) {
  EXPECT_EQ(CheckBudget(*PureDpCost(0), Zcdp("0.01"), Pure("1")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckBudget(Zcdp("0.01"), Pure("0.1"), Pure("1")).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PrivacyCostTest, NegativeCostsAreRejected) {
  EXPECT_EQ(PureDpCost(mpq_class(-1, 10)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ZcdpCost(mpq_class(-1, 10)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DescribeCost(Zcdp("0.125")), "rho=1/8");
  EXPECT_EQ(CostForPeople(Zcdp("0.125")), "rho=0.125");
  EXPECT_EQ(CostForPeople(Pure("0.5")), "epsilon=0.5");
}

}  // namespace
}  // namespace liaison::dp
