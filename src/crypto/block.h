// Block is the 128-bit unit of the symmetric-key protocols (OT extension,
// VOLE, OKVS, RR22 PSI): an AES block, a GF(2^128) element, a 128-bit key.
// It is two little-endian 64-bit words in memory order (lo, then hi), so an
// array of Blocks is the byte string AES and the wire see, and it loads
// directly into an SSE/AVX register.
#ifndef LIAISON_CRYPTO_BLOCK_H_
#define LIAISON_CRYPTO_BLOCK_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/types/span.h"
#include "base/bytes.h"

namespace liaison::crypto {

struct alignas(16) Block {
  uint64_t lo = 0;
  uint64_t hi = 0;

  constexpr Block() = default;
  constexpr Block(uint64_t hi_word, uint64_t lo_word) : lo(lo_word), hi(hi_word) {}

  // FromBytes reads 16 bytes (little-endian words, lo first).
  static Block FromBytes(const uint8_t* p) {
    Block b;
    std::memcpy(&b, p, 16);
    return b;
  }
  void ToBytes(uint8_t* p) const { std::memcpy(p, this, 16); }

  constexpr Block operator^(const Block& o) const { return Block(hi ^ o.hi, lo ^ o.lo); }
  constexpr Block operator&(const Block& o) const { return Block(hi & o.hi, lo & o.lo); }
  constexpr Block operator|(const Block& o) const { return Block(hi | o.hi, lo | o.lo); }
  constexpr Block operator~() const { return Block(~hi, ~lo); }
  Block& operator^=(const Block& o) { lo ^= o.lo; hi ^= o.hi; return *this; }
  Block& operator&=(const Block& o) { lo &= o.lo; hi &= o.hi; return *this; }
  Block& operator|=(const Block& o) { lo |= o.lo; hi |= o.hi; return *this; }
  // Equality is not constant-time: compare only public values with it (use
  // ConstantTimeEqual on secrets).
  constexpr bool operator==(const Block& o) const { return lo == o.lo && hi == o.hi; }
  constexpr bool operator!=(const Block& o) const { return !(*this == o); }
  // Ordering (hi, then lo) for sorting public values.
  constexpr bool operator<(const Block& o) const { return hi != o.hi ? hi < o.hi : lo < o.lo; }

  // Bit returns bit `i` (0 = least significant bit of lo, 127 = top of hi).
  constexpr int Bit(int i) const {
    return static_cast<int>(((i < 64 ? lo >> i : hi >> (i - 64))) & 1);
  }
  // AllOnesIf returns all ones if `bit` is 1 and zero if it is 0, without a
  // branch: the mask used to select a block by a secret bit.
  static constexpr Block AllOnesIf(uint64_t bit) {
    uint64_t m = 0 - (bit & 1);
    return Block(m, m);
  }

  std::string ToHex() const;

  template <typename H>
  friend H AbslHashValue(H h, const Block& b) {
    return H::combine(std::move(h), b.lo, b.hi);
  }
};

static_assert(sizeof(Block) == 16);

inline constexpr Block kZeroBlock{};
inline constexpr Block kAllOnesBlock{~uint64_t{0}, ~uint64_t{0}};

// AsByteSpan views blocks as bytes (16 per block); `blocks` must outlive it.
inline ByteSpan AsByteSpan(absl::Span<const Block> blocks) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(blocks.data()), blocks.size() * 16);
}

inline std::string Block::ToHex() const {
  uint8_t b[16];
  ToBytes(b);
  return liaison::ToHex(ByteSpan(b, 16));
}

}  // namespace liaison::crypto

#endif  // LIAISON_CRYPTO_BLOCK_H_
