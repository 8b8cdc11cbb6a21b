// Wiping containers for secret 128-bit blocks and bits: base-OT messages,
// OT-extension correlations (Δ, q_i, t_i) and choice bits. Like the types in
// base/secret.h they wipe their memory on destruction and on reassignment,
// are move-only (copies are explicit, with Clone), cannot be compared with ==
// and have no printer. They hold crypto::Block, so they are 16-byte aligned
// and load directly into SIMD registers.
#ifndef LIAISON_CRYPTO_SECRET_BLOCKS_H_
#define LIAISON_CRYPTO_SECRET_BLOCKS_H_

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "base/secret.h"
#include "crypto/block.h"
#include "crypto/prng.h"

namespace liaison::crypto {

// SecretBlock is one secret 128-bit value, such as the OT-extension Δ.
class SecretBlock {
 public:
  SecretBlock() = default;
  explicit SecretBlock(const Block& value) : value_(value) {}
  ~SecretBlock() { SecureWipe(&value_, sizeof(value_)); }
  SecretBlock(SecretBlock&& other) noexcept : value_(other.value_) {
    SecureWipe(&other.value_, sizeof(other.value_));
  }
  SecretBlock& operator=(SecretBlock&& other) noexcept {
    if (this != &other) {
      value_ = other.value_;
      SecureWipe(&other.value_, sizeof(other.value_));
    }
    return *this;
  }
  SecretBlock(const SecretBlock&) = delete;
  SecretBlock& operator=(const SecretBlock&) = delete;
  bool operator==(const SecretBlock&) const = delete;

  SecretBlock Clone() const { return SecretBlock(value_); }
  const Block& value() const { return value_; }
  Block& mutable_value() { return value_; }

 private:
  Block value_;
};

// SecretBlocks is a secret array of blocks (OT messages, correlations).
using SecretBlocks = SecretVector<Block>;

// SecretBits is a secret bit vector (OT choice bits), packed 128 to a Block:
// bit i is bit i % 128 of block i / 128 (Block::Bit numbering), which is the
// layout OT extension XORs into its matrix columns. Bits past size() are
// zero. Reading or writing a bit takes the same time whatever its value.
class SecretBits {
 public:
  SecretBits() = default;
  // SecretBits makes `num_bits` zero bits.
  explicit SecretBits(size_t num_bits) : num_bits_(num_bits), blocks_((num_bits + 127) / 128) {}
  SecretBits(SecretBits&& other) noexcept
      : num_bits_(std::exchange(other.num_bits_, 0)), blocks_(std::move(other.blocks_)) {}
  SecretBits& operator=(SecretBits&& other) noexcept {
    if (this != &other) {
      blocks_ = std::move(other.blocks_);
      num_bits_ = std::exchange(other.num_bits_, 0);
    }
    return *this;
  }
  SecretBits(const SecretBits&) = delete;
  SecretBits& operator=(const SecretBits&) = delete;
  bool operator==(const SecretBits&) const = delete;

  // Random returns `num_bits` uniformly random bits drawn from `prng`.
  static SecretBits Random(size_t num_bits, crypto::Prng& prng) {
    SecretBits out(num_bits);
    absl::Span<Block> b = out.blocks_.span();
    if (b.empty()) return out;
    prng.Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(b.data()), b.size() * sizeof(Block)));
    out.ClearTail();
    return out;
  }

  // FromWords returns the first `num_bits` bits of packed 64-bit words
  // (bit i is bit i % 64 of words[i / 64], the same order as the blocks'
  // lo-then-hi words); words.size() must be at least ⌈num_bits / 64⌉.
  static SecretBits FromWords(absl::Span<const uint64_t> words, size_t num_bits) {
    SecretBits out(num_bits);
    absl::Span<Block> b = out.blocks_.span();
    const size_t num_words = (num_bits + 63) / 64;
    for (size_t w = 0; w < num_words; ++w) {
      uint64_t& dst = (w % 2 == 0) ? b[w / 2].lo : b[w / 2].hi;
      dst = words[w];
    }
    out.ClearTail();
    return out;
  }

  SecretBits Clone() const {
    SecretBits out;
    out.num_bits_ = num_bits_;
    out.blocks_ = blocks_.Clone();
    return out;
  }

  size_t size() const { return num_bits_; }
  // Get returns bit `i` (0 or 1); i < size().
  uint8_t Get(size_t i) const {
    const Block& b = blocks_[i / 128];
    const size_t r = i % 128;
    const uint64_t w = r < 64 ? b.lo : b.hi;  // branch on the public index only
    return static_cast<uint8_t>((w >> (r % 64)) & 1);
  }
  // Set sets bit `i` to the low bit of `bit`; i < size().
  void Set(size_t i, uint8_t bit) {
    Block& b = blocks_[i / 128];
    const size_t r = i % 128;
    uint64_t& w = r < 64 ? b.lo : b.hi;
    const uint64_t m = uint64_t{1} << (r % 64);
    w = (w & ~m) | ((0 - static_cast<uint64_t>(bit & 1)) & m);
  }

  size_t num_blocks() const { return blocks_.size(); }
  absl::Span<const Block> blocks() const { return blocks_.span(); }
  // mutable_blocks gives the packed bits for bulk writes; the caller keeps
  // the bits past size() zero.
  absl::Span<Block> mutable_blocks() { return blocks_.span(); }

 private:
  void ClearTail() {
    const size_t r = num_bits_ % 128;
    if (r == 0) return;
    Block& last = blocks_[blocks_.size() - 1];
    if (r <= 64) {
      last.hi = 0;
      last.lo &= r == 64 ? ~uint64_t{0} : (uint64_t{1} << r) - 1;
    } else {
      last.hi &= (uint64_t{1} << (r - 64)) - 1;
    }
  }

  size_t num_bits_ = 0;
  SecretBlocks blocks_;
};

