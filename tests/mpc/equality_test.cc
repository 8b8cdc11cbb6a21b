#include "mpc/equality.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "testing/mpc_parties.h"

namespace liaison::mpc {
namespace {

// Runs the PEQT on (x, y) and returns the opened bits.
std::vector<uint64_t> Compare(const std::vector<uint64_t>& x, const std::vector<uint64_t>& y,
                              EqualityParams params, uint64_t seed) {
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      seed, [&](int party, OtPair& ots, net::Channel& ch, crypto::Prng& prng) {
        return PrivateEquality(ots, ch, party == 0 ? y : x, params, prng);
      });
  EXPECT_TRUE(r0.ok()) << r0.status();
  EXPECT_TRUE(r1.ok()) << r1.status();
  std::vector<uint64_t> out;
  if (!r0.ok() || !r1.ok()) return out;
  EXPECT_EQ(r0->size(), NumWords(x.size()));
  for (size_t i = 0; i < x.size(); ++i) out.push_back(GetBit(r0->span(), i) ^ GetBit(r1->span(), i));
  // Bits past the count are zero on both sides.
  if (x.size() % 64 != 0) {
    EXPECT_EQ((*r0)[r0->size() - 1] >> (x.size() % 64), 0u);
    EXPECT_EQ((*r1)[r1->size() - 1] >> (x.size() % 64), 0u);
  }
  return out;
}

struct Case {
  int sigma, q;
};
class EqualityTest : public ::testing::TestWithParam<Case> {};

// Equal pairs, pairs differing in one bit (every position), random pairs,
// and differences above σ (ignored): the truth table of [x = y].
TEST_P(EqualityTest, TruthTableOnEqualNearAndRandomInputs) {
  const auto [sigma, q] = GetParam();
  crypto::Prng data = crypto::Prng::FromTestSeed(sigma * 10 + q);
  const uint64_t mask = sigma == 64 ? ~uint64_t{0} : (uint64_t{1} << sigma) - 1;
  std::vector<uint64_t> x, y, want;
  for (int i = 0; i < 300; ++i) {
    const uint64_t v = data.NextU64();
    x.push_back(v);
    switch (i % 4) {
      case 0:  // equal
        y.push_back(v);
        break;
      case 1:  // one bit off inside σ
        y.push_back(v ^ (uint64_t{1} << (i / 4 % sigma)));
        break;
      case 2:  // random
        y.push_back(data.NextU64());
        break;
      default:  // equal on the σ bits, different above
        y.push_back(sigma == 64 ? v : v ^ ~mask);
        break;
    }
    want.push_back(((x.back() ^ y.back()) & mask) == 0 ? 1 : 0);
  }
  EqualityParams p;
  p.sigma = sigma;
  p.q = q;
  p.num_threads = 2;
  EXPECT_EQ(Compare(x, y, p, sigma + q), want);
}

INSTANTIATE_TEST_SUITE_P(Shapes, EqualityTest,
                         ::testing::Values(Case{64, 4}, Case{60, 4}, Case{48, 6}, Case{8, 2},
                                           Case{1, 1}, Case{5, 5}, Case{12, 3},
                                           // σ not a multiple of q: a shorter last chunk
                                           Case{61, 4}, Case{62, 4}, Case{63, 5}, Case{3, 4},
                                           Case{64, 6}, Case{7, 2}));

TEST(EqualityTest, AllEqualAndNoneEqual) {
  EqualityParams p;
  std::vector<uint64_t> x(1000), y(1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = y[i] = i * 0x9E3779B97F4A7C15ull;
  EXPECT_EQ(Compare(x, y, p, 1), std::vector<uint64_t>(1000, 1));
  for (auto& v : y) v += 1;
  EXPECT_EQ(Compare(x, y, p, 2), std::vector<uint64_t>(1000, 0));
}

// Enough pairs for many OT pieces on two threads, a ragged last word.
TEST(EqualityTest, ManyPairsOnTwoThreads) {
  EqualityParams p;
  p.num_threads = 2;
  crypto::Prng data = crypto::Prng::FromTestSeed(77);
  std::vector<uint64_t> x(5000), y(5000), want(5000);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = data.NextU64();
    y[i] = i % 3 == 0 ? x[i] : x[i] ^ (uint64_t{1} << (i % 64));
    want[i] = i % 3 == 0 ? 1 : 0;
  }
  EXPECT_EQ(Compare(x, y, p, 4), want);
}

TEST(EqualityTest, EmptyInputGivesEmptyShares) {
  EqualityParams p;
  EXPECT_TRUE(Compare({}, {}, p, 3).empty());
}

TEST(EqualityTest, BadSigmaOrQIsInvalidArgument) {
  auto [a, b] = net::LocalPair();
  crypto::Prng prng = crypto::Prng::FromTestSeed(1);
  OtPair ots(0, DefaultOtParams(1));
  std::vector<uint64_t> v(3);
  for (auto [sigma, q] : {std::pair{65, 4}, std::pair{0, 4}, std::pair{64, 7}, std::pair{8, 0}}) {
    EqualityParams p;
    p.sigma = sigma;
    p.q = q;
    EXPECT_EQ(PrivateEquality(ots, *a, v, p, prng).status().code(),
              absl::StatusCode::kInvalidArgument)
        << sigma << " " << q;
  }
}

}  // namespace
}  // namespace liaison::mpc
