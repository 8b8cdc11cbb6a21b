// A quorum job among n members, independent of how they are connected:
// every pair agrees on the job's terms, then the quorum protocol
// (mpsi/quorum.h) runs on the members' hashed match keys, and its result
// is mapped back to this member's records. The command line runs it over
// the TLS mesh of session/mesh.h; the tests also over LocalPairs.
//
// The agreement (wire: docs/wire/session.md, "Quorum job terms"): over
// each channel, each side sends its terms (protocol and version, software
// version and build, n, its own index, the digest of the ordered members
// (PartiesDigest), the threshold, whether counts are shown, the output
// (the items, or only their count), who learns the qualifying items
// (their holders, or all), the DP mechanism and its exact ε and δ, the
// normalisation profile, its number of distinct items), then reads the
// peer's, then sends one verdict — OK, or the first difference it found
// with ANY member — and reads the peer's verdict. Every member therefore
// learns every refusal: a member that agrees with its own peers still
// stops, FailedPrecondition, when two others differ. Both flights are sent
// before anything is read, so the agreement costs two flights whatever n.
#ifndef LIAISON_SESSION_QUORUM_JOB_H_
#define LIAISON_SESSION_QUORUM_JOB_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/block.h"
#include "crypto/prng.h"
#include "data/profile.h"
#include "mpsi/quorum.h"
#include "net/channel.h"
#include "psi/private_aggregate.h"
#include "psi/psi.h"
#include "session/parties.h"
#include "session/record_set.h"

namespace liaison::session {

// kQuorumProtocolName and kQuorumProtocolVersion name the protocol in the
// terms: mpsi/quorum.h's messages, version 2 (docs/protocols/quorum.md,
// section 5).
inline constexpr char kQuorumProtocolName[] = "mpsi-quorum";
inline constexpr uint32_t kQuorumProtocolVersion = 2;
// kMaxQuorumTermsLen bounds a peer's terms or verdict message.
inline constexpr size_t kMaxQuorumTermsLen = 4 * 1024;

struct QuorumJobParams {
  // threshold is t, 1 ≤ t ≤ n; 0 means n (the intersection).
  int threshold = 0;
  // show_count: members learn how many hold each qualifying item; false
  // gives only which items qualify.
  bool show_count = true;
  // count_only: members learn only how many distinct items are held by at
  // least t members (every member receives it), not which.
  bool count_only = false;
  // dp (count_only only): each member adds noise that alone makes the
  // released count ε-DP ((ε, δ)-DP with delta); kind must be kCount.
  std::optional<psi::DpAggregateSpec> dp;
  // reveal kAll (traceable): every member also learns the qualifying items
  // it does not hold, and so who holds each; not with count_only or with
  // hidden counts.
  mpsi::QuorumReveal reveal = mpsi::QuorumReveal::kHolders;
  const data::Profile* profile = &data::Profile::V1();
  // max_peer_set_size bounds the distinct items any member may bring
  // (checked on its terms, PermissionDenied, and passed to the protocol).
  uint64_t max_peer_set_size = uint64_t{1} << 28;
  // expected_set_sizes, when not empty, holds every member's set size as
  // admitted beforehand (the node's quorum jobs): a member announcing
  // another is refused, PermissionDenied, before any protocol message.
  std::vector<uint64_t> expected_set_sizes;
  int num_threads = 1;  // per peer; every peer already has its own thread
  psi::ProgressFn progress;
};

// QuorumJobResult is this member's outcome.
struct QuorumJobResult {
  int threshold = 0;  // t as agreed (n when the params said 0)
  // rows are the indices into RecordSet::records (ascending) of every
  // record whose item qualifies, duplicates included; holders[i] is how
  // many members hold the item of rows[i] (0 when counts are hidden).
  std::vector<size_t> rows;
  std::vector<uint32_t> holders;
  uint64_t num_qualifying = 0;  // distinct items that qualify (that we hold)
  // reveal = all: the qualifying items we do not hold, as the protocol's
  // 128-bit items (QuorumItems: no member can map them back to a record
  // but their holders), ascending, and how many members hold each.
  std::vector<crypto::Block> other_items;
  std::vector<uint32_t> other_holders;
  // count_only: the released count (rows, holders and num_qualifying are
  // then empty or zero).
  std::optional<mpsi::QuorumCount> count;
  // set_sizes[j] is the number of distinct items member j announced (ours
  // at our index): every member learns every set size.
  std::vector<uint64_t> set_sizes;
  uint64_t bytes_sent = 0;  // on all channels, agreement included
  uint64_t bytes_received = 0;
  double seconds = 0;
};

// ValidateQuorumParams checks `params` for a job of `num_members` members
// before anything else happens (RunQuorumJob checks them again):
// InvalidArgument for a threshold outside 0..n, or below n with more than
// mpsi::kMaxQuorumParties members (the over-threshold protocol's bound; a
// count-only job takes at most that many, 15 with t = 1, whatever t), dp
// without count_only or not a semi-honest count (or one
// mpsi::QuorumNoise::Draw refuses), reveal = all with count_only or with
// hidden counts.
absl::Status ValidateQuorumParams(size_t num_members, const QuorumJobParams& params);

// QuorumItems returns the 128-bit items the protocol runs on, one per
// match key (RecordSet::keys, data::MatchKey): the first 16 bytes of
// SHA-256 of a label, `job_digest` (PartiesDigest: the same at every
// member) and the key, each length-prefixed. Equal keys give equal items at
// every member; two distinct keys collide with probability 2^-128.
std::vector<crypto::Block> QuorumItems(absl::Span<const std::string> keys,
                                       std::string_view job_digest, int num_threads);

// AgreeOnQuorumJob runs the agreement alone (RunQuorumJob starts with it)
// for member `me` bringing `set_size` distinct items, and returns every
// member's announced set size, ours at `me`. Errors as RunQuorumJob's
// agreement part; it closes no channel.
absl::StatusOr<std::vector<uint64_t>> AgreeOnQuorumJob(absl::Span<net::Channel* const> channels,
                                                       int me, absl::Span<const Party> parties,
                                                       const QuorumJobParams& params,
                                                       uint64_t set_size);

// RunQuorumJob plays member `me` of `parties` (as ParseParties returned
// them, the same list at every member) over `channels` (channels[j] to
// member j, null at `me`, as ConnectMesh returns them; owned by the caller
// and alive until the call returns), with this member's records `set`.
// A DP count takes this member's noise, drawn with
// mpsi::QuorumNoise::Draw(*params.dp, ...) BEFORE the mesh was connected,
// so that no peer can time the sampler.
// Errors: InvalidArgument for bad arguments (before any message), among
// them a threshold below n with more than mpsi::kMaxQuorumParties members
// and a DP job without its noise (or noise without dp);
// FailedPrecondition naming what differs ("threshold differs: alpha asks
// for t = 3, charlie for t = 2"; likewise "the output", "who learns the
// qualifying items", "the DP noise") when the terms of any two members differ,
// at every member; PermissionDenied when a member brings more items than
// max_peer_set_size; DataLoss for a malformed message; the protocol's
// errors (mpsi/quorum.h); transport errors as the channels return them. On any
// error every channel is closed, so the other members stop too, and no
// result is returned.
absl::StatusOr<QuorumJobResult> RunQuorumJob(absl::Span<net::Channel* const> channels, int me,
                                             absl::Span<const Party> parties,
                                             const QuorumJobParams& params, const RecordSet& set,
                                             crypto::Prng& prng, mpsi::QuorumNoise noise = {});

}  // namespace liaison::session

#endif  // LIAISON_SESSION_QUORUM_JOB_H_
