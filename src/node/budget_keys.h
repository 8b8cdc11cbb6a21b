// Which data a budget is about. The privacy ledger (privacy_ledger.h) and
// the item budget (item_budget.h) follow the data, not the route to it: a
// charge is recorded with the peer's key fingerprint, our dataset's name
// and its content digest, and counted in every ledger that covers it —
// (peer key, dataset name) and (peer key, content), in whichever alliance
// it was admitted, and a dataset's global ledgers across all peers. So a
// partner that reaches the same data through two alliances, or the same
// items registered under two dataset names, has one budget, not two. The
// name ledger is kept next to the content ledger because a dataset whose
// items change (a daily list) has a new content digest each time: by
// content alone it would have a fresh budget every day.
//
// Stores written before schema version 5 have rows without a fingerprint
// and, for jobs whose audit records hold no dataset digest, without a
// content digest; CompleteBudgetKeys fills them in when the node starts.
#ifndef LIAISON_NODE_BUDGET_KEYS_H_
#define LIAISON_NODE_BUDGET_KEYS_H_

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/config.h"
#include "node/store.h"

namespace liaison::node {

// BudgetKey says whose use of which data a charge or a reservation is.
struct BudgetKey {
  // peer_fingerprint is the peer's key ("sha256:..."): budgets follow the
  // key, whatever name the config gives it.
  std::string peer_fingerprint;
  // peer and alliance are the peer's name and the alliance that admitted
  // the job, kept for people; no budget is keyed on them.
  std::string peer;
  std::string alliance;
  // dataset is our dataset's name; dataset_digest its content
  // (DatasetInfo::digest), "" while it is not known (the file could not be
  // read yet).
  std::string dataset;
  std::string dataset_digest;
};

// BudgetKeyOf is the key of `peer`'s (a name in config.peers) use of our
// `dataset` with content `digest` in `alliance`. NotFound for an unknown
// peer.
absl::StatusOr<BudgetKey> BudgetKeyOf(const Config& config, std::string_view peer,
                                      std::string_view alliance, std::string_view dataset,
                                      std::string_view digest);

// GrantsDataset reports whether `alliance` lets `peer` use our `dataset`.
bool GrantsDataset(const AllianceConfig& alliance, std::string_view peer,
                   std::string_view dataset);

// DigestFn returns the current content digest of a dataset (reading it).
using DigestFn = std::function<absl::StatusOr<std::string>(const DatasetConfig&)>;

// CompleteBudgetKeys fills in what rows of the privacy ledger and the item
// budget written before schema version 5 lack: the peer's fingerprint, from
// the peer's name in `config`, and a missing content digest, from the
// dataset as `digest_of` reads it now. Rows of peers or datasets no longer
// configured, or of datasets that cannot be read, are left as they are (a
// later start completes them) and still count in the ledgers they are
// keyed in. It returns how many fields it filled in (a row given both counts
// twice); the store's errors.
absl::StatusOr<int> CompleteBudgetKeys(Store& store, const Config& config,
                                       const DigestFn& digest_of);

}  // namespace liaison::node

#endif  // LIAISON_NODE_BUDGET_KEYS_H_
