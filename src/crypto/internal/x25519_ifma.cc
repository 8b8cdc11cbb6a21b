// Eight-lane curve25519 arithmetic with AVX-512 IFMA. See x25519_ifma.h.
//
// This file is compiled with -mavx512f -mavx512ifma -mavx512vl. It includes
// nothing but the C library headers it needs and its own header, and keeps
// every helper in an anonymous namespace, so that no function compiled with
// AVX-512 can be shared with (and picked by the linker for) portable code.
//
// Limb bounds, per lane (radix 2^51, five limbs):
//   reduced: every limb < 2^51 + 2^14. Carry() and everything built on it
//            return reduced elements; Mul, Sq and MulA24Add need reduced
//            (in fact any < 2^52) operands, because IFMA reads 52 bits.
//   wide:    every limb < 2^59.1, what MulWide and SqWide return before
//            the final carry. A wide value may only be carried, or added
//            to / subtracted from another value and then carried (AddC,
//            SubC accept wide operands).
// Sums and differences are carried at once because even two reduced limbs
// can add up past 2^52, which IFMA would silently truncate. The ladder
// keeps its state wide: every use of it is such a sum, so the carry after
// those multiplications would be wasted work.
#include "crypto/internal/x25519_ifma.h"

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace liaison::crypto::internal {
namespace {

#define LIAISON_IFMA_INLINE inline __attribute__((always_inline))

constexpr size_t kLanes = 8;
constexpr uint64_t kMask51 = (uint64_t{1} << 51) - 1;
constexpr uint64_t kA24 = 121665;

// F8 is eight field elements: v[i] holds limb i of every lane.
struct F8 {
  __m512i v[5];
};

LIAISON_IFMA_INLINE __m512i Splat(uint64_t x) {
  return _mm512_set1_epi64(static_cast<long long>(x));
}
LIAISON_IFMA_INLINE __m512i Add(__m512i a, __m512i b) {
  return _mm512_add_epi64(a, b);
}
LIAISON_IFMA_INLINE __m512i Double(__m512i a) { return _mm512_add_epi64(a, a); }
// Shr shifts every lane right. GCC 12's _mm512_srli_epi64 trips
// -Wuninitialized (its _mm512_undefined_epi32 self-initialises), so the
// shift is written with a vector extension; it compiles to vpsrlq.
typedef uint64_t U64x8 __attribute__((vector_size(64)));
LIAISON_IFMA_INLINE __m512i Shr(__m512i a, int n) {
  return reinterpret_cast<__m512i>(reinterpret_cast<U64x8>(a) >> n);
}
LIAISON_IFMA_INLINE __m512i Shl(__m512i a, int n) {
  return reinterpret_cast<__m512i>(reinterpret_cast<U64x8>(a) << n);
}
// MaddLo and MaddHi add the low / high 52 bits of the 104-bit product of
// the low 52 bits of a and b to acc.
LIAISON_IFMA_INLINE __m512i MaddLo(__m512i acc, __m512i a, __m512i b) {
  return _mm512_madd52lo_epu64(acc, a, b);
}
LIAISON_IFMA_INLINE __m512i MaddHi(__m512i acc, __m512i a, __m512i b) {
  return _mm512_madd52hi_epu64(acc, a, b);
}

F8 Constant(uint64_t v0) {
  F8 r;
  r.v[0] = Splat(v0);
  for (int i = 1; i < 5; ++i) r.v[i] = _mm512_setzero_si512();
  return r;
}

// Carry propagates every limb's carry one limb up in parallel, the top one
// times 19 into limb 0 (2^255 = 19 mod p). Input limbs below 2^62; output
// limbs below 2^51 + 19 * 2^(b - 51) for inputs below 2^b: reduced for
// inputs below 2^60.7.
LIAISON_IFMA_INLINE F8 Carry(const __m512i r[5]) {
  const __m512i mask = Splat(kMask51);
  const __m512i k19 = Splat(19);
  __m512i c[5];
  for (int i = 0; i < 5; ++i) c[i] = Shr(r[i], 51);
  F8 out;
  out.v[0] = MaddLo(_mm512_and_si512(r[0], mask), c[4], k19);
  for (int i = 1; i < 5; ++i) {
    out.v[i] = Add(_mm512_and_si512(r[i], mask), c[i - 1]);
  }
  return out;
}

// ReduceColumns folds a ten-column product into a wide element. Column k
// (weight 2^(51 k)) holds z[k] + 2 * h[k]: high halves of IFMA products
// sit at 2^52 = 2 * 2^51 and are kept apart so no shift is needed while
// accumulating. Column k >= 5 is 2^255 * 2^(51 (k-5)) = 19 * 2^(51 (k-5)),
// and its value is below 2^55.1, so 19 times it fits a 64-bit lane and is
// formed with shifts and adds: the IFMA unit, the bottleneck, is spared.
LIAISON_IFMA_INLINE F8 ReduceColumns(const __m512i z[10], const __m512i h[10]) {
  F8 r;
  for (int k = 0; k < 5; ++k) {
    const __m512i low = Add(z[k], Double(h[k]));
    const __m512i high = Add(z[k + 5], Double(h[k + 5]));
    // 19 * high = 16 * high + 2 * high + high.
    r.v[k] = Add(Add(low, high), Add(Shl(high, 4), Double(high)));
  }
  return r;
}

// MulWide returns a * b, wide (not yet carried).
LIAISON_IFMA_INLINE F8 MulWide(const F8& a, const F8& b) {
  __m512i z[10], h[10];
  for (int k = 0; k < 10; ++k) {
    z[k] = _mm512_setzero_si512();
    h[k] = _mm512_setzero_si512();
  }
#pragma GCC unroll 5
  for (int i = 0; i < 5; ++i) {
#pragma GCC unroll 5
    for (int j = 0; j < 5; ++j) {
      z[i + j] = MaddLo(z[i + j], a.v[i], b.v[j]);
      h[i + j + 1] = MaddHi(h[i + j + 1], a.v[i], b.v[j]);
    }
  }
  return ReduceColumns(z, h);
}

// SqWide returns a^2, wide, with 15 instead of 25 limb products: the cross
// products a_i a_j (i < j) appear twice, so their low halves count double
// and their high halves four times.
LIAISON_IFMA_INLINE F8 SqWide(const F8& a) {
  __m512i z[10], h[10], h4[10];
  for (int k = 0; k < 10; ++k) {
    z[k] = _mm512_setzero_si512();
    h[k] = _mm512_setzero_si512();
    h4[k] = _mm512_setzero_si512();
  }
#pragma GCC unroll 5
  for (int i = 0; i < 5; ++i) {
    z[2 * i] = MaddLo(z[2 * i], a.v[i], a.v[i]);
    h[2 * i + 1] = MaddHi(h[2 * i + 1], a.v[i], a.v[i]);
#pragma GCC unroll 4
    for (int j = i + 1; j < 5; ++j) {
      h[i + j] = MaddLo(h[i + j], a.v[i], a.v[j]);
      h4[i + j + 1] = MaddHi(h4[i + j + 1], a.v[i], a.v[j]);
    }
  }
  for (int k = 2; k < 10; ++k) h[k] = Add(h[k], Double(h4[k]));
  return ReduceColumns(z, h);
}

LIAISON_IFMA_INLINE F8 Carry(const F8& a) { return Carry(a.v); }

// Mul returns a * b, reduced.
LIAISON_IFMA_INLINE F8 Mul(const F8& a, const F8& b) {
  return Carry(MulWide(a, b));
}

// Sq returns a^2, reduced.
LIAISON_IFMA_INLINE F8 Sq(const F8& a) { return Carry(SqWide(a)); }

// SqN returns a^(2^n), n >= 1.
F8 SqN(F8 a, int n) {
  for (int i = 0; i < n; ++i) a = Sq(a);
  return a;
}

// AddC returns a + b, carried (a and b wide).
LIAISON_IFMA_INLINE F8 AddC(const F8& a, const F8& b) {
  __m512i r[5];
  for (int i = 0; i < 5; ++i) r[i] = Add(a.v[i], b.v[i]);
  return Carry(r);
}

// SubC returns a - b + 512p, carried (a and b wide). 512p's limbs, about
// 2^60, exceed any wide limb of b, so nothing underflows.
LIAISON_IFMA_INLINE F8 SubC(const F8& a, const F8& b) {
  const __m512i bias0 = Splat(512 * ((uint64_t{1} << 51) - 19));
  const __m512i bias = Splat(512 * ((uint64_t{1} << 51) - 1));
  __m512i r[5];
  r[0] = _mm512_sub_epi64(Add(a.v[0], bias0), b.v[0]);
  for (int i = 1; i < 5; ++i) {
    r[i] = _mm512_sub_epi64(Add(a.v[i], bias), b.v[i]);
  }
  return Carry(r);
}

// MulA24Add returns aa + 121665 * e, the inner factor of the ladder's
// doubling, with one IFMA pair per limb instead of a full multiplication.
LIAISON_IFMA_INLINE F8 MulA24Add(const F8& e, const F8& aa) {
  const __m512i a24 = Splat(kA24);
  __m512i z[5], h[6];
  h[0] = _mm512_setzero_si512();
  for (int i = 0; i < 5; ++i) {
    z[i] = MaddLo(aa.v[i], e.v[i], a24);
    h[i + 1] = MaddHi(_mm512_setzero_si512(), e.v[i], a24);
  }
  // Column 5 (coefficient 2) is 2 * 19 = 38 times column 0.
  z[0] = MaddLo(z[0], h[5], Splat(38));
  __m512i r[5];
  for (int i = 0; i < 5; ++i) r[i] = Add(z[i], Double(h[i]));
  return Carry(r);
}

// CSwap exchanges a and b in the lanes where `mask` is all-ones. The
// ladder passes the same mask to every lane; the swap costs the same
// either way.
LIAISON_IFMA_INLINE void CSwap(F8& a, F8& b, __m512i mask) {
  for (int i = 0; i < 5; ++i) {
    __m512i t = _mm512_and_si512(mask, _mm512_xor_si512(a.v[i], b.v[i]));
    a.v[i] = _mm512_xor_si512(a.v[i], t);
    b.v[i] = _mm512_xor_si512(b.v[i], t);
  }
}

// Freeze returns the canonical limbs of a: each below 2^51, value below p.
F8 Freeze(const F8& a) {
  const __m512i mask = Splat(kMask51);
  const __m512i k19 = Splat(19);
  __m512i t[5];
  for (int i = 0; i < 5; ++i) t[i] = a.v[i];
  // Two sequential carry passes leave the value below 2^255 < 2p.
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < 4; ++i) {
      t[i + 1] = Add(t[i + 1], Shr(t[i], 51));
      t[i] = _mm512_and_si512(t[i], mask);
    }
    t[0] = MaddLo(t[0], Shr(t[4], 51), k19);
    t[4] = _mm512_and_si512(t[4], mask);
  }
  // q = 1 in the lanes where t >= p, i.e. where t + 19 reaches 2^255.
  __m512i q = Shr(Add(t[0], k19), 51);
  for (int i = 1; i < 5; ++i) q = Shr(Add(t[i], q), 51);
  t[0] = MaddLo(t[0], q, k19);
  for (int i = 0; i < 4; ++i) {
    t[i + 1] = Add(t[i + 1], Shr(t[i], 51));
    t[i] = _mm512_and_si512(t[i], mask);
  }
  t[4] = _mm512_and_si512(t[4], mask);  // drops 2^255, completing - p
  F8 r;
  for (int i = 0; i < 5; ++i) r.v[i] = t[i];
  return r;
}

