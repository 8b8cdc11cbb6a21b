// The item budget of match jobs: differential privacy cannot hide an exact
// match list, so an alliance can bound, per member and over any 24 hours,
//  - max_peer_items_per_day: the sum of the set sizes the member announced
//    in match jobs with us (bounds how many candidate items it can probe);
//  - max_revealed_items_per_day: the distinct items of ours revealed to the
//    member (counted on SHA-256 digests of our canonical items, never the
//    items).
// docs/node.md says what these limits do and do not prevent.
//
// Admission reserves, in the caller's write transaction, the peer's set
// size and — when the peer receives the intersection — the worst case of
// what it can learn, min(our size, its size); ResourceExhausted if either
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
#include "node/config.h"
#include "node/internal/sqlite.h"

namespace liaison::node {

// ItemBudgetApplies reports whether `alliance` sets either limit.
bool ItemBudgetApplies(const AllianceConfig& alliance);

// ReserveItemsIn checks and reserves job `job_id`'s use of `alliance`'s
// item budget for `peer`: `peer_items` announced by the peer, and
// `revealed_worst` items of ours it may learn (0 if it receives nothing).
// ResourceExhausted naming the limit, what was used in the last 24 hours
// and what the job asks, when a limit would be exceeded. The job must
// exist in the jobs table. A job reserves at most once (AlreadyExists).
absl::Status ReserveItemsIn(internal::Db& db, const AllianceConfig& alliance,
                            std::string_view peer, std::string_view job_id, uint64_t peer_items,
                            uint64_t revealed_worst);

// RecordRevealedIn replaces job `job_id`'s worst-case reservation by the
// digests of `revealed_keys` (our match keys the peer learned). No-op for
// a job that reserved nothing.
absl::Status RecordRevealedIn(internal::Db& db, std::string_view job_id,
                              const std::vector<const std::string*>& revealed_keys);

}  // namespace liaison::node

#endif  // LIAISON_NODE_ITEM_BUDGET_H_
