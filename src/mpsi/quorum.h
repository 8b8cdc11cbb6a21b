// Over-threshold multi-party PSI (the "quorum" question,
// docs/protocols/quorum.md): among n parties, every party learns which of
// its own items are held by at least t parties (itself included) and, by
// default, how many parties hold each of them; nothing about its items
// below the threshold, nothing about the other parties' items it does not
// hold. With t = n this is the intersection, and Quorum runs the cheaper
// protocol of mpsi/mpsi.h (every party then learns holders = n).
//
// Protocol (t < n; section 4.4 of the design):
//  A. Membership shares. For every ordered pair (Q, j), Q the query party,
//     the shared-output PSI's membership step (psi/shared_output_psi.h,
//     SharedMembership) with Q as receiver: Q cuckoo-hashes its items into
//     B_Q bins, and Q and j end with XOR shares of b_j = [Q's item of the
//     bin is in X_j] for every bin of Q, turned into additive shares mod
//     2^64 (mpc/bit_product.h).
//  B. Count. The count c = 1 + Σ_j b_j of each bin becomes an XOR-shared
//     one-hot vector held by all n parties, one oblivious rotation
//     (mpc/one_hot.h) per party and step, n − 1 steps.
//  C. Output. Each party's share of [c ≥ t] and c·[c ≥ t] is a linear map
//     of its share of the vector; Q alone receives the others' shares of
//     its bins.
// Variants (section 4.6): `count_only` (Quorum::Count) opens instead only
// the number of distinct items held by ≥ t parties, optionally plus every
// party's DP noise: the vector's counted positions are converted to
// additive shares by an n-party fold of bit products, weighted by L/c
// (L = lcm(1..n)) and summed over every bin of every query; only the
// total is opened, to every party. `reveal = kAll` (traceable): after the
// output every party sends every other its qualifying items, so that all
// learn the union, and who holds what.
// Security model: semi-honest, against any coalition of up to n − 1
// parties (OT-based rotations and products; the OPRF's LPN assumption;
// fixed-key AES as a random permutation). What each party learns: every
// set size, n, t, and its own output. A coalition learns the union of its
// members' outputs and nothing else (with kAll: also which parties hold
// each qualifying item).
// Rounds, bytes and memory: docs/protocols/quorum.md, sections 4.4, 4.6.
#ifndef LIAISON_MPSI_QUORUM_H_
#define LIAISON_MPSI_QUORUM_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/block.h"
#include "crypto/prng.h"
#include "dp/mechanism.h"
#include "dp/sampler.h"
#include "mpsi/mpsi.h"
#include "net/channel.h"
#include "psi/private_aggregate.h"
#include "psi/psi.h"

namespace liaison::mpsi {

// kMaxQuorumParties bounds n when t < n: the count's one-hot vectors have
// 2^⌈log2 n⌉ ≤ 16 positions (mpc/one_hot.h).
inline constexpr int kMaxQuorumParties = 16;

// QuorumReveal is who learns a qualifying item: its holders only (the
// default), or every party ("traceable": every party then also learns
// which parties hold each qualifying item).
enum class QuorumReveal { kHolders, kAll };

// QuorumParams: threshold, show_count, count_only, dp, reveal, ssp and
// okvs_bin_items must be equal at every party (the headers carry them; a
// difference is FailedPrecondition).
struct QuorumParams {
  int threshold = 0;        // t, 1 ≤ t ≤ n; 0 means n (the intersection)
  bool show_count = true;   // false: parties learn only [c ≥ t], not c
  // count_only: run Count, not Run: parties learn only how many distinct
  // items are held by ≥ t parties.
  bool count_only = false;
  // dp (count_only only): the privacy parameters of the noise every party
  // adds (kind kCount, semi-honest); absent: the exact count is opened.
  std::optional<psi::DpAggregateSpec> dp;
  QuorumReveal reveal = QuorumReveal::kHolders;  // not with count_only
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
// for every entry when show_count is false). With QuorumReveal::kAll,
// `others` are the qualifying items this party does not hold (ascending,
// as 128-bit items: it cannot map them to records) and `others_holders`
// how many parties reported each, which is its number of holders.
struct QuorumOutput {
  std::vector<uint64_t> indices;
  std::vector<uint32_t> holders;
  std::vector<crypto::Block> others;
  std::vector<uint32_t> others_holders;
};

// kMaxQuorumNoiseScale bounds the Laplace scale (or σ) of the count's
// noise: the opened total is L·(count + Σ noise) in int64, L < 2^20.
inline constexpr uint64_t kMaxQuorumNoiseScale = uint64_t{1} << 30;

// QuorumNoise is one party's noise for a count-only run with DP: one
// discrete Laplace (or, with δ, discrete Gaussian) value calibrated by
// psi::CalibrateAggregate for a count (sensitivity 1) so that it ALONE
// gives the released count ε-DP (or (ε, δ)-DP): a coalition of n − 1
// parties can subtract its own noises, not the honest party's. Drawn with
// Draw before any channel message is sent (the samplers' time depends on
// the value, dp/sampler.h). Move-only, secret (wiped); Count consumes it.
class QuorumNoise {
 public:
  QuorumNoise() = default;
  QuorumNoise(QuorumNoise&&) = default;
  QuorumNoise& operator=(QuorumNoise&&) = default;

