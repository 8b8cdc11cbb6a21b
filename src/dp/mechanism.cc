#include "dp/mechanism.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "base/status.h"
#include "base/strings.h"
#include "dp/interval.h"
#include "dp/rational.h"

namespace liaison::dp {
namespace {

absl::Status CheckSensitivity(uint64_t sensitivity) {
  if (sensitivity == 0)
    return absl::InvalidArgumentError("sensitivity: must be at least 1");
  return absl::OkStatus();
}

// NaturalLog returns ln(n) for a positive integer of any size: GMP gives
// n = d·2^e with d in [0.5, 1).
long double NaturalLog(const mpz_class& n) {
  long exponent = 0;
  const double d = mpz_get_d_2exp(&exponent, n.get_mpz_t());
  return std::log(static_cast<long double>(d)) +
         static_cast<long double>(exponent) * std::log(2.0L);
}

// ToLongDouble converts a rational of any size with a relative error below
// 2^-51 (numerator and denominator each rounded to 53 bits).
long double ToLongDouble(const mpq_class& q) {
  long num_exp = 0, den_exp = 0;
  const double num = mpz_get_d_2exp(&num_exp, q.get_num_mpz_t());
  const double den = mpz_get_d_2exp(&den_exp, q.get_den_mpz_t());
  return std::ldexp(static_cast<long double>(num) / den,
                    static_cast<int>(num_exp - den_exp));
}

// LogInverse returns ln(1/δ) for 0 < δ < 1 without cancellation: near 1
// as -log1p(δ - 1), with δ - 1 exact before rounding.
long double LogInverse(const mpq_class& delta) {
  if (delta * 2 >= 1) return -std::log1p(ToLongDouble(mpq_class(delta - 1)));
  return NaturalLog(delta.get_den()) - NaturalLog(delta.get_num());
}

}  // namespace

absl::StatusOr<uint64_t> SumSensitivity(int64_t lo, int64_t hi) {
  if (lo > hi) {
    return absl::InvalidArgumentError(
        StrCat("sum bounds: lo ", lo, " is above hi ", hi));
  }
  // |INT64_MIN| = 2^63 fits in uint64_t.
  const auto magnitude = [](int64_t v) {
    return v < 0 ? uint64_t{0} - static_cast<uint64_t>(v)
                 : static_cast<uint64_t>(v);
  };
  const uint64_t lo_mag = magnitude(lo), hi_mag = magnitude(hi);
  const uint64_t sensitivity = lo_mag > hi_mag ? lo_mag : hi_mag;
  if (sensitivity == 0) {
    return absl::InvalidArgumentError(
        "sum bounds: [0, 0] makes every sum 0; nothing to release");
  }
  return sensitivity;
}

int64_t Clamp(int64_t value, int64_t lo, int64_t hi) {
  if (value < lo) return lo;
  if (value > hi) return hi;
  return value;
}

absl::StatusOr<Mechanism> CalibrateLaplace(uint64_t sensitivity,
                                           const mpq_class& epsilon) {
  LIAISON_RETURN_IF_ERROR(CheckSensitivity(sensitivity));
  if (sgn(epsilon) <= 0)
    return absl::InvalidArgumentError("epsilon: must be positive");
  const mpq_class scale = mpq_class(mpz_class(sensitivity)) / epsilon;
  absl::StatusOr<NoiseParams> noise = NoiseParams::DiscreteLaplace(scale);
  if (!noise.ok()) {
    return absl::InvalidArgumentError(
        StrCat("epsilon: ", FormatRational(epsilon), " with sensitivity ",
               sensitivity, " needs a Laplace scale above 2^52"));
  }
  return Mechanism{*std::move(noise),
                   PrivacyCost{PrivacyModel::kPureDp, epsilon}, epsilon,
                   mpq_class(0)};
}

absl::StatusOr<Mechanism> CalibrateGaussian(uint64_t sensitivity,
                                            const mpq_class& rho) {
  LIAISON_RETURN_IF_ERROR(CheckSensitivity(sensitivity));
  if (sgn(rho) <= 0) return absl::InvalidArgumentError("rho: must be positive");
  const mpz_class delta_f(sensitivity);
  const mpq_class sigma2 = mpq_class(delta_f * delta_f) / (2 * rho);
  absl::StatusOr<NoiseParams> noise = NoiseParams::DiscreteGaussian(sigma2);
  if (!noise.ok()) {
    return absl::InvalidArgumentError(StrCat("rho: ", FormatRational(rho),
                                             " with sensitivity ", sensitivity,
                                             " needs sigma^2 above 2^104"));
  }
  return Mechanism{*std::move(noise), PrivacyCost{PrivacyModel::kZcdp, rho},
                   std::nullopt, std::nullopt};
}

absl::StatusOr<Mechanism> CalibrateGaussianForApproxDp(uint64_t sensitivity,
                                                       const mpq_class& epsilon,
                                                       const mpq_class& delta) {
  LIAISON_ASSIGN_OR_RETURN(const mpq_class rho,
                           ZcdpFromApproxDp(epsilon, delta));
  LIAISON_ASSIGN_OR_RETURN(Mechanism m, CalibrateGaussian(sensitivity, rho));
  m.epsilon = epsilon;
  m.delta = delta;
  return m;
}

absl::StatusOr<mpq_class> ZcdpFromApproxDp(const mpq_class& epsilon,
                                           const mpq_class& delta) {
  if (sgn(epsilon) <= 0)
    return absl::InvalidArgumentError("epsilon: must be positive");
  if (sgn(delta) <= 0 || delta >= 1) {
    return absl::InvalidArgumentError(
        "delta: must lie strictly between 0 and 1");
  }
  // Every step below has a relative error of a few 2^-52 at most: the
  // difference of roots is rewritten as ε / (sqrt(ε + L) + sqrt(L)) so
  // that nothing cancels.
  const long double l = LogInverse(delta);
  const long double e = ToLongDouble(epsilon);
  const long double root = e / (std::sqrt(e + l) + std::sqrt(l));
  const long double rho = root * root * (1 - std::ldexp(1.0L, -30));
  if (!(rho > 0) || !std::isfinite(rho)) {
    return absl::InvalidArgumentError("epsilon, delta: give no usable rho");
  }
  // Rounded down to 10 significant decimal digits, so that audit records
  // read as decimals: rho = mantissa / 10^k with 10^9 <= mantissa < 10^10.
  int k = 9 - static_cast<int>(std::floor(std::log10(rho)));
  const auto scale = [&] {
    return rho * std::pow(10.0L, static_cast<long double>(k));
  };
  // log10 may round across a power of 10; then fix k.
  if (scale() >= 1e10L) --k;
  if (scale() < 1e9L) ++k;
  const long double scaled = scale();
  const uint64_t mantissa = static_cast<uint64_t>(std::floor(scaled));
  mpz_class ten_k;
  mpz_ui_pow_ui(ten_k.get_mpz_t(), 10,
                static_cast<unsigned long>(k < 0 ? -k : k));
  mpq_class out = k >= 0 ? mpq_class(mpz_class(mantissa), ten_k)
                         : mpq_class(mpz_class(mantissa) * ten_k);
  out.canonicalize();
  return out;
}

MechanismReport Describe(const Mechanism& mechanism) {
  MechanismReport r;
  const NoiseParams& noise = mechanism.noise;
  const double parameter = noise.parameter().get_d();
  if (noise.kind() == NoiseKind::kDiscreteLaplace) {
    r.mechanism = "discrete_laplace";
    r.noise_parameter = StrCat("scale=", FormatRational(noise.parameter()));
    r.noise_scale = parameter;
  } else {
    r.mechanism = "discrete_gaussian";
    r.noise_parameter = StrCat("sigma2=", FormatRational(noise.parameter()));
    r.noise_scale = std::sqrt(parameter);
  }
  if (mechanism.epsilon) r.epsilon = mechanism.epsilon->get_d();
  if (mechanism.delta) r.delta = mechanism.delta->get_d();
  if (mechanism.cost.model == PrivacyModel::kZcdp)
    r.rho = mechanism.cost.value.get_d();
  r.cost = DescribeCost(mechanism.cost);
  r.cost_for_people = CostForPeople(mechanism.cost);
  r.half_width_95 = HalfWidth95(noise);
  r.half_width_95_two_noises = HalfWidth95OfTwo(noise);
  return r;
}

}  // namespace liaison::dp
