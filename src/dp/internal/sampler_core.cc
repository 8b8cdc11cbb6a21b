// Integer-only sampling. This file is compiled with -mgeneral-regs-only
// (src/dp/CMakeLists.txt) and its object is disassembled by the test
// dp.sampler_has_no_float: keep every floating-point type out of it, and
// include nothing beyond <cstdint> and GMP's C interface (sampler_core.h
// says why).
//
// The algorithms are written once, as templates over the integer type: the
// fast path uses unsigned __int128 when the parameters' numerators and
// denominators are below 2^63 (every product below then stays under 2^127),
// and the general path uses Z, a minimal owner of a GMP integer.
#include "dp/internal/sampler_core.h"

#include <cstdint>

namespace liaison::dp::internal {
namespace {

using crypto::Prng;
using u128 = unsigned __int128;

static_assert(GMP_LIMB_BITS == 64, "the uniform sampler fills 64-bit limbs");
static_assert(sizeof(unsigned long) == sizeof(uint64_t),
              "GMP's ulong must be 64 bits");

constexpr uint64_t kFastLimit = uint64_t{1} << 63;

// Z owns one GMP integer and has the few operators the templates below use
// (gmpxx's mpz_class cannot be included here).
class Z {
 public:
  Z() { mpz_init(v_); }
  Z(uint64_t x) { mpz_init_set_ui(v_, x); }  // NOLINT: 0 and 1 in templates
  explicit Z(mpz_srcptr x) { mpz_init_set(v_, x); }
  Z(const Z& other) { mpz_init_set(v_, other.v_); }
  Z(Z&& other) noexcept {
    mpz_init(v_);
    mpz_swap(v_, other.v_);
  }
  Z& operator=(const Z& other) {
    mpz_set(v_, other.v_);
    return *this;
  }
  Z& operator=(Z&& other) noexcept {
    mpz_swap(v_, other.v_);
    return *this;
  }
  ~Z() { mpz_clear(v_); }

  mpz_ptr get() { return v_; }
  mpz_srcptr get() const { return v_; }

  Z& operator++() {
    mpz_add_ui(v_, v_, 1);
    return *this;
  }
  friend Z operator+(const Z& a, const Z& b) {
    Z r;
    mpz_add(r.v_, a.v_, b.v_);
    return r;
  }
  friend Z operator-(const Z& a, const Z& b) {
    Z r;
    mpz_sub(r.v_, a.v_, b.v_);
    return r;
  }
  friend Z operator*(const Z& a, const Z& b) {
    Z r;
    mpz_mul(r.v_, a.v_, b.v_);
    return r;
  }
  friend Z operator*(const Z& a, uint64_t b) {
    Z r;
    mpz_mul_ui(r.v_, a.v_, b);
    return r;
  }
  // Floor division; the samplers divide non-negative values only.
  friend Z operator/(const Z& a, const Z& b) {
    Z r;
    mpz_fdiv_q(r.v_, a.v_, b.v_);
    return r;
  }
  friend bool operator<(const Z& a, const Z& b) {
    return mpz_cmp(a.v_, b.v_) < 0;
  }
  friend bool operator==(const Z& a, uint64_t b) {
    return mpz_cmp_ui(a.v_, b) == 0;
  }

