#include "dp/interval.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "dp/internal/interval_internal.h"

namespace liaison::dp {
namespace {

constexpr long double kLevel = 0.95L;
constexpr long double kPi = 3.141592653589793238462643383279502884L;
// Gaussian pmf terms below exp(-kTailExponent) of the peak are dropped.
constexpr long double kTailExponent = 100;

// SmallestWithTailAtMost returns the smallest h >= 0 with tail(h) <= alpha,
// for a tail function decreasing in h: doubling, then bisection.
int64_t SmallestWithTailAtMost(const std::function<long double(int64_t)>& tail,
                               long double alpha) {
  if (tail(0) <= alpha) return 0;
  int64_t high = 1;
  while (tail(high) > alpha) high *= 2;  // tails vanish long before 2^62
  int64_t low = high / 2;                // tail(low) > alpha
  while (high - low > 1) {
    const int64_t mid = low + (high - low) / 2;
    (tail(mid) > alpha ? low : high) = mid;
  }
  return high;
}

long double ToLongDouble(const mpq_class& q) {
  return static_cast<long double>(q.get_d());
}

// HalfWidthFromPmf returns the smallest h with mass(|k| <= h) >= level for a
// symmetric pmf given for k = 0..size-1 (not necessarily normalised).
int64_t HalfWidthFromPmf(const std::vector<long double>& pmf,
                         long double level) {
  long double total = pmf[0];
  for (size_t k = 1; k < pmf.size(); ++k) total += 2 * pmf[k];
  long double inside = pmf[0];
  size_t h = 0;
  while (inside < level * total && h + 1 < pmf.size()) inside += 2 * pmf[++h];
  return static_cast<int64_t>(h);
}

// GaussianPmf returns exp(-x^2 / 2σ²) for x = 0.. until negligible.
std::vector<long double> GaussianPmf(long double sigma2) {
  std::vector<long double> pmf;
  for (int64_t x = 0;; ++x) {
    const long double e = static_cast<long double>(x) * x / (2 * sigma2);
    if (e > kTailExponent) break;
    pmf.push_back(std::exp(-e));
  }
  return pmf;
}

}  // namespace

namespace internal {

int64_t LaplaceHalfWidth(long double scale, int num_noises, long double level) {
  const long double a = 1 / scale;
  const long double q = std::exp(-a);
  const long double u = -std::expm1(-a);  // 1 - q, accurate for large scales
  const long double alpha = 1 - level;
  if (num_noises == 1) {
    return SmallestWithTailAtMost(
        [&](int64_t h) { return 2 * std::exp(-(h + 1) * a) / (1 + q); }, alpha);
  }
  return SmallestWithTailAtMost(
      [&](int64_t h) {
        const long double m = static_cast<long double>(h) + 1;
        const long double qm = std::exp(-m * a);
        const long double p = 1 + q;
        return 2 * qm * ((m * u + q) / (p * p) + (1 + q * q) / (p * p * p));
      },
      alpha);
}

int64_t GaussianHalfWidthBySum(long double sigma2, long double level) {
  return HalfWidthFromPmf(GaussianPmf(sigma2), level);
}

int64_t GaussianHalfWidthByIntegral(long double sigma2, long double level) {
  const long double sigma = std::sqrt(sigma2);
  const long double z = sigma * std::sqrt(2 * kPi);
  // Σ_{x >= m} f(x) ≈ ∫_m^∞ f + f(m)/2 - f'(m)/12, f'(m) = -(m/σ²) f(m).
  const auto tail_sum = [&](long double m) {
    const long double fm = std::exp(-m * m / (2 * sigma2));
    return sigma * std::sqrt(kPi / 2) *
               std::erfc(m / (sigma * std::sqrt(2.0L))) +
           fm / 2 + m / sigma2 * fm / 12;
  };
  return SmallestWithTailAtMost(
      [&](int64_t h) {
        return 2 * tail_sum(static_cast<long double>(h) + 1) / z;
      },
      1 - level);
}

int64_t GaussianPairHalfWidthByConvolution(long double sigma2,
                                           long double level) {
  const std::vector<long double> half = GaussianPmf(sigma2);
  const int64_t m = static_cast<int64_t>(half.size()) - 1;
  const auto pmf = [&](int64_t x) {
    return half[static_cast<size_t>(x < 0 ? -x : x)];
  };
  std::vector<long double> sum(static_cast<size_t>(2 * m + 1), 0);
  for (int64_t k = 0; k <= 2 * m; ++k) {
    for (int64_t x = k - m; x <= m; ++x)
      sum[static_cast<size_t>(k)] += pmf(x) * pmf(k - x);
  }
  return HalfWidthFromPmf(sum, level);
}

}  // namespace internal

namespace {

int64_t GaussianHalfWidth(long double sigma2) {
  if (std::sqrt(sigma2) <= internal::kGaussianSumLimit) {
    return internal::GaussianHalfWidthBySum(sigma2, kLevel);
  }
  return internal::GaussianHalfWidthByIntegral(sigma2, kLevel);
}

}  // namespace

namespace {

// HalfWidth95For is HalfWidth95 for one noise, HalfWidth95OfTwo for two.
int64_t HalfWidth95For(const NoiseParams& params, int num_noises) {
  const long double p = ToLongDouble(params.parameter());
  if (params.kind() == NoiseKind::kDiscreteLaplace) {
    return internal::LaplaceHalfWidth(p, num_noises, kLevel);
  }
  if (num_noises == 1) return GaussianHalfWidth(p);
  if (p < 9) return internal::GaussianPairHalfWidthByConvolution(p, kLevel);
  return GaussianHalfWidth(2 * p);
}

}  // namespace

int64_t HalfWidth95(const NoiseParams& params) {
  return HalfWidth95For(params, 1);
}

int64_t HalfWidth95OfTwo(const NoiseParams& params) {
  return HalfWidth95For(params, 2);
}

}  // namespace liaison::dp
