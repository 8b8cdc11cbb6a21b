// Internal entry points of crypto/x25519.h: backend selection, and the
// steps of hash-to-curve, exposed so that tests can run both backends in
// one process and check RFC 9380's intermediate values.
#ifndef LIAISON_CRYPTO_INTERNAL_X25519_INTERNAL_H_
#define LIAISON_CRYPTO_INTERNAL_X25519_INTERNAL_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "base/bytes.h"
#include "crypto/x25519.h"

namespace liaison::crypto::internal {

enum class X25519Impl { kPortable, kAvx512Ifma };

// Avx512IfmaAvailable reports whether this binary has the IFMA kernels and
// the CPU and OS can run them: AVX-512 F, VL and IFMA in CPUID, and opmask
// and zmm state enabled in XCR0. It ignores LIAISON_NO_AVX512.
bool Avx512IfmaAvailable();

// SelectedX25519Impl is the backend the public functions use, decided once
// per process: kAvx512Ifma when available, unless the environment variable
// LIAISON_NO_AVX512 is set to anything but "" or "0".
X25519Impl SelectedX25519Impl();

// X25519BatchWith is X25519Batch on the given backend; kAvx512Ifma
// requires Avx512IfmaAvailable(). Sizes must be equal; in and out may
// alias.
void X25519BatchWith(X25519Impl impl, const X25519Scalar& k,
                     absl::Span<const MontPoint> in, absl::Span<MontPoint> out);

// HashToCurve25519BatchWith is HashToCurve25519Batch on the given backend;
// kAvx512Ifma requires Avx512IfmaAvailable().
void HashToCurve25519BatchWith(X25519Impl impl, absl::Span<const ByteSpan> msgs,
                               ByteSpan dst, absl::Span<MontPoint> out);

// PowHalfPMinus1BatchWith sets out[5*i .. 5*i+4] to the canonical
// radix-2^51 limbs of z^((p-1)/2) (Euler's criterion: 1, p - 1 or 0) for
// the z given by in[5*i ..] (limbs below 2^52), i < n, on the given backend;
// kAvx512Ifma requires Avx512IfmaAvailable(). `in` and `out` may be the
// same buffer. Hash-to-curve's one exponentiation, exposed for tests.
void PowHalfPMinus1BatchWith(X25519Impl impl, const uint64_t* in, uint64_t* out,
                             size_t n);

// HashToFieldCurve25519 returns RFC 9380's hash_to_field(msg, 1) for the
// suite (expand_message_xmd with SHA-512, L = 48), canonical little-endian.
MontPoint HashToFieldCurve25519(ByteSpan msg, ByteSpan dst);

// MapToCurveElligator2Curve25519 returns the u-coordinate of RFC 9380's
// map_to_curve_elligator2_curve25519(u) (before the cofactor is cleared),
// canonical little-endian. `u` is read as X25519 reads points.
MontPoint MapToCurveElligator2Curve25519(const MontPoint& u);

}  // namespace liaison::crypto::internal

#endif  // LIAISON_CRYPTO_INTERNAL_X25519_INTERNAL_H_
