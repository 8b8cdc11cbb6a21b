// Over-threshold multi-party PSI (the "quorum" question,
// docs/protocols/quorum.md): among n parties, every party learns which of
// its own items are held by at least t parties (itself included) and, by
// default, how many parties hold each of them; nothing about its items
// below the threshold, nothing about the other parties' items it does not
// hold. With t = n this is the intersection, and Quorum runs the cheaper
// protocol of mpsi/mpsi.h (every party then learns holders = n).
//
// Protocol (t < n; section 4.4 of the design, "Option 1"):
//  A. Membership shares. For every ordered pair (Q, j), Q the query party,
//     the shared-output PSI's membership step (psi/shared_output_psi.h,
//     SharedMembership) with Q as receiver: Q cuckoo-hashes its items into
//     B_Q bins, and Q and j end with XOR shares of b_j = [Q's item of the
//     bin is in X_j] for every bin of Q.
//  B. Threshold test, n-party GMW (mpc/n_party_gmw.h) on every bin of every
//     query party at once: the count c = 1 + Σ_j b_j by an adder tree, the
//     comparison [c ≥ t] with the public t, and (unless the count is
//     hidden) c·[c ≥ t]; all n parties hold XOR shares of every wire, and
//     the output wires of Q's bins are opened to Q alone.
// Security model: semi-honest, against any coalition of up to n − 1
// parties (GMW with OT-based triples; the OPRF's LPN assumption; fixed-key
// AES as a random permutation). What each party learns: every set size,
// n, t, and its own output. A coalition learns the union of its members'
// outputs and nothing else.
// Rounds, bytes and memory: docs/protocols/quorum.md, section 4.4.
#ifndef LIAISON_MPSI_QUORUM_H_
#define LIAISON_MPSI_QUORUM_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/block.h"
#include "crypto/prng.h"
#include "mpsi/mpsi.h"
#include "net/channel.h"
#include "psi/psi.h"

namespace liaison::mpsi {

// kMaxQuorumParties bounds n when t < n: the count's one-hot vectors have
// 2^⌈log2 n⌉ ≤ 16 positions (mpc/one_hot.h).
inline constexpr int kMaxQuorumParties = 16;

// QuorumParams: threshold, show_count, ssp and okvs_bin_items must be
// equal at every party (the headers carry them; a difference is
// FailedPrecondition).
struct QuorumParams {
  int threshold = 0;        // t, 1 ≤ t ≤ n; 0 means n (the intersection)
  bool show_count = true;   // false: parties learn only [c ≥ t], not c
  int num_threads = 1;      // per peer; every peer already has a thread
  size_t chunk_len = size_t{1} << 16;
  uint64_t okvs_bin_items = okvs::kDefaultBinItems;
  int ssp = 40;
  uint64_t max_peer_items = uint64_t{1} << 28;  // as MpsiParams
  psi::ProgressFn progress;  // optional; called from Run's thread only
};

// QuorumOutput is one party's result: `indices` ascending into the
// caller's items (every index whose item qualifies, duplicates included),
// `holders` of equal length, the number of parties holding that item (0
// for every entry when show_count is false).
struct QuorumOutput {
  std::vector<uint64_t> indices;
  std::vector<uint32_t> holders;
};

// Quorum is one party's side. Run is not thread-safe; it starts one thread
// per peer and joins them before returning.
class Quorum {
 public:
  explicit Quorum(QuorumParams params) : params_(std::move(params)) {}

  // Run plays party `me` among n = channels.size() parties (2 ≤ n ≤
  // kMaxParties), channels as MultipartyIntersection::Run takes them (the
  // higher index dials the lower; channels[me] null). Errors: as
  // MultipartyIntersection::Run, and InvalidArgument for a threshold
  // outside [0, n]. On any error Run closes all its channels, so every
  // other party stops with an error too; no partial output is returned.
  absl::StatusOr<QuorumOutput> Run(int me, absl::Span<net::Channel* const> channels,
                                   absl::Span<const crypto::Block> items,
                                   crypto::Prng& prng) const;

 private:
  QuorumParams params_;
};

}  // namespace liaison::mpsi

#endif  // LIAISON_MPSI_QUORUM_H_
