// Differentially private PSI-cardinality and intersection-sum: the
// receiving side learns |X ∩ Y| + noise, or Σ_{x ∈ X ∩ Y} clamp(v_x) + noise
// (optionally with a noised count too), and nothing else — neither the
// intersection nor the exact aggregate.
//
// Papers: the shared-output PSI underneath (psi/shared_output_psi.h:
// Chandran-Gupta-Shah, PETS 2022; Rindal-Schoppmann, Eurocrypt 2021;
// Raghuraman-Rindal, CCS 2022); the noise is the discrete Laplace or
// discrete Gaussian of Canonne, Kamath and Steinke (NeurIPS 2020), drawn
// exactly (dp/sampler.h) and calibrated by dp/mechanism.h. The pattern
// "aggregate in shares, each party adds its own noise to its share, then
// open" is the standard distributed-noise construction (e.g. Dwork et al.,
// "Our Data, Ourselves", Eurocrypt 2006); written from those descriptions.
//
// Protocol (docs/protocols/dp-aggregate.md, wire in the same page):
//  0. Each side calibrates its mechanism(s) from the agreed parameters and
//     draws its own noise — one value per released aggregate — with
//     AggregateNoise::Draw BEFORE the channel to the peer is even opened
//     (the samplers are variable-time; Run takes the drawn noise). Then
//     both send a header: version, security model, aggregate kind,
//     recipients, who holds values, the noise mechanism, ε, δ, the bounds,
//     the count's ε, the set size and a commitment to a 16-byte random
//     seed; then both open their seeds (psi/internal/seed_commit.h: a seed
//     that does not match is DataLoss), so that neither chooses their XOR.
//     Each side refuses
//     (FailedPrecondition, before any PSI message) a header whose
//     parameters differ from its own — including a peer announcing no
//     noise (the test-only mode below).
//  1. Items are hashed to 128-bit keys under the XOR of the two seeds (as
//     rr22-psi does) and the two run the shared-output PSI: the receiver R
//     of that protocol (cuckoo hashing) and its sender S end with additive
//     shares mod 2^64 of the count and, in sum mode, of the sum of S's
//     clamped values (two's complement: a negative value v is 2^64 + v).
//  2. Reveal: a side whose peer receives sends share + its own noise (mod
//     2^64; one 8-byte word per released aggregate, one message); a
//     receiving side adds its share to what it gets. A receiver thus
//     learns aggregate + the PEER's noise, read as an int64.
// Who protects whom. Each party's data is protected by noise that party
// drew itself, so neither has to trust the other's sampler; the receiver
// cannot remove the peer's noise. Adding the receiver's own noise to its
// result would protect nothing (it knows that noise and could subtract it),
// only widen the error, so it is not done: the error is that of ONE noise,
// and the 95% interval uses dp::HalfWidth95 (not ...OfTwo).
//
// Roles. Sum mode: the side with values is S; the other is R. The result
// must go to R or to both (a values side that alone learned the sum over
// its own values would learn the intersection's total of its own data: the
// caller refuses it, InvalidArgument). Count mode: a side that alone
// receives is R; when both receive, the smaller set is R (less traffic),
// ties broken by the header seeds.
//
// Neighbouring inputs and sensitivity (dp/mechanism.h): add/remove one
// item of one party's set (with its value). Count: Δ = 1. Sum: values are
// clamped to [lo, hi] by S before use, Δ = max(|lo|, |hi|). Noised count in
// sum mode: a second release with its own ε (count_epsilon); by basic
// composition the job costs ε + count_epsilon (pure), or ρ_sum + ρ_count
// (zCDP, with --delta: each release is calibrated to (its ε, δ), so the
// pair is also (ε + count_ε, 2δ)-DP).
//
// Security models (DpAggregateSpec::malicious; in the header, both sides
// must agree).
// Semi-honest: DP holds against a receiver that follows the protocol. A
// deviating receiver can defeat it (in an arithmetic sum it scales its
// payload share and reads matches off the total): semi-honest mode makes
// no promise against a peer that cheats.
// Malicious: the shared-output PSI runs in its malicious mode, sums travel
// as bounded value codes (SumValueCode), the result goes to ONE side only
// (InvalidArgument otherwise), and that side is R, the cuckoo side: only
// S, which alone fixes every weight of what it reveals, ever reveals. The
// guarantee: against a receiver that deviates arbitrarily, the value S
// reveals moves by at most 3 (count) or 3·W (sum, W the code width) when
// one item of S's set is added or removed (psi/shared_output_psi.h says
// why), and the noise S adds is calibrated for exactly that sensitivity,
// so S's ε-DP (or (ε, δ)-DP) promise holds against such a receiver, up to
// the computational assumptions of the shared-output PSI. The price is
// noise 3× (count) or 3·W/max(|lo|, |hi|)× (sum) that of semi-honest mode
// for the same ε. R's own data is never revealed; a deviating S can make
// R's result wrong (correctness is not guaranteed), never learn from it.
// In both modes: a malicious SENDER could announce noise and add none, or
// less: that only weakens the protection of its own data.
// Overflow: S refuses (InvalidArgument), and R refuses (FailedPrecondition)
// a peer whose set would allow it, when n_S·max(|lo|, |hi|) could reach
// 2^62, so the true sum and any plausible noise (|noise| >= 2^62 has
// probability below exp(-2^10) for every accepted scale) stay inside int64.
//
// What each party learns: both learn n_R, n_S and the parameters (which
// are public and agreed). A receiving side learns the released value(s)
// and nothing else: its view of the shared-output PSI is simulatable from
// the sizes, and the revealed word is the aggregate plus noise it does not
// know. A non-receiving side learns nothing but the sizes. The result
// struct holds the released estimates and the public parameters only.
//
// Rounds: one header flight each way, one seed-opening flight each way;
// the shared-output PSI's flights (psi/shared_output_psi.h); one reveal
// flight (each way when both receive). Bytes: header 90 + the decimal
// strings of ε, δ and count ε, opening 16;
// the shared-output PSI's (about 294 + 16·1.28·... bytes per bin for R,
// see there; measured at 2^20 in docs/protocols/dp-aggregate.md); 8 bytes
// per released aggregate to a receiving peer.
// Memory: that of the shared-output PSI plus 16 bytes per item (keys).
// Timing: bench/psi_bench.cc BM_PrivateAggregate.
#ifndef LIAISON_PSI_PRIVATE_AGGREGATE_H_
#define LIAISON_PSI_PRIVATE_AGGREGATE_H_

