// Internal entry points of crypto/gf128.h: backend selection and every
// operation on an explicit backend, so that the tests compare them all in
// one process.
#ifndef LIAISON_CRYPTO_INTERNAL_GF128_INTERNAL_H_
#define LIAISON_CRYPTO_INTERNAL_GF128_INTERNAL_H_

#include "absl/types/span.h"
#include "crypto/block.h"
#include "crypto/gf128.h"

namespace liaison::crypto::internal {

enum class Gf128Impl { kPortable, kPclmul, kVpclmul512 };

// Gf128ImplName is the name Gf128Backend() reports for `impl`.
const char* Gf128ImplName(Gf128Impl impl);

// Gf128ImplAvailable reports whether this binary has the kernels for
// `impl` and the CPU and OS can run them (kVpclmul512: PCLMULQDQ,
// VPCLMULQDQ, AVX-512F and zmm state in XCR0). It ignores the environment.
bool Gf128ImplAvailable(Gf128Impl impl);

// SelectedGf128Impl is the backend the public functions use, decided once
// per process: the widest available one, except that LIAISON_NO_PCLMUL
// forces kPortable and LIAISON_NO_AVX512 rules out kVpclmul512.
Gf128Impl SelectedGf128Impl();

// The *With functions are the public ones on the given backend, which must
// be available.
Block Gf128MulWith(Gf128Impl impl, const Block& a, const Block& b);
Gf128Unreduced Gf128MulUnreducedWith(Gf128Impl impl, const Block& a,
                                     const Block& b);
Block Gf128ReduceWith(Gf128Impl impl, const Gf128Unreduced& wide);
Block Gf128PowWith(Gf128Impl impl, const Block& a, uint64_t e);
Block Gf128InverseWith(Gf128Impl impl, const Block& a);
Gf128Unreduced Gf128InnerProductUnreducedWith(Gf128Impl impl,
                                              absl::Span<const Block> a,
                                              absl::Span<const Block> b);
void Gf128MulBlocksWith(Gf128Impl impl, absl::Span<const Block> a,
                        absl::Span<const Block> b, absl::Span<Block> out);

}  // namespace liaison::crypto::internal

#endif  // LIAISON_CRYPTO_INTERNAL_GF128_INTERNAL_H_