// IsZero returns the lanes where a = 0 mod p.
__mmask8 IsZero(const F8& a) {
  F8 f = Freeze(a);
  __m512i any = f.v[0];
  for (int i = 1; i < 5; ++i) any = _mm512_or_si512(any, f.v[i]);
  return _mm512_cmpeq_epi64_mask(any, _mm512_setzero_si512());
}

// Blend returns b in the lanes of `k`, a elsewhere.
F8 Blend(__mmask8 k, const F8& a, const F8& b) {
  F8 r;
  for (int i = 0; i < 5; ++i)
    r.v[i] = _mm512_mask_blend_epi64(k, a.v[i], b.v[i]);
  return r;
}

// PowPrefix computes z^11 and z^(2^250 - 1), shared by the inversion and
// Euler's criterion (the addition chain of the curve25519 reference code).
void PowPrefix(const F8& z, F8* z11_out, F8* z_250_0_out) {
  F8 z2 = Sq(z);
  F8 z9 = Mul(SqN(z2, 2), z);
  F8 z11 = Mul(z9, z2);
  F8 z_5_0 = Mul(Sq(z11), z9);
  F8 z_10_0 = Mul(SqN(z_5_0, 5), z_5_0);
  F8 z_20_0 = Mul(SqN(z_10_0, 10), z_10_0);
  F8 z_40_0 = Mul(SqN(z_20_0, 20), z_20_0);
  F8 z_50_0 = Mul(SqN(z_40_0, 10), z_10_0);
  F8 z_100_0 = Mul(SqN(z_50_0, 50), z_50_0);
  F8 z_200_0 = Mul(SqN(z_100_0, 100), z_100_0);
  *z_250_0_out = Mul(SqN(z_200_0, 50), z_50_0);
  *z11_out = z11;
}

