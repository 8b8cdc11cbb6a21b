// The AVX-512 kernels behind ot/lpn/ex_conv_code.h. As with the AES
// kernels (crypto/internal/aes_kernels.h), this header holds raw-pointer
// declarations only: the file that implements them is compiled with
// AVX-512 and GFNI enabled, and must not emit an inline function from
// another header that the linker could then keep for the whole program.
//
// A convolution pass on m rows with window w (ot/lpn/ex_conv_code.h) is,
// for rows i with i + w + 1 < m (no wrap-around), a product with a banded
// unit lower-triangular GF(2) matrix. The kernel cuts the rows into tiles of
// 8 and, for tile h, needs only 8×8 GF(2) blocks of that matrix: the
// inverse of its diagonal block (solving the tile) and the blocks M_1..M_4
// that push the tile's final values into the next four tiles (window ≤ 31
// keeps every push within four tiles). Blocks are 128 bit planes of 8 rows;
// the kernel transposes each tile so that one byte holds the same bit of
// the 8 rows, and one GF2P8AFFINEQB then applies an 8×8 matrix to all 128
// planes at once.
#ifndef LIAISON_OT_LPN_INTERNAL_EX_CONV_KERNELS_H_
#define LIAISON_OT_LPN_INTERNAL_EX_CONV_KERNELS_H_

#include <cstdint>

namespace liaison::ot::internal {

// CoefficientFn writes the convolution coefficient words of rows
// [first_row, first_row + count) to out (first_row and count are multiples
// of 8). `ctx` is the caller's.
using CoefficientFn = void (*)(const void* ctx, uint64_t first_row,
                               uint32_t* out, uint64_t count);

// ConvTiles describes one convolution pass for GfniConvolveTiles: rows
// [0, 8 · num_tiles) of up to two block vectors (16-byte rows) and one packed
// bit vector (row 8h + r is bit r of byte h). A null pointer means absent.
// The caller guarantees 8 · num_tiles + window + 1 ≤ m (no wrap-around in
// these rows), window ≤ 31, and, for `bits`, at least 5 bytes after byte
// num_tiles - 1 (the kernel adds the pending contributions there, all of
// which lie in rows < m). Block rows ≥ m are never touched.
struct ConvTiles {
  uint8_t* blocks[2] = {nullptr, nullptr};
  uint8_t* bits = nullptr;
  uint64_t m = 0;
  uint64_t num_tiles = 0;
  uint32_t window = 0;
  CoefficientFn coefficients = nullptr;
  const void* coefficients_ctx = nullptr;
};

// The kernels below require AVX-512 F/BW/VL/VBMI and GFNI (checked by the
// caller).
#if LIAISON_HAVE_EXCONV_AVX512_KERNELS
// GfniConvolveTiles runs the pass on the rows described, leaving memory
// exactly as the row-by-row definition would after row 8 · num_tiles - 1.
void GfniConvolveTiles(const ConvTiles& job);

// Avx512TapIndices sets t[e] = base[e % period] + floor(t[e] ·
// mult[e % period] / 2^32) for e < len, where period is a multiple of 16
// and len a multiple of period: the expander's word-to-tap map.
void Avx512TapIndices(uint32_t* t, uint64_t len, const uint32_t* mult,
                      const uint32_t* base, uint64_t period);
#endif

}  // namespace liaison::ot::internal

#endif  // LIAISON_OT_LPN_INTERNAL_EX_CONV_KERNELS_H_
