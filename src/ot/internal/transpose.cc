#include "ot/internal/transpose.h"

#include <cstdint>

#include "base/secret.h"
#include "ot/internal/cpu.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define LIAISON_OT_X86 1
#else
#define LIAISON_OT_X86 0
#endif

namespace liaison::ot::internal {
namespace {

// Transpose64 transposes a 64×64 bit matrix in place (bit i of a[j] is
// entry (j, i)): swap the off-diagonal 32×32 blocks, then recursively the
// 16×16 blocks inside each quadrant, and so on down to single bits.
void Transpose64(uint64_t a[64]) {
  uint64_t m = 0x00000000FFFFFFFFull;
  for (int j = 32; j != 0; j >>= 1, m ^= (m << j)) {
    for (int k = 0; k < 64; k = ((k | j) + 1) & ~j) {
      const uint64_t t = ((a[k] >> j) ^ a[k | j]) & m;
      a[k] ^= t << j;
      a[k | j] ^= t;
    }
  }
}

// SquarePortable: [[A, B], [C, D]]ᵀ = [[Aᵀ, Cᵀ], [Bᵀ, Dᵀ]] in 64×64 blocks,
// where A, B are the lo and hi words of rows 0..63 and C, D of rows 64..127.
void SquarePortable(const Block* in, size_t stride, Block* out) {
  uint64_t q[64];
  for (int quad = 0; quad < 4; ++quad) {
    const int row0 = (quad & 1) ? 64 : 0;  // A, C, B, D order below
    const bool hi_word = quad >= 2;
    for (int r = 0; r < 64; ++r) {
      const Block& b = in[static_cast<size_t>(row0 + r) * stride];
      q[r] = hi_word ? b.hi : b.lo;
    }
    Transpose64(q);
    // Aᵀ → out[0..63].lo, Cᵀ → out[0..63].hi, Bᵀ → out[64..].lo, Dᵀ → out[64..].hi.
    Block* dst = out + (hi_word ? 64 : 0);
    for (int i = 0; i < 64; ++i) {
      if (row0 == 0) {
        dst[i].lo = q[i];
      } else {
        dst[i].hi = q[i];
      }
    }
  }
  SecureWipe(q, sizeof(q));
}

#if LIAISON_OT_X86
typedef uint16_t U16Alias __attribute__((may_alias));
typedef uint32_t U32Alias __attribute__((may_alias));
typedef uint64_t U64Alias __attribute__((may_alias));

// The SIMD kernels share one idea. Take 16 rows (of 16 bytes) and transpose
// them as a 16×16 byte matrix: register c then holds byte c of each of the
// 16 rows. Byte c of a row holds its bits 8c..8c+7, so the top bit of each
// byte of register c is bit 8c+7 of those rows: _mm_movemask_epi8 gathers
// them into 16 bits of output row 8c+7. Adding the register to itself moves
// the next bit up; eight rounds give output rows 8c+7 down to 8c.
//
// The byte transpose is four rounds of "register 2p+h takes the h-th halves
// of registers p and p+8, interleaved": each round rotates the 8-bit
// (register, byte) position left by one, and four rotations swap register
// and byte index. The unpack instructions work within 128-bit lanes, so the
// wider kernels simply put 16 more rows in each further lane.
__attribute__((target("sse2"))) void SquareSse2(const Block* in, size_t stride, Block* out) {
  U16Alias* o = reinterpret_cast<U16Alias*>(out);
  for (int g = 0; g < 8; ++g) {
    __m128i x[16];
    for (int r = 0; r < 16; ++r) {
      x[r] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + (16 * g + r) * stride));
    }
    for (int round = 0; round < 4; ++round) {
      __m128i y[16];
      for (int p = 0; p < 8; ++p) {
        y[2 * p] = _mm_unpacklo_epi8(x[p], x[p + 8]);
        y[2 * p + 1] = _mm_unpackhi_epi8(x[p], x[p + 8]);
      }
      for (int r = 0; r < 16; ++r) x[r] = y[r];
    }
    for (int c = 0; c < 16; ++c) {
      __m128i v = x[c];
      for (int b = 7; b >= 0; --b) {
        o[(8 * c + b) * 8 + g] = static_cast<uint16_t>(_mm_movemask_epi8(v));
        v = _mm_add_epi8(v, v);
      }
    }
  }
}

