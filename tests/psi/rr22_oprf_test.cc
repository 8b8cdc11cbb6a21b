#include "psi/rr22_oprf.h"

#include <tuple>
#include <vector>

#include "crypto/block.h"
#include "gtest/gtest.h"
#include "testing/two_parties.h"
#include "net/channel.h"
#include "testing/faulty_channel.h"

namespace liaison::psi {
namespace {

using crypto::Block;

constexpr uint64_t kSeed = 0x6f707266;  // logged: every Prng derives from it

Rr22OprfParams Params(bool malicious = false) {
  Rr22OprfParams p;
  p.num_threads = 2;
  p.chunk_len = 777;  // several chunks, the last one short
  p.malicious = malicious;
  return p;
}

std::vector<Block> RandomKeys(size_t n, uint64_t seed) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(seed);
  std::vector<Block> keys(n);
  for (Block& k : keys) k = prng.NextBlock();
  return keys;
}

struct OprfRun {
  absl::Status receiver;
  absl::Status sender;
  std::vector<Block> receiver_out;
};

// RunOprf runs both sides over `receiver_end` / `sender_end`
// (testing::RunOnEnds, the ends kept open); the sender stays usable for
// Eval afterwards.
OprfRun RunOprf(net::Channel& receiver_end, net::Channel& sender_end,
                const std::vector<Block>& keys, Rr22OprfSender& sender,
                uint64_t announced_keys, bool malicious = false) {
  OprfRun out;
  out.receiver_out.resize(keys.size());
  std::tie(out.receiver, out.sender) = testing::RunOnEnds(
      receiver_end, sender_end,
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
        return Rr22OprfReceiver(Params(malicious))
            .Run(ch, keys, absl::MakeSpan(out.receiver_out), prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
        return sender.Run(ch, announced_keys, 777, prng);
      },
      testing::WhenDone::kKeepOpen);
  return out;
}

// Both modes (malicious: the malicious VOLE, the coin toss for w and the
// Davies–Meyer outputs).
TEST(Rr22OprfTest, SenderEvaluationMatchesReceiverOutputsOnlyOnItsKeys) {
  for (bool malicious : {false, true}) {
    for (size_t n : {1, 2, 1000, 20000}) {
      SCOPED_TRACE(::testing::Message() << "n=" << n << " malicious=" << malicious
                                        << " seed=" << kSeed);
      auto [r, s] = net::LocalPair();
      const std::vector<Block> keys = RandomKeys(n, kSeed + n);
      Rr22OprfSender sender(Params(malicious));
      OprfRun run = RunOprf(*r, *s, keys, sender, n, malicious);
      ASSERT_TRUE(run.receiver.ok()) << run.receiver;
      ASSERT_TRUE(run.sender.ok()) << run.sender;

      std::vector<Block> at_keys(n);
      sender.Eval(keys, absl::MakeSpan(at_keys));
      EXPECT_TRUE(at_keys == run.receiver_out);

      const std::vector<Block> others = RandomKeys(n, kSeed + 7 * n + 3);
      std::vector<Block> at_others(n);
      sender.Eval(others, absl::MakeSpan(at_others));
      for (size_t i = 0; i < n; ++i) {
        EXPECT_NE(at_others[i], run.receiver_out[i]) << i;
        EXPECT_NE(at_others[i], at_keys[i]) << i;
      }
    }
  }
}

TEST(Rr22OprfTest, DuplicateKeysAreInvalidArgument) {
  auto [r, s] = net::LocalPair();
  std::vector<Block> keys = RandomKeys(100, kSeed);
  keys[50] = keys[7];
  Rr22OprfSender sender(Params());
  OprfRun run = RunOprf(*r, *s, keys, sender, keys.size());
  EXPECT_EQ(run.receiver.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(run.sender.ok());
}

TEST(Rr22OprfTest, EmptyInputOrWrongOutputSizeIsInvalidArgument) {
  auto [r, s] = net::LocalPair();
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  std::vector<Block> out(3);
  EXPECT_EQ(Rr22OprfReceiver(Params())
                .Run(*r, {}, absl::MakeSpan(out).subspan(0, 0), prng)
                .code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<Block> keys = RandomKeys(4, kSeed);
  EXPECT_EQ(
      Rr22OprfReceiver(Params()).Run(*r, keys, absl::MakeSpan(out), prng).code(),
      absl::StatusCode::kInvalidArgument);
  Rr22OprfSender sender(Params());
  EXPECT_EQ(sender.Run(*s, 0, 777, prng).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Rr22OprfTest, ReceiverAnnouncingFewerKeysGivesDataLoss) {
  // The sender expects the OKVS of 100 keys while the receiver sends the
  // (longer) OKVS of 5000: the VOLE lengths differ, which the sender sees
  // as a malformed message.
  auto [r, s] = net::LocalPair();
  const std::vector<Block> keys = RandomKeys(5000, kSeed);
  Rr22OprfSender sender(Params());
  OprfRun run = RunOprf(*r, *s, keys, sender, 100);
  EXPECT_FALSE(run.receiver.ok());
  EXPECT_TRUE(run.sender.code() == absl::StatusCode::kDataLoss ||
              run.sender.code() == absl::StatusCode::kFailedPrecondition)
      << run.sender;
}

TEST(Rr22OprfTest, TruncatedOkvsChunkIsDataLoss) {
  const std::vector<Block> keys = RandomKeys(3000, kSeed);
  // Count the receiver's messages on a clean run first; the last one is the
  // tail of P ⊕ C.
  uint64_t messages = 0;
  {
    auto [r, s] = net::LocalPair();
    Rr22OprfSender sender(Params());
    OprfRun run = RunOprf(*r, *s, keys, sender, keys.size());
    ASSERT_TRUE(run.receiver.ok()) << run.receiver;
    messages = r->messages_sent();
  }
  auto [r, s] = net::LocalPair();
  testing::FaultyChannel faulty(
      std::move(r), {.kind = testing::Fault::kTruncate,
                     .message_index = messages - 1,
                     .keep_len = 5});
  Rr22OprfSender sender(Params());
  OprfRun run = RunOprf(faulty, *s, keys, sender, keys.size());
  EXPECT_TRUE(faulty.fired());
  EXPECT_EQ(run.sender.code(), absl::StatusCode::kDataLoss) << run.sender;
}

TEST(Rr22OprfMaliciousTest, OutputsDifferFromTheSemiHonestFunction) {
  const std::vector<Block> keys = RandomKeys(100, kSeed);
  std::vector<Block> out[2];
  for (bool malicious : {false, true}) {
    auto [r, s] = net::LocalPair();
    Rr22OprfSender sender(Params(malicious));
    OprfRun run = RunOprf(*r, *s, keys, sender, keys.size(), malicious);
    ASSERT_TRUE(run.receiver.ok() && run.sender.ok());
    out[malicious] = run.receiver_out;
  }
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_NE(out[0][i], out[1][i]);
}

// The sender's first message is the commitment to w_S and its last the
// opening: a change to either is DataLoss for the receiver.
TEST(Rr22OprfMaliciousTest, OpeningThatDoesNotMatchTheCommitmentIsDataLoss) {
  const std::vector<Block> keys = RandomKeys(500, kSeed);
  uint64_t messages = 0;
  {
    auto [r, s] = net::LocalPair();
    Rr22OprfSender sender(Params(true));
    OprfRun run = RunOprf(*r, *s, keys, sender, keys.size(), true);
    ASSERT_TRUE(run.receiver.ok() && run.sender.ok());
    messages = s->messages_sent();
  }
  for (uint64_t index : {uint64_t{0}, messages - 1}) {
    auto [r, s] = net::LocalPair();
    testing::FaultyChannel faulty(
        std::move(s), {.kind = testing::Fault::kFlipByte, .message_index = index});
    Rr22OprfSender sender(Params(true));
    OprfRun run = RunOprf(*r, faulty, keys, sender, keys.size(), true);
    EXPECT_TRUE(faulty.fired());
    EXPECT_EQ(run.receiver.code(), absl::StatusCode::kDataLoss) << run.receiver;
  }
}

}  // namespace
}  // namespace liaison::psi
