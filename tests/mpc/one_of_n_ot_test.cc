#include "mpc/one_of_n_ot.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "mpc/internal/wire.h"
#include "testing/mpc_parties.h"

namespace liaison::mpc {
namespace {

// RandomInstances holds n random tables and n random q-bit choices.
struct RandomInstances {
  RandomInstances(size_t n, int q, uint64_t seed) : tables(n), choice_words(NumWords(n * q) + 1) {
    crypto::Prng data = crypto::Prng::FromTestSeed(seed);
    for (auto& t : tables) t = data.NextU64();
    for (size_t i = 0; i < NumWords(n * q); ++i) choice_words[i] = data.NextU64();
  }
  std::vector<uint64_t> tables, choice_words;
};

// ExpectChosenEntries checks that both parties succeeded and that party
// 0's bit i is entry c_i of table i.
void ExpectChosenEntries(const absl::StatusOr<SecretWords>& r0,
                         const absl::StatusOr<SecretWords>& r1, const RandomInstances& in,
                         int q) {
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  for (size_t i = 0; i < in.tables.size(); ++i) {
    const uint64_t c = internal::GetBits(in.choice_words, i * q, q);
    ASSERT_EQ(GetBit(r0->span(), i), (in.tables[i] >> c) & 1) << "instance " << i;
  }
}

// Party 1 offers random tables, party 0 chooses random entries; for every
// q the receiver gets exactly its entry.
class OneOfNOtTest : public ::testing::TestWithParam<int> {};

TEST_P(OneOfNOtTest, ReceiverGetsTheChosenEntry) {
  const int q = GetParam();
  constexpr size_t kN = 777;
  const RandomInstances in(kN, q, 100 + q);
  const std::vector<uint64_t>& tables = in.tables;
  const std::vector<uint64_t>& choice_words = in.choice_words;
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      q, [&](int party, OtPair& ots, net::Channel& ch,
             crypto::Prng& prng) -> absl::StatusOr<SecretWords> {
        if (party == 0) {
          auto bits = crypto::SecretBits::FromWords(choice_words, kN * q);
          auto rots = ExtendBothWaysWords(ots, ch, bits, 0, prng, 2);
          if (!rots.ok()) return rots.status();
          return OneOfNBitOtReceive(ch, q, kN, choice_words, rots->mine.span(), 2);
        }
        auto rots = ExtendBothWaysWords(ots, ch, crypto::SecretBits(), kN * q, prng, 2);
        if (!rots.ok()) return rots.status();
        absl::Status st =
            OneOfNBitOtSend(ch, q, tables, rots->theirs.m0.span(), rots->theirs.m1.span(), 2);
        if (!st.ok()) return st;
        return SecretWords();
      });
  ExpectChosenEntries(r0, r1, in, q);
}

TEST(OneOfNOtTest, TwoBitMessagesGiveBothPlanes) {
  constexpr int q = 4;
  constexpr size_t kN = 300;
  const RandomInstances in(kN, q, 55);
  const std::vector<uint64_t>& tables = in.tables;
  const std::vector<uint64_t>& choice_words = in.choice_words;
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      9, [&](int party, OtPair& ots, net::Channel& ch,
             crypto::Prng& prng) -> absl::StatusOr<SecretWords> {
        if (party == 0) {
          auto bits = crypto::SecretBits::FromWords(choice_words, kN * q);
          auto rots = ExtendBothWaysWords(ots, ch, bits, 0, prng, 1);
          if (!rots.ok()) return rots.status();
          return OneOfNBitOtReceive(ch, q, kN, choice_words, rots->mine.span(), 1, 2);
        }
        auto rots = ExtendBothWaysWords(ots, ch, crypto::SecretBits(), kN * q, prng, 1);
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

// The fused variants (OTs hashed piece by piece into the tables): every
// choice value of every table, one- and two-bit messages, on more
// instances than one piece holds and on two threads.
TEST_P(OneOfNOtTest, ExtendVariantsGiveEveryChosenEntry) {
  const int q = GetParam();
  const size_t n = 3 * OtPair::kRotPiece / q + 37;  // several pieces, a ragged end
  const uint64_t entries = uint64_t{1} << q;
  for (int b = 1; b <= 2 && (b << q) <= 64; ++b) {
    crypto::Prng data = crypto::Prng::FromTestSeed(200 + 10 * q + b);
    std::vector<uint64_t> tables(n), choice_words(NumWords(n * q) + 1);
    for (auto& t : tables) t = data.NextU64();
    for (size_t i = 0; i < n; ++i) {  // every value, in a scrambled order
      const uint64_t c = (i * 7 + i / entries) % entries;
      choice_words[i * q / 64] |= c << (i * q % 64);
      if (i * q % 64 + q > 64) choice_words[i * q / 64 + 1] |= c >> (64 - i * q % 64);
    }
    auto [r0, r1] = testing::RunTwoParties<SecretWords>(
        300 + q, [&](int party, OtPair& ots, net::Channel& ch,
                     crypto::Prng& prng) -> absl::StatusOr<SecretWords> {
          if (party == 0) {
            return OneOfNBitOtExtendReceive(ots, ch, q, n, choice_words, prng, 2, b);
          }
          absl::Status st = OneOfNBitOtExtendSend(ots, ch, q, tables, prng, 2, b);
          if (!st.ok()) return st;
          return SecretWords();
        });
    ASSERT_TRUE(r0.ok()) << r0.status();
    ASSERT_TRUE(r1.ok()) << r1.status();
    ASSERT_EQ(r0->size(), static_cast<size_t>(b) * NumWords(n));
    std::vector<int> seen(entries, 0);
    for (size_t i = 0; i < n; ++i) {
      const uint64_t c = internal::GetBits(choice_words, i * q, q);
      ++seen[c];
      ASSERT_EQ(GetBit(r0->span(), i), (tables[i] >> c) & 1) << "q " << q << " instance " << i;
      if (b == 2) {
        ASSERT_EQ(GetBit(r0->span(), NumWords(n) * 64 + i), (tables[i] >> (entries + c)) & 1)
            << "q " << q << " instance " << i;
      }
    }
    for (uint64_t c = 0; c < entries; ++c) EXPECT_GT(seen[c], 0) << "choice " << c;
  }
}

// The fused sender talks to the plain receiver: the wire is the same.
TEST_P(OneOfNOtTest, ExtendSendMatchesThePlainReceiver) {
  const int q = GetParam();
  constexpr size_t kN = 2500;
  const RandomInstances in(kN, q, 400 + q);
  const std::vector<uint64_t>& tables = in.tables;
  const std::vector<uint64_t>& choice_words = in.choice_words;
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      500 + q, [&](int party, OtPair& ots, net::Channel& ch,
                   crypto::Prng& prng) -> absl::StatusOr<SecretWords> {
        if (party == 0) {
          auto bits = crypto::SecretBits::FromWords(choice_words, kN * q);
          auto mc = ots.ReceiveRotWords(ch, bits, prng, 2);
          if (!mc.ok()) return mc.status();
          return OneOfNBitOtReceive(ch, q, kN, choice_words, mc->span(), 2);
        }
        absl::Status st = OneOfNBitOtExtendSend(ots, ch, q, tables, prng, 2);
        if (!st.ok()) return st;
        return SecretWords();
      });
  ExpectChosenEntries(r0, r1, in, q);
}

INSTANTIATE_TEST_SUITE_P(AllQ, OneOfNOtTest, ::testing::Range(1, kMaxOneOfNBits + 1));

// Two batches of different q in one extension (the second starting off a
// word boundary and after padding OTs): each gets its chosen entries.
TEST(OneOfNOtTest, FusedBatchesOfDifferentQ) {
  for (auto [qa, qb] : {std::pair{4, 3}, std::pair{5, 1}, std::pair{3, 2}}) {
    const size_t na = 1000 + qa, nb = 777;
    const RandomInstances a(na, qa, 600 + qa), b(nb, qb, 700 + qb);
    auto [r0, r1] = testing::RunTwoParties<std::vector<SecretWords>>(
        800 + qa, [&](int party, OtPair& ots, net::Channel& ch,
                      crypto::Prng& prng) -> absl::StatusOr<std::vector<SecretWords>> {
          if (party == 0) {
            const OneOfNBatch batches[] = {{qa, na, a.choice_words}, {qb, nb, b.choice_words}};
            return OneOfNBitOtExtendReceive(ots, ch, batches, prng, 2, 2);
          }
          const OneOfNBatch batches[] = {{qa, na, a.tables}, {qb, nb, b.tables}};
          absl::Status st = OneOfNBitOtExtendSend(ots, ch, batches, prng, 2, 2);
          if (!st.ok()) return st;
          return std::vector<SecretWords>();
        });
    ASSERT_TRUE(r0.ok()) << r0.status();
    ASSERT_TRUE(r1.ok()) << r1.status();
    ASSERT_EQ(r0->size(), 2u);
    for (int k = 0; k < 2; ++k) {
      const RandomInstances& in = k == 0 ? a : b;
      const int q = k == 0 ? qa : qb;
      const size_t n = in.tables.size();
      const SecretWords& got = (*r0)[k];
      ASSERT_EQ(got.size(), 2 * NumWords(n));
      for (size_t i = 0; i < n; ++i) {
        const uint64_t c = internal::GetBits(in.choice_words, i * q, q);
        ASSERT_EQ(GetBit(got.span(), i), (in.tables[i] >> c) & 1) << qa << qb << " " << i;
        ASSERT_EQ(GetBit(got.span(), NumWords(n) * 64 + i),
                  (in.tables[i] >> ((uint64_t{1} << q) + c)) & 1)
            << qa << qb << " " << i;
      }
    }
  }
}

TEST(OneOfNOtTest, ExtendWithBadShapeIsInvalidArgument) {
  auto [a, b] = net::LocalPair();
  crypto::Prng prng = crypto::Prng::FromTestSeed(1);
  OtPair ots(1, DefaultOtParams(1));
  std::vector<uint64_t> tables(4);
  EXPECT_EQ(OneOfNBitOtExtendSend(ots, *a, 6, tables, prng, 1, 2).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OneOfNBitOtExtendSend(ots, *a, 4, {}, prng, 1).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<uint64_t> choices(1);
  EXPECT_EQ(OneOfNBitOtExtendReceive(ots, *a, 4, 100, choices, prng, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

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
