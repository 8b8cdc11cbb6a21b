// RFC 9380 encode_to_curve for curve25519_XMD:SHA-512_ELL2_NU_, x-only.
//
//   u = hash_to_field(msg, 1)          expand_message_xmd(SHA-512), L = 48
//   Q = map_to_curve_elligator2(u)     only Q's u-coordinate xn / xd
//   P = clear_cofactor(Q) = [8] Q      three x-only doublings
//
// The map follows RFC 9380 appendix G.2.1, reduced to what the
// u-coordinate needs: x1 = -J / (1 + 2 u^2) when g(x1) is a square,
// x2 = 2 u^2 x1 otherwise. The RFC derives "g(x1) is a square" (e3) from
// the candidate square root; here it is Euler's criterion on
// gx1 * gxd (a square exactly when gx1 / gxd is, gxd being a non-zero
// cube), which costs the same one exponentiation and is what the batch
// variant runs on eight lanes at a time. The sign choice of y does not
// affect u.
//
// Everything that depends on the message runs in constant time: the hash
// touches only the message length, and the field arithmetic is masked.
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "base/log.h"
#include "base/secret.h"
#include "crypto/internal/fe25519.h"
#include "crypto/internal/x25519_internal.h"
#include "crypto/x25519.h"

#if LIAISON_HAVE_IFMA_KERNELS
#include "crypto/internal/x25519_ifma.h"
#endif

namespace liaison::crypto {
namespace internal {
namespace {

constexpr size_t kSha512Len = 64;
constexpr size_t kSha512BlockLen = 128;
constexpr size_t kMaxDstLen = 255;
// L = ceil((ceil(log2(p)) + k) / 8) with k = 128: 48 bytes per element.
constexpr size_t kFieldBytesLen = 48;

void CheckOpenSsl(int ok) {
  if (ok != 1) {
    // SHA-512 cannot fail short of a broken library or memory exhaustion;
    // continuing would return a wrong point.
    Log(LogLevel::kError, "OpenSSL SHA-512 failed in hash-to-curve");
    std::abort();
  }
}

// XmdSha512 is expand_message_xmd (RFC 9380 section 5.3.1) with SHA-512 and
// len_in_bytes = 48 for one domain separation tag. It absorbs Z_pad (one
// whole SHA-512 block of zeros) once and copies that state per message,
// which saves one of the three compressions for a short message.
class XmdSha512 {
 public:
  explicit XmdSha512(ByteSpan dst)
      : md_(EVP_MD_fetch(nullptr, "SHA512", nullptr)),
        after_zpad_(EVP_MD_CTX_new()),
        ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || after_zpad_ == nullptr || ctx_ == nullptr) {
      CheckOpenSsl(0);
    }
    if (dst.size() > kMaxDstLen) {
      // RFC 9380 section 5.3.3: DST = H("H2C-OVERSIZE-DST-" || DST).
      static constexpr char kOversize[] = "H2C-OVERSIZE-DST-";
      unsigned int len = 0;
      CheckOpenSsl(EVP_DigestInit_ex2(ctx_, md_, nullptr));
      CheckOpenSsl(EVP_DigestUpdate(ctx_, kOversize, sizeof(kOversize) - 1));
      CheckOpenSsl(EVP_DigestUpdate(ctx_, dst.data(), dst.size()));
      CheckOpenSsl(EVP_DigestFinal_ex(ctx_, dst_prime_, &len));
      dst_prime_len_ = kSha512Len;
    } else {
      std::memcpy(dst_prime_, dst.data(), dst.size());
      dst_prime_len_ = dst.size();
    }
    dst_prime_[dst_prime_len_] = static_cast<uint8_t>(dst_prime_len_);
    ++dst_prime_len_;  // DST_prime = DST || I2OSP(len(DST), 1)

    static const uint8_t kZpad[kSha512BlockLen] = {0};
    CheckOpenSsl(EVP_DigestInit_ex2(after_zpad_, md_, nullptr));
    CheckOpenSsl(EVP_DigestUpdate(after_zpad_, kZpad, sizeof(kZpad)));
  }
  ~XmdSha512() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_CTX_free(after_zpad_);
    EVP_MD_free(md_);
  }
  XmdSha512(const XmdSha512&) = delete;
  XmdSha512& operator=(const XmdSha512&) = delete;

