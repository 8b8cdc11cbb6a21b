// The ExConv convolution on 8-row tiles with GFNI, and the expander's tap
// arithmetic on 16 lanes (see ex_conv_kernels.h).
// Built with -mavx512f -mavx512bw -mavx512vl -mavx512vbmi -mgfni; includes
// nothing that defines inline functions outside the intrinsics headers.
//
// Notation. An 8×8 GF(2) matrix M (M[i][j]: row j's value is added to row
// i) is kept in "A-format", the qword GF2P8AFFINEQB takes as its matrix:
// byte 7 - i is row i of M (bit j = M[i][j]); then
// gf2p8affine(x, A(M)) maps every byte x (bit j = row j's bit) to M·x. Two
// identities follow from the instruction's definition, result byte k bit i
// = parity(A.byte[7 - i] & x.byte[k]):
//   * with the constant x whose byte k is 1 << (7 - k) ("kRevDiag", also
//     A(I)), gf2p8affine(kRevDiag, A(M^T)) = A(M): a transpose;
//   * A(X·Y) = gf2p8affine(A(X), A(Y^T)): a product.
// A tile of 8 blocks (128 bytes) is made "sliced" by putting byte b of rows
// 0..7 in bytes 7..0 of qword b (one VPERMT2B per 64 bytes) and transposing
// each qword's 8×8 bits (gf2p8affine with kRevDiag as x and the data as the
// matrix): then each byte holds one bit position of the 8 rows (bit r =
// row r), and gf2p8affine(sliced, A(M)) applies M to the rows. The inverse
// transposes with kDiag (byte k = 1 << k) and permutes back.
//
// Tile h of a pass. With V_r = ((c_r & (2^w - 1)) | 2^w) << (1 + r) for its
// row 8h + r (c_r the coefficient word), bit 8s + j of V_r says whether row
// 8h + r is added to row 8(h + s) + j: byte s of V_r is column r of the
// block M_s, i.e. A(M_s^T) has byte 7 - r equal to byte s of V_r — a byte
// transpose (VPERMB) of the eight V_r. M_0 = N is strictly lower triangular
// (the pushes inside the tile), so the tile's values after all earlier
// pushes, U, become final as (I + N)^-1·U = (I + N + ... + N^7)·U, and the
// tile then adds M_s times them to the pending sums of tiles h + 1..h + 4.
#include <immintrin.h>

#include <cstdint>

#include "ot/lpn/internal/ex_conv_kernels.h"

