// Multi-party private set intersection among n parties (the "intersection"
// half of the quorum question, docs/protocols/quorum.md): every party learns
// which of its own items are held by all n parties, and nothing else about
// the other sets but their sizes.
//
// Papers: Kolesnikov, Matania, Pinkas, Rosulek, Trieu, "Practical
// Multi-party Private Set Intersection from Symmetric-Key Techniques"
// (CCS 2017): conditional zero-sharing between every two parties, then a
// leader that receives everyone's share through an oblivious programmable
// PRF (OPPRF) and tests the XOR for zero. Ours differs in two ways: the
// OPPRF is the RR22 OPRF (psi/rr22_oprf.h) plus an OKVS (okvs/okvs.h) of
// F(x) ⊕ value(x) with random free cells, as in Nevo–Trieu–Yanai (CCS
// 2021) and volePSI; and the pairwise zero-sharing needs no OKVS at all,
// its random values being the OPRF's own outputs (below). Written from the
// papers' descriptions.
//
// Parties are 0..n−1; party 0 is the leader L, parties 1..n−1 are members.
// Every pair of parties has a channel (a full mesh: L–member and
// member–member). Who dials: for each pair the higher index dials the
// lower one (the node sets the channels up; this code only takes them).
//  0. Headers: each party sends every peer its index, n, its number of
//     distinct items and its chunk length; everyone learns every size. If
//     any set is empty the intersection is empty and all return at once.
//  1. Conditional zero-sharing among members. For every ordered pair of
//     members (a, b), an RR22 OPRF F_ab with b the receiver on X_b and a
//     the sender: a's term is F_ab(x) on each x ∈ X_a, b's term F_ab(y) on
//     each y ∈ X_b; they cancel exactly on common items, and on an item
//     x ∈ X_a \ X_b a's term is a value that only a can compute (b queried
//     F_ab on X_b only). On the channel of a < b, F_ab runs first, then F_ba.
//  2. Each member i sums (XOR) its terms,
//       T_i(x) = ⊕_{b ≠ i} F_ib(x) ⊕ ⊕_{a ≠ i} F_ai(x)   for x ∈ X_i,
//     and sends L an OPPRF programmed with T_i on X_i: the OPRF F_i0 with
//     L as receiver (on X_0) runs during step 1, the OKVS
//     x ↦ F_i0(x) ⊕ T_i(x) follows it. L decodes at each x ∈ X_0 and XORs
//     the n − 1 values. When x is in every set, every F_ab(x) appears twice
//     and the XOR is zero; when some member c lacks x, each member's T_i(x)
//     for i ≠ c holds F_ic(x), known to i alone, and when a member lacks x
//     L's decoded value from it is pseudo-random: the XOR is uniform (a
//     false positive has probability 2^-128 per item).
//  3. L sends each member the sorted list of the intersection's blocks;
//     the member maps them to its own indices. A block that is not one of
//     the member's items, or a list out of order, is DataLoss.
//
// Security model: semi-honest, against any coalition of up to n − 1
// parties, in the random permutation model for fixed-key AES and under LPN
// (the OPRF's silent VOLE). What each party learns: every set size, and
// the intersection, as the ideal functionality gives it (each party's own
// items in it). In particular L learns the intersection and nothing about
// items outside it; a member learns the intersection from L's list (which
// a semi-honest L computes correctly; a deviating L could send any subset
// of the member's own items — this protocol promises nothing against one).
// docs/protocols/quorum.md gives the argument coalition by coalition.
//
// Rounds: the header; the OPRF's flights (silent VOLE, then P ⊕ C) twice
// per member pair (the two directions in turn) and once per member with L;
// then one OKVS flight member → L and one result flight L → member.
// Bytes (m_i = party i's distinct items, e = OKVS expansion ≈ 1.28 at
// 2^20, so an OPRF receiver sends 16·e·m ≈ 20.5·m bytes of P ⊕ C; each
// OPRF instance adds ≈ 0.4 MB of VOLE messages in all):
//   member i: 20.5·m_i per other member (as receiver) + 20.5·m_i (OKVS to
//   L) + VOLE messages, ≈ (n − 1)·20.5·m_i;
//   L: 20.5·m_0 per member (as receiver) + 16·|I| per member (result).
// Memory per party: about 48 bytes per item (items, the sorted copy, the
// accumulator) plus, per peer being served at once (all of them: each peer
// has its own thread), the OPRF's ≈ 100 bytes per item; L also holds one
// OKVS of 20.5·m_i bytes per member while it decodes.
#ifndef LIAISON_MPSI_MPSI_H_
#define LIAISON_MPSI_MPSI_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/block.h"
#include "crypto/prng.h"
#include "net/channel.h"
#include "okvs/okvs.h"

namespace liaison::mpsi {

// kMaxParties bounds n (the header carries indices in one byte; the cost
// grows as n^2).
inline constexpr int kMaxParties = 32;

// MpsiParams: okvs_bin_items and ssp must be equal at every party (the
// header carries okvs_bin_items; a difference is FailedPrecondition).
struct MpsiParams {
  // num_threads is the threads each OPRF and OKVS step uses; every peer
  // already runs on its own thread, so 1 suits n ≥ 3 on a small machine.
  int num_threads = 1;
  size_t chunk_len = size_t{1} << 16;  // blocks per OKVS/P ⊕ C message we send
  uint64_t okvs_bin_items = okvs::kDefaultBinItems;
  int ssp = 40;  // the OKVS's statistical security
  // max_peer_items bounds the item count a peer may declare in its header:
  // every buffer for a peer's OPRF and OKVS is sized from that count before
  // its data arrives, so the bound caps what a peer can make us allocate
  // (about 150 bytes per declared item). The session passes the alliance's
  // set-size bound; a larger declaration is FailedPrecondition.
  uint64_t max_peer_items = uint64_t{1} << 28;
};

// MultipartyIntersection is one party's side. Run is not thread-safe; it
// starts one thread per peer and joins them before returning.
class MultipartyIntersection {
 public:
  explicit MultipartyIntersection(MpsiParams params) : params_(params) {}

  // Run plays party `me` among n = channels.size() parties (2 ≤ n ≤
  // kMaxParties). channels[me] must be null and every other entry a
  // channel to that party, owned by the caller and alive until Run
  // returns. `items` are 128-bit pseudo-random keys (the caller hashes its
  // records, as psi/ does); duplicates are allowed and count once.
  // Returns the indices i (ascending) of the items with items[i] in every
  // party's set. Errors: InvalidArgument for a bad n, index, channel list
  // or parameter, or more than 2^32 − 2 items; DataLoss for a malformed or
  // inconsistent peer message (a length, a header field, a result block
  // not among our items); FailedPrecondition when a peer's parameters
  // differ or it declares more than max_peer_items items; the OPRF's errors; Unavailable / DeadlineExceeded from the
  // channels. On any error Run closes all its channels before returning,
  // so that every other party stops with an error instead of waiting.
  absl::StatusOr<std::vector<uint64_t>> Run(int me, absl::Span<net::Channel* const> channels,
                                            absl::Span<const crypto::Block> items,
                                            crypto::Prng& prng) const;

 private:
  MpsiParams params_;
};

}  // namespace liaison::mpsi

#endif  // LIAISON_MPSI_MPSI_H_
