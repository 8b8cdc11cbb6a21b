#include "psi/internal/item_hash.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "base/thread_pool.h"

namespace liaison::psi::internal {
namespace {

using crypto::Block;

// ItemBlock returns block j of the prefix-free encoding
// LE64(len) ‖ item ‖ zero padding.
Block ItemBlock(std::string_view item, size_t j) {
  uint8_t buf[16] = {};
  if (j == 0) {
    uint64_t len = item.size();
    for (int i = 0; i < 8; ++i) buf[i] = static_cast<uint8_t>(len >> (8 * i));
    std::memcpy(buf + 8, item.data(), std::min<size_t>(8, item.size()));
  } else {
    size_t off = 16 * j - 8;
    std::memcpy(buf, item.data() + off,
                std::min<size_t>(16, item.size() - off));
  }
  return Block::FromBytes(buf);
}

size_t NumItemBlocks(size_t len) { return (8 + len + 15) / 16; }

}  // namespace

crypto::Aes128 ItemHashKey(const Block& s) {
  return crypto::Aes128(crypto::FixedKeyAes().Encrypt(s) ^ s);
}

void HashItems(const crypto::Aes128& aes, absl::Span<const std::string> items,
               absl::Span<Block> keys, int threads) {
  constexpr size_t kHashBatch = 256;
  ParallelFor(items.size(), threads, kHashBatch, [&](size_t begin, size_t end) {
    std::vector<Block> state(kHashBatch), in(kHashBatch);
    std::vector<uint32_t> live(kHashBatch);
    for (size_t b = begin; b < end; b += kHashBatch) {
      const size_t cnt = std::min(end, b + kHashBatch) - b;
      size_t max_blocks = 0;
      for (size_t i = 0; i < cnt; ++i) {
        state[i] = crypto::kZeroBlock;
        max_blocks = std::max(max_blocks, NumItemBlocks(items[b + i].size()));
      }
      for (size_t j = 0; j < max_blocks; ++j) {
        size_t c = 0;
        for (size_t i = 0; i < cnt; ++i) {
          if (NumItemBlocks(items[b + i].size()) <= j) continue;
          live[c] = static_cast<uint32_t>(i);
          in[c++] = state[i] ^ ItemBlock(items[b + i], j);
        }
        aes.EncryptBlocks(absl::MakeConstSpan(in).subspan(0, c),
                          absl::MakeSpan(in).subspan(0, c));
        for (size_t k = 0; k < c; ++k) state[live[k]] = in[k];
      }
      for (size_t i = 0; i < cnt; ++i) keys[b + i] = state[i];
    }
  });
}

void ParallelCrHash(absl::Span<const Block> in, absl::Span<Block> out,
                    int threads) {
  constexpr size_t kChunk = 4096;
  ParallelFor(in.size(), threads, kChunk, [&](size_t begin, size_t end) {
    crypto::CrHash(in.subspan(begin, end - begin),
                   out.subspan(begin, end - begin));
  });
}

}  // namespace liaison::psi::internal
