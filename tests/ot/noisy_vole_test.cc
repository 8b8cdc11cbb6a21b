#include "ot/noisy_vole.h"

#include <utility>

#include "base/status.h"
#include "crypto/gf128.h"
#include "gtest/gtest.h"
#include "net/channel.h"
#include "testing/two_parties.h"

namespace liaison::ot {
namespace {

using crypto::kZeroBlock;

constexpr uint64_t kSeed = 0x6e6f697379000001;

Block XPow(int k) { return k < 64 ? Block(0, uint64_t{1} << k) : Block(uint64_t{1} << (k - 64), 0); }

TEST(NoisyVoleCombineTest, IsTheGadgetInnerProduct) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  crypto::SecretBlocks cot(2 * 128);
  prng.Fill(cot.span());
  crypto::SecretBlocks out(2);
  NoisyVoleCombine(cot.span(), out.span());
  for (size_t j = 0; j < 2; ++j) {
    Block want;
    for (int k = 0; k < 128; ++k) want ^= crypto::Gf128Mul(XPow(k), cot[128 * j + k]);
    EXPECT_EQ(out[j], want) << "element " << j;
  }
}

TEST(NoisyVoleCombineTest, ChoiceBitsSpellTheElement) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
  crypto::SecretBlocks c(3);
  prng.Fill(c.span());
  const crypto::SecretBits bits = NoisyVoleReceiver::ChoiceBits(c.span());
  ASSERT_EQ(bits.size(), 3u * 128);
  for (size_t j = 0; j < 3; ++j) EXPECT_EQ(bits.blocks()[j], c[j]);
}

struct NoisyRun {
  absl::StatusOr<crypto::SecretBlocks> b = absl::InternalError("unset");
  absl::StatusOr<crypto::SecretBlocks> a = absl::InternalError("unset");
  Block delta;
};

// RunNoisy runs both sides over a semi-honest OT extension with SoftSpoken
// parameter k (testing::RunPair; the sender is party a).
NoisyRun RunNoisy(const crypto::SecretBlocks& c, int k) {
  SCOPED_TRACE(::testing::Message() << "seed=" << kSeed << " k=" << k);
  OtExtensionParams p;
  p.security = Security::kSemiHonest;
  p.softspoken_k = k;
  NoisyRun run;
  auto [b, a] = testing::RunPair<crypto::SecretBlocks>(
      [&](net::Channel& ch) -> absl::StatusOr<crypto::SecretBlocks> {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 2);
        OtExtensionSender ot(p);
        LIAISON_RETURN_IF_ERROR(ot.SetUp(ch, prng));
        run.delta = ot.delta();
        return NoisyVoleSender().Run(ch, ot, c.size(), prng);
      },
      [&](net::Channel& ch) -> absl::StatusOr<crypto::SecretBlocks> {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 3);
        OtExtensionReceiver ot(p);
        LIAISON_RETURN_IF_ERROR(ot.SetUp(ch, prng));
        return NoisyVoleReceiver().Run(ch, ot, c, prng);
      });
  run.b = std::move(b);
  run.a = std::move(a);
  return run;
}

TEST(NoisyVoleTest, CorrelationHoldsForEveryElement) {
  for (int k : {1, 8}) {
    for (size_t m : {1, 7, 300}) {
      crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + m);
      crypto::SecretBlocks c(m);
      prng.Fill(c.span());
      if (m >= 7) c[3] = kZeroBlock;  // zero is a valid input
      NoisyRun run = RunNoisy(c, k);
      ASSERT_TRUE(run.b.ok()) << run.b.status();
      ASSERT_TRUE(run.a.ok()) << run.a.status();
      ASSERT_EQ(run.a->size(), m);
      ASSERT_EQ(run.b->size(), m);
      EXPECT_NE(run.delta, kZeroBlock);
      for (size_t j = 0; j < m; ++j) {
        EXPECT_EQ((*run.a)[j], (*run.b)[j] ^ crypto::Gf128Mul(c[j], run.delta))
            << "k=" << k << " m=" << m << " j=" << j;
      }
    }
  }
}

}  // namespace
}  // namespace liaison::ot
