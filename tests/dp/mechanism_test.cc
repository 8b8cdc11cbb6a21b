#include "dp/mechanism.h"

#include <gmpxx.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "dp/interval.h"
#include "dp/rational.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::dp {
namespace {

using ::testing::HasSubstr;

mpq_class Parse(const char* text) { return *ParsePositive("x", text); }

TEST(SensitivityTest, SumSensitivityIsLargestMagnitude) {
  EXPECT_EQ(*SumSensitivity(0, 100), 100u);
  EXPECT_EQ(*SumSensitivity(-5, 3), 5u);
  EXPECT_EQ(*SumSensitivity(-5, 30), 30u);
  EXPECT_EQ(*SumSensitivity(7, 7), 7u);
  EXPECT_EQ(*SumSensitivity(INT64_MIN, 0), uint64_t{1} << 63);
  EXPECT_EQ(SumSensitivity(3, 2).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SumSensitivity(0, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(kCountSensitivity, 1u);
}

TEST(ClampTest, LimitsToBounds) {
  EXPECT_EQ(Clamp(5, 0, 10), 5);
  EXPECT_EQ(Clamp(-5, 0, 10), 0);
  EXPECT_EQ(Clamp(50, 0, 10), 10);
  EXPECT_EQ(Clamp(INT64_MIN, -3, 3), -3);
  EXPECT_EQ(Clamp(INT64_MAX, -3, 3), 3);
}

TEST(CalibrateLaplaceTest, ScaleIsSensitivityOverEpsilon) {
  const Mechanism count = *CalibrateLaplace(kCountSensitivity, Parse("0.5"));
  EXPECT_EQ(count.noise.kind(), NoiseKind::kDiscreteLaplace);
  EXPECT_EQ(count.noise.parameter(), 2);
  EXPECT_EQ(count.cost.model, PrivacyModel::kPureDp);
  EXPECT_EQ(count.cost.value, mpq_class(1, 2));
  EXPECT_EQ(*count.delta, 0);

  const Mechanism sum = *CalibrateLaplace(*SumSensitivity(-5, 3), Parse("0.3"));
  EXPECT_EQ(sum.noise.parameter(), mpq_class(50, 3));

  EXPECT_EQ(CalibrateLaplace(1, mpq_class(0)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CalibrateLaplace(0, mpq_class(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  const absl::StatusOr<Mechanism> too_small =
      CalibrateLaplace(1000000, Parse("1e-12"));
  EXPECT_EQ(too_small.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(too_small.status().message()), HasSubstr("epsilon"));
}

TEST(CalibrateGaussianTest, Sigma2IsSensitivitySquaredOverTwoRho) {
  const Mechanism count = *CalibrateGaussian(kCountSensitivity, Parse("0.5"));
  EXPECT_EQ(count.noise.kind(), NoiseKind::kDiscreteGaussian);
  EXPECT_EQ(count.noise.parameter(), 1);
  EXPECT_EQ(count.cost.model, PrivacyModel::kZcdp);
  EXPECT_EQ(count.cost.value, mpq_class(1, 2));
  EXPECT_FALSE(count.epsilon.has_value());

  const Mechanism sum =
      *CalibrateGaussian(*SumSensitivity(-10, 4), Parse("0.01"));
  EXPECT_EQ(sum.noise.parameter(), 5000);  // 100 / 0.02
  EXPECT_EQ(CalibrateGaussian(1, mpq_class(-1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Independent double-precision evaluation of the conversion.
double RhoFormula(double epsilon, double delta) {
  const double l = std::log(1 / delta);
  return std::pow(std::sqrt(epsilon + l) - std::sqrt(l), 2);
}

TEST(ZcdpFromApproxDpTest, IsTheStandardConversionRoundedDown) {
  struct Case {
    const char* epsilon;
    const char* delta;
  };
  for (const Case& c :
       {Case{"1", "1e-6"}, Case{"0.5", "1e-9"}, Case{"0.1", "1e-5"},
        Case{"3", "0.01"}, Case{"0.01", "1e-12"}, Case{"1", "0.5"},
        Case{"1e5", "0.5"}}) {
    const mpq_class epsilon = Parse(c.epsilon);
    const mpq_class delta = *ParseProbability("delta", c.delta);
    const mpq_class rho = *ZcdpFromApproxDp(epsilon, delta);
    const double want = RhoFormula(epsilon.get_d(), delta.get_d());
    SCOPED_TRACE(::testing::Message()
                 << "epsilon=" << c.epsilon << " delta=" << c.delta);
    EXPECT_LT(rho.get_d(), want);
    EXPECT_NEAR(rho.get_d(), want, 2e-9 * want);
    // A finite decimal: the denominator has no prime factors but 2 and 5.
    mpz_class den = rho.get_den();
    while (den % 2 == 0) den /= 2;
    while (den % 5 == 0) den /= 5;
    EXPECT_EQ(den, 1) << rho.get_str();
    // And back: ρ-zCDP gives (ρ + 2 sqrt(ρ ln(1/δ)), δ)-DP, within ε.
    const double r = rho.get_d(), l = std::log(1 / delta.get_d());
    EXPECT_LE(r + 2 * std::sqrt(r * l), epsilon.get_d());
  }
  // ε = 1, δ = 1e-6: (sqrt(14.8155) - sqrt(13.8155))² ≈ 0.017469, kept to
  // ten significant digits, rounded down.
  EXPECT_EQ(*ZcdpFromApproxDp(1, mpq_class(1, 1000000)),
            Parse("0.01746890475"));
  EXPECT_NEAR(ZcdpFromApproxDp(1, mpq_class(1, 1000000))->get_d(), 0.017469,
              1e-6);
  EXPECT_EQ(ZcdpFromApproxDp(0, mpq_class(1, 2)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ZcdpFromApproxDp(1, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ZcdpFromApproxDpTest, DeltaNearOneDoesNotCancel) {
  const mpq_class delta = *ParseProbability("delta", "0.999999");
  const mpq_class rho = *ZcdpFromApproxDp(1, delta);
  const long double l = -std::log1p(-1e-6L);
  const long double root = 1 / (std::sqrt(1 + l) + std::sqrt(l));
  EXPECT_LT(rho.get_d(), static_cast<double>(root * root));
  EXPECT_NEAR(rho.get_d(), static_cast<double>(root * root), 1e-8);
}

TEST(CalibrateGaussianForApproxDpTest, KeepsTheRequestAndChargesRho) {
  const Mechanism m =
      *CalibrateGaussianForApproxDp(1, 1, mpq_class(1, 1000000));
  EXPECT_EQ(*m.epsilon, 1);
  EXPECT_EQ(*m.delta, mpq_class(1, 1000000));
  EXPECT_EQ(m.cost.model, PrivacyModel::kZcdp);
  EXPECT_EQ(m.noise.parameter(), 1 / (2 * m.cost.value));
  // σ = sqrt(1 / (2·0.017469)) ≈ 5.350.
  EXPECT_NEAR(std::sqrt(m.noise.parameter().get_d()), 5.350, 1e-3);
}

TEST(DescribeTest, LaplaceReport) {
  const Mechanism m = *CalibrateLaplace(kCountSensitivity, Parse("0.1"));
  const MechanismReport r = Describe(m);
  EXPECT_EQ(r.mechanism, "discrete_laplace");
  EXPECT_DOUBLE_EQ(*r.epsilon, 0.1);
  EXPECT_EQ(*r.delta, 0);
  EXPECT_FALSE(r.rho.has_value());
  EXPECT_EQ(r.cost, "epsilon=1/10");
  EXPECT_EQ(r.cost_for_people, "epsilon=0.1");
  EXPECT_EQ(r.noise_parameter, "scale=10");
  EXPECT_EQ(r.noise_scale, 10);
  EXPECT_EQ(r.half_width_95, HalfWidth95(m.noise));
  EXPECT_EQ(r.half_width_95_two_noises, HalfWidth95OfTwo(m.noise));
  // Continuous approximations: 10·ln 20 ≈ 30, and 4.113·10 ≈ 41.
  EXPECT_NEAR(r.half_width_95, 30, 1);
  EXPECT_NEAR(r.half_width_95_two_noises, 41, 1);
}

TEST(DescribeTest, GaussianReport) {
  const Mechanism m = *CalibrateGaussianForApproxDp(*SumSensitivity(0, 100), 1,
                                                    mpq_class(1, 100000));
  const MechanismReport r = Describe(m);
  EXPECT_EQ(r.mechanism, "discrete_gaussian");
  EXPECT_EQ(*r.epsilon, 1);
  EXPECT_DOUBLE_EQ(*r.delta, 1e-5);
  EXPECT_EQ(*r.rho, m.cost.value.get_d());
  EXPECT_THAT(r.cost, HasSubstr("rho="));
  EXPECT_THAT(r.noise_parameter, HasSubstr("sigma2="));
  EXPECT_NEAR(r.noise_scale, std::sqrt(m.noise.parameter().get_d()), 1e-9);
  EXPECT_NEAR(r.half_width_95, 1.96 * r.noise_scale, 1);
  EXPECT_NEAR(r.half_width_95_two_noises, 1.96 * std::sqrt(2.0) * r.noise_scale,
              1);
}

TEST(MechanismTest,
     NoisedCountIsWithinTheIntervalAboutNinetyFivePercentOfTheTime) {
  constexpr uint64_t kSeed = 0x44502d4d45434831;
  SCOPED_TRACE(::testing::Message() << "seed=" << kSeed);
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  const Mechanism m = *CalibrateLaplace(kCountSensitivity, Parse("0.5"));
  const int64_t h = HalfWidth95(m.noise), h2 = HalfWidth95OfTwo(m.noise);
  const int kRuns = 20000;
  int inside = 0, inside_two = 0;
  for (int i = 0; i < kRuns; ++i) {
    const int64_t truth = 1000;
    const SecretNoise a = SampleNoise(m.noise, prng);
    const SecretNoise b = SampleNoise(m.noise, prng);
    inside += std::abs(truth + a.value() - truth) <= h;
    inside_two += std::abs(truth + a.value() + b.value() - truth) <= h2;
  }
  // At least 95% by construction (slightly more: the pmf is discrete).
  EXPECT_GE(inside, 0.95 * kRuns - 5 * std::sqrt(0.05 * 0.95 * kRuns));
  EXPECT_GE(inside_two, 0.95 * kRuns - 5 * std::sqrt(0.05 * 0.95 * kRuns));
  EXPECT_LE(inside, 0.99 * kRuns);
}

}  // namespace
}  // namespace liaison::dp