#include <gmpxx.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "absl/types/span.h"
#include "crypto/prng.h"
#include "dp/mechanism.h"
#include "mpc/shares.h"
#include "net/channel.h"
#include "psi/psi.h"

namespace liaison::testing {
class InsecureNoiseFreeAggregate;  // tests/testing/insecure_aggregate.h
}  // namespace liaison::testing

namespace liaison::psi {

// AggregateKind is what is released: the intersection's size, or the sum
// of the values side's values over it.
enum class AggregateKind { kCount, kSum };

// std::string_view AggregateKindName is "count" or "sum".
std::string_view AggregateKindName(AggregateKind kind);

// DpAggregateSpec is the agreed, public privacy parameters of a job. Both
// sides must hold equal specs (the header checks it).
struct DpAggregateSpec {
  AggregateKind kind = AggregateKind::kCount;
  // epsilon is the ε of the main release (the count in count mode, the sum
  // in sum mode); > 0.
  mpq_class epsilon = 1;
  // delta absent: discrete Laplace (pure ε-DP). Present (0 < δ < 1):
  // discrete Gaussian calibrated to (ε, δ) (dp::CalibrateGaussianForApproxDp).
  std::optional<mpq_class> delta;
  // lo and hi bound each value (sum mode only; ignored for counts).
  int64_t lo = 0;
  int64_t hi = 0;
  // count_epsilon, sum mode only: also release a noised count with this ε
  // (and the same δ if any). Absent: no count is released.
  std::optional<mpq_class> count_epsilon;
  // malicious: the job runs in the malicious mode (the file comment), and
  // the noise is calibrated for the sensitivity that holds against a
  // deviating receiver: 3 for a count, 3·W for a sum (SumValueCode).
  bool malicious = false;
};

// kMaliciousBinsPerItem is how many comparisons one item of the
// simple-hashing side can feed against a deviating receiver: its three
// cuckoo candidate bins (psi/internal/cuckoo.h).
inline constexpr uint64_t kMaliciousBinsPerItem = 3;

// SumValueCode is how values travel in a malicious sum: as k-bit codes
// whose bit i weighs weights[i] (mod 2^64), so that whatever a deviating
// receiver does a bin adds between Σ of the negative weights and Σ of the
// positive ones, a range of width W = 2^k − 1. For bounds [lo, hi]:
// lo ≥ 0: the value's k = bit_width(hi) bits, weights 2^i; hi ≤ 0: the
// bits of −v, weights −2^i; otherwise k-bit two's complement (the top bit
// weighs −2^(k−1)), k the least that holds [lo, hi]. W ≥ max(|lo|, |hi|)
// and below 2·(hi − lo) + 2.
struct SumValueCode {
  int bits = 0;
  std::vector<uint64_t> weights;
  uint64_t width = 0;  // W = 2^bits − 1
  // Encode returns the code of a value already clamped to [lo, hi].
  uint64_t Encode(int64_t clamped) const;
  int64_t lo = 0, hi = 0;
};

// MakeSumValueCode returns the code of [lo, hi]; InvalidArgument for
// lo > hi or bounds whose width does not fit 63 bits.
absl::StatusOr<SumValueCode> MakeSumValueCode(int64_t lo, int64_t hi);

// AggregateNoise is one side's noise for one job, one value per release,
// drawn with Draw from the job's calibration before any channel to the
// peer is opened (the samplers take a time that depends on the value
// drawn). Move-only; Run consumes it.
class AggregateNoise {
 public:
  AggregateNoise() = default;
  AggregateNoise(AggregateNoise&&) = default;
  AggregateNoise& operator=(AggregateNoise&&) = default;