__attribute__((target("avx2"))) void SquareAvx2(const Block* in, size_t stride, Block* out) {
  U32Alias* o = reinterpret_cast<U32Alias*>(out);
  for (int g = 0; g < 4; ++g) {
    __m256i x[16];
    for (int r = 0; r < 16; ++r) {
      const __m128i lo =
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + (32 * g + r) * stride));
      const __m128i hi =
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + (32 * g + 16 + r) * stride));
      x[r] = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
    }
    for (int round = 0; round < 4; ++round) {
      __m256i y[16];
      for (int p = 0; p < 8; ++p) {
        y[2 * p] = _mm256_unpacklo_epi8(x[p], x[p + 8]);
        y[2 * p + 1] = _mm256_unpackhi_epi8(x[p], x[p + 8]);
      }
      for (int r = 0; r < 16; ++r) x[r] = y[r];
    }
    for (int c = 0; c < 16; ++c) {
      __m256i v = x[c];
      for (int b = 7; b >= 0; --b) {
        o[(8 * c + b) * 4 + g] = static_cast<uint32_t>(_mm256_movemask_epi8(v));
        v = _mm256_add_epi8(v, v);
      }
    }
  }
}

__attribute__((target("avx512f,avx512bw"))) void SquareAvx512(const Block* in, size_t stride,
                                                             Block* out) {
  U64Alias* o = reinterpret_cast<U64Alias*>(out);
  for (int g = 0; g < 2; ++g) {
    __m512i x[16];
    for (int r = 0; r < 16; ++r) {
      const Block* row = in + (64 * g + r) * stride;
      __m512i z = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row)));
      z = _mm512_inserti32x4(
          z, _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 16 * stride)), 1);
      z = _mm512_inserti32x4(
          z, _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 32 * stride)), 2);
      z = _mm512_inserti32x4(
          z, _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 48 * stride)), 3);
      x[r] = z;
    }
    for (int round = 0; round < 4; ++round) {
      __m512i y[16];
      for (int p = 0; p < 8; ++p) {
        y[2 * p] = _mm512_unpacklo_epi8(x[p], x[p + 8]);
        y[2 * p + 1] = _mm512_unpackhi_epi8(x[p], x[p + 8]);
      }
      for (int r = 0; r < 16; ++r) x[r] = y[r];
    }
    for (int c = 0; c < 16; ++c) {
      __m512i v = x[c];
      for (int b = 7; b >= 0; --b) {
        o[(8 * c + b) * 2 + g] = static_cast<uint64_t>(_mm512_movepi8_mask(v));
        v = _mm512_add_epi8(v, v);
      }
    }
  }
}
#endif  // LIAISON_OT_X86

using SquareFn = void (*)(const Block*, size_t, Block*);

SquareFn Kernel(TransposeImpl impl) {
  switch (impl) {
#if LIAISON_OT_X86
    case TransposeImpl::kSse2:
      return SquareSse2;
    case TransposeImpl::kAvx2:
      return SquareAvx2;
    case TransposeImpl::kAvx512:
      return SquareAvx512;
#endif
    default:
      return SquarePortable;
  }
}

}  // namespace

bool TransposeImplAvailable(TransposeImpl impl) {
  switch (impl) {
    case TransposeImpl::kPortable:
      return true;
    case TransposeImpl::kSse2:
      return LIAISON_OT_X86;
    case TransposeImpl::kAvx2:
      return LIAISON_OT_X86 && Cpu().avx2;
    case TransposeImpl::kAvx512:
      return LIAISON_OT_X86 && Cpu().avx512bw;
  }
  return false;
}

TransposeImpl SelectedTransposeImpl() {
  static const TransposeImpl impl = [] {
    if (!NoAvx512() && TransposeImplAvailable(TransposeImpl::kAvx512)) {
      return TransposeImpl::kAvx512;
    }
    if (TransposeImplAvailable(TransposeImpl::kAvx2)) return TransposeImpl::kAvx2;
    if (TransposeImplAvailable(TransposeImpl::kSse2)) return TransposeImpl::kSse2;
    return TransposeImpl::kPortable;
  }();
  return impl;
}

const char* TransposeImplName(TransposeImpl impl) {
  switch (impl) {
    case TransposeImpl::kPortable:
      return "portable";
    case TransposeImpl::kSse2:
      return "sse2";
    case TransposeImpl::kAvx2:
      return "avx2";
    case TransposeImpl::kAvx512:
      return "avx512";
  }
  return "?";
}

void TransposeSquaresWith(TransposeImpl impl, const Block* in, size_t stride,
                          size_t num_squares, Block* out) {
  const SquareFn fn = Kernel(impl);
  for (size_t s = 0; s < num_squares; ++s) fn(in + s, stride, out + 128 * s);
}

void TransposeSquares(const Block* in, size_t stride, size_t num_squares, Block* out) {
  static const SquareFn fn = Kernel(SelectedTransposeImpl());
  for (size_t s = 0; s < num_squares; ++s) fn(in + s, stride, out + 128 * s);
}

}  // namespace liaison::ot::internal