namespace liaison::ot::internal {
namespace {

// kChunkTiles tiles (512 rows) share one batch of coefficient words and
// matrices: 2 KiB + 4 KiB, in L1.
constexpr uint64_t kChunkTiles = 64;

constexpr uint64_t kRevDiag = 0x0102040810204080;  // byte k = 1 << (7 - k)
constexpr uint64_t kDiag = 0x8040201008040201;     // byte k = 1 << k

struct Tables {
  // fwd[half] gathers, for qwords b = 8·half..8·half + 7, byte b of row r
  // into byte 7 - r of qword b, from the 128 bytes of 8 rows.
  alignas(64) uint8_t fwd[2][64];
  // inv[half] puts byte r of qword b back at row r, byte b.
  alignas(64) uint8_t inv[2][64];
  // tr puts byte s of qword r at byte 7 - r of qword s.
  alignas(64) uint8_t tr[64];
};

constexpr Tables MakeTables() {
  Tables t{};
  for (int half = 0; half < 2; ++half) {
    for (int j = 0; j < 64; ++j) {
      const int b = 8 * half + j / 8;
      const int r = 7 - j % 8;
      t.fwd[half][j] = static_cast<uint8_t>(16 * r + b);
      const int row = 4 * half + j / 16;
      const int byte = j % 16;
      t.inv[half][j] = static_cast<uint8_t>(8 * byte + row);
    }
  }
  for (int j = 0; j < 64; ++j) {
    const int s = j / 8;
    const int r = 7 - j % 8;
    t.tr[j] = static_cast<uint8_t>(8 * r + s);
  }
  return t;
}

constexpr Tables kTables = MakeTables();

// GCC 12's unmasked forms of some intrinsics below pass
// _mm*_undefined_*() through and trip -Wmaybe-uninitialized, so the
// all-lanes masked forms are used instead (same instructions).
inline __m512i Affine(__m512i x, __m512i a) {
  return _mm512_gf2p8affine_epi64_epi8(x, a, 0);
}

inline __m128i Low128(__m512i z) {
  return _mm512_maskz_extracti32x4_epi32(0xF, z, 0);
}

// BuildMatrices writes, for each of `num_tiles` tiles, A((I + N)^-1) to
// qword 0 and A(M_1)..A(M_4) to qwords 1..4 of mats[t] (qwords 5..7 are
// don't-care), from the tiles' 8 coefficient words each.
void BuildMatrices(const uint32_t* words, uint64_t num_tiles, uint32_t window,
                   uint64_t (*mats)[8]) {
  const __m512i low =
      _mm512_set1_epi64(static_cast<int64_t>((uint64_t{1} << window) - 1));
  const __m512i sticky =
      _mm512_set1_epi64(static_cast<int64_t>(uint64_t{1} << window));
  const __m512i shifts = _mm512_set_epi64(8, 7, 6, 5, 4, 3, 2, 1);
  const __m512i tr = _mm512_load_si512(kTables.tr);
  const __m512i rev_diag = _mm512_set1_epi64(static_cast<int64_t>(kRevDiag));
  const __m128i identity = _mm_set1_epi64x(static_cast<int64_t>(kRevDiag));
  for (uint64_t t = 0; t < num_tiles; ++t) {
    __m512i v = _mm512_maskz_cvtepu32_epi64(
        0xFF,
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(words + 8 * t)));
    v = _mm512_ternarylogic_epi64(v, low, sticky, 0xEA);  // (v & low) | sticky
    v = _mm512_maskz_sllv_epi64(0xFF, v, shifts);
    const __m512i a_mt = _mm512_maskz_permutexvar_epi8(~uint64_t{0}, tr,
                                                       v);  // qword s: A(M_s^T)
    const __m512i a_m = Affine(rev_diag, a_mt);             // qword s: A(M_s)
    _mm512_storeu_si512(mats[t], a_m);
    // A(I + N + ... + N^7), N^(p+1) = N^p · N, with A(N^T) = qword 0 of a_mt.
    const __m128i a_nt = Low128(a_mt);
    __m128i power = Low128(a_m);
    __m128i sum = _mm_xor_si128(identity, power);
    for (int p = 2; p <= 7; ++p) {
      power = _mm_gf2p8affine_epi64_epi8(power, a_nt, 0);
      sum = _mm_xor_si128(sum, power);
    }
    mats[t][0] = static_cast<uint64_t>(_mm_cvtsi128_si64(sum));
  }
}

// BlockLane is one block vector's state: the pending sums of the next four
// tiles, sliced, two zmm each.
struct BlockLane {
  __m512i pend[4][2];
};

template <int kNumBlocks, bool kBits>
void ConvolveTiles(const ConvTiles& job) {
  const __m512i fwd0 = _mm512_load_si512(kTables.fwd[0]);
  const __m512i fwd1 = _mm512_load_si512(kTables.fwd[1]);
  const __m512i inv0 = _mm512_load_si512(kTables.inv[0]);
  const __m512i inv1 = _mm512_load_si512(kTables.inv[1]);
  const __m512i rev_diag = _mm512_set1_epi64(static_cast<int64_t>(kRevDiag));
  const __m512i diag = _mm512_set1_epi64(static_cast<int64_t>(kDiag));

  BlockLane lanes[kNumBlocks > 0 ? kNumBlocks : 1];
  for (auto& lane : lanes) {
    for (auto& p : lane.pend) p[0] = p[1] = _mm512_setzero_si512();
  }
  // Pending bit sums of tiles h..h + 3 in bytes 0..3.
  __m128i pend_bits = _mm_setzero_si128();

  alignas(64) uint32_t words[8 * kChunkTiles];
  alignas(64) uint64_t mats[kChunkTiles][8];

  for (uint64_t first = 0; first < job.num_tiles; first += kChunkTiles) {
    const uint64_t count = job.num_tiles - first < kChunkTiles
                               ? job.num_tiles - first
                               : kChunkTiles;
    job.coefficients(job.coefficients_ctx, 8 * first, words, 8 * count);
    BuildMatrices(words, count, job.window, mats);

    for (uint64_t t = 0; t < count; ++t) {
      const uint64_t h = first + t;
      const uint64_t* mt = mats[t];
      for (int a = 0; a < kNumBlocks; ++a) {
        BlockLane& lane = lanes[a];
        uint8_t* rows = job.blocks[a] + 128 * h;
        const __m512i z0 = _mm512_loadu_si512(rows);
        const __m512i z1 = _mm512_loadu_si512(rows + 64);
        const __m512i s0 =
            Affine(rev_diag, _mm512_permutex2var_epi8(z0, fwd0, z1));
        const __m512i s1 =
            Affine(rev_diag, _mm512_permutex2var_epi8(z0, fwd1, z1));
        const __m512i m_inv = _mm512_set1_epi64(static_cast<int64_t>(mt[0]));
        const __m512i x0 = Affine(_mm512_xor_si512(s0, lane.pend[0][0]), m_inv);
        const __m512i x1 = Affine(_mm512_xor_si512(s1, lane.pend[0][1]), m_inv);
        for (int s = 1; s <= 3; ++s) {
          const __m512i ms = _mm512_set1_epi64(static_cast<int64_t>(mt[s]));
          lane.pend[s - 1][0] =
              _mm512_xor_si512(lane.pend[s][0], Affine(x0, ms));
          lane.pend[s - 1][1] =
              _mm512_xor_si512(lane.pend[s][1], Affine(x1, ms));
        }
        const __m512i m4 = _mm512_set1_epi64(static_cast<int64_t>(mt[4]));
        lane.pend[3][0] = Affine(x0, m4);
        lane.pend[3][1] = Affine(x1, m4);
        const __m512i r0 = Affine(diag, x0);
        const __m512i r1 = Affine(diag, x1);
        _mm512_storeu_si512(rows, _mm512_permutex2var_epi8(r0, inv0, r1));
        _mm512_storeu_si512(rows + 64, _mm512_permutex2var_epi8(r0, inv1, r1));
      }
      if constexpr (kBits) {
        uint8_t* byte = job.bits + h;
        const __m128i u = _mm_xor_si128(_mm_cvtsi32_si128(*byte), pend_bits);
        const __m128i x = _mm_gf2p8affine_epi64_epi8(
            u, _mm_cvtsi64_si128(static_cast<int64_t>(mt[0])), 0);
        *byte = static_cast<uint8_t>(_mm_cvtsi128_si32(x));
        // M_1..M_4 applied to the broadcast byte at once, one per qword.
        const __m256i prods = _mm256_gf2p8affine_epi64_epi8(
            _mm256_broadcastb_epi8(x),
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mt + 1)), 0);
        pend_bits = _mm_xor_si128(_mm_srli_si128(pend_bits, 1),
                                  _mm256_maskz_cvtepi64_epi8(0xF, prods));
      }
    }
  }

  // Hand the pending sums of tiles num_tiles..num_tiles + 3 back to memory,
  // for the row-by-row code that continues from there.
  for (int a = 0; a < kNumBlocks; ++a) {
    for (int j = 0; j < 4; ++j) {
      const __m512i r0 = Affine(diag, lanes[a].pend[j][0]);
      const __m512i r1 = Affine(diag, lanes[a].pend[j][1]);
      alignas(64) uint8_t tmp[128];
      _mm512_store_si512(tmp, _mm512_permutex2var_epi8(r0, inv0, r1));
      _mm512_store_si512(tmp + 64, _mm512_permutex2var_epi8(r0, inv1, r1));
      for (uint64_t r = 0; r < 8; ++r) {
        const uint64_t row = 8 * (job.num_tiles + j) + r;
        if (row >= job.m) break;
        uint8_t* dst = job.blocks[a] + 16 * row;
        _mm_storeu_si128(
            reinterpret_cast<__m128i*>(dst),
            _mm_xor_si128(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(dst)),
                _mm_load_si128(
                    reinterpret_cast<const __m128i*>(tmp + 16 * r))));
      }
    }
  }
  if constexpr (kBits) {
    alignas(16) uint8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), pend_bits);
    for (uint64_t j = 0; j < 4; ++j) job.bits[job.num_tiles + j] ^= tmp[j];
  }
}

}  // namespace

