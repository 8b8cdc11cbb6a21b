#include "mpc/one_of_n_ot.h"

#include <vector>

#include "gtest/gtest.h"
#include "mpc/internal/wire.h"
#include "testing/mpc_parties.h"

namespace liaison::mpc {
namespace {

// Party 1 offers random tables, party 0 chooses random entries; for every
// q the receiver gets exactly its entry.
class OneOfNOtTest : public ::testing::TestWithParam<int> {};

TEST_P(OneOfNOtTest, ReceiverGetsTheChosenEntry) {
  const int q = GetParam();
  constexpr size_t kN = 777;
  crypto::Prng data = crypto::Prng::FromTestSeed(100 + q);
  std::vector<uint64_t> tables(kN), choice_words(NumWords(kN * q) + 1);
  for (auto& t : tables) t = data.NextU64();
  for (size_t i = 0; i < NumWords(kN * q); ++i) choice_words[i] = data.NextU64();
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      q, [&](int party, OtPair& ots, net::Channel& ch,
             crypto::Prng& prng) -> absl::StatusOr<SecretWords> {
        if (party == 0) {
          auto bits = ot::SecretBits::FromWords(choice_words, kN * q);
          auto rots = ExtendBothWaysWords(ots, ch, bits, 0, prng, 2);
          if (!rots.ok()) return rots.status();
          return OneOfNBitOtReceive(ch, q, kN, choice_words, rots->mine.span(), 2);
        }
        auto rots = ExtendBothWaysWords(ots, ch, ot::SecretBits(), kN * q, prng, 2);
        if (!rots.ok()) return rots.status();
        absl::Status st =
            OneOfNBitOtSend(ch, q, tables, rots->theirs.m0.span(), rots->theirs.m1.span(), 2);
        if (!st.ok()) return st;
        return SecretWords();
      });
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  for (size_t i = 0; i < kN; ++i) {
    const uint64_t c = internal::GetBits(choice_words, i * q, q);
    ASSERT_EQ(GetBit(r0->span(), i), (tables[i] >> c) & 1) << "instance " << i;
  }
}

TEST(OneOfNOtTest, TwoBitMessagesGiveBothPlanes) {
  constexpr int q = 4;
  constexpr size_t kN = 300;
  crypto::Prng data = crypto::Prng::FromTestSeed(55);
  std::vector<uint64_t> tables(kN), choice_words(NumWords(kN * q) + 1);
  for (auto& t : tables) t = data.NextU64();
  for (size_t i = 0; i < NumWords(kN * q); ++i) choice_words[i] = data.NextU64();
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      9, [&](int party, OtPair& ots, net::Channel& ch,
             crypto::Prng& prng) -> absl::StatusOr<SecretWords> {
        if (party == 0) {
          auto bits = ot::SecretBits::FromWords(choice_words, kN * q);
          auto rots = ExtendBothWaysWords(ots, ch, bits, 0, prng, 1);
          if (!rots.ok()) return rots.status();
          return OneOfNBitOtReceive(ch, q, kN, choice_words, rots->mine.span(), 1, 2);
        }
        auto rots = ExtendBothWaysWords(ots, ch, ot::SecretBits(), kN * q, prng, 1);
        if (!rots.ok()) return rots.status();
        absl::Status st = OneOfNBitOtSend(ch, q, tables, rots->theirs.m0.span(),
                                          rots->theirs.m1.span(), 1, 2);
        if (!st.ok()) return st;
        return SecretWords();
      });
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  ASSERT_EQ(r0->size(), 2 * NumWords(kN));
  for (size_t i = 0; i < kN; ++i) {
    const uint64_t c = internal::GetBits(choice_words, i * q, q);
    ASSERT_EQ(GetBit(r0->span(), i), (tables[i] >> c) & 1) << i;
    ASSERT_EQ(GetBit(r0->span(), NumWords(kN) * 64 + i), (tables[i] >> (16 + c)) & 1) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AllQ, OneOfNOtTest, ::testing::Range(1, kMaxOneOfNBits + 1));

TEST(OneOfNOtTest, BadQIsInvalidArgument) {
  auto [a, b] = net::LocalPair();
  std::vector<uint64_t> t(1);
  EXPECT_EQ(OneOfNBitOtSend(*a, 7, t, {}, {}, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OneOfNBitOtReceive(*a, 0, 1, t, {}, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(OneOfNOtTest, ShortTableMessageIsDataLoss) {
  auto [a, b] = net::LocalPair();
  ASSERT_TRUE(a->Send(Bytes(3)).ok());
  std::vector<uint64_t> choice(1);
  std::vector<uint64_t> mc(4 * 10);
  EXPECT_EQ(OneOfNBitOtReceive(*b, 4, 10, choice, mc, 1).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace liaison::mpc