  // Expand writes the 48 uniform bytes for `msg`.
  void Expand(ByteSpan msg, uint8_t out[kFieldBytesLen]) {
    // l_i_b_str = I2OSP(48, 2), then I2OSP(0, 1).
    static constexpr uint8_t kLenAndZero[3] = {0, kFieldBytesLen, 0};
    static constexpr uint8_t kOne[1] = {1};
    uint8_t b0[kSha512Len];
    uint8_t b1[kSha512Len];
    unsigned int len = 0;
    // b_0 = H(Z_pad || msg || l_i_b_str || I2OSP(0, 1) || DST_prime)
    CheckOpenSsl(EVP_MD_CTX_copy_ex(ctx_, after_zpad_));
    CheckOpenSsl(EVP_DigestUpdate(ctx_, msg.data(), msg.size()));
    CheckOpenSsl(EVP_DigestUpdate(ctx_, kLenAndZero, sizeof(kLenAndZero)));
    CheckOpenSsl(EVP_DigestUpdate(ctx_, dst_prime_, dst_prime_len_));
    CheckOpenSsl(EVP_DigestFinal_ex(ctx_, b0, &len));
    // b_1 = H(b_0 || I2OSP(1, 1) || DST_prime); ell = 1 since 48 <= 64.
    CheckOpenSsl(EVP_DigestInit_ex2(ctx_, md_, nullptr));
    CheckOpenSsl(EVP_DigestUpdate(ctx_, b0, sizeof(b0)));
    CheckOpenSsl(EVP_DigestUpdate(ctx_, kOne, sizeof(kOne)));
    CheckOpenSsl(EVP_DigestUpdate(ctx_, dst_prime_, dst_prime_len_));
    CheckOpenSsl(EVP_DigestFinal_ex(ctx_, b1, &len));
    std::memcpy(out, b1, kFieldBytesLen);
    SecureWipe(b0, sizeof(b0));
    SecureWipe(b1, sizeof(b1));
  }

  // HashToField returns u = OS2IP(uniform_bytes) mod p.
  Fe HashToField(ByteSpan msg) {
    uint8_t uniform[kFieldBytesLen];
    Expand(msg, uniform);
    Fe u = FeFromBigEndian48(uniform);
    SecureWipe(uniform, sizeof(uniform));
    return u;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* after_zpad_;  // SHA-512 state after absorbing Z_pad
  EVP_MD_CTX* ctx_;
  uint8_t dst_prime_[kMaxDstLen + 1];
  size_t dst_prime_len_ = 0;
};

// MinusJ returns -J = -486662 as a tight element.
Fe MinusJ() { return FeCarry(FeNeg(Fe{{kMontgomeryA, 0, 0, 0, 0}})); }

// MapInputs are the values of the Elligator 2 map computed before, and
// needed after, the exponentiation.
struct MapInputs {
  Fe xd;   // 1 + 2 u^2, the common denominator of x1 and x2
  Fe x2n;  // numerator of x2 = 2 u^2 x1
  Fe gx;   // gx1 * gxd, a square exactly when g(x1) is
};

// PrepareMap runs steps 1-10 of RFC 9380 G.2.1 (and 23) for u.
MapInputs PrepareMap(const Fe& u) {
  const Fe one = FeOne();
  const Fe x1n = MinusJ();  // x1n = -J
  const Fe u2 = FeSq(u);
  const Fe tv1 = FeCarry(FeAdd(u2, u2));  // tv1 = 2 u^2
  MapInputs m;
  m.xd = FeCarry(FeAdd(tv1, one));         // never 0: -1/2 is a non-square
  const Fe tv2 = FeSq(m.xd);               // xd^2
  const Fe gxd = FeMul(tv2, m.xd);         // xd^3
  Fe gx1 = FeMulSmall(tv1, kMontgomeryA);  // J tv1
  gx1 = FeMul(gx1, x1n);                   // -J^2 tv1
  gx1 = FeMul(FeAdd(gx1, tv2), x1n);       // x1n^3 + J x1n^2 xd + x1n xd^2
  m.x2n = FeMul(x1n, tv1);
  m.gx = FeMul(gx1, gxd);
  return m;
}

// SelectNumerator picks x1n when `euler` (gx^((p-1)/2)) is 1, else x2n.
Fe SelectNumerator(const MapInputs& m, const Fe& euler) {
  return FeSelect(m.x2n, MinusJ(), FeEqualMask(euler, FeOne()));
}

// ClearCofactor replaces (x : z) by [8](x : z): three x-only doublings
// with the formulas of the RFC 7748 ladder.
void ClearCofactor(Fe& x, Fe& z) {
  for (int i = 0; i < 3; ++i) {
    const Fe aa = FeSq(FeAdd(x, z));
    const Fe bb = FeSq(FeSub(x, z));
    const Fe e = FeSub(aa, bb);  // 4 x z
    x = FeMul(aa, bb);
    z = FeMul(e, FeAdd(aa, FeMulSmall(e, kA24)));
  }
}

void HashToCurveChunk(X25519Impl impl, XmdSha512& xmd, const ByteSpan* msgs,
                      MontPoint* out, size_t n) {
  constexpr size_t kChunk = 64;
  MapInputs maps[kChunk];
  Fe euler[kChunk];
  Fe xs[kChunk];
  Fe zs[kChunk];
  Fe scratch[kChunk];
  for (size_t i = 0; i < n; ++i) {
    Fe u = xmd.HashToField(msgs[i]);
    maps[i] = PrepareMap(u);
    SecureWipe(&u, sizeof(u));
  }
  // Euler's criterion, the one exponentiation of the map.
  uint64_t limbs[kChunk * 5] = {};
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(&limbs[5 * i], maps[i].gx.v, sizeof(maps[i].gx.v));
  }
  PowHalfPMinus1BatchWith(impl, limbs, limbs, n);
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(euler[i].v, &limbs[5 * i], sizeof(euler[i].v));
  }
  SecureWipe(limbs, sizeof(limbs));
  for (size_t i = 0; i < n; ++i) {
    xs[i] = SelectNumerator(maps[i], euler[i]);
    zs[i] = maps[i].xd;
    ClearCofactor(xs[i], zs[i]);
  }
  // z = 0 only if Q had order dividing 8, which needs a SHA-512 preimage
  // to reach; FeBatchInvert then yields 0, so the output is u = 0.
  FeBatchInvert(zs, scratch, n);
  for (size_t i = 0; i < n; ++i) FeToBytes(out[i].data(), FeMul(xs[i], zs[i]));
  SecureWipe(maps, sizeof(maps));
  SecureWipe(euler, sizeof(euler));
  SecureWipe(xs, sizeof(xs));
  SecureWipe(zs, sizeof(zs));
  SecureWipe(scratch, sizeof(scratch));
}

}  // namespace

