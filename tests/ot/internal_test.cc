// Tests of ot/internal (the bit-matrix transpose kernels) and of the
// secret containers of ot/secret_blocks.h.
#include <cstdint>
#include <vector>

#include "crypto/prng.h"
#include "gtest/gtest.h"
#include "ot/internal/transpose.h"
#include "crypto/secret_blocks.h"

namespace liaison::ot {
namespace {

using crypto::Block;

using internal::TransposeImpl;

constexpr uint64_t kSeed = 0x7a5e0001;

std::vector<Block> RandomBlocks(size_t n, uint64_t seed) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(seed);
  std::vector<Block> v(n);
  prng.Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(v.data()), n * sizeof(Block)));
  return v;
}

// ReferenceTranspose is the definition, one bit at a time.
std::vector<Block> ReferenceTranspose(const std::vector<Block>& in, size_t stride,
                                      size_t num_squares) {
  std::vector<Block> out(128 * num_squares);
  for (size_t s = 0; s < num_squares; ++s) {
    for (int j = 0; j < 128; ++j) {
      const Block& row = in[j * stride + s];
      for (int i = 0; i < 128; ++i) {
        const uint64_t bit = static_cast<uint64_t>(row.Bit(i));
        Block& o = out[128 * s + i];
        if (j < 64) {
          o.lo |= bit << j;
        } else {
          o.hi |= bit << (j - 64);
        }
      }
    }
  }
  return out;
}

class TransposeTest : public ::testing::TestWithParam<TransposeImpl> {
 protected:
  void SetUp() override {
    if (!internal::TransposeImplAvailable(GetParam())) {
      GTEST_SKIP() << internal::TransposeImplName(GetParam()) << " is not available here";
    }
  }
};

TEST_P(TransposeTest, MatchesTheDefinitionOnRandomSquares) {
  for (size_t stride : {size_t{1}, size_t{3}, size_t{16}}) {
    const size_t num_squares = stride;
    SCOPED_TRACE(::testing::Message() << "stride=" << stride << " seed=" << kSeed);
    std::vector<Block> in = RandomBlocks(128 * stride, kSeed + stride);
    std::vector<Block> out(128 * num_squares);
    internal::TransposeSquaresWith(GetParam(), in.data(), stride, num_squares, out.data());
    std::vector<Block> want = ReferenceTranspose(in, stride, num_squares);
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_EQ(out[i], want[i]) << "output block " << i;
    }
  }
}

TEST_P(TransposeTest, SingleBitsLandWhereExpected) {
  // One set bit at (row j, column i) must come out at (row i, column j), for
  // the corners and a few interior positions.
  const int positions[][2] = {{0, 0}, {0, 127}, {127, 0}, {127, 127}, {5, 70},
                              {64, 63}, {63, 64}, {100, 7}, {8, 15}, {15, 8}};
  for (const auto& p : positions) {
    const int j = p[0], i = p[1];
    std::vector<Block> in(128);
    if (i < 64) {
      in[j].lo = uint64_t{1} << i;
    } else {
      in[j].hi = uint64_t{1} << (i - 64);
    }
    std::vector<Block> out(128);
    internal::TransposeSquaresWith(GetParam(), in.data(), 1, 1, out.data());
    for (int r = 0; r < 128; ++r) {
      Block want;
      if (r == i) want = j < 64 ? Block(0, uint64_t{1} << j) : Block(uint64_t{1} << (j - 64), 0);
      ASSERT_EQ(out[r], want) << "bit (" << j << ", " << i << "), output row " << r;
    }
  }
}

TEST_P(TransposeTest, TwiceIsIdentity) {
  std::vector<Block> in = RandomBlocks(128, kSeed + 99);
  std::vector<Block> once(128), twice(128);
  internal::TransposeSquaresWith(GetParam(), in.data(), 1, 1, once.data());
  internal::TransposeSquaresWith(GetParam(), once.data(), 1, 1, twice.data());
  EXPECT_EQ(twice, in);
}

INSTANTIATE_TEST_SUITE_P(AllImpls, TransposeTest,
                         ::testing::Values(TransposeImpl::kPortable, TransposeImpl::kSse2,
                                           TransposeImpl::kAvx2, TransposeImpl::kAvx512),
                         [](const ::testing::TestParamInfo<TransposeImpl>& info) {
                           return std::string(internal::TransposeImplName(info.param));
                         });

TEST(TransposeTest, SelectedImplIsAvailable) {
  EXPECT_TRUE(internal::TransposeImplAvailable(internal::SelectedTransposeImpl()));
}

TEST(SecretBitsTest, SetAndGetRoundTrip) {
  crypto::SecretBits bits(300);
  for (size_t i = 0; i < 300; i += 7) bits.Set(i, 1);
  for (size_t i = 0; i < 300; ++i) EXPECT_EQ(bits.Get(i), i % 7 == 0 ? 1 : 0) << i;
  bits.Set(7, 0);
  EXPECT_EQ(bits.Get(7), 0);
  // Bit i is Block::Bit(i % 128) of block i / 128.
  EXPECT_EQ(bits.blocks()[1].Bit(140 - 128), 1);
}

TEST(SecretBitsTest, RandomClearsBitsPastTheEnd) {
  for (size_t n : {size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{127}, size_t{128},
                   size_t{129}, size_t{200}}) {
    crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + n);
    crypto::SecretBits bits = crypto::SecretBits::Random(n, prng);
    ASSERT_EQ(bits.num_blocks(), (n + 127) / 128);
    const Block& last = bits.blocks().back();
    for (size_t i = n; i < 128 * bits.num_blocks(); ++i) {
      EXPECT_EQ(last.Bit(static_cast<int>(i % 128)), 0) << "n=" << n << " bit " << i;
    }
  }
}

TEST(SecretBitsTest, RandomBitsAreBalanced) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  crypto::SecretBits bits = crypto::SecretBits::Random(10000, prng);
  size_t ones = 0;
  for (size_t i = 0; i < bits.size(); ++i) ones += bits.Get(i);
  EXPECT_GT(ones, 4700u);
  EXPECT_LT(ones, 5300u);
}

TEST(SecretBlocksTest, MovedFromIsEmptyAndCloneCopies) {
  crypto::SecretBlocks a(3);
  a[1] = Block(1, 2);
  crypto::SecretBlocks b = a.Clone();
  crypto::SecretBlocks c = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented state
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[1], Block(1, 2));
  EXPECT_EQ(b[1], Block(1, 2));
}

}  // namespace
}  // namespace liaison::ot
