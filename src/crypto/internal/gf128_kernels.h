// The GF(2^128) kernels behind crypto/gf128.h, one set per backend. Raw
// pointers only, for the same reason as aes_kernels.h: the files built with
// PCLMULQDQ or AVX-512 enabled must not emit inline functions the rest of
// the program could pick up.
//
// An element is two 64-bit words, low (coefficients x^0..x^63) first, as a
// Block lies in memory; an unreduced product is four words, lowest first.
// None of the kernels branches on or indexes memory with the elements.
#ifndef LIAISON_CRYPTO_INTERNAL_GF128_KERNELS_H_
#define LIAISON_CRYPTO_INTERNAL_GF128_KERNELS_H_

#include <cstddef>
#include <cstdint>

namespace liaison::crypto::internal {

struct Gf128Kernels {
  // mul_wide sets out[0..3] to the product of a and b, unreduced.
  void (*mul_wide)(const uint64_t* a, const uint64_t* b, uint64_t* out);
  // reduce sets out[0..1] to in[0..3] modulo x^128 + x^7 + x^2 + x + 1.
  void (*reduce)(const uint64_t* in, uint64_t* out);
  // mul sets out[0..1] = a * b; out may alias a or b.
  void (*mul)(const uint64_t* a, const uint64_t* b, uint64_t* out);
  // mul_blocks sets element i of out to a[i] * b[i], n elements; out may be
  // a or b.
  void (*mul_blocks)(const uint64_t* a, const uint64_t* b, uint64_t* out,
                     size_t n);
  // inner_product xors sum_i a[i] * b[i], unreduced, into acc[0..3].
  void (*inner_product)(const uint64_t* a, const uint64_t* b, size_t n,
                        uint64_t* acc);
};

// The portable bit-loop implementation; always present.
extern const Gf128Kernels kPortableGf128Kernels;

#if LIAISON_HAVE_PCLMUL_KERNELS
// PCLMULQDQ on xmm registers (internal/gf128_pclmul.cc, built with -mpclmul).
extern const Gf128Kernels kPclmulGf128Kernels;
#endif

#if LIAISON_HAVE_VPCLMUL512_KERNELS
// VPCLMULQDQ on zmm registers, four products per instruction
// (internal/gf128_vpclmul512.cc, built with -mpclmul -mvpclmulqdq
// -mavx512f): the batched kernels, with the contracts of mul_blocks and
// inner_product. gf128.cc pairs them with the PCLMULQDQ single-product
// kernels.
void Vpclmul512MulBlocks(const uint64_t* a, const uint64_t* b, uint64_t* out,
                         size_t n);
void Vpclmul512InnerProduct(const uint64_t* a, const uint64_t* b, size_t n,
                            uint64_t* acc);
#endif

}  // namespace liaison::crypto::internal

#endif  // LIAISON_CRYPTO_INTERNAL_GF128_KERNELS_H_
