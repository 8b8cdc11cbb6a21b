#include "ot/noisy_vole.h"

#include <future>
#include <utility>

#include "crypto/gf128.h"
#include "gtest/gtest.h"
#include "net/channel.h"

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

NoisyRun RunNoisy(const crypto::SecretBlocks& c, int k) {
  SCOPED_TRACE(::testing::Message() << "seed=" << kSeed << " k=" << k);
  OtExtensionParams p;
  p.security = Security::kSemiHonest;
  p.softspoken_k = k;
  auto [to_receiver, to_sender] = net::LocalPair();
  NoisyRun run;
  auto sent = std::async(std::launch::async, [&] {
    crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 2);
    OtExtensionSender ot(p);
    absl::Status s = ot.SetUp(*to_receiver, prng);
    absl::StatusOr<crypto::SecretBlocks> r =
        s.ok() ? NoisyVoleSender().Run(*to_receiver, ot, c.size(), prng)
               : absl::StatusOr<crypto::SecretBlocks>(s);
    if (s.ok()) run.delta = ot.delta();
    to_receiver->Close();
    return r;
  });
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 3);
  OtExtensionReceiver ot(p);
  absl::Status s = ot.SetUp(*to_sender, prng);
  run.a = s.ok() ? NoisyVoleReceiver().Run(*to_sender, ot, c, prng)
                 : absl::StatusOr<crypto::SecretBlocks>(s);
  to_sender->Close();
  run.b = sent.get();
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
