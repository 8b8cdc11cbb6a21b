// The privacy ledger: how much differential-privacy loss each peer has been
// given about our data, and the check that no job spends more than the
// budgets allow (issue: a partner running many slightly varied count or sum
// queries must not rebuild what did not intersect).
//
// Accounting. Every noised answer a peer receives costs (ε, δ) — δ = 0 for
// the discrete Laplace mechanism, δ > 0 for the discrete Gaussian (dp/
// mechanism.h) — and costs compose by basic composition: the ε add up and
// the δ add up, over every answer about the same data given to the same
// peer, whatever the questions, however adaptively they were chosen and in
// whichever alliance. All arithmetic is exact (GMP rationals parsed from the
// decimal strings): a budget of "1" admits exactly ten jobs of "0.1".
// Basic composition is not the tightest bound (zCDP would allow more
// Gaussian answers for the same guarantee); it is the one a reader can check
// with a pencil, and it errs on the safe side.
//
// Ledgers. A charge is one row with its BudgetKey (budget_keys.h), and it
// counts in every ledger that covers its data: the peer's ledger of the
// dataset's name and the peer's ledger of its content (the same items under
// any dataset name), and, for a dataset with a global budget, the dataset's
// and its content's ledgers across all peers. A job is admitted only if,
// after adding its cost, every one of them stays within its budget, and the
// one row charges them all at once. The per-peer budget is the smallest
// [alliances.<name>.dp] budget among the alliances that grant the peer the
// dataset (PrivacyBudgetsFor), so a partner in two alliances with us cannot
// pick the more generous; the global budget is the dataset's
// dp_global_epsilon / dp_global_delta.
//
// Reservation. ReserveIn records the cost inside the caller's write
// transaction, before any protocol message, so two concurrent jobs cannot
// both pass the check on the same remaining budget (SQLite serialises write
// transactions). A reserved cost is never given back: a job that fails
// after the protocol started may still have told the peer something, so it
// counts as spent. The daemon reserves an initiator's charge when it
// creates the job and a responder's when it admits the offer (node/
// dp_jobs.h), so a job the peer then refuses keeps its charge too:
// conservative, and never in the peer's favour. Before a job's first
// protocol message its data is read again; if its content changed since the
// charge (a new file), SettleContentIn moves the not yet used charge to the
// new content, checking its ledgers. The ledger lives in the store, so it
// survives restarts.
//
// Thread safety: as the Store; the functions taking a Db run inside the
// caller's transaction.
#ifndef LIAISON_NODE_PRIVACY_LEDGER_H_
#define LIAISON_NODE_PRIVACY_LEDGER_H_

#include <gmpxx.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/budget_keys.h"
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

// LedgerScope names one ledger: whose answers (a peer's key, or all peers
// together) about which data (one of our datasets by name, or a content
// digest, whatever the dataset's name). Exactly one of dataset and
// dataset_digest is set.
struct LedgerScope {
  std::string peer_fingerprint;  // "" for all peers: a dataset's global ledger
  std::string dataset;
  std::string dataset_digest;
};

// LedgerTotals is what has been spent in one ledger.
struct LedgerTotals {
  PrivacyAmount spent;
  uint64_t num_charges = 0;
};

// SpentIn returns the totals of the ledger `scope` (zero if nothing was
// charged), leaving out the charges of job `except_job` if it is not empty.
absl::StatusOr<LedgerTotals> SpentIn(internal::Db& db, const LedgerScope& scope,
                                     std::string_view except_job = "");

// ContentsIn lists the contents (digests) that the charges of `scope`, a
// ledger by dataset name, were made under, in the order of their first
// charge; a charge whose content is not known yet is left out.
absl::StatusOr<std::vector<std::string>> ContentsIn(internal::Db& db, const LedgerScope& scope);

// PrivacyBudgets are the budgets of the ledgers covering one peer's use of
// one dataset.
struct PrivacyBudgets {
  // per_peer bounds the peer's ledger of the dataset's name and those of
  // its content.
  PrivacyAmount per_peer;
  // global, if the dataset has one, bounds the dataset's ledger and its
  // content's ledger across all peers.
  std::optional<PrivacyAmount> global;
};

// PrivacyBudgetsFor returns the budgets of `peer`'s use of our `dataset`:
// the smallest [alliances.<name>.dp] budget (ε and δ each) among the
// alliances that grant `peer` the dataset, and the dataset's global budget.
// FailedPrecondition if no alliance with a dp budget grants it;
// InvalidArgument for a budget that does not parse.
absl::StatusOr<PrivacyBudgets> PrivacyBudgetsFor(const Config& config, std::string_view peer,
                                                 std::string_view dataset);

// ReserveIn charges `cost` to job `job_id` (which must exist in the jobs
// table) under `key` if every ledger covering the key stays within
// `budgets` in both ε and δ (the content ledgers only if the key's digest
// is known), and returns the totals of the peer's ledger of the dataset
// after the charge. ResourceExhausted, with a message naming the ledger,
// its budget, what was spent and what the job asks for, when it would
// overspend; nothing is written then. InvalidArgument for a zero or
// negative ε.
absl::StatusOr<LedgerTotals> ReserveIn(internal::Db& db, const BudgetKey& key,
                                       std::string_view job_id, const PrivacyAmount& cost,
                                       const PrivacyBudgets& budgets);

// Reserve is ReserveIn in its own write transaction.
absl::StatusOr<LedgerTotals> Reserve(Store& store, const BudgetKey& key,
                                     std::string_view job_id, const PrivacyAmount& cost,
                                     const PrivacyBudgets& budgets);

// SettleContentIn makes job `job_id`'s charge count against content
// `digest`, which the job is about to use: if the charge was made under
// another content (or before the content was known), it is moved to
// `digest` when that content's ledgers (the peer's, and the global one)
// have room for it; ResourceExhausted otherwise, and nothing changes. Only
// for a job that has not sent any protocol message yet. A job without a
// charge is fine.
absl::Status SettleContentIn(internal::Db& db, std::string_view job_id, std::string_view digest,
                             const PrivacyBudgets& budgets);

// BudgetOf returns the alliance's budget; FailedPrecondition if it has none
// (the config parser requires one wherever count or sum is allowed).
absl::StatusOr<PrivacyAmount> BudgetOf(const AllianceConfig& alliance);

}  // namespace liaison::node

#endif  // LIAISON_NODE_PRIVACY_LEDGER_H_