  // Draw calibrates `spec` and draws one value from `prng`.
  // InvalidArgument for a spec CalibrateAggregate refuses, one that is not
  // a semi-honest count, or a noise scale (σ) above kMaxQuorumNoiseScale.
  static absl::StatusOr<QuorumNoise> Draw(const psi::DpAggregateSpec& spec, crypto::Prng& prng);
  // Calibrate returns the mechanism Draw would draw from, with its errors.
  static absl::StatusOr<dp::Mechanism> Calibrate(const psi::DpAggregateSpec& spec);

  bool drawn() const { return value_.has_value(); }
  // mechanism is what it was drawn from (public).
  const std::optional<dp::Mechanism>& mechanism() const { return mechanism_; }

 private:
  friend class Quorum;
  std::optional<dp::SecretNoise> value_;
  std::optional<dp::Mechanism> mechanism_;
};

// QuorumCount is one party's result of a count-only run. Every party
// receives it. With DP, `estimate` is the number of distinct items held by
// ≥ t parties plus the noises of the n − 1 OTHER parties (each party's own
// noise is removed from its release: it protects nothing against its own
// party), so its noise variance is (n − 1) times one noise's; without DP
// it is the exact number.
struct QuorumCount {
  int64_t estimate = 0;
  int num_noises = 0;  // n − 1 with DP, 0 without
  std::optional<dp::Mechanism> mechanism;  // each party's noise distribution
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
  // outside [0, n], for count_only (use Count), for reveal kAll with
  // show_count false (the reports show the counts). On any error Run closes all its channels, so every
  // other party stops with an error too; no partial output is returned.
  absl::StatusOr<QuorumOutput> Run(int me, absl::Span<net::Channel* const> channels,
                                   absl::Span<const crypto::Block> items,
                                   crypto::Prng& prng) const;

  // Count is Run for params.count_only: the number of distinct items held
  // by ≥ t parties (section 4.6), opened to every party, with `noise`
  // added when params.dp is set (drawn for that spec; an undrawn noise
  // otherwise). With t = n only the party with the fewest items (ties: the
  // lowest index) queries, and the count is over its bins. Errors: as Run;
  // InvalidArgument when count_only is not set, for noise not matching
  // params.dp, for more than kMaxQuorumParties parties (15 with t = 1),
  // for reveal kAll; DataLoss for an opened total that is not a multiple
  // of L (a malformed share).
  absl::StatusOr<QuorumCount> Count(int me, absl::Span<net::Channel* const> channels,
                                    absl::Span<const crypto::Block> items, QuorumNoise noise,
                                    crypto::Prng& prng) const;

 private:
  QuorumParams params_;
};

}  // namespace liaison::mpsi

#endif  // LIAISON_MPSI_QUORUM_H_
