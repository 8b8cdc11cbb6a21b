#include "dp/sampler.h"

#include <gmpxx.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "base/strings.h"
#include "crypto/prng.h"
#include "gtest/gtest.h"

namespace liaison::dp {
namespace {

using crypto::Prng;

// Fixed seeds, one per test, logged in every failure (SCOPED_TRACE).
constexpr uint64_t kSeed = 0x44502d53414d5031;

// Goodness of fit at a false-alarm rate of about 1e-6 per check: with the
// fixed seeds the outcome is deterministic, the threshold says how
// surprising a failure would be for a correct sampler.
constexpr double kZ = 4.753;  // one-sided normal quantile of 1e-6

using Pmf = std::function<double(int64_t)>;

Pmf LaplacePmf(double scale) {
  const double q = std::exp(-1 / scale);
  return [q](int64_t x) {
    return (1 - q) / (1 + q) * std::pow(q, std::abs(static_cast<double>(x)));
  };
}

Pmf GaussianPmf(double sigma2) {
  double z = 0;
  const int64_t limit = static_cast<int64_t>(40 * std::sqrt(sigma2)) + 10;
  for (int64_t x = -limit; x <= limit; ++x)
    z += std::exp(-static_cast<double>(x * x) / (2 * sigma2));
  return [z, sigma2](int64_t x) {
    return std::exp(-static_cast<double>(x * x) / (2 * sigma2)) / z;
  };
}

struct ChiSquare {
  double statistic = 0;
  int dof = 0;
  double critical = 0;
  bool Passes() const { return statistic <= critical; }
};

std::string Describe(const ChiSquare& c) {
  return StrCat("chi2=", c.statistic, " dof=", c.dof, " critical=", c.critical);
}

// ChiSquareTest bins the integers whose expected count is at least 5, plus
// one bin for the rest (both tails), and compares with the sample counts.
ChiSquare ChiSquareTest(const std::vector<int64_t>& samples, const Pmf& pmf) {
  const double n = static_cast<double>(samples.size());
  std::map<int64_t, double> counts;
  for (int64_t x : samples) counts[x] += 1;
  int64_t r = 0;
  while (n * pmf(r + 1) >= 5) ++r;
  ChiSquare out;
  double inside_expected = 0, inside_observed = 0;
  for (int64_t x = -r; x <= r; ++x) {
    const double expected = n * pmf(x);
    const double observed = counts.count(x) ? counts[x] : 0;
    out.statistic += (observed - expected) * (observed - expected) / expected;
    inside_expected += expected;
    inside_observed += observed;
    ++out.dof;
  }
  const double tail_expected = n - inside_expected,
               tail_observed = n - inside_observed;
  if (tail_expected > 1e-9) {
    out.statistic += (tail_observed - tail_expected) *
                     (tail_observed - tail_expected) / tail_expected;
    ++out.dof;
  }
  out.dof -= 1;
  // Wilson-Hilferty approximation of the chi-square quantile.
  const double k = out.dof, a = 2 / (9 * k);
  out.critical = k * std::pow(1 - a + kZ * std::sqrt(a), 3);
  return out;
}

std::vector<int64_t> DrawLaplace(const mpq_class& scale, int num, Prng& prng) {
  std::vector<int64_t> out;
  for (int i = 0; i < num; ++i)
    out.push_back(*SampleDiscreteLaplace(scale, prng));
  return out;
}

std::vector<int64_t> DrawGaussian(const mpq_class& sigma2, int num,
                                  Prng& prng) {
  std::vector<int64_t> out;
  for (int i = 0; i < num; ++i)
    out.push_back(*SampleDiscreteGaussian(sigma2, prng));
  return out;
}

// WithinSd checks a frequency against its probability, 5 standard errors.
void ExpectFrequency(int64_t hits, int64_t n, double p,
                     const std::string& what) {
  const double freq = static_cast<double>(hits) / static_cast<double>(n);
  const double sd = std::sqrt(p * (1 - p) / static_cast<double>(n));
  EXPECT_NEAR(freq, p, 5 * sd + 1e-12)
      << what << " hits=" << hits << " n=" << n;
}

constexpr int kNumSamples = 200000;

template <typename T>
concept EqualityComparable = requires(const T& a) {
  a == a;
};

TEST(UniformTest, SmallRangeIsUniform) {
  SCOPED_TRACE(StrCat("seed=", kSeed));
  Prng prng = Prng::FromTestSeed(kSeed);
  for (int64_t n : {1, 2, 7, 1000}) {
    std::vector<int64_t> samples;
    for (int i = 0; i < 70000; ++i) {
      const mpz_class r = *SampleUniform(mpz_class(n), prng);
      ASSERT_TRUE(r >= 0 && r < n) << r.get_str();
      samples.push_back(r.get_si());
    }
    if (n == 1) continue;
    // Chi-square over the n values (centred so the helper's symmetric bins
    // do not apply: count directly).
    std::vector<double> counts(static_cast<size_t>(n), 0);
    for (int64_t x : samples) counts[static_cast<size_t>(x)] += 1;
    const double expected = 70000.0 / static_cast<double>(n);
    double chi2 = 0;
    for (double c : counts) chi2 += (c - expected) * (c - expected) / expected;
    const double k = static_cast<double>(n - 1), a = 2 / (9 * k);
    EXPECT_LE(chi2, k * std::pow(1 - a + kZ * std::sqrt(a), 3)) << "n=" << n;
  }
}

TEST(UniformTest, BigRangesStayInRangeAndReachTheTop) {
  SCOPED_TRACE(StrCat("seed=", kSeed + 1));
  Prng prng = Prng::FromTestSeed(kSeed + 1);
  const mpz_class two64 = mpz_class(1) << 64;  // a power of two past 64 bits
  const mpz_class odd = (mpz_class(3) << 70) + 5;  // three limbs' worth, odd
  for (const mpz_class& n : {two64, odd, mpz_class(two64 - 1)}) {
    int top_quarter = 0;
    const int num = 20000;
    for (int i = 0; i < num; ++i) {
      const mpz_class r = *SampleUniform(n, prng);
      ASSERT_TRUE(r >= 0 && r < n) << r.get_str() << " n=" << n.get_str();
      if (4 * r >= 3 * n) ++top_quarter;
    }
    ExpectFrequency(top_quarter, num, 0.25,
                    StrCat("top quarter of n=", n.get_str()));
  }
}

TEST(UniformTest, RejectsEmptyRange) {
  Prng prng = Prng::FromTestSeed(kSeed);
  EXPECT_EQ(SampleUniform(mpz_class(0), prng).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SampleUniform(mpz_class(-3), prng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BernoulliTest, FrequencyMatchesRationalP) {
  SCOPED_TRACE(StrCat("seed=", kSeed + 2));
  Prng prng = Prng::FromTestSeed(kSeed + 2);
  const mpz_class big = mpz_class(1) << 80;
  const std::vector<mpq_class> ps = {
      mpq_class(1, 3), mpq_class(0), mpq_class(1), mpq_class(999, 1000),
      mpq_class(mpz_class(big + 1), mpz_class(3 * big))};
  for (mpq_class p : ps) {
    p.canonicalize();
    const int num = 60000;
    int hits = 0;
    for (int i = 0; i < num; ++i) hits += *SampleBernoulli(p, prng) ? 1 : 0;
    ExpectFrequency(hits, num, p.get_d(), StrCat("p=", p.get_str()));
    if (p == 0) {
      EXPECT_EQ(hits, 0);
    }
    if (p == 1) {
      EXPECT_EQ(hits, num);
    }
  }
  EXPECT_EQ(SampleBernoulli(mpq_class(3, 2), prng).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SampleBernoulli(mpq_class(-1, 2), prng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BernoulliExpTest, FrequencyIsExpMinusGammaIncludingGammaAboveOne) {
  SCOPED_TRACE(StrCat("seed=", kSeed + 3));
  Prng prng = Prng::FromTestSeed(kSeed + 3);
  const mpz_class big = mpz_class(1) << 70;
  std::vector<mpq_class> gammas = {
      mpq_class(0),
      mpq_class(1, 3),
      mpq_class(1),
      mpq_class(3, 2),
      mpq_class(5, 2),
      mpq_class(17, 4),
      mpq_class(mpz_class(3 * big / 2 + 1), big)};  // ~1.5, 71-bit parts
  for (mpq_class& g : gammas) {
    g.canonicalize();
    const int num = 100000;
    int hits = 0;
    for (int i = 0; i < num; ++i) hits += *SampleBernoulliExp(g, prng) ? 1 : 0;
    ExpectFrequency(hits, num, std::exp(-g.get_d()),
                    StrCat("gamma=", g.get_str()));
    if (g == 0) {
      EXPECT_EQ(hits, num);
    }
  }
  EXPECT_EQ(SampleBernoulliExp(mpq_class(-1, 5), prng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A distribution parameter (Laplace scale or Gaussian σ²) and its seed.
struct Case {
  mpq_class parameter;
  uint64_t seed;
};

using Draw = std::function<std::vector<int64_t>(const mpq_class&, int, Prng&)>;
using PmfFor = std::function<Pmf(double)>;

// ExpectChiSquarePasses draws kNumSamples for each case and tests them
// against the exact pmf.
void ExpectChiSquarePasses(std::vector<Case> cases, const Draw& draw,
                           const PmfFor& pmf, const char* name) {
  for (Case& c : cases) {
    c.parameter.canonicalize();
    SCOPED_TRACE(StrCat(name, "=", c.parameter.get_str(), " seed=", c.seed));
    Prng prng = Prng::FromTestSeed(c.seed);
    const std::vector<int64_t> samples = draw(c.parameter, kNumSamples, prng);
    const ChiSquare chi = ChiSquareTest(samples, pmf(c.parameter.get_d()));
    EXPECT_TRUE(chi.Passes()) << Describe(chi);
  }
}

TEST(DiscreteLaplaceTest, MatchesExactPmfByChiSquare) {
  const mpz_class big = mpz_class(1) << 64;
  ExpectChiSquarePasses({{mpq_class(1), kSeed + 10},
                         {mpq_class(7, 2), kSeed + 11},
                         {mpq_class(10), kSeed + 12},
                         {mpq_class(1, 3), kSeed + 13},
                         // 65-bit numerator and denominator: the GMP path.
                         {mpq_class(mpz_class(16 * big + 1), big), kSeed + 14}},
                        DrawLaplace, LaplacePmf, "scale");
}

TEST(DiscreteGaussianTest, MatchesExactPmfByChiSquare) {
  const mpz_class e28 = mpz_class("10000000000000000000000000000");
  ExpectChiSquarePasses(
      {{mpq_class(1), kSeed + 20},
       {mpq_class(7, 3), kSeed + 21},
       {mpq_class(100), kSeed + 22},
       {mpq_class(1, 4), kSeed + 23},
       // σ² ≈ 100 with ~100-bit parts: GMP acceptance test.
       {mpq_class(mpz_class(100 * e28 + 1), e28), kSeed + 24}},
      DrawGaussian, GaussianPmf, "sigma2");
}

// The same check must catch a sampler with the wrong scale or an
// off-by-one: otherwise passing it would say little.
TEST(ChiSquareCheckTest, CatchesWrongScaleAndOffByOne) {
  SCOPED_TRACE(StrCat("seed=", kSeed + 30));
  Prng prng = Prng::FromTestSeed(kSeed + 30);
  const std::vector<int64_t> laplace =
      DrawLaplace(mpq_class(10), kNumSamples, prng);
  EXPECT_TRUE(ChiSquareTest(laplace, LaplacePmf(10)).Passes());
  for (double wrong : {9.0, 10.5, 11.0}) {
    const ChiSquare chi = ChiSquareTest(laplace, LaplacePmf(wrong));
    EXPECT_FALSE(chi.Passes())
        << "Laplace scale 10 tested as " << wrong << ": " << Describe(chi);
  }
  std::vector<int64_t> shifted = laplace;
  for (int64_t& x : shifted) x += 1;
  EXPECT_FALSE(ChiSquareTest(shifted, LaplacePmf(10)).Passes())
      << "shift by one";

  const std::vector<int64_t> gauss =
      DrawGaussian(mpq_class(100), kNumSamples, prng);
  EXPECT_TRUE(ChiSquareTest(gauss, GaussianPmf(100)).Passes());
  for (double wrong : {90.0, 110.0}) {
    const ChiSquare chi = ChiSquareTest(gauss, GaussianPmf(wrong));
    EXPECT_FALSE(chi.Passes())
        << "Gaussian sigma2 100 tested as " << wrong << ": " << Describe(chi);
  }
  // A discrete Laplace with the Gaussian's variance (2b² = 100) is not a
  // discrete Gaussian.
  const std::vector<int64_t> impostor =
      DrawLaplace(mpq_class(7071, 1000), kNumSamples, prng);
  EXPECT_FALSE(ChiSquareTest(impostor, GaussianPmf(100)).Passes());
}

// ExpectSymmetricWithExactTails checks that positive and negative values
// are equally frequent, and that P(|X| > h) matches the pmf for each h.
void ExpectSymmetricWithExactTails(const std::vector<int64_t>& samples,
                                   const Pmf& pmf,
                                   std::initializer_list<int64_t> hs) {
  int64_t positive = 0, negative = 0;
  for (int64_t x : samples) {
    positive += x > 0;
    negative += x < 0;
  }
  ExpectFrequency(positive, positive + negative, 0.5,
                  "positive among non-zero");
  for (int64_t h : hs) {
    int64_t beyond = 0;
    for (int64_t x : samples) beyond += std::abs(x) > h;
    double tail = 0;
    for (int64_t x = h + 1; x < 100 * h; ++x) tail += 2 * pmf(x);
    ExpectFrequency(beyond, static_cast<int64_t>(samples.size()), tail,
                    StrCat("|X| > ", h));
  }
}

TEST(DiscreteLaplaceTest, IsSymmetricAndTailsHaveExactFrequency) {
  SCOPED_TRACE(StrCat("seed=", kSeed + 40));
  Prng prng = Prng::FromTestSeed(kSeed + 40);
  ExpectSymmetricWithExactTails(DrawLaplace(mpq_class(10), kNumSamples, prng),
                                LaplacePmf(10), {30, 60});
  // The reference pmf's tail against the closed form 2 q^(h+1) / (1 + q).
  const double q = std::exp(-0.1);
  double tail = 0;
  for (int64_t x = 31; x < 3000; ++x) tail += 2 * LaplacePmf(10)(x);
  EXPECT_NEAR(tail, 2 * std::pow(q, 31) / (1 + q), 1e-12);
}

TEST(DiscreteGaussianTest, IsSymmetricAndTailsHaveExactFrequency) {
  SCOPED_TRACE(StrCat("seed=", kSeed + 41));
  Prng prng = Prng::FromTestSeed(kSeed + 41);
  ExpectSymmetricWithExactTails(DrawGaussian(mpq_class(100), kNumSamples, prng),
                                GaussianPmf(100), {20, 30});
}

TEST(SamplerTest, LargestScalesWork) {
  SCOPED_TRACE(StrCat("seed=", kSeed + 50));
  Prng prng = Prng::FromTestSeed(kSeed + 50);
  const mpq_class max_scale{mpz_class(kMaxLaplaceScale)};
  const mpq_class max_sigma2{MaxGaussianSigma2()};
  const double limit = 64 * std::ldexp(1.0, 52);
  for (int i = 0; i < 200; ++i) {
    EXPECT_LT(
        std::abs(static_cast<double>(*SampleDiscreteLaplace(max_scale, prng))),
        limit);
    EXPECT_LT(std::abs(static_cast<double>(
                  *SampleDiscreteGaussian(max_sigma2, prng))),
              limit);
  }
}

TEST(SamplerTest, RejectsOutOfRangeParameters) {
  Prng prng = Prng::FromTestSeed(kSeed);
  const mpq_class too_big{mpz_class(kMaxLaplaceScale) + 1};
  for (const mpq_class& bad : {mpq_class(0), mpq_class(-1, 2), too_big}) {
    EXPECT_EQ(SampleDiscreteLaplace(bad, prng).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad.get_str();
    EXPECT_EQ(NoiseParams::DiscreteLaplace(bad).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  const mpq_class too_big_sigma2{MaxGaussianSigma2() + 1};
  for (const mpq_class& bad : {mpq_class(0), mpq_class(-4), too_big_sigma2}) {
    EXPECT_EQ(SampleDiscreteGaussian(bad, prng).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad.get_str();
    EXPECT_EQ(NoiseParams::DiscreteGaussian(bad).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(SampleNoiseTest, SameSeedSameNoiseAndMatchesTheSampler) {
  const NoiseParams laplace = *NoiseParams::DiscreteLaplace(mpq_class(5));
  const NoiseParams gauss = *NoiseParams::DiscreteGaussian(mpq_class(25));
  Prng a = Prng::FromTestSeed(kSeed + 60), b = Prng::FromTestSeed(kSeed + 60);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(SampleNoise(laplace, a).value(),
              *SampleDiscreteLaplace(mpq_class(5), b));
    EXPECT_EQ(SampleNoise(gauss, a).value(),
              *SampleDiscreteGaussian(mpq_class(25), b));
  }
}

TEST(SampleNoiseTest, NoiseIsMoveOnlyAndNotComparable) {
  static_assert(!std::is_copy_constructible_v<SecretNoise>);
  static_assert(!std::is_copy_assignable_v<SecretNoise>);
  static_assert(std::is_nothrow_move_constructible_v<SecretNoise>);
  static_assert(!EqualityComparable<SecretNoise>);
  Prng prng = Prng::FromTestSeed(kSeed + 61);
  SecretNoise n =
      SampleNoise(*NoiseParams::DiscreteLaplace(mpq_class(1000)), prng);
  const int64_t v = n.value();
  SecretNoise moved = std::move(n);
  EXPECT_EQ(moved.value(), v);
  EXPECT_EQ(n.value(),
            0);  // NOLINT(bugprone-use-after-move): the source is wiped
}

}  // namespace
}  // namespace liaison::dp
