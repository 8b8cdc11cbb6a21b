// Portable GF(2^128) arithmetic: a carry-less 64x64 multiply as a loop over
// the 64 bits of one operand, each bit turned into an all-ones or all-zeros
// mask (no branch, no table), Karatsuba for 128x128, and reduction by
// shifts. About 200 word operations per 64-bit product; it serves CPUs
// without PCLMULQDQ and cross-checks the hardware paths in the tests.
#include <cstddef>
#include <cstdint>

#include "crypto/internal/gf128_kernels.h"

namespace liaison::crypto::internal {
namespace {

// Opaque hides a value from the optimiser so that mask arithmetic is not
// turned back into a branch on the bit it came from.
inline uint64_t Opaque(uint64_t v) {
#if defined(__GNUC__)
  __asm__("" : "+r"(v));
#endif
  return v;
}

// Clmul64 sets (hi:lo) to the carry-less product of a and b.
inline void Clmul64(uint64_t a, uint64_t b, uint64_t* lo, uint64_t* hi) {
  uint64_t l = 0;
  uint64_t h = 0;
  for (int i = 0; i < 64; ++i) {
    const uint64_t m = Opaque(0 - ((b >> i) & 1));
    l ^= (a << i) & m;
    // a >> (64 - i) without the undefined shift by 64 when i = 0.
    h ^= ((a >> 1) >> (63 - i)) & m;
  }
  *lo = l;
  *hi = h;
}

void PortableMulWide(const uint64_t* a, const uint64_t* b, uint64_t* out) {
  // Karatsuba: (a1 x^64 + a0)(b1 x^64 + b0) with the middle term
  // (a0 + a1)(b0 + b1) - a0 b0 - a1 b1.
  uint64_t l0, l1, h0, h1, m0, m1;
  Clmul64(a[0], b[0], &l0, &l1);
  Clmul64(a[1], b[1], &h0, &h1);
  Clmul64(a[0] ^ a[1], b[0] ^ b[1], &m0, &m1);
  m0 ^= l0 ^ h0;
  m1 ^= l1 ^ h1;
  out[0] = l0;
  out[1] = l1 ^ m0;
  out[2] = h0 ^ m1;
  out[3] = h1;
}

// MulX7 returns (hi:lo) = v * (x^7 + x^2 + x + 1), the value of v * x^128.
inline void MulReductionPoly(uint64_t v, uint64_t* lo, uint64_t* hi) {
  *lo = v ^ (v << 1) ^ (v << 2) ^ (v << 7);
  *hi = (v >> 63) ^ (v >> 62) ^ (v >> 57);
}

void PortableReduce(const uint64_t* in, uint64_t* out) {
  // x3 x^192 = x3 x^64 x^128 == x3 (x^7 + x^2 + x + 1) x^64, whose top 7
  // bits land in word 2; then word 2 is folded the same way into words 0
  // and 1, where nothing overflows (degree <= 63 + 7).
  uint64_t t0, t1, u0, u1;
  MulReductionPoly(in[3], &t0, &t1);
  const uint64_t x2 = in[2] ^ t1;
  MulReductionPoly(x2, &u0, &u1);
  out[0] = in[0] ^ u0;
  out[1] = in[1] ^ t0 ^ u1;
}

void PortableMul(const uint64_t* a, const uint64_t* b, uint64_t* out) {
  uint64_t wide[4];
  PortableMulWide(a, b, wide);
  PortableReduce(wide, out);
}

void PortableMulBlocks(const uint64_t* a, const uint64_t* b, uint64_t* out,
                       size_t n) {
  for (size_t i = 0; i < n; ++i) PortableMul(a + 2 * i, b + 2 * i, out + 2 * i);
}

void PortableInnerProduct(const uint64_t* a, const uint64_t* b, size_t n,
                          uint64_t* acc) {
  for (size_t i = 0; i < n; ++i) {
    uint64_t wide[4];
    PortableMulWide(a + 2 * i, b + 2 * i, wide);
    for (int j = 0; j < 4; ++j) acc[j] ^= wide[j];
  }
}

}  // namespace

const Gf128Kernels kPortableGf128Kernels = {
    PortableMulWide,   PortableReduce,       PortableMul,
    PortableMulBlocks, PortableInnerProduct,
};

}  // namespace liaison::crypto::internal