 private:
  mpz_t v_;
};

// UniformBelow returns a uniform value in [0, n), n >= 1: it draws
// bitlen(n - 1) random bits and retries while the value is >= n (each try
// succeeds with probability above 1/2).
uint64_t UniformBelow(uint64_t n, Prng& prng) {
  const uint64_t mask = n == 1 ? 0 : ~uint64_t{0} >> __builtin_clzll(n - 1);
  for (;;) {
    const uint64_t r = NextU64(prng) & mask;
    if (r < n) return r;
  }
}

u128 UniformBelow(u128 n, Prng& prng) {
  if (n <= ~uint64_t{0}) return UniformBelow(static_cast<uint64_t>(n), prng);
  const uint64_t high_mask =
      ~uint64_t{0} >> __builtin_clzll(static_cast<uint64_t>((n - 1) >> 64));
  for (;;) {
    const uint64_t low = NextU64(prng);
    const uint64_t high = NextU64(prng) & high_mask;
    const u128 r = (static_cast<u128>(high) << 64) | low;
    if (r < n) return r;
  }
}

void UniformBelowInto(mpz_ptr r, mpz_srcptr n, Prng& prng) {
  if (mpz_fits_ulong_p(n)) {
    mpz_set_ui(r, UniformBelow(mpz_get_ui(n), prng));
    return;
  }
  Z top(n);
  mpz_sub_ui(top.get(), top.get(), 1);
  const size_t num_bits = mpz_sizeinbase(top.get(), 2);
  const mp_size_t num_limbs = static_cast<mp_size_t>((num_bits + 63) / 64);
  const uint64_t high_mask =
      num_bits % 64 == 0 ? ~uint64_t{0} : (uint64_t{1} << (num_bits % 64)) - 1;
  for (;;) {
    mp_limb_t* limbs = mpz_limbs_write(r, num_limbs);
    for (mp_size_t i = 0; i < num_limbs; ++i) limbs[i] = NextU64(prng);
    limbs[num_limbs - 1] &= high_mask;
    mpz_limbs_finish(r, num_limbs);
    if (mpz_cmp(r, n) < 0) return;
  }
}

Z UniformBelow(const Z& n, Prng& prng) {
  Z r;
  UniformBelowInto(r.get(), n.get(), prng);
  return r;
}

// BernoulliFractionOf returns true with probability num/den,
// 0 <= num <= den.
template <typename Int>
bool BernoulliFractionOf(const Int& num, const Int& den, Prng& prng) {
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
    if (!BernoulliFractionOf<Int>(num, den_k, prng)) break;
    ++k;
  }
  return k % 2 == 1;
}

// BernoulliExpOf returns true with probability exp(-num/den) for any
// num/den >= 0: exp(-γ) = exp(-1)^floor(γ) * exp(-(γ - floor(γ))).
template <typename Int>
bool BernoulliExpOf(const Int& num, const Int& den, Prng& prng) {
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
    const bool negative = (NextU64(prng) & 1) != 0;
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

bool ToInt64(const Signed<Z>& x, int64_t& out) {
  if (!mpz_fits_slong_p(x.magnitude.get())) return false;
  const int64_t m = mpz_get_si(x.magnitude.get());
  out = x.negative ? -m : m;
  return true;
}

bool FitsFast(mpz_srcptr a) {
  return mpz_fits_ulong_p(a) && mpz_get_ui(a) < kFastLimit;
}

}  // namespace

void UniformBelow(mpz_ptr out, mpz_srcptr n, Prng& prng) {
  UniformBelowInto(out, n, prng);
}

bool BernoulliFraction(mpz_srcptr num, mpz_srcptr den, Prng& prng) {
  return BernoulliFractionOf<Z>(Z(num), Z(den), prng);
}

bool BernoulliExp(mpz_srcptr num, mpz_srcptr den, Prng& prng) {
  if (FitsFast(num) && FitsFast(den)) {
    return BernoulliExpOf<u128>(mpz_get_ui(num), mpz_get_ui(den), prng);
  }
  return BernoulliExpOf<Z>(Z(num), Z(den), prng);
}

// LaplaceInt64 redraws the (below 2^-2900 for valid parameters) values
// outside int64_t.
int64_t LaplaceInt64(mpz_srcptr t, mpz_srcptr s, Prng& prng) {
  int64_t out;
  if (FitsFast(t) && FitsFast(s)) {
    const u128 t128 = mpz_get_ui(t), s128 = mpz_get_ui(s);
    while (!ToInt64(DiscreteLaplace<u128>(t128, s128, prng), out)) {
    }
  } else {
    const Z tz(t), sz(s);
    while (!ToInt64(DiscreteLaplace<Z>(tz, sz, prng), out)) {
    }
  }
  return out;
}

// GaussianInt64 samples N_Z(0, σ²), σ² = num/den (CKS Algorithm 3): with
// t = floor(σ) + 1, a discrete Laplace candidate Y of scale t is kept with
// probability exp(-(|Y| - σ²/t)^2 / (2σ²)); in integers the exponent is
// (|Y|·t·den - num)^2 / (2·num·t^2·den).
int64_t GaussianInt64(mpz_srcptr num, mpz_srcptr den, Prng& prng) {
  const Z n(num), d(den);
  Z t = n / d;
  mpz_sqrt(t.get(), t.get());  // floor(sqrt(floor(x))) = floor(sqrt(x))
  ++t;
  const Z t_den = t * d;
  const Z denominator = n * 2 * t * t_den;
  // σ² <= 2^104, so t <= 2^52 + 1 and the candidate takes the 128-bit path.
  const u128 t128 = mpz_get_ui(t.get());
  Z magnitude;
  for (;;) {
    const Signed<u128> y = DiscreteLaplace<u128>(t128, 1, prng);
    const uint64_t parts[2] = {static_cast<uint64_t>(y.magnitude),
                               static_cast<uint64_t>(y.magnitude >> 64)};
    mpz_import(magnitude.get(), 2, -1, sizeof(uint64_t), 0, 0, parts);
    const Z excess = magnitude * t_den - n;
    const Z exponent = excess * excess;
    if (!BernoulliExpOf<Z>(exponent, denominator, prng)) continue;
    int64_t out;
    if (ToInt64(y, out)) return out;
  }
}

}  // namespace liaison::dp::internal
