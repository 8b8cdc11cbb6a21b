#include "crypto/x25519.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "base/cpu.h"
#include "base/log.h"
#include "base/secret.h"
#include "crypto/internal/fe25519.h"
#include "crypto/internal/x25519_internal.h"

#if LIAISON_HAVE_IFMA_KERNELS
#include "crypto/internal/x25519_ifma.h"
#endif

namespace liaison::crypto {

using internal::Fe;

namespace internal {
namespace {

#if LIAISON_HAVE_IFMA_KERNELS
bool DetectAvx512Ifma() {
  if (!OsSavesZmmState()) return false;
  const CpuId& id = CpuFeatureBits();
  return id.avx512f && id.avx512vl && id.avx512ifma;
}
#endif

}  // namespace

bool Avx512IfmaAvailable() {
#if LIAISON_HAVE_IFMA_KERNELS
  static const bool available = DetectAvx512Ifma();
  return available;
#else
  return false;
#endif
}

X25519Impl SelectedX25519Impl() {
  static const X25519Impl impl = [] {
    return (!EnvFlagSet("LIAISON_NO_AVX512") && Avx512IfmaAvailable()) ? X25519Impl::kAvx512Ifma
                                                : X25519Impl::kPortable;
  }();
  return impl;
}

namespace {

// Ladder runs RFC 7748's Montgomery ladder over bits 254..0 of `scalar` on
// the point with u-coordinate x1, returning projective (x : z). The swap is
// a mask derived from the bits; no branch or address depends on them.
void Ladder(const uint8_t scalar[32], const Fe& x1, Fe* x_out, Fe* z_out) {
  Fe x2 = FeOne();
  Fe z2 = FeZero();
  Fe x3 = x1;
  Fe z3 = FeOne();
  uint64_t swap = 0;
  for (int t = 254; t >= 0; --t) {
    const uint64_t bit = (scalar[t >> 3] >> (t & 7)) & 1;
    swap ^= bit;
    FeCswap(x2, x3, swap);
    FeCswap(z2, z3, swap);
    swap = bit;

    const Fe a = FeAdd(x2, z2);
    const Fe b = FeSub(x2, z2);
    const Fe c = FeAdd(x3, z3);
    const Fe d = FeSub(x3, z3);
    const Fe da = FeMul(d, a);
    const Fe cb = FeMul(c, b);
    const Fe aa = FeSq(a);
    const Fe bb = FeSq(b);
    x3 = FeSq(FeAdd(da, cb));
    z3 = FeMul(x1, FeSq(FeSub(da, cb)));
    const Fe e = FeSub(aa, bb);
    x2 = FeMul(aa, bb);
    z2 = FeMul(e, FeAdd(aa, FeMulSmall(e, kA24)));
  }
  FeCswap(x2, x3, swap);
  FeCswap(z2, z3, swap);
  *x_out = x2;
  *z_out = z2;
  SecureWipe(&x3, sizeof(x3));
  SecureWipe(&z3, sizeof(z3));
}

void X25519BatchPortable(const uint8_t scalar[32], const MontPoint* in,
                         MontPoint* out, size_t n) {
  // One inversion per chunk (Montgomery's trick) instead of one per point
  // saves about a tenth of the work; 64 points keep the buffers small.
  constexpr size_t kChunk = 64;
  Fe xs[kChunk];
  Fe zs[kChunk];
  Fe scratch[kChunk];
  for (size_t base = 0; base < n; base += kChunk) {
    const size_t count = std::min(kChunk, n - base);
    for (size_t i = 0; i < count; ++i) {
      Ladder(scalar, FeFromBytes(in[base + i].data()), &xs[i], &zs[i]);
    }
    FeBatchInvert(zs, scratch, count);
    for (size_t i = 0; i < count; ++i) {
      FeToBytes(out[base + i].data(), FeMul(xs[i], zs[i]));
    }
  }
  SecureWipe(xs, sizeof(xs));
  SecureWipe(zs, sizeof(zs));
  SecureWipe(scratch, sizeof(scratch));
}

void Clamp(uint8_t k[32]) {
  k[0] &= 0xf8;   // a multiple of the cofactor 8
  k[31] &= 0x7f;  // below 2^255 ...
  k[31] |= 0x40;  // ... with bit 254 set, so the ladder length is fixed
}

}  // namespace

void X25519BatchWith(X25519Impl impl, const X25519Scalar& k,
                     absl::Span<const MontPoint> in,
                     absl::Span<MontPoint> out) {
  if (in.size() != out.size()) {
    // A caller bug that would otherwise write out of bounds or leave
    // outputs unset; there is no status to return it in.
    Log(LogLevel::kError, "X25519Batch: input and output sizes differ");
    std::abort();
  }
  if (in.empty()) return;
#if LIAISON_HAVE_IFMA_KERNELS
  if (impl == X25519Impl::kAvx512Ifma) {
    X25519BatchIfma(k.bytes().data(), in.data()->data(), out.data()->data(),
                    in.size());
    return;
  }
#else
  (void)impl;
#endif
  X25519BatchPortable(k.bytes().data(), in.data(), out.data(), in.size());
}

}  // namespace internal

X25519Scalar X25519Scalar::Random(Prng& prng) {
  X25519Scalar s;
  prng.Fill(s.bytes_.span());
  internal::Clamp(s.bytes_.data());
  return s;
}

X25519Scalar X25519Scalar::FromBytes(std::span<const uint8_t, 32> bytes) {
  X25519Scalar s;
  std::memcpy(s.bytes_.data(), bytes.data(), 32);
  internal::Clamp(s.bytes_.data());
  return s;
}

bool IsCanonicalPoint(const MontPoint& u) {
  // u is canonical exactly when u - p borrows (u < p). A set top bit makes
  // u >= 2^255 > p, so it needs no separate test.
  static constexpr uint8_t kP[32] = {
      0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
  unsigned borrow = 0;
  for (size_t i = 0; i < kMontPointLen; ++i) {
    const unsigned d = unsigned{u[i]} - kP[i] - borrow;
    borrow = (d >> 8) & 1;
  }
  return borrow == 1;
}

MontPoint X25519(const X25519Scalar& k, const MontPoint& u) {
  Fe x1 = internal::FeFromBytes(u.data());
  Fe x, z;
  internal::Ladder(k.bytes().data(), x1, &x, &z);
  MontPoint out;
  internal::FeToBytes(out.data(), internal::FeMul(x, internal::FeInvert(z)));
  SecureWipe(&x1, sizeof(x1));
  SecureWipe(&x, sizeof(x));
  SecureWipe(&z, sizeof(z));
  return out;
}

void X25519Batch(const X25519Scalar& k, absl::Span<const MontPoint> in,
                 absl::Span<MontPoint> out) {
  internal::X25519BatchWith(internal::SelectedX25519Impl(), k, in, out);
}

const char* X25519Backend() {
  return internal::SelectedX25519Impl() == internal::X25519Impl::kAvx512Ifma
             ? "avx512ifma"
             : "portable";
}

}  // namespace liaison::crypto
