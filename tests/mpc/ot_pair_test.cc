#include "mpc/ot_pair.h"

#include <mutex>
#include <vector>

#include "gtest/gtest.h"
#include "testing/mpc_parties.h"

namespace liaison::mpc {
namespace {

struct Both {
  crypto::SecretBlocks mine;  // received
  ot::RotSenderOutput theirs;
  crypto::SecretBits choices;
};

TEST(OtPairTest, RandomOtsHoldInBothDirections) {
  constexpr size_t kN = 1000;
  auto [r0, r1] = testing::RunTwoParties<Both>(
      7, [&](int party, OtPair& ots, net::Channel& ch, crypto::Prng& prng) -> absl::StatusOr<Both> {
        Both b;
        b.choices = crypto::SecretBits::Random(kN + party, prng);
        auto rots = ExtendBothWays(ots, ch, b.choices, kN + 1 - party, prng);
        if (!rots.ok()) return rots.status();
        b.mine = std::move(rots->mine);
        b.theirs = std::move(rots->theirs);
        return b;
      });
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  for (int p = 0; p < 2; ++p) {
    const Both& recv = p == 0 ? *r0 : *r1;
    const Both& send = p == 0 ? *r1 : *r0;
    ASSERT_EQ(recv.mine.size(), kN + p);
    ASSERT_EQ(send.theirs.m0.size(), kN + p);
    for (size_t i = 0; i < kN + p; ++i) {
      const crypto::Block& want = recv.choices.Get(i) ? send.theirs.m1[i] : send.theirs.m0[i];
      const crypto::Block& other = recv.choices.Get(i) ? send.theirs.m0[i] : send.theirs.m1[i];
      ASSERT_EQ(recv.mine[i], want) << "party " << p << " OT " << i;
      ASSERT_NE(recv.mine[i], other);
    }
  }
}

TEST(OtPairTest, WordOtsAreTheLowWordsOfTheBlockOts) {
  constexpr size_t kN = 5000;
  struct Words {
    SecretWords mine;
    OtPair::RotWords theirs;
    crypto::SecretBits choices;
  };
  auto [r0, r1] = testing::RunTwoParties<Words>(
      8, [&](int party, OtPair& ots, net::Channel& ch, crypto::Prng& prng) -> absl::StatusOr<Words> {
        Words w;
        w.choices = crypto::SecretBits::Random(party == 1 ? kN : 0, prng);
        auto rots = ExtendBothWaysWords(ots, ch, w.choices, party == 0 ? kN : 0, prng, 2);
        if (!rots.ok()) return rots.status();
        w.mine = std::move(rots->mine);
        w.theirs = std::move(rots->theirs);
        return w;
      });
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  ASSERT_EQ(r1->mine.size(), kN);
  ASSERT_EQ(r0->theirs.m0.size(), kN);
  for (size_t i = 0; i < kN; ++i) {
    const uint64_t b = r1->choices.Get(i);
    ASSERT_EQ(r1->mine[i], b ? r0->theirs.m1[i] : r0->theirs.m0[i]) << i;
    ASSERT_NE(r0->theirs.m0[i], r0->theirs.m1[i]);
  }
}

// Pieces cover every OT once, start at multiples of the group, and carry
// the messages of a random OT, across three slices.
TEST(OtPairTest, PiecesCoverEveryOtWithTheRightMessages) {
  constexpr size_t kN = 2 * OtPair::kRotPiece * OtPair::kPiecesPerSlice + 101;
  constexpr size_t kGroup = 6;
  struct Pieces {
    std::vector<uint64_t> m0, m1, mc;
    std::vector<int> hits;
    bool aligned = true;
    crypto::SecretBits choices;
  };
  auto [r0, r1] = testing::RunTwoParties<Pieces>(
      9, [&](int party, OtPair& ots, net::Channel& ch,
             crypto::Prng& prng) -> absl::StatusOr<Pieces> {
        Pieces p;
        p.hits.assign(kN, 0);
        std::mutex mu;
        if (party == 0) {
          p.m0.resize(kN);
          p.m1.resize(kN);
          absl::Status st = ots.SendRotPieces(
              ch, kN, kGroup, prng, 2,
              [&](size_t first, absl::Span<const uint64_t> m0, absl::Span<const uint64_t> m1) {
                std::lock_guard<std::mutex> lock(mu);
                p.aligned &= first % kGroup == 0 &&
                             (first + m0.size() == kN || m0.size() % kGroup == 0);
                for (size_t i = 0; i < m0.size(); ++i) {
                  p.m0[first + i] = m0[i];
                  p.m1[first + i] = m1[i];
                  ++p.hits[first + i];
                }
              });
          if (!st.ok()) return st;
          return p;
        }
        p.choices = crypto::SecretBits::Random(kN, prng);
        p.mc.resize(kN);
        absl::Status st = ots.ReceiveRotPieces(
            ch, p.choices, kGroup, prng, 2, [&](size_t first, absl::Span<const uint64_t> mc) {
              std::lock_guard<std::mutex> lock(mu);
              p.aligned &= first % kGroup == 0;
              for (size_t i = 0; i < mc.size(); ++i) {
                p.mc[first + i] = mc[i];
                ++p.hits[first + i];
              }
            });
        if (!st.ok()) return st;
        return p;
      });
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_TRUE(r0->aligned);
  EXPECT_TRUE(r1->aligned);
  for (size_t i = 0; i < kN; ++i) {
    ASSERT_EQ(r0->hits[i], 1) << i;
    ASSERT_EQ(r1->hits[i], 1) << i;
    ASSERT_EQ(r1->mc[i], r1->choices.Get(i) ? r0->m1[i] : r0->m0[i]) << i;
    ASSERT_NE(r0->m0[i], r0->m1[i]) << i;
  }
}

TEST(OtPairTest, PiecesWithBadGroupAreInvalidArgument) {
  auto [a, b] = net::LocalPair();
  crypto::Prng prng = crypto::Prng::FromTestSeed(1);
  OtPair ots(0, DefaultOtParams(1));
  auto ignore = [](size_t, absl::Span<const uint64_t>, absl::Span<const uint64_t>) {};
  EXPECT_EQ(ots.SendRotPieces(*a, 10, 0, prng, 1, ignore).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ots.SendRotPieces(*a, 10, OtPair::kRotPiece + 1, prng, 1, ignore).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(OtPairTest, BadPartyIsInvalidArgument) {
  auto [a, b] = net::LocalPair();
  crypto::Prng prng = crypto::Prng::FromTestSeed(1);
  OtPair ots(2, DefaultOtParams(1));
  EXPECT_EQ(ots.SetUp(*a, prng).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace liaison::mpc
