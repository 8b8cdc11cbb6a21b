#include "crypto/internal/fe25519.h"

#include "base/secret.h"

namespace liaison::crypto::internal {
namespace {

uint64_t Load64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void Store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// ZeroMask64 returns all-ones if x == 0, without a branch.
uint64_t ZeroMask64(uint64_t x) { return ((x | (0 - x)) >> 63) - 1; }

// Z^(2^250 - 1) and z^11, the common prefix of the exponentiations below
// (the addition chain of the curve25519 reference code).
struct PowPrefix {
  Fe z11;
  Fe z_250_0;
};

PowPrefix ComputePowPrefix(const Fe& z) {
  Fe z2 = FeSq(z);
  Fe z9 = FeMul(FeSqN(z2, 2), z);
  Fe z11 = FeMul(z9, z2);
  Fe z_5_0 = FeMul(FeSq(z11), z9);            // z^(2^5 - 1)
  Fe z_10_0 = FeMul(FeSqN(z_5_0, 5), z_5_0);  // z^(2^10 - 1)
  Fe z_20_0 = FeMul(FeSqN(z_10_0, 10), z_10_0);
  Fe z_40_0 = FeMul(FeSqN(z_20_0, 20), z_20_0);
  Fe z_50_0 = FeMul(FeSqN(z_40_0, 10), z_10_0);
  Fe z_100_0 = FeMul(FeSqN(z_50_0, 50), z_50_0);
  Fe z_200_0 = FeMul(FeSqN(z_100_0, 100), z_100_0);
  Fe z_250_0 = FeMul(FeSqN(z_200_0, 50), z_50_0);
  return PowPrefix{z11, z_250_0};
}

}  // namespace

Fe FeFromBytes(const uint8_t in[32]) {
  Fe r;
  r.v[0] = Load64(in) & kFeMask51;
  r.v[1] = (Load64(in + 6) >> 3) & kFeMask51;
  r.v[2] = (Load64(in + 12) >> 6) & kFeMask51;
  r.v[3] = (Load64(in + 19) >> 1) & kFeMask51;
  r.v[4] = (Load64(in + 24) >> 12) & kFeMask51;  // drops bit 255
  return r;
}

Fe FeFromBigEndian48(const uint8_t in[48]) {
  // Little-endian copy: x = lo + 2^255 * hi with lo < 2^255, hi < 2^129.
  uint8_t le[48];
  for (int i = 0; i < 48; ++i) le[i] = in[47 - i];
  // Eight 51-bit limbs cover 408 bits. Limbs 5..7 sit at 2^255 * 2^(51k)
  // and fold onto limbs 0..2 times 19.
  uint64_t l[8];
  l[0] = Load64(le) & kFeMask51;
  l[1] = (Load64(le + 6) >> 3) & kFeMask51;
  l[2] = (Load64(le + 12) >> 6) & kFeMask51;
  l[3] = (Load64(le + 19) >> 1) & kFeMask51;
  l[4] = (Load64(le + 25) >> 4) & kFeMask51;
  l[5] = (Load64(le + 31) >> 7) & kFeMask51;  // bits 255..305
  l[6] = (Load64(le + 38) >> 2) & kFeMask51;  // bits 306..356
  l[7] = Load64(le + 40) >> 37;               // bits 357..383 (27 bits)
  Fe r{{l[0] + 19 * l[5], l[1] + 19 * l[6], l[2] + 19 * l[7], l[3], l[4]}};
  SecureWipe(le, sizeof(le));
  SecureWipe(l, sizeof(l));
  return FeCarry(r);
}

Fe FeCanonical(const Fe& a) {
  uint64_t t[5] = {a.v[0], a.v[1], a.v[2], a.v[3], a.v[4]};
  // Two carry passes leave every limb below 2^51, so the value is below
  // 2^255 < 2p: at most one subtraction of p remains.
  for (int pass = 0; pass < 2; ++pass) {
    t[1] += t[0] >> 51;
    t[0] &= kFeMask51;
    t[2] += t[1] >> 51;
    t[1] &= kFeMask51;
    t[3] += t[2] >> 51;
    t[2] &= kFeMask51;
    t[4] += t[3] >> 51;
    t[3] &= kFeMask51;
    t[0] += 19 * (t[4] >> 51);
    t[4] &= kFeMask51;
  }
  // q = 1 exactly when t >= p, i.e. when t + 19 reaches 2^255.
  uint64_t q = (t[0] + 19) >> 51;
  q = (t[1] + q) >> 51;
  q = (t[2] + q) >> 51;
  q = (t[3] + q) >> 51;
  q = (t[4] + q) >> 51;
  // Subtract p = 2^255 - 19 by adding 19 and dropping bit 255.
  t[0] += 19 * q;
  t[1] += t[0] >> 51;
  t[0] &= kFeMask51;
  t[2] += t[1] >> 51;
  t[1] &= kFeMask51;
  t[3] += t[2] >> 51;
  t[2] &= kFeMask51;
  t[4] += t[3] >> 51;
  t[3] &= kFeMask51;
  t[4] &= kFeMask51;
  return Fe{{t[0], t[1], t[2], t[3], t[4]}};
}

void FeToBytes(uint8_t out[32], const Fe& a) {
  Fe c = FeCanonical(a);
  Store64(out, c.v[0] | (c.v[1] << 51));
  Store64(out + 8, (c.v[1] >> 13) | (c.v[2] << 38));
  Store64(out + 16, (c.v[2] >> 26) | (c.v[3] << 25));
  Store64(out + 24, (c.v[3] >> 39) | (c.v[4] << 12));
}

uint64_t FeIsZeroMask(const Fe& a) {
  Fe c = FeCanonical(a);
  return ZeroMask64(c.v[0] | c.v[1] | c.v[2] | c.v[3] | c.v[4]);
}

uint64_t FeEqualMask(const Fe& a, const Fe& b) {
  Fe x = FeCanonical(a);
  Fe y = FeCanonical(b);
  uint64_t diff = 0;
  for (int i = 0; i < 5; ++i) diff |= x.v[i] ^ y.v[i];
  return ZeroMask64(diff);
}

Fe FeInvert(const Fe& z) {
  PowPrefix pre = ComputePowPrefix(z);
  // z^(2^255 - 32) * z^11 = z^(2^255 - 21) = z^(p - 2).
  return FeMul(FeSqN(pre.z_250_0, 5), pre.z11);
}

Fe FePowHalfPMinus1(const Fe& z) {
  PowPrefix pre = ComputePowPrefix(z);
  // (p - 1) / 2 = 2^254 - 10: z^(2^254 - 16) * z^6.
  Fe z2 = FeSq(z);
  Fe z6 = FeMul(FeSq(z2), z2);
  return FeMul(FeSqN(pre.z_250_0, 4), z6);
}

void FeBatchInvert(Fe* z, Fe* scratch, size_t n) {
  if (n == 0) return;
  const Fe one = FeOne();
  // A zero would poison the running product, so it enters as 1 and its
  // output is forced to 0 afterwards. Its mask is computed in both passes
  // rather than stored: a canonicalisation costs less than a multiply.
  Fe acc = one;
  for (size_t i = 0; i < n; ++i) {
    scratch[i] = acc;  // product of z[0..i)
    acc = FeMul(acc, FeSelect(z[i], one, FeIsZeroMask(z[i])));
  }
  Fe inv = FeInvert(acc);  // inverse of the product of z[0..n)
  for (size_t i = n; i-- > 0;) {
    uint64_t zero = FeIsZeroMask(z[i]);
    Fe zi = FeSelect(z[i], one, zero);
    Fe out = FeMul(inv, scratch[i]);
    inv = FeMul(inv, zi);  // now the inverse of the product of z[0..i)
    z[i] = FeSelect(out, FeZero(), zero);
  }
}

}  // namespace liaison::crypto::internal
