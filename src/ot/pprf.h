// Regular multi-point puncturable PRF (PPRF) from GGM trees and OT: the
// "expand" half of silent VOLE / OT. The sender ends with t pseudorandom
// vectors of `domain` leaves; the receiver, for its secret points
// α_j ∈ [0, domain), learns every leaf of tree j except leaf α_j.
//
// Papers: Goldreich, Goldwasser, Micali, "How to Construct Random
// Functions" (JACM 1986) — the tree; Boyle, Couteau, Gilboa, Ishai, Kohl,
// Rindal, Scholl, "Efficient Two-Round OT Extension and Silent
// Non-Interactive Secure Computation" (CCS 2019, §4) — the PPRF from OTs on
// the level sums, one OT per level; libOTe's RegularPprf
// (libOTe/Tools/Pprf/RegularPprf.h) for the batched, regular form. Written
// from those descriptions.
//
// Construction, per tree (depth d = ceil(log2(domain)), d ≥ 1). The root is
// a fresh random block of the sender. A node s has children
// G_0(s) = π_0(s) ⊕ s and G_1(s) = π_1(s) ⊕ s, where π_0, π_1 are AES-128
// under the two public keys kGgmKey0, kGgmKey1 (pprf.cc), modelled as
// random permutations: a length-doubling PRG. Only the nodes with leaves in
// [0, domain) are computed: w_ℓ = ceil(domain / 2^(d−ℓ)) nodes at level ℓ,
// w_d = domain leaves. For each level ℓ = 1..d the sender forms
// K_ℓ,0 = ⊕ of the even-indexed nodes i < w_ℓ and K_ℓ,1 = ⊕ of the odd ones,
// and offers (K_ℓ,0, K_ℓ,1) in a 1-out-of-2 random OT masked by the OT's
// messages: it sends (K_ℓ,0 ⊕ m0, K_ℓ,1 ⊕ m1). The receiver's choice bit at
// level ℓ is the complement of bit d−ℓ of α (the side its path does not
// take), so it learns K for the sibling side, from which it recovers the
// path's sibling: it knows every other node on that side. Its own path
// node stays unknown; it is set to zero (so the zero node's children are
// the public G_0(0), G_1(0), which the recovery cancels).
//
// Constant time: the receiver never branches on α nor indexes memory with
// it. It expands every node, garbage included, and at each level writes the
// sibling and zeroes the path node with masks over the whole level (one
// masked blend per node: about two block operations per leaf in total).
//
// Security model: semi-honest; the receiver learns nothing about the leaf at
// α_j (and the sender nothing about α_j) if the OT is secure and π_0, π_1 are
// random permutations. A malicious sender can send inconsistent sums
// (selective failure on α); the malicious silent VOLE adds a check for
// that, which is not implemented here.
//
// Rounds and bytes (the Run functions): one ExtendCot of t·d OTs (receiver →
// sender, one flight), then one message sender → receiver of 32·t·d bytes
// (plus the 4-byte frame). Work: one fixed-key AES per non-root node on
// each side, spread over the trees on num_threads threads.
//
// What each party learns: the sender all leaves; the receiver all leaves
// but leaf α_j of each tree j, and t and domain (public).
#ifndef LIAISON_OT_PPRF_H_
#define LIAISON_OT_PPRF_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/prng.h"
#include "net/channel.h"
#include "ot/ot_extension.h"
#include "crypto/secret_blocks.h"

