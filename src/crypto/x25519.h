// Curve25519 in Montgomery form, x-only (RFC 7748), for DH-style protocols
// that blind many points with one secret scalar: ECDH PSI blinds every item
// of a set with the same scalar, so the multiplications are batched, and on
// CPUs with AVX-512 IFMA eight ladders run side by side in the vector lanes
// (the scalar, and so the ladder's swap pattern, is the same in every lane).
//
// Points are Montgomery u-coordinates, 32 bytes little-endian. All
// arithmetic on scalars and points is constant-time: no branch or memory
// index depends on a scalar, a point or an item.
#ifndef LIAISON_CRYPTO_X25519_H_
#define LIAISON_CRYPTO_X25519_H_

#include <array>
#include <cstdint>
#include <span>

#include "absl/types/span.h"
#include "base/bytes.h"
#include "base/secret.h"
#include "crypto/prng.h"

namespace liaison::crypto {

inline constexpr size_t kMontPointLen = 32;
using MontPoint = std::array<uint8_t, kMontPointLen>;

// X25519Scalar is a secret scalar clamped as RFC 7748 prescribes (a multiple
// of 8, so multiplying by it also clears the cofactor of any input point).
class X25519Scalar {
 public:
  // Random draws a scalar from `prng` and clamps it.
  static X25519Scalar Random(Prng& prng);
  // FromBytes clamps 32 given bytes (for known-answer tests). A fixed-extent
  // std::span: absl::Span has no extent parameter; a MontPoint, a
  // std::array<uint8_t, 32> or a uint8_t[32] converts implicitly.
  static X25519Scalar FromBytes(std::span<const uint8_t, 32> bytes);

  const SecretArray<32>& bytes() const { return bytes_; }

 private:
  // Scalars come only from Random or FromBytes, never zero by accident.
  X25519Scalar() = default;
  SecretArray<32> bytes_;
};

// IsCanonicalPoint reports whether `u` is a canonical encoding of a field
// element: the top bit clear and the value below 2^255 - 19. Protocols
// reject peer points that are not (they cannot come from an honest peer).
bool IsCanonicalPoint(const MontPoint& u);

// X25519 computes the u-coordinate of [k]P, exactly as RFC 7748's X25519
// function (the top bit of `u` is ignored).
MontPoint X25519(const X25519Scalar& k, const MontPoint& u);

// X25519Batch sets out[i] = X25519(k, in[i]) for every i, using the widest
// vector unit the CPU offers. `in` and `out` have equal sizes and may alias.
// Single-threaded: callers split large batches over threads.
void X25519Batch(const X25519Scalar& k, absl::Span<const MontPoint> in,
                 absl::Span<MontPoint> out);

// HashToCurve25519 is RFC 9380's encode_to_curve for the suite
// curve25519_XMD:SHA-512_ELL2_NU_ with domain separation tag `dst`
// (1..255 bytes; a longer tag is first hashed as RFC 9380 section 5.3.3
// says), returning the u-coordinate of the resulting point (which is in the
// prime-order subgroup). Distinct messages give distinct points except with
// negligible probability. Constant time in the message's contents.
MontPoint HashToCurve25519(ByteSpan msg, ByteSpan dst);

// HashToCurve25519Batch hashes many messages, batching the field
// exponentiations; out.size() == msgs.size().
void HashToCurve25519Batch(absl::Span<const ByteSpan> msgs, ByteSpan dst,
                           absl::Span<MontPoint> out);

// X25519Backend names the implementation in use ("avx512ifma" or
// "portable"), for benchmark output. It is chosen once per process from
// CPUID and the OS's saved register state; LIAISON_NO_AVX512=1 in the
// environment forces "portable".
const char* X25519Backend();

}  // namespace liaison::crypto

#endif  // LIAISON_CRYPTO_X25519_H_