void GfniConvolveTiles(const ConvTiles& job) {
  if (job.num_tiles == 0) return;
  const int num_blocks =
      (job.blocks[0] != nullptr) + (job.blocks[1] != nullptr);
  ConvTiles packed = job;
  if (job.blocks[0] == nullptr) {
    packed.blocks[0] = job.blocks[1];
    packed.blocks[1] = nullptr;
  }
  const bool bits = job.bits != nullptr;
  switch (num_blocks * 2 + (bits ? 1 : 0)) {
    case 1:
      ConvolveTiles<0, true>(packed);
      break;
    case 2:
      ConvolveTiles<1, false>(packed);
      break;
    case 3:
      ConvolveTiles<1, true>(packed);
      break;
    case 4:
      ConvolveTiles<2, false>(packed);
      break;
    case 5:
      ConvolveTiles<2, true>(packed);
      break;
    default:
      break;
  }
}

void Avx512TapIndices(uint32_t* t, uint64_t len, const uint32_t* mult,
                      const uint32_t* base, uint64_t period) {
  const __m512i low_mask = _mm512_set1_epi64(0xFFFFFFFF);
  for (uint64_t g = 0; g < len; g += period) {
    for (uint64_t e = 0; e < period; e += 16) {
      uint32_t* p = t + g + e;
      const __m512i u = _mm512_loadu_si512(p);
      const __m512i f = _mm512_loadu_si512(mult + e);
      // 32×32 → 64-bit products of the even and the odd dwords; the high
      // halves are the taps (before the offset).
      const __m512i even = _mm512_maskz_mul_epu32(0xFF, u, f);
      const __m512i odd =
          _mm512_maskz_mul_epu32(0xFF, _mm512_maskz_srli_epi64(0xFF, u, 32),
                                 _mm512_maskz_srli_epi64(0xFF, f, 32));
      const __m512i hi = _mm512_ternarylogic_epi64(
          _mm512_maskz_srli_epi64(0xFF, even, 32), odd, low_mask,
          0xE4);  // low ? a : b
      _mm512_storeu_si512(p,
                          _mm512_add_epi32(hi, _mm512_loadu_si512(base + e)));
    }
  }
}

}  // namespace liaison::ot::internal
