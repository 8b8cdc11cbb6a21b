#include "okvs/internal/decode.h"

#include <random>
#include <vector>

#include "crypto/gf128.h"
#include "gtest/gtest.h"
#include "okvs/internal/dense.h"

namespace liaison::okvs::internal {
namespace {

// Naive decodes one key from the definition of a row.
Block Naive(const RowHasher& hasher, const DecodeShape& shape, const std::vector<Block>& okvs,
            const Block& key) {
  Block seed, d;
  hasher.RowSeeds(absl::MakeConstSpan(&key, 1), absl::MakeSpan(&seed, 1));
  hasher.DenseCoefficients(absl::MakeConstSpan(&key, 1), absl::MakeSpan(&d, 1));
  uint32_t cols[3];
  const uint64_t bin =
      shape.weight == 2 ? hasher.Row<2>(seed, cols) : hasher.Row<3>(seed, cols);
  const Block* cells = okvs.data() + bin * shape.bin_slots;
  Block v;
  for (int w = 0; w < shape.weight; ++w) v ^= cells[cols[w]];
  for (uint32_t k = 0; k < shape.dense_size; ++k) {
    v ^= crypto::Gf128Mul(crypto::Gf128Pow(d, k + 1), cells[shape.sparse_size + k]);
  }
  return v;
}

TEST(DecodeKeysTest, EveryBuildMatchesTheDefinition) {
  std::mt19937_64 rng(0x6465636f6465);  // logged seed: "decode"
  for (int weight : {2, 3}) {
    for (uint32_t dense : {0, 1, 2, 3, 41}) {
      DecodeShape shape;
      shape.weight = weight;
      shape.sparse_size = 1000;
      shape.dense_size = dense;
      shape.bin_slots = 1000 + dense;
      const uint64_t num_bins = 7;
      const RowHasher hasher(Block(rng(), rng()), num_bins, shape.sparse_size);
      std::vector<Block> okvs(num_bins * shape.bin_slots);
      for (Block& b : okvs) b = Block(rng(), rng());
      std::vector<Block> keys(200);  // not a multiple of the batch size
      for (Block& k : keys) k = Block(rng(), rng());
      std::vector<Block> portable(keys.size()), dispatched(keys.size());
      DecodeKeysPortable(hasher, shape, okvs.data(), keys, absl::MakeSpan(portable));
      DecodeKeys(hasher, shape, okvs.data(), keys, absl::MakeSpan(dispatched));
      for (size_t i = 0; i < keys.size(); ++i) {
        ASSERT_EQ(portable[i], Naive(hasher, shape, okvs, keys[i]))
            << "weight=" << weight << " dense=" << dense << " i=" << i;
      }
      EXPECT_EQ(dispatched, portable);
#if LIAISON_OKVS_HAVE_PCLMUL
      if (DensePclmulAvailable()) {
        std::vector<Block> pclmul(keys.size());
        DecodeKeysPclmul(hasher, shape, okvs.data(), keys, absl::MakeSpan(pclmul));
        EXPECT_EQ(pclmul, portable);
      }
#endif
    }
  }
}

}  // namespace
}  // namespace liaison::okvs::internal
