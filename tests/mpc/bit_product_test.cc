#include "mpc/bit_product.h"

#include <vector>

#include "gtest/gtest.h"
#include "testing/mpc_parties.h"

namespace liaison::mpc {
namespace {

constexpr size_t kN = 517;

struct Inputs {
  std::vector<uint64_t> bits0, bits1;  // XOR shares
  std::vector<uint64_t> v0, v1;        // additive shares
  uint64_t Bit(size_t i) const { return GetBit(bits0, i) ^ GetBit(bits1, i); }
};

Inputs MakeInputs(uint64_t seed) {
  crypto::Prng data = crypto::Prng::FromTestSeed(seed);
  Inputs in;
  for (size_t i = 0; i < NumWords(kN); ++i) {
    in.bits0.push_back(data.NextU64());
    in.bits1.push_back(data.NextU64());
  }
  for (size_t i = 0; i < kN; ++i) {
    // Values at the edges: 0, 1, 2^64 - 1, 2^63, and random.
    const uint64_t edge[] = {0, 1, ~uint64_t{0}, uint64_t{1} << 63, data.NextU64()};
    const uint64_t v = edge[i % 5];
    const uint64_t r = data.NextU64();
    in.v0.push_back(r);
    in.v1.push_back(v - r);
  }
  return in;
}

TEST(BitProductTest, BitsToArithmeticSharesTheBits) {
  const Inputs in = MakeInputs(1);
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      1, [&](int party, OtPair& ots, net::Channel& ch, crypto::Prng& prng) {
        return BitsToArithmetic(ots, ch, party == 0 ? in.bits0 : in.bits1, kN, prng, 2);
      });
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  for (size_t i = 0; i < kN; ++i) ASSERT_EQ((*r0)[i] + (*r1)[i], in.Bit(i)) << i;
}

// BitAndSharedWords with the OTs in both modes: the malicious OT pair
// (checked extension, TCCR-hashed messages) gives the same results.
TEST(BitProductTest, BitAndSharedWordsIsTheWordWhereTheBitIsSet) {
  const Inputs in = MakeInputs(3);
  for (ot::Security security : {ot::Security::kSemiHonest, ot::Security::kMalicious}) {
    auto [r0, r1] = testing::RunTwoParties<SecretWords>(
        3,
        [&](int party, OtPair& ots, net::Channel& ch, crypto::Prng& prng) {
          return BitAndSharedWords(ots, ch, party == 0 ? in.bits0 : in.bits1, kN,
                                   party == 0 ? in.v0 : in.v1, prng, 2);
        },
        security);
    ASSERT_TRUE(r0.ok()) << r0.status();
    ASSERT_TRUE(r1.ok()) << r1.status();
    for (size_t i = 0; i < kN; ++i) {
      const uint64_t w = in.v0[i] ^ in.v1[i];
      ASSERT_EQ((*r0)[i] ^ (*r1)[i], in.Bit(i) ? w : 0) << i;
    }
  }
}

TEST(BitProductTest, MaliciousOtsGiveTheSameProducts) {
  const Inputs in = MakeInputs(4);
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      4,
      [&](int party, OtPair& ots, net::Channel& ch, crypto::Prng& prng) {
        return BitTimesSharedValue(ots, ch, party == 0 ? in.bits0 : in.bits1, kN,
                                   party == 0 ? in.v0 : in.v1, prng, 2);
      },
      ot::Security::kMalicious);
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  for (size_t i = 0; i < kN; ++i) {
    ASSERT_EQ((*r0)[i] + (*r1)[i], in.Bit(i) * (in.v0[i] + in.v1[i])) << i;
  }
}

TEST(BitProductTest, BitTimesSharedValueIsTheProduct) {
  const Inputs in = MakeInputs(2);
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      2, [&](int party, OtPair& ots, net::Channel& ch, crypto::Prng& prng) {
        return BitTimesSharedValue(ots, ch, party == 0 ? in.bits0 : in.bits1, kN,
                                   party == 0 ? in.v0 : in.v1, prng, 2);
      });
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  for (size_t i = 0; i < kN; ++i) {
    ASSERT_EQ((*r0)[i] + (*r1)[i], in.Bit(i) * (in.v0[i] + in.v1[i])) << i;
  }
}

TEST(BitProductTest, TwoLanesFromOneOt) {
  const Inputs in = MakeInputs(3);
  std::vector<uint64_t> lanes(2 * kN);
  for (size_t i = 0; i < kN; ++i) {
    lanes[i] = 1;
    lanes[kN + i] = in.v0[i];
  }
  auto [r0, r1] = testing::RunTwoParties<SecretWords>(
      3, [&](int party, OtPair& ots, net::Channel& ch, crypto::Prng& prng) {
        if (party == 0) return BitTimesOwnValuesSend(ots, ch, in.bits0, kN, lanes, prng, 1);
        return BitTimesOwnValuesReceive(ots, ch, in.bits1, kN, 2, prng, 1);
      });
  ASSERT_TRUE(r0.ok()) << r0.status();
  ASSERT_TRUE(r1.ok()) << r1.status();
  for (size_t i = 0; i < kN; ++i) {
    ASSERT_EQ((*r0)[i] + (*r1)[i], in.Bit(i)) << i;
    ASSERT_EQ((*r0)[kN + i] + (*r1)[kN + i], in.Bit(i) * in.v0[i]) << i;
  }
}

TEST(BitProductTest, BadLaneCountIsInvalidArgument) {
  auto [a, b] = net::LocalPair();
  crypto::Prng prng = crypto::Prng::FromTestSeed(1);
  OtPair ots(0, DefaultOtParams(1));
  std::vector<uint64_t> bits(1), values(3 * 4);
  EXPECT_EQ(BitTimesOwnValuesSend(ots, *a, bits, 4, values, prng, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace liaison::mpc
