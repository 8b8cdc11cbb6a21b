#include "mpc/and_gates.h"

#include <vector>

#include "gtest/gtest.h"
#include "testing/mpc_parties.h"

namespace liaison::mpc {
namespace {

struct TripleShares {
  SecretWords a, b, c;
};

TEST(AndGatesTest, TriplesAreCorrect) {
  constexpr size_t kWords = 100;
  auto [r0, r1] = testing::RunTwoParties<TripleShares>(
      3, [&](int, OtPair& ots, net::Channel& ch,
             crypto::Prng& prng) -> absl::StatusOr<TripleShares> {
        auto t = AndTriples::Generate(ots, ch, kWords, prng, 2);
        if (!t.ok()) return t.status();
        auto v = t->InsecureShares();
        TripleShares s{SecretWords(kWords), SecretWords(kWords), SecretWords(kWords)};
        for (size_t i = 0; i < kWords; ++i) {
          s.a[i] = v.a[i];
          s.b[i] = v.b[i];
          s.c[i] = v.c[i];
        }
        return s;
      });
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  uint64_t ones_a = 0;
  for (size_t i = 0; i < kWords; ++i) {
    const uint64_t a = r0->a[i] ^ r1->a[i], b = r0->b[i] ^ r1->b[i];
    ASSERT_EQ(r0->c[i] ^ r1->c[i], a & b) << "word " << i;
    ones_a += static_cast<uint64_t>(__builtin_popcountll(a));
  }
  // a is uniformly random: about half ones.
  EXPECT_GT(ones_a, kWords * 64 * 4 / 10);
  EXPECT_LT(ones_a, kWords * 64 * 6 / 10);
}

TEST(AndGatesTest, AndOfSharesIsAndOfValues) {
  constexpr size_t kWords = 37;
  crypto::Prng data = crypto::Prng::FromTestSeed(11);
  std::vector<uint64_t> x(kWords), y(kWords), x0(kWords), y0(kWords);
  for (size_t i = 0; i < kWords; ++i) {
    x[i] = data.NextU64();
    y[i] = i % 3 == 0 ? ~uint64_t{0} : data.NextU64();
    x0[i] = data.NextU64();
    y0[i] = data.NextU64();
  }
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      4, [&](int party, OtPair& ots, net::Channel& ch,
             crypto::Prng& prng) -> absl::StatusOr<SecretWords> {
        auto t = AndTriples::Generate(ots, ch, 2 * kWords, prng, 1);
        if (!t.ok()) return t.status();
        std::vector<uint64_t> xs(kWords), ys(kWords);
        for (size_t i = 0; i < kWords; ++i) {
          xs[i] = party == 0 ? x0[i] : x0[i] ^ x[i];
          ys[i] = party == 0 ? y0[i] : y0[i] ^ y[i];
        }
        auto z1 = And(ch, party, *t, xs, ys, 1);
        if (!z1.ok()) return z1.status();
        // A second layer on the first one's output uses the next triples.
        return And(ch, party, *t, z1->span(), xs, 1);
      });
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  for (size_t i = 0; i < kWords; ++i) {
    ASSERT_EQ((*r0)[i] ^ (*r1)[i], x[i] & y[i] & x[i]) << "word " << i;
  }
}

TEST(AndGatesTest, RunningOutOfTriplesIsFailedPrecondition) {
  auto [a, b] = net::LocalPair();
  AndTriples none;
  std::vector<uint64_t> x(1), y(1);
  EXPECT_EQ(And(*a, 0, none, x, y, 1).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(AndGatesTest, ShortOpeningIsDataLoss) {
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      5, [&](int party, OtPair& ots, net::Channel& ch,
             crypto::Prng& prng) -> absl::StatusOr<SecretWords> {
        auto t = AndTriples::Generate(ots, ch, 4, prng, 1);
        if (!t.ok()) return t.status();
        std::vector<uint64_t> x(4), y(4);
        if (party == 1) {
          absl::Status st = ch.Send(Bytes(8));  // one word instead of eight
          if (!st.ok()) return st;
          return SecretWords();
        }
        return And(ch, party, *t, x, y, 1);
      });
  EXPECT_EQ(r0.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(r1.ok());
}

TEST(AndGatesTest, FinishBeforeBothHalvesIsFailedPrecondition) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(5);
  AndTriples t = AndTriples::Begin(4, prng);
  EXPECT_EQ(t.Finish().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace liaison::mpc