// Invert returns z^(p-2) = z^(2^255 - 21) in every lane.
F8 Invert(const F8& z) {
  F8 z11, z_250_0;
  PowPrefix(z, &z11, &z_250_0);
  return Mul(SqN(z_250_0, 5), z11);
}

// PowHalfPMinus1 returns z^((p-1)/2) = z^(2^254 - 10) in every lane.
F8 PowHalfPMinus1(const F8& z) {
  F8 z11, z_250_0;
  PowPrefix(z, &z11, &z_250_0);
  F8 z2 = Sq(z);
  F8 z6 = Mul(Sq(z2), z2);
  return Mul(SqN(z_250_0, 4), z6);
}

// Ladder runs RFC 7748's Montgomery ladder for the clamped `scalar` on the
// eight u-coordinates in x1, returning projective (x2 : z2). The scalar,
// and so the swap pattern, is shared by all lanes; the swap is a mask, the
// bits never steer a branch or an address.
void Ladder(const uint8_t scalar[32], const F8& x1, F8* x_out, F8* z_out) {
  F8 x2 = Constant(1);
  F8 z2 = Constant(0);
  F8 x3 = x1;
  F8 z3 = Constant(1);
  uint64_t swap = 0;
  for (int t = 254; t >= 0; --t) {
    const uint64_t bit = (scalar[t >> 3] >> (t & 7)) & 1;
    swap ^= bit;
    uint64_t m = 0 - swap;
    __asm__("" : "+r"(m));  // keep the compiler from branching on it
    const __m512i mask = Splat(m);
    CSwap(x2, x3, mask);
    CSwap(z2, z3, mask);
    swap = bit;

    // x2, z2, x3, z3, da and cb are wide; see the bounds at the top.
    const F8 a = AddC(x2, z2);
    const F8 b = SubC(x2, z2);
    const F8 c = AddC(x3, z3);
    const F8 d = SubC(x3, z3);
    const F8 da = MulWide(d, a);
    const F8 cb = MulWide(c, b);
    const F8 aa = Sq(a);
    const F8 bb = Sq(b);
    x3 = SqWide(AddC(da, cb));
    z3 = MulWide(x1, Sq(SubC(da, cb)));
    const F8 e = SubC(aa, bb);
    x2 = MulWide(aa, bb);
    z2 = MulWide(e, MulA24Add(e, aa));
  }
  uint64_t m = 0 - swap;
  __asm__("" : "+r"(m));
  const __m512i mask = Splat(m);
  CSwap(x2, x3, mask);
  CSwap(z2, z3, mask);
  *x_out = Carry(x2);
  *z_out = Carry(z2);
}

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);  // x86-64 is little-endian
  return v;
}

