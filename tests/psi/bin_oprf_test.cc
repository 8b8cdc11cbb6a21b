#include "psi/bin_oprf.h"

#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "testing/two_parties.h"
#include "net/channel.h"

namespace liaison::psi {
namespace {

using crypto::Block;

constexpr uint64_t kSeed = 0xb1a0f2;  // logged: keys and Prngs derive from it

struct OprfRun {
  absl::Status r = absl::InternalError("unset");
  absl::Status s = absl::InternalError("unset");
  std::vector<Block> f;  // the receiver's outputs
  BinOprfSender sender{BinOprfParams{}};
};

void RunOprf(OprfRun& run, const std::vector<Block>& keys, bool malicious, size_t chunk_len = 100) {
  BinOprfParams p;
  p.num_threads = 2;
  p.chunk_len = chunk_len;
  p.malicious = malicious;
  run.sender = BinOprfSender(p);
  run.f.assign(keys.size(), Block());
  auto [cr, cs] = net::LocalPair();
  std::tie(run.r, run.s) = testing::RunOnEnds(
      *cr, *cs,
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
        return BinOprfReceiver(p).Run(ch, keys, absl::MakeSpan(run.f), prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
        return run.sender.Run(ch, keys.size(), chunk_len, prng);
      });
}

std::vector<Block> Keys(size_t n, uint64_t seed) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(seed);
  std::vector<Block> k(n);
  for (Block& b : k) b = prng.NextBlock();
  return k;
}

// Each bin's function agrees with the receiver at its key, and differs at
// any other key, in another bin at the same key, both modes.
TEST(BinOprfTest, ReceiverLearnsEachBinsFunctionAtItsOneKeyOnly) {
  for (bool malicious : {false, true}) {
    SCOPED_TRACE(::testing::Message() << "malicious=" << malicious << " seed=" << kSeed);
    const std::vector<Block> keys = Keys(1000, kSeed + 10);
    OprfRun run;
    RunOprf(run, keys, malicious);
    ASSERT_TRUE(run.r.ok()) << run.r;
    ASSERT_TRUE(run.s.ok()) << run.s;
    std::vector<uint32_t> bins(keys.size());
    for (uint32_t b = 0; b < bins.size(); ++b) bins[b] = b;
    std::vector<Block> at_own(keys.size()), at_next(keys.size()), other_bin(keys.size());
    run.sender.Eval(bins, keys, absl::MakeSpan(at_own));
    std::vector<Block> next_keys(keys.size());
    for (size_t b = 0; b < keys.size(); ++b) next_keys[b] = keys[(b + 1) % keys.size()];
    run.sender.Eval(bins, next_keys, absl::MakeSpan(at_next));
    std::vector<uint32_t> shifted(keys.size());
    for (uint32_t b = 0; b < bins.size(); ++b) shifted[b] = (b + 1) % bins.size();
    run.sender.Eval(shifted, keys, absl::MakeSpan(other_bin));
    for (size_t b = 0; b < keys.size(); ++b) {
      ASSERT_EQ(at_own[b], run.f[b]) << b;
      ASSERT_NE(at_next[b], run.f[b]) << b;
      ASSERT_NE(other_bin[b], run.f[b]) << b;
    }
  }
}

// Two bins holding the same key get unrelated outputs: the tag of one bin
// says nothing about another.
TEST(BinOprfTest, SameKeyInTwoBinsGivesUnrelatedValues) {
  std::vector<Block> keys = Keys(64, kSeed + 11);
  keys[5] = keys[6];
  OprfRun run;
  RunOprf(run, keys, false);
  ASSERT_TRUE(run.r.ok() && run.s.ok());
  EXPECT_NE(run.f[5], run.f[6]);
}

TEST(BinOprfTest, BadSizesAreInvalidArgument) {
  auto [cr, cs] = net::LocalPair();
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  std::vector<Block> out(1);
  EXPECT_EQ(BinOprfReceiver({}).Run(*cr, {}, absl::MakeSpan(out), prng).code(),
            absl::StatusCode::kInvalidArgument);
  BinOprfSender s({});
  EXPECT_EQ(s.Run(*cs, 0, 10, prng).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cr->bytes_sent() + cs->bytes_sent(), 0u);
}

TEST(BinOprfTest, TruncatedOrMissingChunkIsDataLossOrUnavailable) {
  // A receiver that sends a short d chunk after the VOLE: the sender
  // refuses it. Played by cutting the channel's last message short.
  const std::vector<Block> keys = Keys(300, kSeed + 12);
  BinOprfParams p;
  p.num_threads = 1;
  p.chunk_len = 100;
  auto [cr, cs] = net::LocalPair();
  BinOprfSender sender(p);
  std::vector<Block> f(keys.size());
  auto [r, s] = testing::RunOnEnds(
      *cr, *cs,
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
        return BinOprfReceiver(p).Run(ch, keys, absl::MakeSpan(f), prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
        return sender.Run(ch, keys.size() + 1, 100, prng);  // expects one more bin
      });
  EXPECT_FALSE(r.ok() && s.ok());
  EXPECT_TRUE(s.code() == absl::StatusCode::kDataLoss ||
              s.code() == absl::StatusCode::kUnavailable ||
              s.code() == absl::StatusCode::kFailedPrecondition)
      << s;
}

}  // namespace
}  // namespace liaison::psi
