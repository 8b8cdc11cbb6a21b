// Arithmetic in GF(2^128) = GF(2)[x] / (x^128 + x^7 + x^2 + x + 1), the
// field of the VOLE correlations and of the consistency checks of OT
// extension and RR22 PSI.
//
// Representation: bit i of a Block (bit 0 = least significant bit of `lo`,
// bit 127 = most significant bit of `hi`; crypto/block.h) is the
// coefficient of x^i. This is libOTe's `block::gf128Mul` convention, so a
// carry-less multiply of the two 128-bit integers is the polynomial
// product. It is NOT GCM/GHASH's convention, which reverses the bits of
// each byte (x^0 is the most significant bit of byte 0): a GHASH value
// must be bit-reflected before it means the same element here.
//
// Implementations, chosen once per process: PCLMULQDQ for single products,
// VPCLMULQDQ on zmm (four products per instruction) for the batched
// functions where the CPU and OS support AVX-512, and a portable
// constant-time bit loop. LIAISON_NO_AVX512=1 rules out the zmm code and
// LIAISON_NO_PCLMUL=1 forces the portable code. Every function is constant
// time (no branch or memory index depends on the field elements or, for
// Gf128Pow, on the exponent) and thread-safe.
#ifndef LIAISON_CRYPTO_GF128_H_
#define LIAISON_CRYPTO_GF128_H_

#include <cstdint>

#include "absl/types/span.h"
#include "crypto/block.h"

namespace liaison::crypto {

// Gf128Unreduced is a product before reduction: the polynomial
// hi * x^128 + lo of degree at most 254. Sums of products can be
// accumulated in it with ^ and reduced once with Gf128Reduce, which is how
// an inner product saves all but one reduction.
struct Gf128Unreduced {
  Block lo;
  Block hi;

  Gf128Unreduced operator^(const Gf128Unreduced& o) const {
    return {lo ^ o.lo, hi ^ o.hi};
  }
  Gf128Unreduced& operator^=(const Gf128Unreduced& o) {
    lo ^= o.lo;
    hi ^= o.hi;
    return *this;
  }
};

// Gf128Mul returns a * b.
Block Gf128Mul(const Block& a, const Block& b);

// Gf128MulUnreduced returns the 255-bit polynomial product of a and b,
// unreduced.
Gf128Unreduced Gf128MulUnreduced(const Block& a, const Block& b);

// Gf128Reduce returns `wide` modulo x^128 + x^7 + x^2 + x + 1 (any 256-bit
// value, so a ^-sum of unreduced products is fine).
Block Gf128Reduce(const Gf128Unreduced& wide);

// Gf128Pow returns a^e (a^0 = 1, including 0^0). Time does not depend on
// `e`: 64 squarings and 64 multiplications.
Block Gf128Pow(const Block& a, uint64_t e);

// Gf128Inverse returns a^-1, computed as a^(2^128 - 2); the zero element
// maps to zero (there is no error to report without a secret branch:
// callers that may see zero must handle it themselves).
Block Gf128Inverse(const Block& a);

// Gf128InnerProduct returns sum_i a[i] * b[i], reducing once. `a` and `b`
// have equal sizes (the process aborts otherwise: a caller bug); the empty
// sum is zero.
Block Gf128InnerProduct(absl::Span<const Block> a, absl::Span<const Block> b);

// Gf128InnerProductUnreduced is Gf128InnerProduct without the final
// reduction, for callers that combine several partial sums (e.g. one per
// thread) before reducing.
Gf128Unreduced Gf128InnerProductUnreduced(absl::Span<const Block> a,
                                          absl::Span<const Block> b);

// Gf128MulBlocks sets out[i] = a[i] * b[i]. The three spans have equal
// sizes (the process aborts otherwise); `out` may be `a` or `b`, other
// overlaps are not allowed.
void Gf128MulBlocks(absl::Span<const Block> a, absl::Span<const Block> b,
                    absl::Span<Block> out);

// Gf128Backend names the implementation in use: "vpclmul512" (zmm batches,
// PCLMULQDQ for single products), "pclmul" or "portable".
const char* Gf128Backend();

}  // namespace liaison::crypto

#endif  // LIAISON_CRYPTO_GF128_H_