void PowHalfPMinus1BatchWith(X25519Impl impl, const uint64_t* in, uint64_t* out,
                             size_t n) {
#if LIAISON_HAVE_IFMA_KERNELS
  if (impl == X25519Impl::kAvx512Ifma) {
    PowHalfPMinus1Ifma(in, out, n);
    return;
  }
#else
  (void)impl;
#endif
  for (size_t i = 0; i < n; ++i) {
    Fe z;
    std::memcpy(z.v, in + 5 * i, sizeof(z.v));
    const Fe r = FeCanonical(FePowHalfPMinus1(z));
    std::memcpy(out + 5 * i, r.v, sizeof(r.v));
  }
}

void HashToCurve25519BatchWith(X25519Impl impl, absl::Span<const ByteSpan> msgs,
                               ByteSpan dst, absl::Span<MontPoint> out) {
  if (msgs.size() != out.size()) {
    Log(LogLevel::kError,
        "HashToCurve25519Batch: input and output sizes differ");
    std::abort();
  }
  if (msgs.empty()) return;
  XmdSha512 xmd(dst);
  constexpr size_t kChunk = 64;
  for (size_t base = 0; base < msgs.size(); base += kChunk) {
    const size_t n = std::min(kChunk, msgs.size() - base);
    HashToCurveChunk(impl, xmd, msgs.data() + base, out.data() + base, n);
  }
}

MontPoint HashToFieldCurve25519(ByteSpan msg, ByteSpan dst) {
  XmdSha512 xmd(dst);
  MontPoint out;
  FeToBytes(out.data(), xmd.HashToField(msg));
  return out;
}

MontPoint MapToCurveElligator2Curve25519(const MontPoint& u) {
  const MapInputs m = PrepareMap(FeFromBytes(u.data()));
  const Fe xn = SelectNumerator(m, FePowHalfPMinus1(m.gx));
  MontPoint out;
  FeToBytes(out.data(), FeMul(xn, FeInvert(m.xd)));
  return out;
}

}  // namespace internal

MontPoint HashToCurve25519(ByteSpan msg, ByteSpan dst) {
  // One element gains nothing from eight lanes; the portable exponentiation
  // costs about what a single IFMA pass does.
  MontPoint out;
  internal::HashToCurve25519BatchWith(internal::X25519Impl::kPortable,
                                      absl::MakeConstSpan(&msg, 1), dst,
                                      absl::MakeSpan(&out, 1));
  return out;
}

void HashToCurve25519Batch(absl::Span<const ByteSpan> msgs, ByteSpan dst,
                           absl::Span<MontPoint> out) {
  internal::HashToCurve25519BatchWith(internal::SelectedX25519Impl(), msgs, dst,
                                      out);
}

}  // namespace liaison::crypto