namespace liaison::ot {

using crypto::Block;

struct PprfParams {
  // num_trees is t, the number of punctured points (trees). At least 1.
  size_t num_trees = 0;
  // domain is the number of leaves per tree. At least 2, below 2^32.
  size_t domain = 0;
  // num_threads expands the trees on that many threads (the caller's
  // included); at least 1.
  int num_threads = 1;
};

// PprfDepth returns the depth d = ceil(log2(domain)) of each tree, for
// domain ≥ 2.
int PprfDepth(size_t domain);

// PprfNumOts returns t·d, the OTs a PPRF needs. OT number j·d + (ℓ − 1)
// serves level ℓ of tree j.
size_t PprfNumOts(const PprfParams& params);

// PprfSumsLen returns the number of blocks of the sender's message: 2·t·d.
size_t PprfSumsLen(const PprfParams& params);

// SecretPoints holds the receiver's punctured points α_j, wiped on
// destruction. Move-only.
class SecretPoints {
 public:
  SecretPoints() = default;
  explicit SecretPoints(size_t n) : points_(n) {}
  ~SecretPoints();
  SecretPoints(SecretPoints&& other) noexcept;
  SecretPoints& operator=(SecretPoints&& other) noexcept;
  SecretPoints(const SecretPoints&) = delete;
  SecretPoints& operator=(const SecretPoints&) = delete;
  bool operator==(const SecretPoints&) const = delete;

  // Random draws `n` points uniform in [0, domain) from `prng`.
  static SecretPoints Random(size_t n, size_t domain, crypto::Prng& prng);

  size_t size() const { return points_.size(); }
  uint64_t operator[](size_t i) const { return points_[i]; }
  uint64_t& operator[](size_t i) { return points_[i]; }
  absl::Span<const uint64_t> span() const { return points_; }

 private:
  std::vector<uint64_t> points_;
};

// PprfSender expands the trees.
class PprfSender {
 public:
  explicit PprfSender(PprfParams params) : params_(params) {}

  // Expand draws the t roots from `prng`, writes tree j's leaves to
  // leaves[j·domain, (j+1)·domain) and the masked level sums to `sums`:
  // sums[2·o] = K_ℓ,0 ⊕ m0[o], sums[2·o + 1] = K_ℓ,1 ⊕ m1[o] for OT
  // o = j·d + ℓ − 1. m0 and m1 are the random-OT messages (PprfNumOts
  // each). Errors: InvalidArgument for bad parameters or span sizes.
  absl::Status Expand(absl::Span<const Block> m0, absl::Span<const Block> m1,
                      crypto::Prng& prng, absl::Span<Block> leaves,
                      absl::Span<Block> sums) const;

  // Run extends PprfNumOts correlated OTs over `ot` (set up, semi-honest or
  // malicious), hashes them into random OTs (crypto::TccrHash, tweak = OT
  // index), expands, sends the sums and returns the t·domain leaves.
  // The tweaks restart at 0 on every call, so one OT set-up must serve at
  // most one PprfSender::Run (TCCR needs tweaks unique under a Δ).
  // Errors: as Expand, as OtExtensionSender::ExtendCot, and the channel's.
  absl::StatusOr<crypto::SecretBlocks> Run(net::Channel& channel, OtExtensionSender& ot,
                                   crypto::Prng& prng) const;

 private:
  PprfParams params_;
};

// PprfReceiver expands the punctured trees.
class PprfReceiver {
 public:
  explicit PprfReceiver(PprfParams params) : params_(params) {}

  // ChoiceBits returns the PprfNumOts OT choice bits for `points` (one per
  // tree, each below domain, unchecked here).
  crypto::SecretBits ChoiceBits(const SecretPoints& points) const;

  // Expand writes tree j's leaves to leaves[j·domain, (j+1)·domain), with
  // leaf α_j set to zero. `m` holds the random-OT messages the receiver got
  // for ChoiceBits(points), `sums` the sender's message. Errors:
  // InvalidArgument for bad parameters, a point out of range or bad span
  // sizes. Wrong sums give wrong leaves, not an error (semi-honest).
  absl::Status Expand(const SecretPoints& points, absl::Span<const Block> m,
                      absl::Span<const Block> sums, absl::Span<Block> leaves) const;

  // Run is the receiver's side of PprfSender::Run. Errors: as Expand, as
  // OtExtensionReceiver::ExtendCot; DataLoss if the sender's message has
  // the wrong length; Unavailable if the sender closed the channel.
  absl::StatusOr<crypto::SecretBlocks> Run(net::Channel& channel, OtExtensionReceiver& ot,
                                   const SecretPoints& points, crypto::Prng& prng) const;

 private:
  PprfParams params_;
};

}  // namespace liaison::ot

#endif  // LIAISON_OT_PPRF_H_
