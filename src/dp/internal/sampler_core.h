// The integer core of the exact samplers (dp/sampler.h): every draw and every
// comparison that decides a noise value. dp/sampler.cc validates parameters
// and calls these; they assume valid arguments.
//
// Why a translation unit of its own: internal/sampler_core.cc is compiled
// with -mgeneral-regs-only (src/dp/CMakeLists.txt), so any floating-point
// operation in it is a compile error, and the test dp.sampler_has_no_float
// disassembles its object file. Clang refuses that flag on any code that
// mentions `long double`, which <limits>, gmpxx and most of the standard
// library do; so this header, and the .cc, include only <cstdint> and the
// C interface of GMP, and take the Prng by forward declaration.
#ifndef LIAISON_DP_INTERNAL_SAMPLER_CORE_H_
#define LIAISON_DP_INTERNAL_SAMPLER_CORE_H_

#include <gmp.h>

#include <cstdint>

namespace liaison::crypto {
class Prng;
}  // namespace liaison::crypto

namespace liaison::dp::internal {

// NextU64 returns prng.NextU64(). Defined in dp/sampler.cc, which may include
// crypto/prng.h; the core calls it for every random bit it uses.
uint64_t NextU64(crypto::Prng& prng);

// UniformBelow sets `out` to a value uniform in [0, n), n >= 1, by rejection:
// bitlen(n - 1) random bits, drawn again while the value is >= n.
void UniformBelow(mpz_ptr out, mpz_srcptr n, crypto::Prng& prng);

// BernoulliFraction returns true with probability num/den, 0 <= num <= den,
// den >= 1.
bool BernoulliFraction(mpz_srcptr num, mpz_srcptr den, crypto::Prng& prng);

// BernoulliExp returns true with probability exp(-num/den), num >= 0,
// den >= 1 (CKS Algorithm 1).
bool BernoulliExp(mpz_srcptr num, mpz_srcptr den, crypto::Prng& prng);

// LaplaceInt64 returns a discrete Laplace sample of scale t/s, t, s >= 1,
// drawn again while it does not fit in int64_t (CKS Algorithm 2).
int64_t LaplaceInt64(mpz_srcptr t, mpz_srcptr s, crypto::Prng& prng);

// GaussianInt64 returns a discrete Gaussian sample of variance parameter
// σ² = num/den, 0 < σ² <= 2^104 (CKS Algorithm 3).
int64_t GaussianInt64(mpz_srcptr num, mpz_srcptr den, crypto::Prng& prng);

}  // namespace liaison::dp::internal

#endif  // LIAISON_DP_INTERNAL_SAMPLER_CORE_H_
