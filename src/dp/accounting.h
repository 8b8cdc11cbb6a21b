// Privacy accounting: what a release costs, how costs add up, and whether a
// budget still allows the next one. Pure logic in exact rationals (GMP), so
// that a budget of 1 admits exactly ten jobs of 0.1 and refuses the
// eleventh, with no rounding either way. The node keeps the ledger (what has
// been spent, per alliance and dataset); this file only does the arithmetic.
//
// Two accounting models:
//  - pure ε-DP (discrete Laplace): the cost is ε. Basic composition: the
//    ε of several releases add up.
//  - ρ-zCDP (discrete Gaussian; Bun and Steinke, TCC 2016): the cost is ρ.
//    Composition: the ρ add up. ρ-zCDP implies (ε, δ)-DP for every δ > 0
//    with ε = ρ + 2·sqrt(ρ·ln(1/δ)) (see dp/mechanism.h).
// Mixing: an ε-DP release is also (ε²/2)-zCDP (Bun-Steinke Proposition 1.4),
// so a pure cost can be charged to a zCDP budget after conversion; a zCDP
// cost cannot be charged to a pure ε budget (it gives no pure guarantee).
//
// Basic composition holds whatever the releases are and however they were
// chosen (adaptively too), as long as every release is computed from the
// same protected data and counted. It is not tight for many releases under
// pure DP (advanced composition would be), which errs on the safe side.
#ifndef LIAISON_DP_ACCOUNTING_H_
#define LIAISON_DP_ACCOUNTING_H_

#include <gmpxx.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace liaison::dp {

// PrivacyModel names the accounting model of a cost or a budget.
enum class PrivacyModel { kPureDp, kZcdp };

// PrivacyCost is an amount of privacy loss: ε under kPureDp, ρ under kZcdp.
// Also used for budgets and for what has been spent. Public values.
struct PrivacyCost {
  PrivacyModel model = PrivacyModel::kPureDp;
  mpq_class value = 0;  // ε or ρ, >= 0
};

// PureDpCost returns the cost ε; InvalidArgument if epsilon < 0.
absl::StatusOr<PrivacyCost> PureDpCost(const mpq_class& epsilon);

// ZcdpCost returns the cost ρ; InvalidArgument if rho < 0.
absl::StatusOr<PrivacyCost> ZcdpCost(const mpq_class& rho);

// ToZcdp returns `cost` as a zCDP cost: ρ = ε²/2 for a pure cost, unchanged
// for a zCDP one. Exact.
PrivacyCost ToZcdp(const PrivacyCost& cost);

// Compose returns the cost of releasing both `a` and `b` (basic
// composition): ε_a + ε_b when both are pure, otherwise ρ_a + ρ_b after
// converting a pure cost with ToZcdp.
PrivacyCost Compose(const PrivacyCost& a, const PrivacyCost& b);

// ComposeAll folds Compose over `costs`; the empty list costs ε = 0.
PrivacyCost ComposeAll(absl::Span<const PrivacyCost> costs);

// CheckBudget returns OK when `spent` composed with `next` stays within
// `budget` (equality allowed), ResourceExhausted when it would overspend,
// and InvalidArgument when the models cannot be compared: a zCDP cost (spent
// or next) against a pure ε budget. Amounts in messages are decimals
// (CostForPeople). Against a zCDP budget, `spent` and
// `next` are each converted with ToZcdp; a ledger under a zCDP budget should
// therefore keep `spent` as Compose(spent, ToZcdp(next)), since converting a
// sum of ε afterwards ((Σε)²/2) overstates it. Messages carry the (public)
// amounts.
absl::Status CheckBudget(const PrivacyCost& spent, const PrivacyCost& next,
                         const PrivacyCost& budget);

// DescribeCost writes a cost exactly, for machines (JSON, logs that are
// parsed): "epsilon=1/10" or "rho=1/2".
std::string DescribeCost(const PrivacyCost& cost);

// CostForPeople writes a cost in decimals (dp::FormatDecimal), for what a
// person reads: "epsilon=0.1" or "rho=0.5".
std::string CostForPeople(const PrivacyCost& cost);

}  // namespace liaison::dp

#endif  // LIAISON_DP_ACCOUNTING_H_
