#include "okvs/internal/dense.h"

#include <random>
#include <vector>

#include "crypto/gf128.h"
#include "gtest/gtest.h"

namespace liaison::okvs::internal {
namespace {

Block RandomBlock(std::mt19937_64& rng) { return Block(rng(), rng()); }

// Naive is the definition: Σ_k d^(k+1) · dense[k], with crypto/gf128.
Block Naive(const Block& d, const std::vector<Block>& dense) {
  Block sum;
  for (size_t k = 0; k < dense.size(); ++k) {
    sum ^= crypto::Gf128Mul(crypto::Gf128Pow(d, k + 1), dense[k]);
  }
  return sum;
}

TEST(DenseEvalTest, KnownAnswerXTimesXTo127IsTheReductionPolynomial) {
  const Block x(0, 2);
  const Block x127(uint64_t{1} << 63, 0);
  Block out;
  DenseEvalPortable(absl::MakeConstSpan(&x, 1), absl::MakeConstSpan(&x127, 1),
                    absl::MakeSpan(&out, 1));
  EXPECT_EQ(out, Block(0, 0x87));
#if LIAISON_OKVS_HAVE_PCLMUL
  if (DensePclmulAvailable()) {
    DenseEvalPclmul(absl::MakeConstSpan(&x, 1), absl::MakeConstSpan(&x127, 1),
                    absl::MakeSpan(&out, 1));
    EXPECT_EQ(out, Block(0, 0x87));
  }
#endif
}

TEST(DenseEvalTest, AllBackendsAgreeWithTheDefinition) {
  std::mt19937_64 rng(0x64656e7365);  // logged seed: "dense"
  for (size_t g : {0, 1, 2, 3, 7, 41}) {
    std::vector<Block> dense(g), coeffs(50);
    for (Block& b : dense) b = RandomBlock(rng);
    for (Block& b : coeffs) b = RandomBlock(rng);
    coeffs[0] = Block();          // d = 0
    coeffs[1] = Block(0, 1);      // d = 1
    std::vector<Block> portable(coeffs.size()), dispatched(coeffs.size());
    DenseEvalPortable(coeffs, dense, absl::MakeSpan(portable));
    DenseEval(coeffs, dense, absl::MakeSpan(dispatched));
    for (size_t i = 0; i < coeffs.size(); ++i) {
      const Block want = Naive(coeffs[i], dense);
      ASSERT_EQ(portable[i], want) << "g=" << g << " i=" << i;
      ASSERT_EQ(dispatched[i], want) << "g=" << g << " i=" << i;
    }
#if LIAISON_OKVS_HAVE_PCLMUL
    if (DensePclmulAvailable()) {
      std::vector<Block> pclmul(coeffs.size());
      DenseEvalPclmul(coeffs, dense, absl::MakeSpan(pclmul));
      EXPECT_EQ(pclmul, portable) << "g=" << g;
    }
#endif
  }
}

TEST(DenseEvalTest, OutputMayAliasCoefficients) {
  std::mt19937_64 rng(7);
  std::vector<Block> dense = {RandomBlock(rng), RandomBlock(rng)};
  std::vector<Block> v = {RandomBlock(rng), RandomBlock(rng)};
  const std::vector<Block> want = {Naive(v[0], dense), Naive(v[1], dense)};
  DenseEval(v, dense, absl::MakeSpan(v));
  EXPECT_EQ(v, want);
}

}  // namespace
}  // namespace liaison::okvs::internal
