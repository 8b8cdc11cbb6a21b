#include "psi/internal/cuckoo.h"

#include <set>
#include <vector>

#include "crypto/prng.h"
#include "gtest/gtest.h"

namespace liaison::psi::internal {
namespace {

using crypto::Block;

std::vector<Block> RandomKeys(size_t n, uint64_t seed) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(seed);
  std::vector<Block> k(n);
  for (auto& b : k) b = prng.NextBlock();
  return k;
}

TEST(CuckooTest, ParamsFollowTheFitAndTheFloor) {
  EXPECT_EQ(CuckooParams::ForItems(1).num_bins, 512u);
  EXPECT_EQ(CuckooParams::ForItems(0).num_bins, 512u);
  // e = (40 + 20 + 256) / 240 = 1.3167 at 2^20.
  EXPECT_EQ(CuckooParams::ForItems(1 << 20).num_bins, 1380626u);
  EXPECT_GE(CuckooParams::ForItems(1000).num_bins, 1270u);
  EXPECT_EQ(CuckooParams::ForItems(100, 40, 0.5, 3).num_bins, 50u);
}

TEST(CuckooTest, CandidatesAreThreeDistinctBinsInRange) {
  for (uint64_t bins : {3ull, 4ull, 7ull, 1000ull, 1ull << 31}) {
    const auto keys = RandomKeys(5000, bins);
    std::vector<uint32_t> out(3 * keys.size());
    CuckooHasher(Block(1, 2), bins).Bins(keys, absl::MakeSpan(out), 2);
    std::vector<uint64_t> hits(std::min<uint64_t>(bins, 1000), 0);
    for (size_t i = 0; i < keys.size(); ++i) {
      const uint32_t* c = &out[3 * i];
      ASSERT_LT(c[0], bins);
      ASSERT_LT(c[1], bins);
      ASSERT_LT(c[2], bins);
      ASSERT_NE(c[0], c[1]);
      ASSERT_NE(c[0], c[2]);
      ASSERT_NE(c[1], c[2]);
      if (bins <= 1000) ++hits[c[2]];
    }
    if (bins == 7) {  // roughly uniform: each bin about 5000·3/7 times
      for (uint64_t h : hits) EXPECT_GT(h, 500u);
    }
  }
}

TEST(CuckooTest, EveryKeySitsInOneOfItsBinsOnce) {
  const size_t n = 100000;
  const auto keys = RandomKeys(n, 9);
  const CuckooParams p = CuckooParams::ForItems(n);
  std::vector<uint32_t> cand(3 * n);
  CuckooHasher(Block(3, 4), p.num_bins).Bins(keys, absl::MakeSpan(cand), 2);
  auto table = CuckooInsert(keys, cand, p.num_bins, 77);
  ASSERT_TRUE(table.ok()) << table.status();
  std::vector<int> seen(n, 0);
  for (size_t b = 0; b < table->size(); ++b) {
    const uint64_t e = (*table)[b];
    if (e == kEmptyBin) continue;
    const uint64_t i = e >> 2, j = e & 3;
    ASSERT_LT(i, n);
    ASSERT_LT(j, 3u);
    ASSERT_EQ(cand[3 * i + j], b);
    ++seen[i];
  }
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << i;
}

TEST(CuckooTest, OverfullTableIsFailedPrecondition) {
  const auto keys = RandomKeys(100, 5);
  std::vector<uint32_t> cand(300);
  CuckooHasher(Block(5, 6), 60).Bins(keys, absl::MakeSpan(cand), 1);
  EXPECT_EQ(CuckooInsert(keys, cand, 60, 1).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CuckooTest, DuplicateKeysAreInvalidArgument) {
  auto keys = RandomKeys(100, 6);
  keys[70] = keys[3];
  std::vector<uint32_t> cand(300);
  CuckooHasher(Block(7, 8), 512).Bins(keys, absl::MakeSpan(cand), 1);
  EXPECT_EQ(CuckooInsert(keys, cand, 512, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace liaison::psi::internal
