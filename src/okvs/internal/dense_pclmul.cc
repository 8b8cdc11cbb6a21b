// The PCLMULQDQ builds of the dense-part evaluation and of the decode loop.
// This is the only okvs file compiled with -mpclmul; it is reached only
// after DensePclmulAvailable() has checked the CPU. Its policy type lives in
// an anonymous namespace, so its template instantiations are its own.
#include <immintrin.h>

#include "okvs/internal/decode.h"
#include "okvs/internal/decode_kernel.h"
#include "okvs/internal/dense.h"

namespace liaison::okvs::internal {
namespace {

inline __m128i Load(const Block& b) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(&b));
}

inline Block Store(__m128i v) {
  Block b;
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&b), v);
  return b;
}

// Reduce folds the 256-bit product hi:lo (64-bit words p3 p2 : p1 p0)
// modulo x^128 + x^7 + x^2 + x + 1, using x^128 = 0x87: p3·x^192 becomes
// p3·0x87·x^64 (into words 1 and 2), then the new p2·x^128 becomes p2·0x87.
inline __m128i Reduce(__m128i lo, __m128i hi) {
  const __m128i r = _mm_set_epi64x(0, 0x87);
  const __m128i t = _mm_clmulepi64_si128(hi, r, 0x01);  // p3 · 0x87, 71 bits
  hi = _mm_xor_si128(hi, _mm_srli_si128(t, 8));
  lo = _mm_xor_si128(lo, _mm_slli_si128(t, 8));
  return _mm_xor_si128(lo, _mm_clmulepi64_si128(hi, r, 0x00));
}

inline __m128i Mul(__m128i a, __m128i b) {
  __m128i lo = _mm_clmulepi64_si128(a, b, 0x00);
  __m128i hi = _mm_clmulepi64_si128(a, b, 0x11);
  const __m128i mid =
      _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10), _mm_clmulepi64_si128(a, b, 0x01));
  lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
  hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
  return Reduce(lo, hi);
}

struct PclmulGf {
  static Block Horner(const Block& d, const Block* dense, uint32_t g) {
    const __m128i x = Load(d);
    __m128i acc = Load(dense[g - 1]);
    for (uint32_t k = g - 1; k-- > 0;) acc = _mm_xor_si128(Mul(acc, x), Load(dense[k]));
    return Store(Mul(acc, x));
  }
};

}  // namespace

void DenseEvalPclmul(absl::Span<const Block> coeffs, absl::Span<const Block> dense,
                     absl::Span<Block> out) {
  const uint32_t g = static_cast<uint32_t>(dense.size());
  for (size_t i = 0; i < coeffs.size(); ++i) {
    out[i] = g == 0 ? Block() : PclmulGf::Horner(coeffs[i], dense.data(), g);
  }
}

void DecodeKeysPclmul(const RowHasher& hasher, const DecodeShape& shape, const Block* okvs,
                      absl::Span<const Block> keys, absl::Span<Block> values) {
  DecodeKeysWith<PclmulGf>(hasher, shape, okvs, keys, values);
}

}  // namespace liaison::okvs::internal