void Store64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }

// LoadPoints decodes `count` (1..8) u-coordinates, ignoring bit 255 as RFC
// 7748 prescribes; missing lanes get u = 9.
F8 LoadPoints(const uint8_t* in, size_t count) {
  alignas(64) uint64_t limbs[5][kLanes];
  for (size_t lane = 0; lane < kLanes; ++lane) {
    uint8_t b[32] = {9};
    if (lane < count) std::memcpy(b, in + 32 * lane, 32);
    limbs[0][lane] = Load64(b) & kMask51;
    limbs[1][lane] = (Load64(b + 6) >> 3) & kMask51;
    limbs[2][lane] = (Load64(b + 12) >> 6) & kMask51;
    limbs[3][lane] = (Load64(b + 19) >> 1) & kMask51;
    limbs[4][lane] = (Load64(b + 24) >> 12) & kMask51;
    std::memset(b, 0, sizeof(b));
  }
  F8 r;
  for (int i = 0; i < 5; ++i) r.v[i] = _mm512_load_si512(limbs[i]);
  std::memset(limbs, 0, sizeof(limbs));
  __asm__ __volatile__("" : : "r"(limbs) : "memory");
  return r;
}

// StorePoints encodes the first `count` lanes of the canonical f.
void StorePoints(const F8& f, size_t count, uint8_t* out) {
  alignas(64) uint64_t limbs[5][kLanes];
  for (int i = 0; i < 5; ++i) _mm512_store_si512(limbs[i], f.v[i]);
  for (size_t lane = 0; lane < count; ++lane) {
    const uint64_t l0 = limbs[0][lane], l1 = limbs[1][lane],
                   l2 = limbs[2][lane], l3 = limbs[3][lane],
                   l4 = limbs[4][lane];
    uint8_t* o = out + 32 * lane;
    Store64(o, l0 | (l1 << 51));
    Store64(o + 8, (l1 >> 13) | (l2 << 38));
    Store64(o + 16, (l2 >> 26) | (l3 << 25));
    Store64(o + 24, (l3 >> 39) | (l4 << 12));
  }
  std::memset(limbs, 0, sizeof(limbs));
  __asm__ __volatile__("" : : "r"(limbs) : "memory");
}

