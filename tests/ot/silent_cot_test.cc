#include "ot/silent_cot.h"

#include <memory>
#include <utility>

#include "gtest/gtest.h"
#include "net/channel.h"
#include "testing/faulty_channel.h"
#include "testing/two_parties.h"

namespace liaison::ot {
namespace {

using testing::Fault;

constexpr uint64_t kSeed = 0x736c636f74000001;  // logged: all Prngs derive from it

struct Outcome {
  absl::StatusOr<CotSenderOutput> sender = absl::InternalError("unset");
  absl::StatusOr<SilentCotReceiverOutput> receiver = absl::InternalError("unset");
  uint64_t sender_bytes = 0;
  uint64_t receiver_bytes = 0;
  uint64_t sender_messages = 0;
};

// RunCot runs both parties (testing::RunPair; the sender is party a), with
// `fault` on the sender's end.
Outcome RunCot(size_t n, uint64_t seed, Fault fault = {}) {
  testing::PairOptions options;
  options.wrap_a = [fault](std::unique_ptr<net::Channel> ch) {
    return std::unique_ptr<net::Channel>(
        std::make_unique<testing::FaultyChannel>(std::move(ch), fault));
  };
  Outcome o;
  options.after = [&o](const net::Channel& sender, const net::Channel& receiver) {
    o.sender_bytes = sender.bytes_sent();
    o.receiver_bytes = receiver.bytes_sent();
    o.sender_messages = sender.messages_sent();
  };
  auto [sender, receiver] = testing::RunPair<CotSenderOutput, SilentCotReceiverOutput>(
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(seed);
        return SilentCotSender().Run(ch, n, prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(seed + 1);
        return SilentCotReceiver().Run(ch, n, prng);
      },
      options);
  o.sender = std::move(sender);
  o.receiver = std::move(receiver);
  return o;
}

class SilentCotSizeTest : public ::testing::TestWithParam<size_t> {};

TEST_P(SilentCotSizeTest, CorrelationHoldsForEveryInstance) {
  const size_t n = GetParam();
  SCOPED_TRACE(::testing::Message() << "n=" << n << " seed=" << kSeed);
  const Outcome o = RunCot(n, kSeed + n);
  ASSERT_TRUE(o.sender.ok()) << o.sender.status();
  ASSERT_TRUE(o.receiver.ok()) << o.receiver.status();
  const Block delta = o.sender->delta.value();
  EXPECT_EQ(delta.lo & 1, 1u);
  ASSERT_EQ(o.sender->q.size(), n);
  ASSERT_EQ(o.receiver->t.size(), n);
  ASSERT_EQ(o.receiver->choices.size(), n);
  size_t ones = 0, bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = o.receiver->choices.Get(i);
    ones += c;
    const Block expect = o.sender->q[i] ^ (c ? delta : Block());
    bad += !(o.receiver->t[i] == expect);
  }
  EXPECT_EQ(bad, 0u);
  if (n >= 10000) {  // pseudorandom choices: about half are ones
    EXPECT_GT(ones, n * 45 / 100);
    EXPECT_LT(ones, n * 55 / 100);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, SilentCotSizeTest,
                         ::testing::Values(1, 2, 127, 129, 10000, 1 << 17));

TEST(SilentCotTest, TrafficGrowsOnlyWithLogN) {
  const Outcome o = RunCot(1 << 20, kSeed);
  ASSERT_TRUE(o.receiver.ok()) << o.receiver.status();
  EXPECT_LT(o.receiver_bytes, 40000u);
  EXPECT_LT(o.sender_bytes, 200000u);
}

TEST(SilentCotTest, RunsWithFreshRandomnessDiffer) {
  const Outcome a = RunCot(1000, kSeed), b = RunCot(1000, kSeed + 2);
  ASSERT_TRUE(a.receiver.ok() && b.receiver.ok());
  size_t same = 0;
  for (size_t i = 0; i < 1000; ++i) {
    same += a.receiver->choices.Get(i) == b.receiver->choices.Get(i);
  }
  EXPECT_LT(same, 600u);
}

TEST(SilentCotTest, ZeroLengthIsInvalidArgument) {
  auto [a, b] = net::LocalPair();
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  EXPECT_EQ(SilentCotSender().Run(*a, 0, prng).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SilentCotReceiver().Run(*b, 0, prng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SilentCotFaultTest, TruncatedPprfMessageIsDataLoss) {
  // The sender's last message is the PPRF sums and γ.
  const Outcome clean = RunCot(5000, kSeed);
  ASSERT_TRUE(clean.sender.ok());
  Fault fault;
  fault.kind = Fault::kTruncate;
  fault.message_index = clean.sender_messages - 1;
  const Outcome o = RunCot(5000, kSeed, fault);
  EXPECT_EQ(o.receiver.status().code(), absl::StatusCode::kDataLoss) << o.receiver.status();
}

TEST(SilentCotFaultTest, EveryFaultEndsWithAnErrorNotACrash) {
  for (Fault::Kind kind : testing::AllFaultKinds()) {
    for (uint64_t index : {0, 1, 2, 3}) {
      Fault fault;
      fault.kind = kind;
      fault.message_index = index;
      SCOPED_TRACE(fault.DebugString());
      const Outcome o = RunCot(3000, kSeed, fault);
      if (o.sender.ok() && o.receiver.ok()) {
        // A flipped byte in a random-looking message can go unnoticed by a
        // semi-honest protocol; it must not break memory safety.
        continue;
      }
      EXPECT_NE(o.receiver.status().code(), absl::StatusCode::kInternal);
      EXPECT_NE(o.sender.status().code(), absl::StatusCode::kInternal);
    }
  }
}

}  // namespace
}  // namespace liaison::ot
