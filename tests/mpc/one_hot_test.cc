#include "mpc/one_hot.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "testing/mpc_parties.h"

namespace liaison::mpc {
namespace {

TEST(RotateLeftTest, MovesEveryPositionByTheAmountModuloM) {
  for (int q = 1; q <= kMaxOneHotBits; ++q) {
    const uint64_t m = uint64_t{1} << q;
    for (uint64_t p = 0; p < m; ++p) {
      for (uint64_t a = 0; a < 2 * m; ++a) {
        EXPECT_EQ(RotateLeft(uint64_t{1} << p, q, a), uint64_t{1} << ((p + a) % m))
            << "q " << q << " p " << p << " a " << a;
      }
    }
  }
  EXPECT_EQ(RotateLeft(0b1011, 2, 1), 0b0111u);
}

// The holder offers random shares, the rotator random amounts: the XOR of
// the holder's new share and the rotator's output is the old share rotated.
class OneHotRotateTest : public ::testing::TestWithParam<int> {};

TEST_P(OneHotRotateTest, NewSharesXorToTheRotatedVector) {
  const int q = GetParam();
  constexpr size_t kN = 3001;
  crypto::Prng data = crypto::Prng::FromTestSeed(700 + q);
  std::vector<uint64_t> shares(kN), amounts(kN);
  for (size_t i = 0; i < kN; ++i) {
    shares[i] = data.NextU64();
    amounts[i] = data.NextU64();
  }
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      q, [&](int party, OtPair& ots, net::Channel& ch,
             crypto::Prng& prng) -> absl::StatusOr<SecretWords> {
        if (party == 0) return OneHotRotateChoose(ots, ch, q, amounts, prng, 2);
        return OneHotRotateHold(ots, ch, q, shares, prng, 2);
      });
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  const uint64_t mask = (uint64_t{1} << (1u << q)) - 1;
  size_t fresh_nonzero = 0;
  for (size_t i = 0; i < kN; ++i) {
    ASSERT_EQ(((*r0)[i] ^ (*r1)[i]) & mask, RotateLeft(shares[i], q, amounts[i]))
        << "instance " << i;
    ASSERT_EQ((*r1)[i] & ~mask, 0u);
    ASSERT_EQ((*r0)[i] & ~mask, 0u);
    fresh_nonzero += (*r1)[i] != 0;
  }
  // The holder's new shares are fresh random words, not its old ones.
  EXPECT_GT(fresh_nonzero, kN / 2);
}

INSTANTIATE_TEST_SUITE_P(AllQ, OneHotRotateTest, ::testing::Range(1, kMaxOneHotBits + 1));

TEST(OneHotRotateTest, ChainedRotationsCountTheAmounts) {
  // One holder with the one-hot vector of 0, rotated by a sequence of
  // amounts in turn (the rotator's output becomes a second share each
  // time): the final vector is the one-hot vector of the sum.
  constexpr int q = 3;
  constexpr size_t kN = 200;
  std::vector<uint64_t> a1(kN), a2(kN), ones(kN, 1);
  for (size_t i = 0; i < kN; ++i) {
    a1[i] = i % 5;
    a2[i] = (i / 5) % 8;
  }
  auto [r0, r1] = testing::RunTwoParties<std::pair<SecretWords, SecretWords>>(
      9, [&](int party, OtPair& ots, net::Channel& ch, crypto::Prng& prng)
             -> absl::StatusOr<std::pair<SecretWords, SecretWords>> {
        // Round 1: party 1 holds e_0 and party 0 rotates by a1.
        // Round 2: party 0 holds its output and party 1 rotates by a2; party
        // 1 also rotates its own share locally.
        if (party == 0) {
          auto got = OneHotRotateChoose(ots, ch, q, a1, prng, 1);
          if (!got.ok()) return got.status();
          auto next = OneHotRotateHold(ots, ch, q, got->span(), prng, 1);
          if (!next.ok()) return next.status();
          return std::make_pair(std::move(*next), SecretWords());
        }
        auto mine = OneHotRotateHold(ots, ch, q, ones, prng, 1);
        if (!mine.ok()) return mine.status();
        auto got = OneHotRotateChoose(ots, ch, q, a2, prng, 1);
        if (!got.ok()) return got.status();
        SecretWords share(kN);
        for (size_t i = 0; i < kN; ++i) share[i] = (*got)[i] ^ RotateLeft((*mine)[i], q, a2[i]);
        return std::make_pair(std::move(share), SecretWords());
      });
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  for (size_t i = 0; i < kN; ++i) {
    EXPECT_EQ(r0->first[i] ^ r1->first[i], uint64_t{1} << ((a1[i] + a2[i]) % 8)) << i;
  }
}

TEST(OneHotRotateTest, BadQIsInvalidArgument) {
  auto [c0, c1] = net::LocalPair();
  OtPair ots(0, DefaultOtParams(1));
  crypto::Prng prng = crypto::Prng::FromTestSeed(1);
  const std::vector<uint64_t> v(4);
  EXPECT_EQ(OneHotRotateHold(ots, *c0, 0, v, prng, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OneHotRotateChoose(ots, *c0, kMaxOneHotBits + 1, v, prng, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(OneHotRotateTest, ShortTablesMessageIsDataLoss) {
  constexpr int q = 4;
  const std::vector<uint64_t> v(100, 3);
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      5, [&](int party, OtPair& ots, net::Channel& ch,
             crypto::Prng& prng) -> absl::StatusOr<SecretWords> {
        if (party == 0) return OneHotRotateChoose(ots, ch, q, v, prng, 1);
        // The holder's OTs, then a tables message one byte short.
        auto st = ots.SendRotPieces(ch, v.size() * 8, 8, prng, 1,
                                    [](size_t, absl::Span<const uint64_t>,
                                       absl::Span<const uint64_t>) {});
        if (!st.ok()) return st;
        std::vector<uint8_t> shortmsg(v.size() * 32 - 1);
        st = ch.Send(ByteSpan(shortmsg.data(), shortmsg.size()));
        if (!st.ok()) return st;
        return SecretWords();
      });
  EXPECT_EQ(r0.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace liaison::mpc