void Wipe(void* p, size_t len) {
  std::memset(p, 0, len);
  __asm__ __volatile__("" : : "r"(p) : "memory");
}

}  // namespace

void X25519BatchIfma(const uint8_t scalar[32], const uint8_t* in, uint8_t* out,
                     size_t n) {
  // Sixteen groups (128 points) share one inversion: the 265 field
  // operations of a Fermat inversion then cost about two per point.
  constexpr size_t kChunkGroups = 16;
  constexpr size_t kChunk = kChunkGroups * kLanes;
  F8 xs[kChunkGroups];
  F8 zs[kChunkGroups];
  F8 prefix[kChunkGroups];
  __mmask8 zero[kChunkGroups];
  const F8 one = Constant(1);
  const F8 zero_f8 = Constant(0);
  for (size_t base = 0; base < n; base += kChunk) {
    const size_t count = (n - base < kChunk) ? n - base : kChunk;
    const size_t groups = (count + kLanes - 1) / kLanes;
    for (size_t g = 0; g < groups; ++g) {
      const size_t lanes =
          (count - g * kLanes < kLanes) ? count - g * kLanes : kLanes;
      F8 u = LoadPoints(in + 32 * (base + g * kLanes), lanes);
      Ladder(scalar, u, &xs[g], &zs[g]);
    }
    // Montgomery's trick, lane by lane across the groups. A zero z (an
    // input of small order) enters as 1 and its output is forced to 0,
    // which is what z^(p-2) = 0 would give.
    F8 acc = one;
    for (size_t g = 0; g < groups; ++g) {
      zero[g] = IsZero(zs[g]);
      zs[g] = Blend(zero[g], zs[g], one);
      prefix[g] = acc;
      acc = Mul(acc, zs[g]);
    }
    F8 inv = Invert(acc);
    for (size_t g = groups; g-- > 0;) {
      const F8 z_inv = Mul(inv, prefix[g]);
      inv = Mul(inv, zs[g]);
      const F8 u = Blend(zero[g], Freeze(Mul(xs[g], z_inv)), zero_f8);
      const size_t lanes =
          (count - g * kLanes < kLanes) ? count - g * kLanes : kLanes;
      StorePoints(u, lanes, out + 32 * (base + g * kLanes));
    }
  }
  Wipe(xs, sizeof(xs));
  Wipe(zs, sizeof(zs));
  Wipe(prefix, sizeof(prefix));
}

void PowHalfPMinus1Ifma(const uint64_t* in, uint64_t* out, size_t n) {
  alignas(64) uint64_t limbs[5][kLanes];
  for (size_t base = 0; base < n; base += kLanes) {
    const size_t lanes = (n - base < kLanes) ? n - base : kLanes;
    for (size_t lane = 0; lane < kLanes; ++lane) {
      for (int i = 0; i < 5; ++i) {
        // Padding lanes compute 1^((p-1)/2); their results are dropped.
        limbs[i][lane] =
            lane < lanes ? in[5 * (base + lane) + i] : (i == 0 ? 1 : 0);
      }
    }
    F8 z;
    for (int i = 0; i < 5; ++i) z.v[i] = _mm512_load_si512(limbs[i]);
    const F8 r = Freeze(PowHalfPMinus1(z));
    for (int i = 0; i < 5; ++i) _mm512_store_si512(limbs[i], r.v[i]);
    for (size_t lane = 0; lane < lanes; ++lane) {
      for (int i = 0; i < 5; ++i) out[5 * (base + lane) + i] = limbs[i][lane];
    }
  }
  Wipe(limbs, sizeof(limbs));
}

}  // namespace liaison::crypto::internal
