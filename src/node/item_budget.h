// The item budget of match jobs: differential privacy cannot hide an exact
// match list, so alliances can bound, per member and over any 24 hours,
//  - max_peer_items_per_day: the sum of the set sizes the member announced
//    in match jobs against our data (bounds how many candidate items it can
//    probe);
//  - max_revealed_items_per_day: the distinct items of ours revealed to the
//    member (counted on SHA-256 digests of our canonical items, never the
//    items);
// and a dataset can bound the same across all peers together
// (global_max_peer_items_per_day, global_max_revealed_items_per_day).
// docs/node.md says what these limits do and do not prevent.
//
// Like the privacy ledger (privacy_ledger.h), the budget follows the data
// (budget_keys.h): a reservation counts in the peer's budget of our dataset's
// name and of its content, whichever alliance admitted the job, and in the
// dataset's global budgets; the per-peer limits are the smallest among the
// alliances that grant the peer the dataset (ItemLimitsFor). Only jobs
// under some limit reserve anything (an unlimited job would otherwise store
// the digests of every item it revealed), so the same items under a second,
// unlimited name are not counted.
//
// Admission reserves, in the caller's write transaction, the peer's set
// size and — when the peer receives the intersection — the worst case of
// what it can learn, min(our size, its size); ResourceExhausted if any
// limit would be exceeded (nothing written). After the job, a side that
// learned the intersection itself replaces its worst-case reservation by
// the digests of the items actually revealed (RecordRevealedIn); a side
// that did not learn it (the result went to the peer only) keeps the worst
// case. A reservation of a job that failed stays, like a privacy charge.
// All in the store: it survives restarts.
#ifndef LIAISON_NODE_ITEM_BUDGET_H_
#define LIAISON_NODE_ITEM_BUDGET_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "node/budget_keys.h"
#include "node/config.h"
#include "node/internal/sqlite.h"

namespace liaison::node {

// ItemLimits are the daily limits on one peer's use of one dataset; 0 is
// no limit.
struct ItemLimits {
  // Per peer, on the dataset's name and on its content.
  uint64_t peer_items_per_day = 0;
  uint64_t revealed_items_per_day = 0;
  // All peers together, on the dataset's name and on its content.
  uint64_t global_peer_items_per_day = 0;
  uint64_t global_revealed_items_per_day = 0;
};

// ItemLimitsFor returns the limits on `peer`'s use of our `dataset`: for
// each per-peer limit the smallest that an alliance granting `peer` the
// dataset sets, and the dataset's global limits.
ItemLimits ItemLimitsFor(const Config& config, std::string_view peer, std::string_view dataset);

// ItemBudgetApplies reports whether any limit is set.
bool ItemBudgetApplies(const ItemLimits& limits);

// ReserveItemsIn checks and reserves job `job_id`'s use of the item budget
// under `key`: `peer_items` announced by the peer, and `revealed_worst`
// items of ours it may learn (0 if it receives nothing).
// ResourceExhausted naming the limit, what was used in the last 24 hours
// and what the job asks, when a limit would be exceeded. The job must exist
// in the jobs table. A job reserves at most once (AlreadyExists).
absl::Status ReserveItemsIn(internal::Db& db, const ItemLimits& limits, const BudgetKey& key,
                            std::string_view job_id, uint64_t peer_items,
                            uint64_t revealed_worst);

// RecordRevealedIn replaces job `job_id`'s worst-case reservation by the
// digests of `revealed_keys` (our match keys the peer learned). No-op for
// a job that reserved nothing.
absl::Status RecordRevealedIn(internal::Db& db, std::string_view job_id,
                              const std::vector<const std::string*>& revealed_keys);

}  // namespace liaison::node

#endif  // LIAISON_NODE_ITEM_BUDGET_H_
