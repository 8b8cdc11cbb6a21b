// RowHasher maps a key to its OKVS row: the bin, `weight` distinct sparse
// columns inside the bin, and the dense coefficient d (the row's dense part
// is d, d^2, ..., d^ĝ over GF(2^128)). Everything comes from AES-128 under
// keys derived from the public seed:
//
//   master = AES-128 keyed by `seed`
//   row key   = master(T, 1):  s = AES_row(key)   gives bin and columns
//   dense key = master(T, 2):  d = AES_dense(key)  the dense coefficient
//   fill key  = master(T, 3):  AES_fill(counter)   the public fill of P
//
// with T the 64-bit tag "okvs.v1\0". Since AES is a permutation, distinct
// keys get distinct coefficients d, which is what the Vandermonde argument
// of RR22 (Lemma 2.2) needs and what lets the encoder recognise duplicated
// keys. Bin and columns use multiply-shift range reduction on 64-bit words
// of s (bias below 2^-30 per value):
//
//   bin = ⌊s.lo · B / 2^64⌋,   x0 = ⌊s.hi · m' / 2^64⌋,
//   x1 = ⌊(s.hi · m' mod 2^64) · (m' - 1) / 2^64⌋,
//   x2 = ⌊(s.lo · B mod 2^64) · (m' - 2) / 2^64⌋,
//
// and (x0, x1, x2) ∈ [m'] × [m'-1] × [m'-2] is mapped one-to-one to three
// distinct columns, so a row is a uniformly random weight-w vector as the
// paper's analysis assumes.
#ifndef LIAISON_OKVS_INTERNAL_ROW_HASH_H_
#define LIAISON_OKVS_INTERNAL_ROW_HASH_H_

#include <cstdint>

#include "absl/types/span.h"
#include "crypto/aes.h"
#include "crypto/block.h"

namespace liaison::okvs::internal {

using crypto::Block;

class RowHasher {
 public:
  // RowHasher expands the three AES keys. `num_bins` >= 1 and
  // `sparse_size` >= 3 (>= 2 for weight 2) are the OkvsParams fields.
  RowHasher(const Block& seed, uint64_t num_bins, uint32_t sparse_size);

  // RowSeeds sets out[i] = AES_row(keys[i]); equal sizes, may alias.
  void RowSeeds(absl::Span<const Block> keys, absl::Span<Block> out) const {
    row_aes_.EncryptBlocks(keys, out);
  }
  // DenseCoefficients sets out[i] = AES_dense(keys[i]); equal sizes, may alias.
  void DenseCoefficients(absl::Span<const Block> keys, absl::Span<Block> out) const {
    dense_aes_.EncryptBlocks(keys, out);
  }
  // Fill sets out[i] = AES_fill(Block(0, start + i)): the public
  // pseudo-random contents of the free cells of P, slot `start + i`.
  void Fill(uint64_t start, absl::Span<Block> out) const { fill_aes_.EncryptCounter(start, out); }

  // Bin returns the bin of the row with seed `s`.
  uint64_t Bin(const Block& s) const {
    return static_cast<uint64_t>((static_cast<U128>(s.lo) * num_bins_) >> 64);
  }

  // Row writes the W distinct sparse columns of the row with seed `s` to
  // `cols` and returns its bin. W is 2 or 3.
  template <int W>
  uint64_t Row(const Block& s, uint32_t* cols) const {
    static_assert(W == 2 || W == 3);
    const U128 a = static_cast<U128>(s.lo) * num_bins_;
    const U128 b = static_cast<U128>(s.hi) * sparse_size_;
    const uint32_t x0 = High(b);
    const uint32_t x1 = High(static_cast<U128>(static_cast<uint64_t>(b)) * (sparse_size_ - 1));
    const uint32_t c0 = x0;
    const uint32_t c1 = x1 + (x1 >= x0 ? 1 : 0);
    cols[0] = c0;
    cols[1] = c1;
    if constexpr (W == 3) {
      const uint32_t x2 = High(static_cast<U128>(static_cast<uint64_t>(a)) * (sparse_size_ - 2));
      const uint32_t lo = c0 < c1 ? c0 : c1;
      const uint32_t hi = c0 < c1 ? c1 : c0;
      uint32_t c2 = x2 + (x2 >= lo ? 1 : 0);
      c2 += (c2 >= hi ? 1 : 0);
      cols[2] = c2;
    }
    return static_cast<uint64_t>(a >> 64);
  }

  uint64_t num_bins() const { return num_bins_; }
  uint32_t sparse_size() const { return sparse_size_; }

 private:
  using U128 = unsigned __int128;
  static uint32_t High(U128 x) { return static_cast<uint32_t>(x >> 64); }

  crypto::Aes128 row_aes_;
  crypto::Aes128 dense_aes_;
  crypto::Aes128 fill_aes_;
  uint64_t num_bins_;
  uint32_t sparse_size_;
};

}  // namespace liaison::okvs::internal

#endif  // LIAISON_OKVS_INTERNAL_ROW_HASH_H_
