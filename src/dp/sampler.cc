// The public samplers: parameter checks, the wiping GMP allocator, and
// SecretNoise. The draws themselves are in dp/internal/sampler_core.cc, the
// translation unit built with -mgeneral-regs-only and disassembled by the
// test dp.sampler_has_no_float; nothing here computes with random values.
#include "dp/sampler.h"

#include <gmp.h>

#include <cstdint>
#include <cstring>
#include <mutex>

#include "absl/status/status.h"
#include "base/secret.h"
#include "dp/internal/sampler_core.h"

namespace liaison::dp {
namespace {

using crypto::Prng;

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

namespace internal {

uint64_t NextU64(Prng& prng) { return prng.NextU64(); }

}  // namespace internal

const mpz_class& MaxGaussianSigma2() {
  static const mpz_class* const kMax = new mpz_class(mpz_class(1) << 104);
  return *kMax;
}

absl::StatusOr<mpz_class> SampleUniform(const mpz_class& n, Prng& prng) {
  if (n < 1)
    return absl::InvalidArgumentError("uniform sampler: n must be at least 1");
  InstallWipingGmpAllocator();
  mpz_class r;
  internal::UniformBelow(r.get_mpz_t(), n.get_mpz_t(), prng);
  return r;
}

absl::StatusOr<bool> SampleBernoulli(const mpq_class& p, Prng& prng) {
  if (sgn(p) < 0 || p > 1)
    return absl::InvalidArgumentError("Bernoulli p must be in [0, 1]");
  InstallWipingGmpAllocator();
  return internal::BernoulliFraction(p.get_num_mpz_t(), p.get_den_mpz_t(),
                                     prng);
}

absl::StatusOr<bool> SampleBernoulliExp(const mpq_class& gamma, Prng& prng) {
  if (sgn(gamma) < 0)
    return absl::InvalidArgumentError(
        "Bernoulli(exp(-gamma)): gamma must be >= 0");
  InstallWipingGmpAllocator();
  return internal::BernoulliExp(gamma.get_num_mpz_t(), gamma.get_den_mpz_t(),
                                prng);
}

absl::StatusOr<int64_t> SampleDiscreteLaplace(const mpq_class& scale,
                                              Prng& prng) {
  if (absl::Status s = CheckLaplaceScale(scale); !s.ok()) return s;
  InstallWipingGmpAllocator();
  return internal::LaplaceInt64(scale.get_num_mpz_t(), scale.get_den_mpz_t(),
                                prng);
}

absl::StatusOr<int64_t> SampleDiscreteGaussian(const mpq_class& sigma2,
                                               Prng& prng) {
  if (absl::Status s = CheckGaussianSigma2(sigma2); !s.ok()) return s;
  InstallWipingGmpAllocator();
  return internal::GaussianInt64(sigma2.get_num_mpz_t(),
                                 sigma2.get_den_mpz_t(), prng);
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
      return SecretNoise(
          internal::LaplaceInt64(p.get_num_mpz_t(), p.get_den_mpz_t(), prng));
    case NoiseKind::kDiscreteGaussian:
      return SecretNoise(
          internal::GaussianInt64(p.get_num_mpz_t(), p.get_den_mpz_t(), prng));
  }
  return SecretNoise(0);  // unreachable: NoiseKind has two values
}

}  // namespace liaison::dp