// UninitSecretBlocks is an uninitialised secret array of blocks for the long
// vectors of VOLE and PSI (PPRF leaves, OKVS, OPRF values), wiped on
// destruction. Its contents start undefined: the caller must write every
// block before reading it. Large arrays ask for transparent huge pages,
// because at 2^22 items and more the 4 KiB page faults (the kernel zeroing
// fresh pages) cost as much as the work that first writes them. Move-only.
class UninitSecretBlocks {
 public:
  explicit UninitSecretBlocks(size_t n) : size_(n) {
    size_t bytes = std::max<size_t>(n, 1) * sizeof(Block);
    const size_t align = bytes >= kHugePage ? kHugePage : 64;
    bytes = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, bytes);
    if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (align == kHugePage) madvise(p, bytes, MADV_HUGEPAGE);
#endif
    data_.reset(static_cast<Block*>(p));
  }
  ~UninitSecretBlocks() { Clear(); }
  UninitSecretBlocks(UninitSecretBlocks&&) noexcept = default;
  UninitSecretBlocks& operator=(UninitSecretBlocks&&) noexcept = default;
  UninitSecretBlocks(const UninitSecretBlocks&) = delete;
  UninitSecretBlocks& operator=(const UninitSecretBlocks&) = delete;

  size_t size() const { return size_; }
  Block* data() { return data_.get(); }
  const Block* data() const { return data_.get(); }
  Block& operator[](size_t i) { return data_.get()[i]; }
  const Block& operator[](size_t i) const { return data_.get()[i]; }
  absl::Span<Block> span() { return absl::MakeSpan(data_.get(), size_); }
  absl::Span<const Block> span() const {
    return absl::MakeConstSpan(data_.get(), size_);
  }
  // Truncate keeps the first n <= size() blocks: the rest is wiped and,
  // where it spans whole pages, handed back to the kernel (MADV_DONTNEED),
  // so a long vector whose prefix is the result stops costing memory
  // without a copy. The address space stays reserved until Clear.
  void Truncate(size_t n) {
    if (n >= size_) return;
    Block* tail = data_.get() + n;
    const size_t tail_len = (size_ - n) * sizeof(Block);
    SecureWipe(tail, tail_len);
#if defined(__linux__) && defined(MADV_DONTNEED)
    constexpr uintptr_t kPage = 4096;
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(tail) + kPage - 1) & ~(kPage - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(tail) + tail_len) & ~(kPage - 1);
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
#endif
    size_ = n;
  }
  // Clear wipes and frees the array.
  void Clear() {
    if (data_ != nullptr) SecureWipe(data_.get(), size_ * sizeof(Block));
    data_.reset();
    size_ = 0;
  }

 private:
  static constexpr size_t kHugePage = size_t{2} << 20;
  struct Free {
    void operator()(Block* p) const { std::free(p); }
  };
  size_t size_;
  std::unique_ptr<Block[], Free> data_;
};

}  // namespace liaison::crypto

#endif  // LIAISON_CRYPTO_SECRET_BLOCKS_H_
