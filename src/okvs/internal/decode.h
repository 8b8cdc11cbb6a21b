// The OKVS decoder's inner loop: hash a batch of keys, compute the cells of
// their rows, prefetch them, and combine. DecodeKeys picks the PCLMULQDQ
// build of the loop when the CPU has it (the dense part is a GF(2^128)
// polynomial), else the portable one.
#ifndef LIAISON_OKVS_INTERNAL_DECODE_H_
#define LIAISON_OKVS_INTERNAL_DECODE_H_

#include <cstdint>

#include "absl/types/span.h"
#include "crypto/block.h"
#include "okvs/internal/row_hash.h"

namespace liaison::okvs::internal {

// DecodeShape is the part of OkvsParams the decoder needs.
struct DecodeShape {
  uint64_t bin_slots = 0;    // sparse_size + dense_size
  uint32_t sparse_size = 0;  // m'
  uint32_t dense_size = 0;   // ĝ
  int weight = 3;            // 2 or 3
};

// DecodeKeys sets values[i] to the decoding of keys[i]: the XOR of the
// row's `weight` sparse cells of its bin plus Σ_k d^(k+1) · dense_k. `okvs`
// holds num_bins * bin_slots blocks; `keys` and `values` have equal sizes.
void DecodeKeys(const RowHasher& hasher, const DecodeShape& shape, const Block* okvs,
                absl::Span<const Block> keys, absl::Span<Block> values);
void DecodeKeysPortable(const RowHasher& hasher, const DecodeShape& shape, const Block* okvs,
                        absl::Span<const Block> keys, absl::Span<Block> values);
#if LIAISON_OKVS_HAVE_PCLMUL
void DecodeKeysPclmul(const RowHasher& hasher, const DecodeShape& shape, const Block* okvs,
                      absl::Span<const Block> keys, absl::Span<Block> values);
#endif

}  // namespace liaison::okvs::internal

#endif  // LIAISON_OKVS_INTERNAL_DECODE_H_
