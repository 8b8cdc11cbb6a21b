#include "okvs/internal/row_hash.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace liaison::okvs::internal {
namespace {

constexpr uint64_t kSeed = 0x726f7768617368;  // logged: "rowhash"

std::vector<Block> RandomKeys(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Block> keys(n);
  for (Block& k : keys) k = Block(rng(), rng());
  return keys;
}

template <int W>
void CheckRowsAreDistinctColumnsInRange(uint32_t sparse_size, uint64_t num_bins) {
  const RowHasher hasher(Block(1, 2), num_bins, sparse_size);
  const std::vector<Block> keys = RandomKeys(20000, kSeed);
  std::vector<Block> seeds(keys.size());
  hasher.RowSeeds(keys, absl::MakeSpan(seeds));
  for (const Block& s : seeds) {
    uint32_t cols[W];
    const uint64_t bin = hasher.Row<W>(s, cols);
    ASSERT_LT(bin, num_bins);
    ASSERT_EQ(bin, hasher.Bin(s));
    for (int i = 0; i < W; ++i) {
      ASSERT_LT(cols[i], sparse_size);
      for (int j = 0; j < i; ++j) ASSERT_NE(cols[i], cols[j]);
    }
  }
}

TEST(RowHasherTest, RowsAreDistinctColumnsInRange) {
  CheckRowsAreDistinctColumnsInRange<3>(3, 1);
  CheckRowsAreDistinctColumnsInRange<3>(4, 7);
  CheckRowsAreDistinctColumnsInRange<3>(83951, 16);
  CheckRowsAreDistinctColumnsInRange<2>(2, 1);
  CheckRowsAreDistinctColumnsInRange<2>(1000, 3);
}

TEST(RowHasherTest, RowsAreUniformOverColumnTriplesAndBins) {
  // 7 columns give 35 unordered triples; 5 bins. A chi-square statistic far
  // above its degrees of freedom would reveal a biased mapping.
  const RowHasher hasher(Block(3, 4), 5, 7);
  const std::vector<Block> keys = RandomKeys(350000, kSeed + 1);
  std::vector<Block> seeds(keys.size());
  hasher.RowSeeds(keys, absl::MakeSpan(seeds));
  std::map<std::vector<uint32_t>, int> triples;
  std::vector<int> bins(5);
  for (const Block& s : seeds) {
    uint32_t cols[3];
    ++bins[hasher.Row<3>(s, cols)];
    std::vector<uint32_t> t(cols, cols + 3);
    std::sort(t.begin(), t.end());
    ++triples[t];
  }
  ASSERT_EQ(triples.size(), 35u);
  auto chi2 = [](const auto& counts, double expected) {
    double x = 0;
    for (const auto& c : counts) {
      const double d = static_cast<double>(c) - expected;
      x += d * d / expected;
    }
    return x;
  };
  std::vector<int> triple_counts;
  for (const auto& [t, c] : triples) triple_counts.push_back(c);
  EXPECT_LT(chi2(triple_counts, 10000.0), 80.0);  // 34 degrees of freedom
  EXPECT_LT(chi2(bins, 70000.0), 25.0);           // 4 degrees of freedom
}

TEST(RowHasherTest, DependsOnTheSeedAndIsDeterministic) {
  const std::vector<Block> keys = RandomKeys(64, kSeed + 2);
  const RowHasher a(Block(0, 1), 16, 83951);
  const RowHasher b(Block(0, 1), 16, 83951);
  const RowHasher c(Block(0, 2), 16, 83951);
  std::vector<Block> sa(64), sb(64), sc(64), da(64), fa(8), fc(8);
  a.RowSeeds(keys, absl::MakeSpan(sa));
  b.RowSeeds(keys, absl::MakeSpan(sb));
  c.RowSeeds(keys, absl::MakeSpan(sc));
  a.DenseCoefficients(keys, absl::MakeSpan(da));
  a.Fill(100, absl::MakeSpan(fa));
  c.Fill(100, absl::MakeSpan(fc));
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
  EXPECT_NE(sa, da);  // the three derived keys differ
  EXPECT_NE(fa, fc);
  EXPECT_EQ(std::set<Block>(da.begin(), da.end()).size(), 64u);
}

}  // namespace
}  // namespace liaison::okvs::internal
