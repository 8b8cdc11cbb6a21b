// Containers for the secret shares of two-party computation (mpc/): packed
// XOR shares of bits and additive shares modulo 2^64. Like the types of
// base/secret.h and ot/secret_blocks.h they wipe their memory on
// destruction and reassignment, are move-only (copies are explicit, with
// Clone), cannot be compared with == and have no printer.
//
// A share of one bit is meaningless alone: x = x_0 ⊕ x_1, where party p
// holds x_p; an additive share likewise: v = v_0 + v_1 (mod 2^64).
#ifndef LIAISON_MPC_SHARES_H_
#define LIAISON_MPC_SHARES_H_

#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/types/span.h"
#include "base/secret.h"

namespace liaison::mpc {

// SecretWords is a secret array of 64-bit words: packed bit shares (bit i
// is bit i % 64 of word i / 64) or additive shares modulo 2^64 (one per
// word).
using SecretWords = SecretVector<uint64_t>;

// NumWords returns the number of words that hold `num_bits` packed bits.
constexpr size_t NumWords(size_t num_bits) { return (num_bits + 63) / 64; }

// GetBit returns bit `i` of packed `words`, without a branch on its value.
inline uint64_t GetBit(absl::Span<const uint64_t> words, size_t i) {
  return (words[i / 64] >> (i % 64)) & 1;
}

// SetBit sets bit `i` of packed `words` to the low bit of `bit`, without a
// branch on either.
inline void SetBit(absl::Span<uint64_t> words, size_t i, uint64_t bit) {
  const uint64_t m = uint64_t{1} << (i % 64);
  uint64_t& w = words[i / 64];
  w = (w & ~m) | ((0 - (bit & 1)) & m);
}

// SecretU64 is one secret 64-bit value, such as a share of an aggregate.
class SecretU64 {
 public:
  SecretU64() = default;
  explicit SecretU64(uint64_t v) : value_(v) {}
  ~SecretU64() { SecureWipe(&value_, sizeof(value_)); }
  SecretU64(SecretU64&& other) noexcept : value_(other.value_) {
    SecureWipe(&other.value_, sizeof(other.value_));
  }
  SecretU64& operator=(SecretU64&& other) noexcept {
    if (this != &other) {
      value_ = other.value_;
      SecureWipe(&other.value_, sizeof(other.value_));
    }
    return *this;
  }
  SecretU64(const SecretU64&) = delete;
  SecretU64& operator=(const SecretU64&) = delete;
  bool operator==(const SecretU64&) const = delete;

  uint64_t value() const { return value_; }
  uint64_t& mutable_value() { return value_; }

 private:
  uint64_t value_ = 0;
};

}  // namespace liaison::mpc

#endif  // LIAISON_MPC_SHARES_H_