  // Draw calibrates `spec` (CalibrateAggregate; its errors) and draws the
  // noise of each release from `prng`.
  static absl::StatusOr<AggregateNoise> Draw(const DpAggregateSpec& spec, crypto::Prng& prng);

  bool drawn() const { return drawn_; }

 private:
  friend class PrivateAggregate;
  bool drawn_ = false;
  DpAggregateSpec spec_;  // what it was drawn for (public)
  mpc::SecretU64 main_;
  mpc::SecretU64 count_;
};

// AggregateMechanisms is the calibration of a spec.
struct AggregateMechanisms {
  dp::Mechanism main;                  // count (count mode) or sum
  std::optional<dp::Mechanism> count;  // sum mode with count_epsilon
  // total is the composed cost of the job (dp::Compose of the releases).
  dp::PrivacyCost total;
};

// CalibrateAggregate checks `spec` and calibrates its mechanism(s), for
// the sensitivity of its security model (see DpAggregateSpec::malicious).
// InvalidArgument for ε <= 0, δ outside (0, 1), bounds with lo > hi or
// [0, 0] in sum mode, a count_epsilon in count mode, or a noise scale over
// the samplers' caps.
absl::StatusOr<AggregateMechanisms> CalibrateAggregate(const DpAggregateSpec& spec);

// CheckSumRange returns InvalidArgument when `num_values` values in
// [lo, hi] could sum to 2^62 or more in absolute value.
absl::Status CheckSumRange(uint64_t num_values, int64_t lo, int64_t hi);

struct PrivateAggregateParams {
  DpAggregateSpec spec;
  bool i_receive = true;
  bool peer_receives = false;
  // has_values: this side holds the values (sum mode: exactly one side).
  bool has_values = false;
  int num_threads = 0;                 // 0: all hardware threads
  size_t chunk_len = size_t{1} << 16;  // OKVS blocks per message we send
  uint64_t max_peer_items = uint64_t{1} << 28;
  ProgressFn progress;  // optional; the shared-output PSI's phases
};

// Release is one released value with what a person needs to read it.
// Everything in it is public to the receiving side.
struct Release {
  int64_t estimate = 0;        // aggregate + the peer's noise
  dp::MechanismReport report;  // mechanism, ε, δ, ρ, noise scale, half-widths
  int64_t ci95_lo = 0;         // estimate ∓ report.half_width_95 (saturating)
  int64_t ci95_hi = 0;
};

// PrivateAggregateResult is what Run returns: only released values and
// public parameters. `sum` is set in sum mode, `count` in count mode and in
// sum mode with count_epsilon, both only on a receiving side.
struct PrivateAggregateResult {
  bool received = false;
  uint64_t peer_set_size = 0;
  std::optional<Release> count;
  std::optional<Release> sum;
  dp::PrivacyCost total_cost;  // the job's composed cost
};

// PrivateAggregate is one side; both run the same code with mirrored
// recipients. Not thread-safe.
class PrivateAggregate {
 public:
  static constexpr std::string_view kProtocolName = "dp-aggregate";
  static constexpr uint32_t kProtocolVersion = 2;

  // AnnouncedSetSize returns the set size a peer's first message (its
  // header) announces, or nullopt if it is not a well-formed header of this
  // version (the protocol then refuses it itself).
  static std::optional<uint64_t> AnnouncedSetSize(ByteSpan header);

  explicit PrivateAggregate(PrivateAggregateParams params)
      : params_(std::move(params)), noise_free_(false) {}

  // Run executes the protocol with this side's distinct `items` and, on the
  // values side in sum mode, one value per item (`values`; must be empty
  // otherwise), adding `noise` (AggregateNoise::Draw of the same spec, drawn
  // before the channel was opened) to what it reveals. Values are clamped
  // to [lo, hi] here. Errors: InvalidArgument for bad local parameters
  // (see CalibrateAggregate, CheckSumRange), noise not drawn for this
  // spec, values of the wrong count, nobody receiving, a values side that
  // alone receives, in malicious mode both sides receiving, duplicate
  // items, more than 2^32 - 2 items; FailedPrecondition when the
  // peer's header differs (version, security, kind, recipients, value side,
  // mechanism, ε, δ, bounds, count ε — the message names which), or its set
  // exceeds max_peer_items or the sum range, all before any PSI message;
  // DataLoss for malformed peer messages; the shared-output PSI's and the
  // channel's errors (Unavailable, DeadlineExceeded) as they come.
  absl::StatusOr<PrivateAggregateResult> Run(net::Channel& channel,
                                             absl::Span<const std::string> items,
                                             absl::Span<const int64_t> values,
                                             AggregateNoise noise, crypto::Prng& prng) const;

 private:
  friend class liaison::testing::InsecureNoiseFreeAggregate;
  // The noise-free variant adds no noise and announces so in its header;
  // a normal peer refuses it. Reachable only from tests/testing/.
  PrivateAggregate(PrivateAggregateParams params, bool insecure_noise_free)
      : params_(std::move(params)), noise_free_(insecure_noise_free) {}

  PrivateAggregateParams params_;
  bool noise_free_;
};

}  // namespace liaison::psi

#endif  // LIAISON_PSI_PRIVATE_AGGREGATE_H_
