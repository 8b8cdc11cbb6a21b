// Portable constant-time arithmetic modulo p = 2^255 - 19, radix 2^51 with
// five 64-bit limbs and 128-bit products. Every function runs in time
// independent of the values it is given: no branch and no memory index
// depends on a limb.
//
// The AVX-512 IFMA kernels (x25519_ifma.cc) use the same radix, so a field
// element moves between the two by transposing limbs, without re-radixing.
// That file must NOT include this header: it is compiled with -mavx512f, and
// an inline function instantiated there could be the copy the linker keeps
// for portable callers, which would then fault on CPUs without AVX-512.
#ifndef LIAISON_CRYPTO_INTERNAL_FE25519_H_
#define LIAISON_CRYPTO_INTERNAL_FE25519_H_

#include <cstddef>
#include <cstdint>

namespace liaison::crypto::internal {

// Fe is a field element: value = v[0] + v[1]*2^51 + ... + v[4]*2^204,
// taken mod p. The representation is redundant; two limb bounds matter:
//   tight: v[1] < 2^51 + 2^18, every other limb < 2^51. FeMul, FeSq,
//          FeMulSmall, FeCarry and FeFromBytes return tight elements.
//   loose: every limb < 2^54. FeAdd of two tight elements and FeSub of a
//          tight or loose-from-FeAdd subtrahend give loose elements.
// FeMul, FeSq and FeMulSmall accept loose operands.
struct Fe {
  uint64_t v[5];
};

inline constexpr uint64_t kFeMask51 = (uint64_t{1} << 51) - 1;

// A24 is (486662 - 2) / 4, the ladder constant of RFC 7748.
inline constexpr uint32_t kA24 = 121665;
// kMontgomeryA is the coefficient A of curve25519, y^2 = x^3 + A x^2 + x.
inline constexpr uint32_t kMontgomeryA = 486662;

using Uint128 = unsigned __int128;

inline Fe FeZero() { return Fe{{0, 0, 0, 0, 0}}; }
inline Fe FeOne() { return Fe{{1, 0, 0, 0, 0}}; }

// FeAdd returns a + b without carrying. Both tight: the result is loose.
inline Fe FeAdd(const Fe& a, const Fe& b) {
  Fe r;
  for (int i = 0; i < 5; ++i) r.v[i] = a.v[i] + b.v[i];
  return r;
}

// FeSub returns a - b + 4p, so no limb underflows. `b` must have limbs
// below 2^53 - 76 (tight, or a sum of two tight elements) and `a` limbs
// below 2^53; the result is loose.
inline Fe FeSub(const Fe& a, const Fe& b) {
  constexpr uint64_t kFourP0 = 4 * ((uint64_t{1} << 51) - 19);
  constexpr uint64_t kFourPi = 4 * ((uint64_t{1} << 51) - 1);
  Fe r;
  r.v[0] = a.v[0] + kFourP0 - b.v[0];
  for (int i = 1; i < 5; ++i) r.v[i] = a.v[i] + kFourPi - b.v[i];
  return r;
}

// FeNeg returns -a (a tight).
inline Fe FeNeg(const Fe& a) { return FeSub(FeZero(), a); }

// FeCarryWide turns five 128-bit column sums (each below 2^115) into a
// tight element. The top carry is multiplied by 19 in 128 bits because it
// can reach 2^64 when loose operands were multiplied.
inline Fe FeCarryWide(Uint128 r0, Uint128 r1, Uint128 r2, Uint128 r3,
                      Uint128 r4) {
  r1 += static_cast<uint64_t>(r0 >> 51);
  r2 += static_cast<uint64_t>(r1 >> 51);
  r3 += static_cast<uint64_t>(r2 >> 51);
  r4 += static_cast<uint64_t>(r3 >> 51);
  Uint128 t0 = (static_cast<uint64_t>(r0) & kFeMask51) +
               static_cast<Uint128>(static_cast<uint64_t>(r4 >> 51)) * 19;
  Fe out;
  out.v[0] = static_cast<uint64_t>(t0) & kFeMask51;
  out.v[1] =
      (static_cast<uint64_t>(r1) & kFeMask51) + static_cast<uint64_t>(t0 >> 51);
  out.v[2] = static_cast<uint64_t>(r2) & kFeMask51;
  out.v[3] = static_cast<uint64_t>(r3) & kFeMask51;
  out.v[4] = static_cast<uint64_t>(r4) & kFeMask51;
  return out;
}

// FeMul returns a * b (loose operands, tight result).
inline Fe FeMul(const Fe& a, const Fe& b) {
  const uint64_t a0 = a.v[0], a1 = a.v[1], a2 = a.v[2], a3 = a.v[3],
                 a4 = a.v[4];
  const uint64_t b0 = b.v[0], b1 = b.v[1], b2 = b.v[2], b3 = b.v[3],
                 b4 = b.v[4];
  // 2^255 = 19 mod p: products landing at 2^(51*(5+k)) fold onto 2^(51*k).
  const uint64_t b1_19 = b1 * 19, b2_19 = b2 * 19, b3_19 = b3 * 19,
                 b4_19 = b4 * 19;
  auto m = [](uint64_t x, uint64_t y) { return static_cast<Uint128>(x) * y; };
  Uint128 r0 =
      m(a0, b0) + m(a1, b4_19) + m(a2, b3_19) + m(a3, b2_19) + m(a4, b1_19);
  Uint128 r1 =
      m(a0, b1) + m(a1, b0) + m(a2, b4_19) + m(a3, b3_19) + m(a4, b2_19);
  Uint128 r2 = m(a0, b2) + m(a1, b1) + m(a2, b0) + m(a3, b4_19) + m(a4, b3_19);
  Uint128 r3 = m(a0, b3) + m(a1, b2) + m(a2, b1) + m(a3, b0) + m(a4, b4_19);
  Uint128 r4 = m(a0, b4) + m(a1, b3) + m(a2, b2) + m(a3, b1) + m(a4, b0);
  return FeCarryWide(r0, r1, r2, r3, r4);
}

// FeSq returns a^2 (loose operand, tight result).
inline Fe FeSq(const Fe& a) {
  const uint64_t a0 = a.v[0], a1 = a.v[1], a2 = a.v[2], a3 = a.v[3],
                 a4 = a.v[4];
  const uint64_t a0_2 = a0 * 2, a1_2 = a1 * 2;
  const uint64_t a3_19 = a3 * 19, a4_19 = a4 * 19;
  auto m = [](uint64_t x, uint64_t y) { return static_cast<Uint128>(x) * y; };
  Uint128 r0 = m(a0, a0) + m(a1_2, a4_19) + m(a2 * 2, a3_19);
  Uint128 r1 = m(a0_2, a1) + m(a2 * 2, a4_19) + m(a3, a3_19);
  Uint128 r2 = m(a0_2, a2) + m(a1, a1) + m(a3 * 2, a4_19);
  Uint128 r3 = m(a0_2, a3) + m(a1_2, a2) + m(a4, a4_19);
  Uint128 r4 = m(a0_2, a4) + m(a1_2, a3) + m(a2, a2);
  return FeCarryWide(r0, r1, r2, r3, r4);
}

// FeSqN returns a^(2^n), n >= 1.
inline Fe FeSqN(const Fe& a, int n) {
  Fe r = FeSq(a);
  for (int i = 1; i < n; ++i) r = FeSq(r);
  return r;
}

// FeMulSmall returns a * k for k < 2^20 (loose operand, tight result).
inline Fe FeMulSmall(const Fe& a, uint32_t k) {
  auto m = [k](uint64_t x) { return static_cast<Uint128>(x) * k; };
  return FeCarryWide(m(a.v[0]), m(a.v[1]), m(a.v[2]), m(a.v[3]), m(a.v[4]));
}

// FeCarry returns a tight element equal to `a` (limbs below 2^63).
inline Fe FeCarry(const Fe& a) {
  return FeCarryWide(a.v[0], a.v[1], a.v[2], a.v[3], a.v[4]);
}

// FeCswap swaps a and b when `bit` is 1 and leaves them when it is 0,
// touching both either way. `bit` must be 0 or 1.
inline void FeCswap(Fe& a, Fe& b, uint64_t bit) {
  uint64_t mask = 0 - bit;
  // The empty asm hides that mask is 0 or all-ones, so the compiler cannot
  // turn the masked swap back into a branch on a secret bit.
  __asm__("" : "+r"(mask));
  for (int i = 0; i < 5; ++i) {
    uint64_t t = mask & (a.v[i] ^ b.v[i]);
    a.v[i] ^= t;
    b.v[i] ^= t;
  }
}

// FeSelect returns b where `mask` is all-ones and a where it is zero.
inline Fe FeSelect(const Fe& a, const Fe& b, uint64_t mask) {
  __asm__("" : "+r"(mask));
  Fe r;
  for (int i = 0; i < 5; ++i) r.v[i] = a.v[i] ^ (mask & (a.v[i] ^ b.v[i]));
  return r;
}

// FeFromBytes decodes 32 little-endian bytes, ignoring the top bit as RFC
// 7748 prescribes. Values from p to 2^255 - 1 are accepted and behave as
// their residues. The result is tight.
Fe FeFromBytes(const uint8_t in[32]);

// FeFromBigEndian48 reduces a 48-byte big-endian integer mod p (RFC 9380's
// OS2IP followed by mod p, for hash_to_field with L = 48). Tight result.
Fe FeFromBigEndian48(const uint8_t in[48]);

// FeToBytes writes the canonical (fully reduced) little-endian encoding of
// `a` (limbs below 2^63).
void FeToBytes(uint8_t out[32], const Fe& a);

// FeCanonical returns the fully reduced limbs of `a`: every limb below 2^51
// and the value below p.
Fe FeCanonical(const Fe& a);

// FeIsZeroMask returns all-ones if a = 0 mod p, zero otherwise.
uint64_t FeIsZeroMask(const Fe& a);

// FeEqualMask returns all-ones if a = b mod p, zero otherwise.
uint64_t FeEqualMask(const Fe& a, const Fe& b);

// FeInvert returns z^(p-2), the inverse of z (0 for z = 0).
Fe FeInvert(const Fe& z);

// FePowHalfPMinus1 returns z^((p-1)/2): 1 if z is a non-zero square, p-1
// if it is a non-square, 0 if z = 0 (Euler's criterion).
Fe FePowHalfPMinus1(const Fe& z);

// FeBatchInvert replaces each z[i] by its inverse (0 stays 0) with
// Montgomery's trick: one inversion and three multiplications per element.
// Zeros are swapped for 1 under a mask, so timing does not reveal them.
// `scratch` has room for n elements.
void FeBatchInvert(Fe* z, Fe* scratch, size_t n);

}  // namespace liaison::crypto::internal

#endif  // LIAISON_CRYPTO_INTERNAL_FE25519_H_
