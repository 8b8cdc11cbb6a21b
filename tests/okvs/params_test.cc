#include "okvs/internal/params.h"

#include <cmath>

#include "gtest/gtest.h"
#include "okvs/okvs.h"

namespace liaison::okvs {
namespace {

using internal::BinCapacity;
using internal::GapBound;
using internal::Log2BinOverflow;
using internal::SparseExpansion;

// Expected values were computed independently (Python, double precision)
// from the equations of RR22 section 3 as printed in the paper and as
// implemented in volePSI's PaxosParam::init.
TEST(OkvsParamsMathTest, Weight3ExpansionAndGapMatchThePaperFormulas) {
  struct Case {
    double n;
    double e;
    uint64_t g;
  };
  for (const Case& c : {Case{1024, 1.4309790394001947, 3}, Case{16384, 1.2676409036831333, 2},
                        Case{65536, 1.2436818642123946, 2},
                        Case{1048576, 1.2274391834434655, 1}}) {
    const double e = SparseExpansion(c.n, 3, 40);
    EXPECT_NEAR(e, c.e, 1e-12) << "n=" << c.n;
    EXPECT_EQ(GapBound(c.n, e, 3, 40), c.g) << "n=" << c.n;
  }
}

TEST(OkvsParamsMathTest, Weight3ExpansionStaysAboveThePhaseTransition) {
  // Dembo–Montanari: the 2-core of a random 3-uniform hypergraph appears
  // below e = 1.2218; the fit must never go below it, and it decreases
  // towards 1.223 as n grows.
  double previous = 10;
  for (int log_n = 6; log_n <= 30; ++log_n) {
    const double e = SparseExpansion(std::ldexp(1.0, log_n), 3, 40);
    EXPECT_GT(e, 1.2218);
    EXPECT_LT(e, previous);
    previous = e;
  }
  // More security costs more cells.
  EXPECT_GT(SparseExpansion(65536, 3, 48), SparseExpansion(65536, 3, 40));
}

TEST(OkvsParamsMathTest, Weight2UsesExpansionTwoAndEquationOne) {
  EXPECT_EQ(SparseExpansion(65536, 2, 40), 2.0);
  EXPECT_EQ(GapBound(1024, 2, 2, 40), 27u);
  EXPECT_EQ(GapBound(65536, 2, 2, 40), 37u);
  EXPECT_EQ(GapBound(1048576, 2, 2, 40), 41u);
}

TEST(OkvsParamsMathTest, BinCapacityMatchesVolePsiTable) {
  // volePSI's SimpleIndex table (40-bit, union bound over the bins) lists
  // log2 of the capacity: 14.08339622 for 2^20 balls in 2^6 bins and
  // 12.15608308 for 2^16 balls in 2^4 bins.
  EXPECT_EQ(BinCapacity(uint64_t{1} << 20, 64, 40), 17359u);
  EXPECT_NEAR(std::log2(17359.0), 14.08339622, 1e-6);
  EXPECT_EQ(BinCapacity(uint64_t{1} << 16, 16, 40), 4564u);
  EXPECT_NEAR(std::log2(4564.0), 12.15608308, 1e-6);
}

TEST(OkvsParamsMathTest, BinOverflowBoundIsMonotoneAndTight) {
  const uint64_t n = uint64_t{1} << 20;
  const uint64_t cap = BinCapacity(n, 16, 41);
  EXPECT_LE(Log2BinOverflow(n, 16, cap), -41);
  EXPECT_GT(Log2BinOverflow(n, 16, cap - 1), -41);
  EXPECT_EQ(Log2BinOverflow(n, 16, n), -INFINITY);
  EXPECT_EQ(Log2BinOverflow(n, 1, n - 1), 0.0);
  EXPECT_EQ(BinCapacity(n, 1, 40), n);
}

TEST(OkvsParamsTest, ForItemsAtTwoToTheTwentyIsBinnedBelowOnePointThree) {
  const OkvsParams p = OkvsParams::ForItems(uint64_t{1} << 20);
  ASSERT_TRUE(p.Validate().ok());
  EXPECT_EQ(p.num_bins, 16u);
  EXPECT_EQ(p.bin_size, 65536u);
  EXPECT_EQ(p.bin_capacity, 67407u);  // 2^-41 over the 16 bins
  // Each bin: λ_bin = 40 + 1 + log2(16) = 45.
  EXPECT_EQ(p.sparse_size, 83951u);
  EXPECT_EQ(p.dense_size, 2u);
  EXPECT_EQ(p.size(), 16u * 83953u);
  EXPECT_NEAR(p.expansion(), 1.2810, 1e-4);
}

TEST(OkvsParamsTest, ForItemsExpansionAtSeveralSizes) {
  struct Case {
    uint64_t n;
    uint64_t bins;
    uint64_t capacity;
    uint64_t sparse;
    uint64_t dense;
  };
  for (const Case& c : {Case{1000, 1, 1000, 1434, 3}, Case{65536, 1, 65536, 81506, 2},
                        Case{1000000, 16, 64327, 80153, 2},
                        Case{uint64_t{1} << 22, 64, 67500, 84122, 2}}) {
    const OkvsParams p = OkvsParams::ForItems(c.n);
    EXPECT_EQ(p.num_bins, c.bins) << c.n;
    EXPECT_EQ(p.bin_capacity, c.capacity) << c.n;
    EXPECT_EQ(p.sparse_size, c.sparse) << c.n;
    EXPECT_EQ(p.dense_size, c.dense) << c.n;
    if (c.n >= 65536) {
      EXPECT_LT(p.expansion(), 1.29) << c.n;
      EXPECT_GT(p.expansion(), 1.22) << c.n;
    }
  }
}

TEST(OkvsParamsTest, ForItemsWeight2) {
  const OkvsParams p = OkvsParams::ForItems(uint64_t{1} << 20, 2);
  ASSERT_TRUE(p.Validate().ok());
  EXPECT_EQ(p.num_bins, 16u);
  EXPECT_EQ(p.sparse_size, 2u * 67407u);
  EXPECT_EQ(p.dense_size, 41u);
}

TEST(OkvsParamsTest, SmallBinsUseTheAllDenseLayout) {
  for (uint64_t n : {0, 1, 2, 10, 63}) {
    const OkvsParams p = OkvsParams::ForItems(n);
    ASSERT_TRUE(p.Validate().ok()) << n;
    EXPECT_EQ(p.num_bins, 1u);
    EXPECT_EQ(p.sparse_size, 3u);
    EXPECT_EQ(p.dense_size, n);
  }
  const OkvsParams p = OkvsParams::ForItems(64);
  EXPECT_GT(p.sparse_size, 64u);
}

TEST(OkvsParamsTest, ValidateRejectsUnsupportedParameters) {
  EXPECT_EQ(OkvsParams::ForItems(100, 4).Validate().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OkvsParams::ForItems(100, 3, 0).Validate().code(),
            absl::StatusCode::kInvalidArgument);
  OkvsParams p = OkvsParams::ForItems(100);
  p.sparse_size = 2;
  EXPECT_EQ(p.Validate().code(), absl::StatusCode::kInvalidArgument);
  p = OkvsParams::ForItems(100);
  p.num_bins = 0;
  EXPECT_EQ(p.Validate().code(), absl::StatusCode::kInvalidArgument);
  p = OkvsParams::ForItems(100);
  p.dense_size = 5000;
  EXPECT_EQ(p.Validate().code(), absl::StatusCode::kInvalidArgument);
  p = OkvsParams::ForItems(100);
  p.num_items = uint64_t{1} << 32;
  EXPECT_EQ(p.Validate().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OkvsParamsTest, ForItemsIsDeterministic) {
  const OkvsParams a = OkvsParams::ForItems(123457, 3, 40, 1000);
  const OkvsParams b = OkvsParams::ForItems(123457, 3, 40, 1000);
  EXPECT_EQ(a.num_bins, 124u);
  EXPECT_EQ(a.size(), b.size());
  EXPECT_EQ(a.bin_capacity, b.bin_capacity);
}

}  // namespace
}  // namespace liaison::okvs
