// The privacy ledger: how much differential-privacy loss each peer has been
// given about each of our datasets, per alliance, and the check that no job
// spends more than the alliance's budget allows (issue: a partner running
// many slightly varied count or sum queries must not rebuild what did not
// intersect).
//
// Accounting. Every noised answer a peer receives costs (ε, δ) — δ = 0 for
// the discrete Laplace mechanism, δ > 0 for the discrete Gaussian (dp/
// mechanism.h) — and costs compose by basic composition: the ε add up and
// the δ add up, over every answer about the same dataset given to the same
// peer in the same alliance, whatever the questions and however adaptively
// they were chosen. A job is admitted only if, after adding its cost, both
// sums stay within the alliance's [alliances.<name>.dp] budget
// (epsilon, delta). All arithmetic is exact (GMP rationals parsed from the
// decimal strings): a budget of "1" admits exactly ten jobs of "0.1".
// Basic composition is not the tightest bound (zCDP would allow more
// Gaussian answers for the same guarantee); it is the one a reader can check
// with a pencil, and it errs on the safe side.
//
// Reservation. ReserveIn records the cost inside the caller's write
// transaction, before any protocol message, so two concurrent jobs cannot
// both pass the check on the same remaining budget (SQLite serialises write
// transactions). A reserved cost is never given back: a job that fails
// after the protocol started may still have told the peer something, so it
// counts as spent (the default the issue asks for). The daemon reserves an
// initiator's charge when it creates the job and a responder's when it
// admits the offer (node/dp_jobs.h), so a job the peer then refuses keeps
// its charge too: conservative, and never in the peer's favour. The ledger
// lives in the store, so it survives restarts.
//
// Thread safety: as the Store; the functions taking a Db run inside the
// caller's transaction.
#ifndef LIAISON_NODE_PRIVACY_LEDGER_H_
#define LIAISON_NODE_PRIVACY_LEDGER_H_

#include <gmpxx.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/config.h"
#include "node/internal/sqlite.h"
#include "node/store.h"

namespace liaison::node {

// PrivacyAmount is an (ε, δ) pair: a job's cost, a budget, or a total spent.
struct PrivacyAmount {
  mpq_class epsilon = 0;
  mpq_class delta = 0;
};

// ParsePrivacyAmount parses decimal strings ("0.5", "1e-6"); an empty delta
// means 0. InvalidArgument naming `what` for negative or malformed values,
// or a delta of 1 or more.
absl::StatusOr<PrivacyAmount> ParsePrivacyAmount(std::string_view what,
                                                 std::string_view epsilon,
                                                 std::string_view delta);

// LedgerKey names one budget: a peer's answers about one of our datasets in
// one alliance.
struct LedgerKey {
  std::string alliance;
  std::string peer;
  std::string dataset;
};

// LedgerTotals is what has been spent under one key.
struct LedgerTotals {
  PrivacyAmount spent;
  uint64_t num_charges = 0;
};

// SpentIn returns the totals under `key` (zero if nothing was charged).
absl::StatusOr<LedgerTotals> SpentIn(internal::Db& db, const LedgerKey& key);

// ReserveIn charges `cost` to `key` for job `job_id` (which must exist in
// the jobs table) if the totals plus `cost` stay within `budget` in both ε
// and δ, and returns the totals after the charge. ResourceExhausted, with a
// message stating the budget, what was spent and what the job asked for,
// when it would overspend; nothing is written then. InvalidArgument for a
// zero or negative ε.
absl::StatusOr<LedgerTotals> ReserveIn(internal::Db& db, const LedgerKey& key,
                                       std::string_view job_id,
                                       const PrivacyAmount& cost,
                                       const PrivacyAmount& budget);

// Reserve is ReserveIn in its own write transaction.
absl::StatusOr<LedgerTotals> Reserve(Store& store, const LedgerKey& key,
                                     std::string_view job_id,
                                     const PrivacyAmount& cost,
                                     const PrivacyAmount& budget);

// BudgetOf returns the alliance's budget; FailedPrecondition if it has none
// (the config parser requires one wherever count or sum is allowed).
absl::StatusOr<PrivacyAmount> BudgetOf(const AllianceConfig& alliance);

}  // namespace liaison::node

#endif  // LIAISON_NODE_PRIVACY_LEDGER_H_
