// The dense part of an OKVS row applied to the dense cells of P:
// Σ_{k<ĝ} d^(k+1) · P_dense[k] over GF(2^128), by Horner's rule. The field
// and its representation are crypto/gf128.h's (x^128 + x^7 + x^2 + x + 1,
// bit i of a Block is the coefficient of x^i), the field of the VOLE the
// OKVS is combined with: RR22 relies on Decode(Δ·P) = Δ·Decode(P).
//
// crypto/gf128.h reaches its kernels through function pointers; the
// decoder evaluates this polynomial for every key, so it gets its own
// inlined PCLMULQDQ build (dense_pclmul.cc, the only okvs file compiled with
// -mpclmul), picked at run time, and falls back to crypto::Gf128Mul.
#ifndef LIAISON_OKVS_INTERNAL_DENSE_H_
#define LIAISON_OKVS_INTERNAL_DENSE_H_

#include <cstdint>

#include "absl/types/span.h"
#include "crypto/block.h"
#include "crypto/gf128.h"

namespace liaison::okvs::internal {

using crypto::Block;

// PortableGf is the decoder's field policy without PCLMULQDQ (see
// decode_kernel.h): crypto::Gf128Mul.
struct PortableGf {
  static Block Horner(const Block& d, const Block* dense, uint32_t g) {
    Block acc = dense[g - 1];
    for (uint32_t k = g - 1; k-- > 0;) acc = crypto::Gf128Mul(acc, d) ^ dense[k];
    return crypto::Gf128Mul(acc, d);
  }
};

// DensePclmulAvailable reports whether this binary has the PCLMULQDQ
// kernels and the CPU runs them. LIAISON_NO_PCLMUL=1 in the environment
// turns them off, as it turns off crypto/gf128's.
bool DensePclmulAvailable();

// DenseEval sets out[i] = Σ_{k < dense.size()} coeffs[i]^(k+1) · dense[k].
// `coeffs` and `out` have equal sizes and may alias.
void DenseEval(absl::Span<const Block> coeffs, absl::Span<const Block> dense,
               absl::Span<Block> out);
void DenseEvalPortable(absl::Span<const Block> coeffs, absl::Span<const Block> dense,
                       absl::Span<Block> out);
#if LIAISON_OKVS_HAVE_PCLMUL
// The PCLMULQDQ build; call only when DensePclmulAvailable().
void DenseEvalPclmul(absl::Span<const Block> coeffs, absl::Span<const Block> dense,
                     absl::Span<Block> out);
#endif

}  // namespace liaison::okvs::internal

#endif  // LIAISON_OKVS_INTERNAL_DENSE_H_
