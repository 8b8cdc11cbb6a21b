#include "okvs/internal/row_hash.h"

namespace liaison::okvs::internal {
namespace {

// "okvs.v1\0" as a little-endian word: the domain of the derived keys.
constexpr uint64_t kTag = 0x0031762e73766b6fULL;

Block DeriveKey(const crypto::Aes128& master, uint64_t index) {
  return master.Encrypt(Block(kTag, index));
}

}  // namespace

RowHasher::RowHasher(const Block& seed, uint64_t num_bins, uint32_t sparse_size)
    : row_aes_(DeriveKey(crypto::Aes128(seed), 1)),
      dense_aes_(DeriveKey(crypto::Aes128(seed), 2)),
      fill_aes_(DeriveKey(crypto::Aes128(seed), 3)),
      num_bins_(num_bins),
      sparse_size_(sparse_size) {}

}  // namespace liaison::okvs::internal
