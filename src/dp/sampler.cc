// Integer-only sampling. This file is compiled with -mgeneral-regs-only
// (src/dp/CMakeLists.txt) and its object is disassembled by the test
// dp.sampler_has_no_float: keep every floating-point type out of it.
//
// The algorithms are written once, as templates over the integer type: the
// fast path uses unsigned __int128 when the parameters' numerators and
// denominators are below 2^63 (every product below then stays under 2^127),
// and the general path uses GMP's mpz_class.
#include "dp/sampler.h"

#include <gmp.h>

#include <cstdint>
#include <cstring>
#include <mutex>

#include "absl/status/status.h"
#include "base/secret.h"

namespace liaison::dp {
namespace {

using crypto::Prng;
using u128 = unsigned __int128;

static_assert(GMP_LIMB_BITS == 64, "the uniform sampler fills 64-bit limbs");
static_assert(sizeof(unsigned long) == sizeof(uint64_t),
              "GMP's ulong must be 64 bits");

constexpr uint64_t kFastLimit = uint64_t{1} << 63;

// GMP keeps integers in heap blocks it frees or reallocates without
// clearing them; the samplers' intermediate values (candidates, the noise
// itself) would stay in freed memory. These wrappers wipe every block GMP
// gives back. They wrap whatever functions were installed before, so blocks
// allocated earlier are released correctly.
void* (*g_gmp_alloc)(size_t);
void* (*g_gmp_realloc)(void*, size_t, size_t);
void (*g_gmp_free)(void*, size_t);

void* WipingRealloc(void* p, size_t old_len, size_t new_len) {
  void* q = g_gmp_alloc(new_len);
  std::memcpy(q, p, old_len < new_len ? old_len : new_len);
  SecureWipe(p, old_len);
  g_gmp_free(p, old_len);
  return q;
}

void WipingFree(void* p, size_t len) {
  SecureWipe(p, len);
  g_gmp_free(p, len);
}

void InstallWipingGmpAllocator() {
  static std::once_flag once;
  std::call_once(once, [] {
    mp_get_memory_functions(&g_gmp_alloc, &g_gmp_realloc, &g_gmp_free);
    mp_set_memory_functions(g_gmp_alloc, WipingRealloc, WipingFree);
  });
}

// UniformBelow returns a uniform value in [0, n), n >= 1: it draws
// bitlen(n - 1) random bits and retries while the value is >= n (each try
// succeeds with probability above 1/2).
uint64_t UniformBelow(uint64_t n, Prng& prng) {
  const uint64_t mask = n == 1 ? 0 : ~uint64_t{0} >> __builtin_clzll(n - 1);
  for (;;) {
    const uint64_t r = prng.NextU64() & mask;
    if (r < n) return r;
  }
}

u128 UniformBelow(u128 n, Prng& prng) {
  if (n <= ~uint64_t{0}) return UniformBelow(static_cast<uint64_t>(n), prng);
  const uint64_t high_mask =
      ~uint64_t{0} >> __builtin_clzll(static_cast<uint64_t>((n - 1) >> 64));
  for (;;) {
    const uint64_t low = prng.NextU64();
    const uint64_t high = prng.NextU64() & high_mask;
    const u128 r = (static_cast<u128>(high) << 64) | low;
    if (r < n) return r;
  }
}

mpz_class UniformBelow(const mpz_class& n, Prng& prng) {
  if (mpz_fits_ulong_p(n.get_mpz_t()))
    return mpz_class(UniformBelow(n.get_ui(), prng));
  const mpz_class top = n - 1;
  const size_t num_bits = mpz_sizeinbase(top.get_mpz_t(), 2);
  const mp_size_t num_limbs = static_cast<mp_size_t>((num_bits + 63) / 64);
  const uint64_t high_mask =
      num_bits % 64 == 0 ? ~uint64_t{0} : (uint64_t{1} << (num_bits % 64)) - 1;
  mpz_class r;
  for (;;) {
    mp_limb_t* limbs = mpz_limbs_write(r.get_mpz_t(), num_limbs);
    for (mp_size_t i = 0; i < num_limbs; ++i) limbs[i] = prng.NextU64();
    limbs[num_limbs - 1] &= high_mask;
    mpz_limbs_finish(r.get_mpz_t(), num_limbs);
    if (r < n) return r;
  }
}

// BernoulliFraction returns true with probability num/den, 0 <= num <= den.
template <typename Int>
bool BernoulliFraction(const Int& num, const Int& den, Prng& prng) {
  return UniformBelow(den, prng) < num;
}

// BernoulliExpMinusOne returns true with probability exp(-1): Algorithm 1
// with γ = 1, where each step is Bernoulli(1/k).
bool BernoulliExpMinusOne(Prng& prng) {
  uint64_t k = 1;
  while (UniformBelow(k, prng) == 0) ++k;
  return k % 2 == 1;
}

// BernoulliExpUnit returns true with probability exp(-num/den) for
// 0 <= num/den <= 1 (CKS Algorithm 1): count k = 1, 2, ... while
// Bernoulli(γ/k) succeeds; the count stops at k with probability
// γ^(k-1)/(k-1)! - γ^k/k!, and summing over odd k gives exp(-γ).
// On the fast path den < 2^63 and k < 2^64, so den * k < 2^127.
template <typename Int>
bool BernoulliExpUnit(const Int& num, const Int& den, Prng& prng) {
  uint64_t k = 1;
  for (;;) {
    const Int den_k = den * k;
    if (!BernoulliFraction<Int>(num, den_k, prng)) break;
    ++k;
  }
  return k % 2 == 1;
}

// BernoulliExp returns true with probability exp(-num/den) for any
// num/den >= 0: exp(-γ) = exp(-1)^floor(γ) * exp(-(γ - floor(γ))).
template <typename Int>
bool BernoulliExp(const Int& num, const Int& den, Prng& prng) {
  const Int whole = num / den;
  const Int rest = num - whole * den;
  for (Int i = 0; i < whole; ++i) {
    if (!BernoulliExpMinusOne(prng)) return false;
  }
  return BernoulliExpUnit<Int>(rest, den, prng);
}

// Signed is a sampled integer as sign and magnitude (the samplers work on
// magnitudes so that one unsigned type serves the fast path).
template <typename Int>
struct Signed {
  bool negative = false;
  Int magnitude = 0;
};

// DiscreteLaplace samples with scale t/s (CKS Algorithm 2): X = U + t·V is
// geometric with parameter 1 - exp(-1/t) (U uniform below t, kept with
// probability exp(-U/t); V geometric with parameter 1 - exp(-1)), so
// Y = floor(X/s) is geometric with parameter 1 - exp(-s/t); a random sign,
// rejecting "-0", makes it two-sided. On the fast path t, s < 2^63 and V is
// a 64-bit count, so t·V + U < 2^127.
template <typename Int>
Signed<Int> DiscreteLaplace(const Int& t, const Int& s, Prng& prng) {
  for (;;) {
    const Int u = UniformBelow(t, prng);
    if (!BernoulliExpUnit<Int>(u, t, prng)) continue;
    uint64_t v = 0;
    while (BernoulliExpMinusOne(prng)) ++v;
    const Int x = u + t * v;
    const Int y = x / s;
    const bool negative = (prng.NextU64() & 1) != 0;
    if (negative && y == 0) continue;
    return Signed<Int>{negative, y};
  }
}

// ToInt64 converts a sample to int64_t; false when it does not fit.
bool ToInt64(const Signed<u128>& x, int64_t& out) {
  if (x.magnitude > static_cast<u128>(INT64_MAX)) return false;
  const int64_t m = static_cast<int64_t>(x.magnitude);
  out = x.negative ? -m : m;
  return true;
}

bool ToInt64(const Signed<mpz_class>& x, int64_t& out) {
  if (!mpz_fits_slong_p(x.magnitude.get_mpz_t())) return false;
  const int64_t m = x.magnitude.get_si();
  out = x.negative ? -m : m;
  return true;
}

bool FitsFast(const mpz_class& a) {
  return mpz_fits_ulong_p(a.get_mpz_t()) && a.get_ui() < kFastLimit;
}

// LaplaceInt64 samples with scale t/s and redraws the (below 2^-2900 for
// valid parameters) values outside int64_t.
int64_t LaplaceInt64(const mpz_class& t, const mpz_class& s, Prng& prng) {
  int64_t out;
  if (FitsFast(t) && FitsFast(s)) {
    const u128 t128 = t.get_ui(), s128 = s.get_ui();
    while (!ToInt64(DiscreteLaplace<u128>(t128, s128, prng), out)) {
    }
  } else {
    while (!ToInt64(DiscreteLaplace<mpz_class>(t, s, prng), out)) {
    }
  }
  return out;
}

// GaussianInt64 samples N_Z(0, σ²), σ² = num/den (CKS
// Algorithm 3): with t = floor(σ) + 1, a discrete Laplace candidate Y of
// scale t is kept with probability exp(-(|Y| - σ²/t)^2 / (2σ²)); in
// integers the exponent is (|Y|·t·den - num)^2 / (2·num·t^2·den).
int64_t GaussianInt64(const mpz_class& num, const mpz_class& den, Prng& prng) {
  mpz_class t = num / den;
  mpz_sqrt(t.get_mpz_t(),
           t.get_mpz_t());  // floor(sqrt(floor(x))) = floor(sqrt(x))
  t += 1;
  const mpz_class t_den = t * den;
  const mpz_class denominator = 2 * num * t * t_den;
  // σ² <= 2^104, so t <= 2^52 + 1 and the candidate takes the 128-bit path.
  const u128 t128 = t.get_ui();
  mpz_class magnitude, excess, exponent;
  for (;;) {
    const Signed<u128> y = DiscreteLaplace<u128>(t128, 1, prng);
    const uint64_t parts[2] = {static_cast<uint64_t>(y.magnitude),
                               static_cast<uint64_t>(y.magnitude >> 64)};
    mpz_import(magnitude.get_mpz_t(), 2, -1, sizeof(uint64_t), 0, 0, parts);
    excess = magnitude * t_den - num;
    exponent = excess * excess;
    if (!BernoulliExp<mpz_class>(exponent, denominator, prng)) continue;
    int64_t out;
    if (ToInt64(Signed<u128>{y.negative, y.magnitude}, out)) return out;
  }
}

absl::Status CheckLaplaceScale(const mpq_class& scale) {
  if (sgn(scale) <= 0 || scale > mpq_class(mpz_class(kMaxLaplaceScale))) {
    return absl::InvalidArgumentError(
        "discrete Laplace scale must be in (0, 2^52]");
  }
  return absl::OkStatus();
}

absl::Status CheckGaussianSigma2(const mpq_class& sigma2) {
  if (sgn(sigma2) <= 0 || sigma2 > mpq_class(MaxGaussianSigma2())) {
    return absl::InvalidArgumentError(
        "discrete Gaussian sigma^2 must be in (0, 2^104]");
  }
  return absl::OkStatus();
}

}  // namespace

const mpz_class& MaxGaussianSigma2() {
  static const mpz_class* const kMax = new mpz_class(mpz_class(1) << 104);
  return *kMax;
}

absl::StatusOr<mpz_class> SampleUniform(const mpz_class& n, Prng& prng) {
  if (n < 1)
    return absl::InvalidArgumentError("uniform sampler: n must be at least 1");
  InstallWipingGmpAllocator();
  return UniformBelow(n, prng);
}

absl::StatusOr<bool> SampleBernoulli(const mpq_class& p, Prng& prng) {
  if (sgn(p) < 0 || p > 1)
    return absl::InvalidArgumentError("Bernoulli p must be in [0, 1]");
  InstallWipingGmpAllocator();
  return BernoulliFraction<mpz_class>(p.get_num(), p.get_den(), prng);
}

absl::StatusOr<bool> SampleBernoulliExp(const mpq_class& gamma, Prng& prng) {
  if (sgn(gamma) < 0)
    return absl::InvalidArgumentError(
        "Bernoulli(exp(-gamma)): gamma must be >= 0");
  InstallWipingGmpAllocator();
  if (FitsFast(gamma.get_num()) && FitsFast(gamma.get_den())) {
    return BernoulliExp<u128>(gamma.get_num().get_ui(),
                              gamma.get_den().get_ui(), prng);
  }
  return BernoulliExp<mpz_class>(gamma.get_num(), gamma.get_den(), prng);
}

absl::StatusOr<int64_t> SampleDiscreteLaplace(const mpq_class& scale,
                                              Prng& prng) {
  if (absl::Status s = CheckLaplaceScale(scale); !s.ok()) return s;
  InstallWipingGmpAllocator();
  return LaplaceInt64(scale.get_num(), scale.get_den(), prng);
}

absl::StatusOr<int64_t> SampleDiscreteGaussian(const mpq_class& sigma2,
                                               Prng& prng) {
  if (absl::Status s = CheckGaussianSigma2(sigma2); !s.ok()) return s;
  InstallWipingGmpAllocator();
  return GaussianInt64(sigma2.get_num(), sigma2.get_den(), prng);
}

absl::StatusOr<NoiseParams> NoiseParams::DiscreteLaplace(
    const mpq_class& scale) {
  if (absl::Status s = CheckLaplaceScale(scale); !s.ok()) return s;
  return NoiseParams(NoiseKind::kDiscreteLaplace, scale);
}

absl::StatusOr<NoiseParams> NoiseParams::DiscreteGaussian(
    const mpq_class& sigma2) {
  if (absl::Status s = CheckGaussianSigma2(sigma2); !s.ok()) return s;
  return NoiseParams(NoiseKind::kDiscreteGaussian, sigma2);
}

SecretNoise::~SecretNoise() { SecureWipe(&value_, sizeof(value_)); }

SecretNoise::SecretNoise(SecretNoise&& other) noexcept : value_(other.value_) {
  SecureWipe(&other.value_, sizeof(other.value_));
}

SecretNoise& SecretNoise::operator=(SecretNoise&& other) noexcept {
  if (this != &other) {
    value_ = other.value_;
    SecureWipe(&other.value_, sizeof(other.value_));
  }
  return *this;
}

SecretNoise SampleNoise(const NoiseParams& params, Prng& prng) {
  InstallWipingGmpAllocator();
  const mpq_class& p = params.parameter();
  switch (params.kind()) {
    case NoiseKind::kDiscreteLaplace:
      return SecretNoise(LaplaceInt64(p.get_num(), p.get_den(), prng));
    case NoiseKind::kDiscreteGaussian:
      return SecretNoise(GaussianInt64(p.get_num(), p.get_den(), prng));
  }
  return SecretNoise(0);  // unreachable: NoiseKind has two values
}

}  // namespace liaison::dp
