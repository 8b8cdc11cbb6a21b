// The decode loop as a template over the GF(2^128) arithmetic, included by
// decode.cc (portable) and dense_pclmul.cc (PCLMULQDQ). Each includer passes
// a policy type of its own, so the two builds are distinct instantiations.
//
// Gf must provide
//   static Block Horner(const Block& d, const Block* dense, uint32_t g);
// returning Σ_{k<g} d^(k+1) · dense[k], for g >= 1.
#ifndef LIAISON_OKVS_INTERNAL_DECODE_KERNEL_H_
#define LIAISON_OKVS_INTERNAL_DECODE_KERNEL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "okvs/internal/decode.h"

namespace liaison::okvs::internal {

template <class Gf, int W>
void DecodeKeysKernel(const RowHasher& hasher, const DecodeShape& shape, const Block* okvs,
                      absl::Span<const Block> keys, absl::Span<Block> values) {
  // Keys are hashed kBatch at a time (wide AES amortises its per-call
  // cost), then combined in order while the cells of the key kAhead places
  // ahead are prefetched, so that about 3·kAhead cache misses are in flight.
  constexpr size_t kBatch = 256;
  constexpr size_t kAhead = 32;
  alignas(64) Block seeds[kBatch];
  alignas(64) Block coeffs[kBatch];
  uint64_t cells[kBatch][W];
  uint64_t dense_at[kBatch];
  const uint32_t g = shape.dense_size;
  const size_t n = keys.size();
  for (size_t i = 0; i < n; i += kBatch) {
    const size_t k = std::min(kBatch, n - i);
    hasher.RowSeeds(keys.subspan(i, k), absl::MakeSpan(seeds, k));
    if (g != 0) hasher.DenseCoefficients(keys.subspan(i, k), absl::MakeSpan(coeffs, k));
    for (size_t j = 0; j < k; ++j) {
      uint32_t cols[W];
      const uint64_t base = hasher.Row<W>(seeds[j], cols) * shape.bin_slots;
      for (int w = 0; w < W; ++w) cells[j][w] = base + cols[w];
      dense_at[j] = base + shape.sparse_size;
    }
    for (size_t j = 0; j < std::min(kAhead, k); ++j) {
      for (int w = 0; w < W; ++w) __builtin_prefetch(okvs + cells[j][w]);
    }
    for (size_t j = 0; j < k; ++j) {
      if (j + kAhead < k) {
        for (int w = 0; w < W; ++w) __builtin_prefetch(okvs + cells[j + kAhead][w]);
      }
      Block acc = okvs[cells[j][0]];
      for (int w = 1; w < W; ++w) acc ^= okvs[cells[j][w]];
      if (g != 0) acc ^= Gf::Horner(coeffs[j], okvs + dense_at[j], g);
      values[i + j] = acc;
    }
  }
}

template <class Gf>
void DecodeKeysWith(const RowHasher& hasher, const DecodeShape& shape, const Block* okvs,
                    absl::Span<const Block> keys, absl::Span<Block> values) {
  if (shape.weight == 2) {
    DecodeKeysKernel<Gf, 2>(hasher, shape, okvs, keys, values);
  } else {
    DecodeKeysKernel<Gf, 3>(hasher, shape, okvs, keys, values);
  }
}

}  // namespace liaison::okvs::internal

#endif  // LIAISON_OKVS_INTERNAL_DECODE_KERNEL_H_
