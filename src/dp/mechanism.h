// Differentially private release of a count or a sum: the sensitivity of
// the query, the calibration of the noise to a privacy parameter, and a
// description of the result for people (what was promised, how noisy).
//
// Neighbouring datasets (the unit of privacy). Two inputs are neighbours
// when one is the other with ONE record added or removed ("add/remove-one",
// unbounded DP). A record is one item of one party's set, with its value for
// sums. The guarantee is about that record: whether it is present changes
// the probability of any release by at most a factor exp(ε) (pure DP), or
// as zCDP/(ε, δ) bound below. One entity behind many records (e.g. many
// indicators of one campaign) is protected only as a group, with ε times
// the number of records.
//  - count (e.g. PSI cardinality): one record more or less changes the
//    count by at most 1: sensitivity Δ = 1.
//  - sum of values clamped to [lo, hi] (e.g. intersection-sum): one record
//    more or less changes the sum by at most max(|lo|, |hi|) = Δ. Values
//    outside the bounds are clamped (Clamp) before summing, silently, and
//    that bias is the price of the bound.
//
// Mechanisms (noise is added to the exact integer answer):
//  - pure ε-DP: discrete Laplace with scale Δ/ε. Cost: ε.
//  - ρ-zCDP: discrete Gaussian with σ² = Δ²/(2ρ) (Canonne-Kamath-Steinke,
//    Theorem 14). Cost: ρ. It is (ε, δ)-DP for every δ with
//    ε = ρ + 2·sqrt(ρ·ln(1/δ)) (Bun-Steinke Proposition 1.3); asked for an
//    (ε, δ), ZcdpFromApproxDp inverts that:
//    ρ = (sqrt(ε + ln(1/δ)) - sqrt(ln(1/δ)))². This standard conversion is
//    not tight (CKS Corollary 13 gives a smaller σ for the same (ε, δ));
//    it errs towards more noise.
//
// Using the noise in a protocol (psi/, mpc/):
//  - Draw the noise with SampleNoise (dp/sampler.h) BEFORE sending the first
//    protocol message: the samplers' running time depends on the value
//    drawn, and must not overlap anything the peer can time.
//  - Each party draws its own full noise and adds it to what it reveals to
//    the other (psi/private_aggregate.h): a receiver's release holds the
//    peer's noise only, and the 95% half-width to report is HalfWidth95.
//    HalfWidth95OfTwo is for a release carrying both parties' noises.
//  - Charge the Mechanism's cost to the ledger (dp/accounting.h) before the
//    job runs; a refused charge (ResourceExhausted) means the job must not
//    run.
#ifndef LIAISON_DP_MECHANISM_H_
#define LIAISON_DP_MECHANISM_H_

#include <gmpxx.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "dp/accounting.h"
#include "dp/sampler.h"

namespace liaison::dp {

// kCountSensitivity is the sensitivity of a count under add/remove-one.
inline constexpr uint64_t kCountSensitivity = 1;

// SumSensitivity returns max(|lo|, |hi|), the sensitivity of a sum of
// values clamped to [lo, hi] under add/remove-one. InvalidArgument if
// lo > hi, or if lo = hi = 0 (every sum is 0: nothing to release).
absl::StatusOr<uint64_t> SumSensitivity(int64_t lo, int64_t hi);

// Clamp returns `value` limited to [lo, hi]; requires lo <= hi (callers
// take the bounds from a SumSensitivity that succeeded).
int64_t Clamp(int64_t value, int64_t lo, int64_t hi);

// Mechanism is a calibrated noise distribution with what it guarantees.
struct Mechanism {
  NoiseParams noise;
  // cost is what a release spends: ε (pure) or ρ (zCDP).
  PrivacyCost cost;
  // epsilon and delta are the (ε, δ)-DP guarantee the caller asked for:
  // (ε, 0) for the Laplace mechanism, the requested pair for a Gaussian
  // calibrated from (ε, δ), absent for a Gaussian calibrated from ρ.
  std::optional<mpq_class> epsilon;
  std::optional<mpq_class> delta;
};

// CalibrateLaplace returns the discrete Laplace mechanism with scale
// sensitivity/epsilon (pure ε-DP). InvalidArgument if sensitivity is 0,
// epsilon <= 0, or the scale exceeds 2^52.
absl::StatusOr<Mechanism> CalibrateLaplace(uint64_t sensitivity,
                                           const mpq_class& epsilon);

// CalibrateGaussian returns the discrete Gaussian mechanism with
// σ² = sensitivity² / (2·rho) (ρ-zCDP). InvalidArgument if sensitivity is 0,
// rho <= 0, or σ² exceeds 2^104.
absl::StatusOr<Mechanism> CalibrateGaussian(uint64_t sensitivity,
                                            const mpq_class& rho);

// CalibrateGaussianForApproxDp returns the discrete Gaussian mechanism for
// ρ = ZcdpFromApproxDp(epsilon, delta): (ε, δ)-DP, charged as ρ-zCDP.
absl::StatusOr<Mechanism> CalibrateGaussianForApproxDp(uint64_t sensitivity,
                                                       const mpq_class& epsilon,
                                                       const mpq_class& delta);

// ZcdpFromApproxDp returns a rational ρ, at most
// (sqrt(ε + ln(1/δ)) - sqrt(ln(1/δ)))², such that ρ-zCDP implies (ε, δ)-DP.
// The logarithm and roots are computed in long double (this is calibration,
// not sampling) and the result is rounded DOWN to 10 significant decimal
// digits after a 2^-30 relative safety margin, far above the rounding
// error: never more ρ than the formula allows, so never less noise, and
// the ρ in audit records reads as a decimal (e.g. 1746890475/10^11 for
// ε = 1, δ = 10^-6). InvalidArgument unless
// epsilon > 0 and 0 < delta < 1.
absl::StatusOr<mpq_class> ZcdpFromApproxDp(const mpq_class& epsilon,
                                           const mpq_class& delta);

// MechanismReport describes a mechanism for a person, a log or the audit
// record. All of it is public (no noise values).
struct MechanismReport {
  std::string mechanism;  // "discrete_laplace" or "discrete_gaussian"
  std::optional<double> epsilon;
  std::optional<double> delta;  // 0 for discrete_laplace
  std::optional<double> rho;    // discrete_gaussian only
  std::string cost;             // exact, e.g. "epsilon=1/2", "rho=1/8"
  std::string cost_for_people;  // decimal, e.g. "epsilon=0.5", "rho=0.125"
  std::string noise_parameter;  // exact, e.g. "scale=2", "sigma2=25/2"
  double noise_scale = 0;       // the Laplace scale, or σ
  // half_width_95: the released value is within ±this of the truth with
  // probability >= 95% when one noise is added; half_width_95_two_noises
  // when each of two parties adds its own.
  int64_t half_width_95 = 0;
  int64_t half_width_95_two_noises = 0;
};

// Describe fills a MechanismReport (the Gaussian half-widths take up to
// about 2 ms of CPU, at σ near 2000; bench/dp_bench.cc).
MechanismReport Describe(const Mechanism& mechanism);

}  // namespace liaison::dp

#endif  // LIAISON_DP_MECHANISM_H_
