#include "dp/interval.h"

#include <gmpxx.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "dp/internal/interval_internal.h"
#include "dp/sampler.h"
#include "gtest/gtest.h"

namespace liaison::dp {
namespace {

// The reference half-widths below are computed independently of
// dp/interval.cc: plain pmfs on a wide truncated support, explicit
// convolutions, and a running sum from the centre outwards.

// Symmetric pmf on [-m, m], as a vector indexed by x + m.
std::vector<double> LaplacePmf(double scale, int64_t m) {
  const double q = std::exp(-1 / scale);
  std::vector<double> p;
  for (int64_t x = -m; x <= m; ++x)
    p.push_back((1 - q) / (1 + q) * std::pow(q, std::abs(x)));
  return p;
}

std::vector<double> GaussianPmf(double sigma2, int64_t m) {
  std::vector<double> p;
  double z = 0;
  for (int64_t x = -m; x <= m; ++x) {
    p.push_back(std::exp(-static_cast<double>(x * x) / (2 * sigma2)));
    z += p.back();
  }
  for (double& v : p) v /= z;
  return p;
}

std::vector<double> Convolve(const std::vector<double>& a,
                             const std::vector<double>& b) {
  std::vector<double> out(a.size() + b.size() - 1, 0);
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = 0; j < b.size(); ++j) out[i + j] += a[i] * b[j];
  }
  return out;
}

// ReferenceHalfWidth grows [-h, h] from the centre until it holds 95%.
int64_t ReferenceHalfWidth(const std::vector<double>& pmf) {
  const int64_t m = static_cast<int64_t>(pmf.size() / 2);
  double total = 0;
  for (double v : pmf) total += v;
  double inside = pmf[static_cast<size_t>(m)];
  int64_t h = 0;
  while (inside < 0.95 * total) {
    ++h;
    inside += pmf[static_cast<size_t>(m - h)] + pmf[static_cast<size_t>(m + h)];
  }
  return h;
}

TEST(HalfWidthTest, DiscreteLaplaceMatchesPmfSum) {
  for (const mpq_class& scale : {mpq_class(1), mpq_class(5, 2), mpq_class(10),
                                 mpq_class(1000), mpq_class(1, 3)}) {
    const NoiseParams p = *NoiseParams::DiscreteLaplace(scale);
    const int64_t m = static_cast<int64_t>(60 * scale.get_d()) + 20;
    EXPECT_EQ(HalfWidth95(p), ReferenceHalfWidth(LaplacePmf(scale.get_d(), m)))
        << "scale=" << scale.get_str();
  }
}

TEST(HalfWidthTest, SumOfTwoDiscreteLaplaceMatchesConvolution) {
  for (const mpq_class& scale :
       {mpq_class(1), mpq_class(5, 2), mpq_class(10), mpq_class(1, 3)}) {
    const NoiseParams p = *NoiseParams::DiscreteLaplace(scale);
    const int64_t m = static_cast<int64_t>(60 * scale.get_d()) + 20;
    const std::vector<double> one = LaplacePmf(scale.get_d(), m);
    EXPECT_EQ(HalfWidth95OfTwo(p), ReferenceHalfWidth(Convolve(one, one)))
        << "scale=" << scale.get_str();
  }
}

TEST(HalfWidthTest, DiscreteGaussianMatchesPmfSum) {
  for (const mpq_class& sigma2 :
       {mpq_class(1), mpq_class(1, 4), mpq_class(9, 4), mpq_class(100),
        mpq_class(10000)}) {
    const NoiseParams p = *NoiseParams::DiscreteGaussian(sigma2);
    const int64_t m = static_cast<int64_t>(40 * std::sqrt(sigma2.get_d())) + 20;
    EXPECT_EQ(HalfWidth95(p),
              ReferenceHalfWidth(GaussianPmf(sigma2.get_d(), m)))
        << "sigma2=" << sigma2.get_str();
  }
}

TEST(HalfWidthTest, SumOfTwoDiscreteGaussiansMatchesConvolution) {
  // Below σ² = 9 the code convolves; from 9 on it uses the discrete
  // Gaussian of variance 2σ² (Poisson summation): both checked here.
  for (const mpq_class& sigma2 :
       {mpq_class(1, 4), mpq_class(1), mpq_class(4), mpq_class(9),
        mpq_class(16), mpq_class(100), mpq_class(2500)}) {
    const NoiseParams p = *NoiseParams::DiscreteGaussian(sigma2);
    const int64_t m = static_cast<int64_t>(40 * std::sqrt(sigma2.get_d())) + 20;
    const std::vector<double> one = GaussianPmf(sigma2.get_d(), m);
    EXPECT_EQ(HalfWidth95OfTwo(p), ReferenceHalfWidth(Convolve(one, one)))
        << "sigma2=" << sigma2.get_str();
  }
}

TEST(HalfWidthTest, GaussianTailFormulaAgreesWithSumWhereBothApply) {
  for (long double sigma : {300.0L, 1000.0L, 5000.0L, 20000.0L}) {
    const long double sigma2 = sigma * sigma;
    EXPECT_EQ(internal::GaussianHalfWidthByIntegral(sigma2, 0.95L),
              internal::GaussianHalfWidthBySum(sigma2, 0.95L))
        << "sigma=" << static_cast<double>(sigma);
  }
}

TEST(HalfWidthTest, LargeScalesApproachTheContinuousQuantiles) {
  // Continuous Laplace: b·ln(20); Gaussian: 1.959964σ; sum of two Laplace:
  // the root of e^-x (2 + x) / 2 = 0.05, x = 4.113003 (times b).
  const NoiseParams laplace = *NoiseParams::DiscreteLaplace(mpq_class(1000000));
  EXPECT_NEAR(HalfWidth95(laplace), 1e6 * std::log(20.0), 2);
  EXPECT_NEAR(HalfWidth95OfTwo(laplace), 1e6 * 4.113003281, 3);
  const NoiseParams gauss =
      *NoiseParams::DiscreteGaussian(mpq_class(1000000000000));
  EXPECT_NEAR(HalfWidth95(gauss), 1.959963985 * 1e6, 2);
  EXPECT_NEAR(HalfWidth95OfTwo(gauss), 1.959963985 * std::sqrt(2.0) * 1e6, 3);
  const NoiseParams huge =
      *NoiseParams::DiscreteLaplace(mpq_class(mpz_class(kMaxLaplaceScale)));
  EXPECT_NEAR(static_cast<double>(HalfWidth95(huge)),
              std::ldexp(1.0, 52) * std::log(20.0), 1e-9 * std::ldexp(1.0, 52));
}

TEST(HalfWidthTest, TinyNoiseHasZeroOrSmallWidth) {
  // Scale 1/10: P(X = 0) = (1 - q)/(1 + q) with q = e^-10, above 95%.
  EXPECT_EQ(HalfWidth95(*NoiseParams::DiscreteLaplace(mpq_class(1, 10))), 0);
  EXPECT_EQ(HalfWidth95(*NoiseParams::DiscreteGaussian(mpq_class(1, 10))), 0);
}

}  // namespace
}  // namespace liaison::dp
