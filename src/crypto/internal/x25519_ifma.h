// AVX-512 IFMA kernels for curve25519: eight field elements per 512-bit
// register, one per 64-bit lane, multiplied with vpmadd52luq/vpmadd52huq.
//
// Representation: radix 2^51 (as the portable code), five limbs, each kept
// below 2^52 whenever it enters a multiplication, because IFMA reads only
// the low 52 bits of its operands. The unsaturated radix leaves a spare bit
// per limb, so a whole register of carries is propagated in parallel (three
// vector instructions) instead of rippling limb by limb, as a saturated
// radix-2^52 representation would require after every multiplication.
//
// The definitions live in x25519_ifma.cc, the only file compiled with
// -mavx512f -mavx512ifma -mavx512vl. Call these functions only when
// Avx512IfmaAvailable() (x25519_internal.h) is true. The interface uses
// plain pointers on purpose: a template or inline function shared with
// portable code would be compiled with AVX-512 in that file, and the linker
// might keep that copy for everyone.
#ifndef LIAISON_CRYPTO_INTERNAL_X25519_IFMA_H_
#define LIAISON_CRYPTO_INTERNAL_X25519_IFMA_H_

#include <cstddef>
#include <cstdint>

namespace liaison::crypto::internal {

// X25519BatchIfma computes RFC 7748's X25519 of the clamped 32-byte
// `scalar` and each of the `n` 32-byte u-coordinates at `in`, writing `n`
// canonical 32-byte results to `out`. `in` and `out` may be the same
// buffer (not partially overlapping). Eight ladders run side by side; the
// last group is padded with u = 9. The z-coordinates of up to 128 points
// are inverted together with Montgomery's trick.
void X25519BatchIfma(const uint8_t scalar[32], const uint8_t* in, uint8_t* out,
                     size_t n);

// PowHalfPMinus1Ifma sets out[5*i .. 5*i+4] to the canonical limbs of
// z^((p-1)/2) (Euler's criterion: 1, p - 1 or 0), where z is given as five
// radix-2^51 limbs at in[5*i ..], each below 2^52, for i < n. `in` and
// `out` may be the same buffer.
void PowHalfPMinus1Ifma(const uint64_t* in, uint64_t* out, size_t n);

}  // namespace liaison::crypto::internal

#endif  // LIAISON_CRYPTO_INTERNAL_X25519_IFMA_H_
