// Bit-matrix transposition for OT extension: the IKNP matrix is produced
// column by column (one PRG stream per base OT) and consumed row by row (one
// 128-bit correlation per extended OT), so every extended OT passes through
// one 128×128 transpose.
//
// A "square" is 128 rows of one Block each: row j is in[j * stride] and its
// bit i is Block::Bit(i). Transposing it writes 128 Blocks, out[i], with
// bit j of out[i] equal to bit i of row j.
#ifndef LIAISON_OT_INTERNAL_TRANSPOSE_H_
#define LIAISON_OT_INTERNAL_TRANSPOSE_H_

#include <cstddef>

#include "crypto/block.h"

namespace liaison::ot::internal {

using crypto::Block;

enum class TransposeImpl {
  kPortable,  // 64×64 recursive block swaps on 64-bit words
  kSse2,      // 16×16 byte transposes and _mm_movemask_epi8
  kAvx2,      // the same on 32 rows at a time (_mm256_movemask_epi8)
  kAvx512,    // the same on 64 rows at a time (_mm512_movepi8_mask)
};

// TransposeImplAvailable reports whether `impl` runs on this CPU.
bool TransposeImplAvailable(TransposeImpl impl);
// SelectedTransposeImpl is the fastest available implementation, chosen once
// per process (LIAISON_NO_AVX512 rules out kAvx512).
TransposeImpl SelectedTransposeImpl();
const char* TransposeImplName(TransposeImpl impl);

// TransposeSquares transposes `num_squares` squares that share their rows:
// square s has rows in[j * stride + s] and is written to out[128 * s ..
// 128 * s + 127]. `out` must not overlap `in`. Constant time.
void TransposeSquares(const Block* in, size_t stride, size_t num_squares, Block* out);
// TransposeSquaresWith is TransposeSquares on an explicit, available `impl`.
void TransposeSquaresWith(TransposeImpl impl, const Block* in, size_t stride,
                          size_t num_squares, Block* out);

}  // namespace liaison::ot::internal

#endif  // LIAISON_OT_INTERNAL_TRANSPOSE_H_
