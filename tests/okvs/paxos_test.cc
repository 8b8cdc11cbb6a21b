#include "okvs/internal/paxos.h"

#include <random>
#include <vector>

#include "crypto/gf128.h"
#include "gtest/gtest.h"

namespace liaison::okvs::internal {
namespace {

// System is one bin's input: rows as column lists and coefficients.
struct System {
  PaxosShape shape;
  std::vector<PaxosRow> rows;
  std::vector<Block> coeffs;
};

System RandomSystem(uint32_t num_rows, uint32_t sparse_size, uint32_t dense_size, int weight,
                    uint64_t seed) {
  std::mt19937_64 rng(seed);
  System s;
  s.shape = {sparse_size, dense_size, weight};
  for (uint32_t r = 0; r < num_rows; ++r) {
    std::vector<uint32_t> row;
    while (row.size() < static_cast<size_t>(weight)) {
      const uint32_t c = static_cast<uint32_t>(rng() % sparse_size);
      if (std::find(row.begin(), row.end(), c) == row.end()) row.push_back(c);
    }
    PaxosRow pr{};
    std::copy(row.begin(), row.end(), pr.cols);
    pr.index = r;
    pr.value = Block(rng(), rng());
    s.rows.push_back(pr);
    s.coeffs.push_back(Block(rng(), rng()));
  }
  return s;
}

// Evaluate is the definition of a row applied to P.
Block Evaluate(const System& s, uint32_t r, const std::vector<Block>& p) {
  Block v;
  for (int w = 0; w < s.shape.weight; ++w) v ^= p[s.rows[r].cols[w]];
  Block x = s.coeffs[r];
  for (uint32_t k = 0; k < s.shape.dense_size; ++k) {
    v ^= crypto::Gf128Mul(x, p[s.shape.sparse_size + k]);
    x = crypto::Gf128Mul(x, s.coeffs[r]);
  }
  return v;
}

absl::Status Solve(const System& s, std::vector<Block>& p, PaxosScratch& scratch) {
  int calls = 0;
  auto coefficients = [&](absl::Span<Block> out) {
    ++calls;
    ASSERT_EQ(out.size(), s.rows.size());
    std::copy(s.coeffs.begin(), s.coeffs.end(), out.begin());
  };
  absl::Status status = SolvePaxos(s.shape, s.rows, coefficients, absl::MakeSpan(p), scratch);
  EXPECT_LE(calls, 1);
  return status;
}

void ExpectSolved(const System& s, const std::vector<Block>& p) {
  for (uint32_t r = 0; r < s.rows.size(); ++r) {
    ASSERT_EQ(Evaluate(s, r, p), s.rows[r].value) << "row " << r;
  }
}

TEST(SolvePaxosTest, PeelableSystemIsSolvedAndFreeCellsKeepTheirContents) {
  const uint32_t n = 5000;
  const uint32_t m = 6500;
  System s = RandomSystem(n, m, 3, 3, 11);
  std::vector<Block> p(m + 3);
  std::mt19937_64 rng(5);
  for (uint32_t c = 0; c < m; ++c) p[c] = Block(rng(), rng());
  const std::vector<Block> before = p;
  PaxosScratch scratch;
  ASSERT_TRUE(Solve(s, p, scratch).ok());
  ExpectSolved(s, p);
  // Peeling solved everything, and the pivots are the only changed cells.
  EXPECT_EQ(scratch.stats.peeled, n);
  EXPECT_EQ(scratch.stats.gap, 0u);
  uint32_t changed = 0;
  for (uint32_t c = 0; c < p.size(); ++c) changed += p[c] != before[c] ? 1 : 0;
  EXPECT_EQ(changed, n);
}

TEST(SolvePaxosTest, WeightTwoSystemAtExpansionTwo) {
  // RR22's weight-2 regime (e = 2) usually leaves a few cycles: a gap.
  for (uint64_t seed = 0; seed < 5; ++seed) {
    System s = RandomSystem(4000, 8000, 37, 2, 200 + seed);
    std::vector<Block> p(8037);
    PaxosScratch scratch;
    ASSERT_TRUE(Solve(s, p, scratch).ok()) << seed;
    ExpectSolved(s, p);
  }
}

TEST(SolvePaxosTest, DuplicateSparseRowsGoThroughTheDenseColumns) {
  // Rows 0/1 and 2/3 have equal sparse parts and distinct coefficients: a
  // 2-core that peeling cannot remove, solved with a gap of two.
  System s = RandomSystem(2000, 2600, 2, 3, 21);
  std::copy_n(s.rows[0].cols, 3, s.rows[1].cols);
  std::copy_n(s.rows[2].cols, 3, s.rows[3].cols);
  std::vector<Block> p(2602);
  PaxosScratch scratch;
  ASSERT_TRUE(Solve(s, p, scratch).ok());
  EXPECT_GE(scratch.stats.core_rows, 4u);
  EXPECT_EQ(scratch.stats.gap, 2u);
  ExpectSolved(s, p);
}

TEST(SolvePaxosTest, AllDenseLayoutSolvesAnySmallSystem) {
  // weight sparse columns only: every row has the same sparse part, and the
  // Vandermonde dense part carries the whole system (OkvsParams for n < 64).
  for (int weight : {2, 3}) {
    for (uint32_t n : {1, 2, 3, 10, 63}) {
      System s = RandomSystem(n, weight, n, weight, 100 + n);
      std::vector<Block> p(weight + n);
      PaxosScratch scratch;
      ASSERT_TRUE(Solve(s, p, scratch).ok()) << "n=" << n;
      ExpectSolved(s, p);
    }
  }
}

TEST(SolvePaxosTest, CoreWithLongEliminationChains) {
  // Below the threshold (e = 1.1 < 1.2218) the 2-core is large and gap rows
  // depend on long chains of pivots; with enough dense columns it must
  // still solve exactly.
  System s = RandomSystem(300, 330, 120, 3, 31);
  std::vector<Block> p(450);
  PaxosScratch scratch;
  ASSERT_TRUE(Solve(s, p, scratch).ok());
  EXPECT_GT(scratch.stats.gap, 5u);
  ExpectSolved(s, p);
}

TEST(SolvePaxosTest, RandomFreeAndDenseCellsAreKeptOrUsed) {
  // Nonzero dense cells on entry (the randomised mode) force the dense
  // terms into the back-substitution.
  System s = RandomSystem(3000, 3900, 2, 3, 41);
  std::vector<Block> p(3902);
  std::mt19937_64 rng(6);
  for (Block& b : p) b = Block(rng(), rng());
  PaxosScratch scratch;
  ASSERT_TRUE(Solve(s, p, scratch).ok());
  ExpectSolved(s, p);
}

TEST(SolvePaxosTest, GapLargerThanDenseColumnsFailsWithFailedPrecondition) {
  System s = RandomSystem(300, 330, 0, 3, 51);
  std::vector<Block> p(330);
  PaxosScratch scratch;
  EXPECT_EQ(Solve(s, p, scratch).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(SolvePaxosTest, EqualRowsAreReportedAsDuplicateKeys) {
  System s = RandomSystem(100, 200, 3, 3, 61);
  std::copy_n(s.rows[0].cols, 3, s.rows[10].cols);
  s.coeffs[10] = s.coeffs[0];
  std::vector<Block> p(203);
  PaxosScratch scratch;
  EXPECT_EQ(Solve(s, p, scratch).code(), absl::StatusCode::kInvalidArgument);
}

TEST(SolvePaxosTest, EmptyAndInconsistentInputs) {
  PaxosScratch scratch;
  System empty = RandomSystem(0, 3, 0, 3, 1);
  std::vector<Block> p(3);
  EXPECT_TRUE(Solve(empty, p, scratch).ok());
  System s = RandomSystem(10, 30, 1, 3, 2);
  std::vector<Block> wrong(30);
  EXPECT_EQ(Solve(s, wrong, scratch).code(), absl::StatusCode::kInvalidArgument);
}

TEST(SolvePaxosTest, TwoStepSolveMustPairUp) {
  System s = RandomSystem(500, 650, 2, 3, 81);
  std::vector<Block> p(652);
  PaxosScratch scratch;
  auto none = [](absl::Span<Block>) {};
  EXPECT_EQ(SolveTriangulatedPaxos(s.shape, s.rows, none, absl::MakeSpan(p), scratch).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(TriangulatePaxos(s.shape, s.rows, scratch).ok());
  ASSERT_TRUE(SolveTriangulatedPaxos(s.shape, s.rows, none, absl::MakeSpan(p), scratch).ok());
  ExpectSolved(s, p);
  // The pivots were consumed.
  EXPECT_EQ(SolveTriangulatedPaxos(s.shape, s.rows, none, absl::MakeSpan(p), scratch).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SolvePaxosTest, ScratchIsReusableAcrossBinsOfDifferentSizes) {
  PaxosScratch scratch;
  for (uint32_t n : {2000, 10, 5000, 0, 300}) {
    System s = RandomSystem(n, n + n / 3 + 3, 2, 3, 70 + n);
    std::vector<Block> p(s.shape.sparse_size + 2);
    ASSERT_TRUE(Solve(s, p, scratch).ok()) << n;
    ExpectSolved(s, p);
  }
}

}  // namespace
}  // namespace liaison::okvs::internal
