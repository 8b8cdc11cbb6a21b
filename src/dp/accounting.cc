#include "dp/accounting.h"

#include <string>

#include "base/strings.h"
#include "dp/rational.h"

namespace liaison::dp {

absl::StatusOr<PrivacyCost> PureDpCost(const mpq_class& epsilon) {
  if (sgn(epsilon) < 0)
    return absl::InvalidArgumentError("epsilon: must not be negative");
  return PrivacyCost{PrivacyModel::kPureDp, epsilon};
}

absl::StatusOr<PrivacyCost> ZcdpCost(const mpq_class& rho) {
  if (sgn(rho) < 0)
    return absl::InvalidArgumentError("rho: must not be negative");
  return PrivacyCost{PrivacyModel::kZcdp, rho};
}

PrivacyCost ToZcdp(const PrivacyCost& cost) {
  if (cost.model == PrivacyModel::kZcdp) return cost;
  return PrivacyCost{PrivacyModel::kZcdp, cost.value * cost.value / 2};
}

PrivacyCost Compose(const PrivacyCost& a, const PrivacyCost& b) {
  if (a.model == PrivacyModel::kPureDp && b.model == PrivacyModel::kPureDp) {
    return PrivacyCost{PrivacyModel::kPureDp, a.value + b.value};
  }
  return PrivacyCost{PrivacyModel::kZcdp, ToZcdp(a).value + ToZcdp(b).value};
}

PrivacyCost ComposeAll(absl::Span<const PrivacyCost> costs) {
  PrivacyCost total;
  for (const PrivacyCost& c : costs) total = Compose(total, c);
  return total;
}

absl::Status CheckBudget(const PrivacyCost& spent, const PrivacyCost& next,
                         const PrivacyCost& budget) {
  if (budget.model == PrivacyModel::kPureDp &&
      (spent.model == PrivacyModel::kZcdp ||
       next.model == PrivacyModel::kZcdp)) {
    return absl::InvalidArgumentError(
        "a zCDP (discrete Gaussian) cost cannot be charged to a pure epsilon "
        "budget");
  }
  // Against a zCDP budget each side converts on its own: Σ ε_i²/2 is below
  // (Σ ε_i)²/2.
  const mpq_class used =
      budget.model == PrivacyModel::kZcdp
          ? mpq_class(ToZcdp(spent).value + ToZcdp(next).value)
          : mpq_class(spent.value + next.value);
  if (used > budget.value) {
    const PrivacyCost shown{budget.model, used};
    return absl::ResourceExhaustedError(
        StrCat("privacy budget exceeded: ", CostForPeople(shown),
               " after this job, budget ", CostForPeople(budget)));
  }
  return absl::OkStatus();
}

std::string DescribeCost(const PrivacyCost& cost) {
  return StrCat(cost.model == PrivacyModel::kPureDp ? "epsilon=" : "rho=",
                FormatRational(cost.value));
}

std::string CostForPeople(const PrivacyCost& cost) {
  return StrCat(cost.model == PrivacyModel::kPureDp ? "epsilon=" : "rho=",
                FormatDecimal(cost.value));
}

}  // namespace liaison::dp
