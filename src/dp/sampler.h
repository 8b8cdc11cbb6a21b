// Exact samplers for differential privacy: the discrete Laplace and discrete
// Gaussian distributions over the integers, drawn with integer arithmetic
// only, after Canonne, Kamath and Steinke, "The Discrete Gaussian for
// Differential Privacy" (NeurIPS 2020, arXiv 2004.00010), Algorithms 1-3.
// Written from the paper.
//
// Why exact. Textbook Laplace noise computed in floating point leaks: the
// set of doubles a sampler can output depends on the true value, so the low
// bits of a release can reveal it (Mironov, CCS 2012). These samplers take
// rational parameters (GMP's mpq_class) and only ever compare uniformly
// random integers with integers, so each output has exactly the probability
// the distribution gives it. The draws are made in one translation unit,
// dp/internal/sampler_core.cc, compiled with -mgeneral-regs-only where the
// compiler supports it (the compiler then refuses any floating-point
// operation); the test dp.sampler_has_no_float disassembles its object file
// and fails on any x87 or SSE/AVX floating-point instruction.
//
// Randomness. Every random bit comes from the caller's crypto::Prng, by
// rejection: UniformBelow(n) draws bitlen(n-1) bits and retries when the
// value is >= n, so no modulo bias.
//
// TIMING. The samplers are rejection loops: how long a draw takes, and how
// many bytes it takes from the Prng, depend on the value drawn (a large
// noise value takes longer). A protocol must therefore draw all its noise
// before it sends its first message, so that nothing the peer can time
// follows the sampling (SampleNoise is the entry point for that, and
// SecretNoise holds the result until it is used). The noise is as secret as
// a key: whoever learns it can subtract it. SecretNoise wipes itself, cannot
// be copied, printed or compared; the GMP integers the loops use are wiped
// when GMP frees or grows them (the first call installs wiping wrappers
// around GMP's allocation functions, for the whole process).
//
// Range. Outputs are int64_t. The distributions have unbounded support, so
// the parameters are capped (kMaxLaplaceScale, MaxGaussianSigma2()) such that
// a value outside int64_t has probability below 2^-2900; such a draw is
// rejected and drawn again, which changes the distribution by less than
// that in total variation.
//
// Thread safety: the functions are reentrant; a Prng must not be shared
// between threads.
//
// Speed (bench/dp_bench.cc, CPU time of one core of a 2-core machine):
// discrete Laplace 11-17 million samples/s for scales 1 to 10^6, discrete
// Gaussian 2.5-3 million/s for σ from 1 to 10^6.
#ifndef LIAISON_DP_SAMPLER_H_
#define LIAISON_DP_SAMPLER_H_

#include <gmpxx.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "crypto/prng.h"

namespace liaison::dp {

// kMaxLaplaceScale is the largest accepted discrete Laplace scale: 2^52.
// P(|X| >= 2^63) = exp(-2^11)-ish, far below any observable rate.
inline constexpr uint64_t kMaxLaplaceScale = uint64_t{1} << 52;
// MaxGaussianSigma2 returns the largest accepted discrete Gaussian variance
// parameter σ², 2^104 (σ = 2^52).
const mpz_class& MaxGaussianSigma2();

// SampleUniform returns an integer uniformly distributed in [0, n). It is
// InvalidArgument if n < 1.
absl::StatusOr<mpz_class> SampleUniform(const mpz_class& n, crypto::Prng& prng);

// SampleBernoulli returns true with probability exactly p. It is
// InvalidArgument unless 0 <= p <= 1.
absl::StatusOr<bool> SampleBernoulli(const mpq_class& p, crypto::Prng& prng);

// SampleBernoulliExp returns true with probability exactly exp(-gamma)
// (CKS Algorithm 1, with the split into floor(gamma) draws of
// Bernoulli(exp(-1)) for gamma > 1). It is InvalidArgument if gamma < 0.
absl::StatusOr<bool> SampleBernoulliExp(const mpq_class& gamma,
                                        crypto::Prng& prng);

// SampleDiscreteLaplace returns an integer x with probability
// (1 - q) / (1 + q) * q^|x|, q = exp(-1/scale) (CKS Algorithm 2). Adding it
// to an integer query of sensitivity Δ gives (Δ/scale)-DP. It is
// InvalidArgument unless 0 < scale <= kMaxLaplaceScale.
absl::StatusOr<int64_t> SampleDiscreteLaplace(const mpq_class& scale,
                                              crypto::Prng& prng);

// SampleDiscreteGaussian returns an integer x with probability proportional
// to exp(-x^2 / (2 sigma2)) (CKS Algorithm 3). Adding it to an integer query
// of sensitivity Δ gives (Δ^2 / (2 sigma2))-zCDP. It is InvalidArgument
// unless 0 < sigma2 <= MaxGaussianSigma2().
absl::StatusOr<int64_t> SampleDiscreteGaussian(const mpq_class& sigma2,
                                               crypto::Prng& prng);

// NoiseKind names the two noise distributions.
enum class NoiseKind { kDiscreteLaplace, kDiscreteGaussian };

// NoiseParams is a validated noise distribution: the discrete Laplace with
// its scale, or the discrete Gaussian with its σ². Public (not secret); the
// mechanisms in dp/mechanism.h calibrate it from ε, δ or ρ.
class NoiseParams {
 public:
  // DiscreteLaplace accepts 0 < scale <= kMaxLaplaceScale, else
  // InvalidArgument.
  static absl::StatusOr<NoiseParams> DiscreteLaplace(const mpq_class& scale);
  // DiscreteGaussian accepts 0 < sigma2 <= MaxGaussianSigma2(), else
  // InvalidArgument.
  static absl::StatusOr<NoiseParams> DiscreteGaussian(const mpq_class& sigma2);

  NoiseKind kind() const { return kind_; }
  // parameter is the Laplace scale or the Gaussian σ², exactly.
  const mpq_class& parameter() const { return parameter_; }

 private:
  NoiseParams(NoiseKind kind, const mpq_class& parameter)
      : kind_(kind), parameter_(parameter) {
    parameter_.canonicalize();
  }
  NoiseKind kind_;
  mpq_class parameter_;
};

// SecretNoise is one noise value drawn by SampleNoise. It is secret: it is
// wiped on destruction and on move, and cannot be copied, printed or
// compared. Add it to the true value and release only the sum.
class SecretNoise {
 public:
  ~SecretNoise();
  SecretNoise(SecretNoise&& other) noexcept;
  SecretNoise& operator=(SecretNoise&& other) noexcept;
  SecretNoise(const SecretNoise&) = delete;
  SecretNoise& operator=(const SecretNoise&) = delete;
  bool operator==(const SecretNoise&) const = delete;

  // value returns the noise. Never log it or put it in a message or error.
  int64_t value() const { return value_; }

 private:
  friend SecretNoise SampleNoise(const NoiseParams& params, crypto::Prng& prng);
  explicit SecretNoise(int64_t value) : value_(value) {}
  int64_t value_;
};

// SampleNoise draws one noise value from `params` with `prng`. Call it
// before the protocol sends anything (see TIMING above). Cannot fail:
// NoiseParams is validated when made.
SecretNoise SampleNoise(const NoiseParams& params, crypto::Prng& prng);

}  // namespace liaison::dp

#endif  // LIAISON_DP_SAMPLER_H_
