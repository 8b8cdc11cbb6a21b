#include "ot/silent_vole.h"

#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "crypto/gf128.h"
#include "gtest/gtest.h"
#include "net/channel.h"
#include "testing/faulty_channel.h"
#include "testing/two_parties.h"

namespace liaison::ot {
namespace {

using crypto::kZeroBlock;
using testing::Fault;

constexpr uint64_t kSeed = 0x736c766f6c650001;

struct Outcome {
  absl::StatusOr<SilentVoleSenderOutput> sender = absl::InternalError("unset");
  absl::StatusOr<SilentVoleReceiverOutput> receiver = absl::InternalError("unset");
  uint64_t sender_bytes = 0;
  uint64_t receiver_bytes = 0;
  uint64_t sender_messages = 0;
  uint64_t receiver_messages = 0;
};

// RunVole runs both parties (testing::RunPair; the sender is party a),
// the receiver with `receiver_p` if given (else `p`); `fault` applies to
// the sender's end if by_sender, else to the receiver's.
Outcome RunVole(size_t n, uint64_t seed, SilentVoleParams p = {}, Fault fault = {},
                bool by_sender = true, std::optional<SilentVoleParams> receiver_p = {}) {
  testing::PairOptions options;
  (by_sender ? options.wrap_a : options.wrap_b) = [fault](std::unique_ptr<net::Channel> ch) {
    return std::unique_ptr<net::Channel>(
        std::make_unique<testing::FaultyChannel>(std::move(ch), fault));
  };
  Outcome o;
  options.after = [&o](const net::Channel& sender, const net::Channel& receiver) {
    o.sender_bytes = sender.bytes_sent();
    o.receiver_bytes = receiver.bytes_sent();
    o.sender_messages = sender.messages_sent();
    o.receiver_messages = receiver.messages_sent();
  };
  auto [sender, receiver] = testing::RunPair<SilentVoleSenderOutput, SilentVoleReceiverOutput>(
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(seed);
        return SilentVoleSender(p).Run(ch, n, prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(seed + 1);
        return SilentVoleReceiver(receiver_p.value_or(p)).Run(ch, n, prng);
      },
      options);
  o.sender = std::move(sender);
  o.receiver = std::move(receiver);
  return o;
}

// ExpectVole checks A_i = B_i ⊕ C_i·Δ for every i.
void ExpectVole(const Outcome& o, size_t n) {
  ASSERT_TRUE(o.sender.ok()) << o.sender.status();
  ASSERT_TRUE(o.receiver.ok()) << o.receiver.status();
  const Block delta = o.sender->delta.value();
  const auto& a = o.receiver->a;
  const auto& b = o.sender->b;
  const auto& c = o.receiver->c;
  ASSERT_EQ(a.size(), n);
  ASSERT_EQ(b.size(), n);
  ASSERT_EQ(c.size(), n);
  EXPECT_NE(delta, kZeroBlock);
  std::vector<Block> deltas(n, delta), cd(n);
  crypto::Gf128MulBlocks(c.span(), deltas, absl::MakeSpan(cd));
  size_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != (b[i] ^ cd[i]) && bad++ == 0) ADD_FAILURE() << "first mismatch at " << i;
  }
  EXPECT_EQ(bad, 0u);
}

class SilentVoleSizeTest : public ::testing::TestWithParam<size_t> {};

TEST_P(SilentVoleSizeTest, CorrelationHoldsForEveryIndex) {
  const size_t n = GetParam();
  SCOPED_TRACE(::testing::Message() << "n=" << n << " seed=" << kSeed);
  Outcome o = RunVole(n, kSeed);
  ExpectVole(o, n);
  if (!o.receiver.ok()) return;
  // C looks uniform: no zero, all distinct (a collision among 2^20 uniform
  // blocks has probability about 2^-89).
  const auto& c = o.receiver->c;
  std::set<Block> distinct(c.span().begin(), c.span().end());
  EXPECT_EQ(distinct.size(), n);
  EXPECT_EQ(distinct.count(kZeroBlock), 0u);
  std::set<Block> distinct_b(o.sender->b.span().begin(), o.sender->b.span().end());
  EXPECT_EQ(distinct_b.size(), n);
}

INSTANTIATE_TEST_SUITE_P(Sizes, SilentVoleSizeTest,
                         ::testing::Values(size_t{1}, size_t{100}, size_t{1000},
                                           size_t{1} << 16, size_t{1} << 20));

TEST(SilentVoleTest, BitsOfCAreBalanced) {
  Outcome o = RunVole(4096, kSeed + 2);
  ASSERT_TRUE(o.receiver.ok());
  // Each of the 128 bit positions over 4096 elements: mean 2048, sd 32.
  for (int bit = 0; bit < 128; ++bit) {
    int ones = 0;
    for (size_t i = 0; i < 4096; ++i) ones += o.receiver->c[i].Bit(bit);
    EXPECT_GT(ones, 2048 - 32 * 7) << "bit " << bit;
    EXPECT_LT(ones, 2048 + 32 * 7) << "bit " << bit;
  }
}

TEST(SilentVoleTest, DifferentSeedsGiveDifferentOutputs) {
  Outcome o1 = RunVole(1000, kSeed + 10);
  Outcome o2 = RunVole(1000, kSeed + 20);
  ExpectVole(o1, 1000);
  ExpectVole(o2, 1000);
  ASSERT_TRUE(o1.sender.ok() && o2.sender.ok() && o1.receiver.ok() && o2.receiver.ok());
  EXPECT_NE(o1.sender->delta.value(), o2.sender->delta.value());
  size_t same_a = 0, same_b = 0, same_c = 0;
  for (size_t i = 0; i < 1000; ++i) {
    same_a += o1.receiver->a[i] == o2.receiver->a[i];
    same_b += o1.sender->b[i] == o2.sender->b[i];
    same_c += o1.receiver->c[i] == o2.receiver->c[i];
  }
  EXPECT_EQ(same_a, 0u);
  EXPECT_EQ(same_b, 0u);
  EXPECT_EQ(same_c, 0u);
}

TEST(SilentVoleTest, SameSeedsAndAnyThreadCountGiveTheSameOutputs) {
  SilentVoleParams one;
  one.num_threads = 1;
  Outcome o1 = RunVole(5000, kSeed + 30, one);
  Outcome o2 = RunVole(5000, kSeed + 30);
  ExpectVole(o1, 5000);
  ASSERT_TRUE(o1.sender.ok() && o2.sender.ok() && o1.receiver.ok() && o2.receiver.ok());
  for (size_t i = 0; i < 5000; ++i) {
    ASSERT_EQ(o1.receiver->a[i], o2.receiver->a[i]);
    ASSERT_EQ(o1.receiver->c[i], o2.receiver->c[i]);
    ASSERT_EQ(o1.sender->b[i], o2.sender->b[i]);
  }
}

TEST(SilentVoleTest, OtherParametersKeepTheCorrelation) {
  SilentVoleParams p;
  p.noise_weight = 64;
  p.expansion = 3;
  p.softspoken_k = 1;
  p.expander_weight = 21;
  Outcome o = RunVole(3001, kSeed + 40, p);
  ExpectVole(o, 3001);
}

// Regression (issue 11): t = 496 gave 116 bits by the linear-test estimate
// for GF(2^128) noise under a binary code, not the 128 the docs claimed.
TEST(SilentVoleTest, DefaultNoiseWeightReaches128BitsByTheLinearTestEstimate) {
  const SilentVoleParams p;
  EXPECT_GE(SilentVoleLinearTestBits(p.noise_weight), 128.0);
  EXPECT_EQ(p.noise_weight % 8, 0u);
  // The estimate itself: −t·log2(1 − δ), (1 − δ) the bias left per section.
  EXPECT_NEAR(SilentVoleLinearTestBits(496), 116.29, 0.01);
  EXPECT_NEAR(SilentVoleLinearTestBits(552), 129.42, 0.01);
}

TEST(SilentVoleTest, BytesSentMatchTheHeader) {
  const size_t n = 1 << 16;
  Outcome o = RunVole(n, kSeed + 50);
  ExpectVole(o, n);
  const SilentVoleParams p;
  const size_t t = p.noise_weight;
  const size_t d = PprfDepth(SilentVoleSectionSize(p, n));
  const uint64_t ots = t * (128 + d);
  const uint64_t blocks = (ots + 127) / 128;
  const uint64_t chunks = (blocks + 511) / 512;
  // 16 groups of k = 8: 16·16 bytes per 128 OTs.
  EXPECT_EQ(o.receiver_bytes, 32 + 3584 + 31 + 256 * blocks + net::kFrameHeaderLen * (3 + chunks));
  EXPECT_EQ(o.sender_bytes, 8192 + 16 * t * (2 * d + 1) + 2 * net::kFrameHeaderLen);
}

TEST(SilentVoleTest, ZeroLengthIsInvalidArgument) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  auto [a, b] = net::LocalPair();
  EXPECT_EQ(SilentVoleSender().Run(*a, 0, prng).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SilentVoleReceiver().Run(*b, 0, prng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Sender messages: #0 base OTs, #1 PPRF sums and γ. Receiver messages: #0
// base OTs, #1 SoftSpoken corrections, #2 the OT header, #3.. columns.
TEST(SilentVoleFaultTest, TruncatedSenderMessageIsDataLoss) {
  Fault f;
  f.kind = Fault::kTruncate;
  f.message_index = 1;
  Outcome o = RunVole(1000, kSeed + 60, {}, f, true);
  EXPECT_TRUE(o.sender.ok()) << o.sender.status();
  EXPECT_EQ(o.receiver.status().code(), absl::StatusCode::kDataLoss) << o.receiver.status();
}

TEST(SilentVoleFaultTest, GarbageOfTheWrongLengthIsDataLoss) {
  Fault f;
  f.kind = Fault::kGarbage;
  f.message_index = 1;
  f.garbage_len = 17;
  Outcome o = RunVole(1000, kSeed + 61, {}, f, true);
  EXPECT_EQ(o.receiver.status().code(), absl::StatusCode::kDataLoss) << o.receiver.status();
}

TEST(SilentVoleFaultTest, SenderClosingIsUnavailable) {
  for (uint64_t index : {0, 1}) {
    for (Fault::Kind kind : {Fault::kCloseBefore, Fault::kDropAndClose}) {
      Fault f;
      f.kind = kind;
      f.message_index = index;
      SCOPED_TRACE(f.DebugString());
      Outcome o = RunVole(1000, kSeed + 62, {}, f, true);
      EXPECT_EQ(o.receiver.status().code(), absl::StatusCode::kUnavailable)
          << o.receiver.status();
    }
  }
}

TEST(SilentVoleFaultTest, ReceiverClosingIsUnavailable) {
  for (uint64_t index : {0, 1, 2, 3}) {
    Fault f;
    f.kind = Fault::kCloseBefore;
    f.message_index = index;
    SCOPED_TRACE(f.DebugString());
    Outcome o = RunVole(1000, kSeed + 63, {}, f, false);
    EXPECT_EQ(o.sender.status().code(), absl::StatusCode::kUnavailable) << o.sender.status();
  }
}

TEST(SilentVoleFaultTest, TruncatedReceiverMessagesAreDataLoss) {
  for (uint64_t index : {0, 1, 2, 3}) {
    Fault f;
    f.kind = Fault::kTruncate;
    f.message_index = index;
    SCOPED_TRACE(f.DebugString());
    Outcome o = RunVole(1000, kSeed + 64, {}, f, false);
    EXPECT_EQ(o.sender.status().code(), absl::StatusCode::kDataLoss) << o.sender.status();
  }
}

// Semi-honest: a flipped byte in the sums is not detected, but it can only
// break the correlation, never crash; both sides finish.
TEST(SilentVoleFaultTest, FlippedSumByteBreaksTheCorrelationWithoutError) {
  Fault f;
  f.kind = Fault::kFlipByte;
  f.message_index = 1;
  f.byte_index = 5;
  Outcome o = RunVole(1000, kSeed + 65, {}, f, true);
  ASSERT_TRUE(o.sender.ok());
  ASSERT_TRUE(o.receiver.ok());
}

// Malicious mode.

SilentVoleParams Malicious() {
  SilentVoleParams p;
  p.malicious = true;
  return p;
}

TEST(SilentVoleMaliciousTest, CorrelationHoldsForEveryIndex) {
  for (size_t n : {size_t{1}, size_t{1000}, size_t{1} << 16}) {
    SCOPED_TRACE(::testing::Message() << "n=" << n << " seed=" << kSeed);
    ExpectVole(RunVole(n, kSeed + 100 + n, Malicious()), n);
  }
}

TEST(SilentVoleMaliciousTest, OtherParametersKeepTheCorrelation) {
  SilentVoleParams p = Malicious();
  p.noise_weight = 64;
  p.expansion = 3;
  p.softspoken_k = 1;
  p.num_threads = 1;
  ExpectVole(RunVole(3001, kSeed + 101, p), 3001);
}

TEST(SilentVoleMaliciousTest, BytesSentMatchTheHeader) {
  const size_t n = 1 << 16;
  Outcome o = RunVole(n, kSeed + 102, Malicious());
  ExpectVole(o, n);
  const SilentVoleParams p;
  const size_t t = p.noise_weight;
  const size_t d = PprfDepth(SilentVoleSectionSize(p, n));
  // One more noisy element (128 OTs) and one more block for the OT check.
  const uint64_t blocks = ((t + 1) * 128 + t * d + 127) / 128 + 1;
  const uint64_t chunks = (blocks + 511) / 512;
  EXPECT_EQ(o.receiver_bytes, 32 + 3584 + 31 + 256 * blocks + 2064 + 16 +
                                  net::kFrameHeaderLen * (5 + chunks));
  EXPECT_EQ(o.sender_bytes, 8192 + 16 + 16 * t * (2 * d + 1) + 32 + 4 * net::kFrameHeaderLen);
}

TEST(SilentVoleMaliciousTest, MismatchedModesFailInTheOtExtensionHeader) {
  Outcome o = RunVole(1000, kSeed, Malicious(), {}, true, SilentVoleParams{});
  EXPECT_EQ(o.sender.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(o.receiver.ok());
}

// Message counts of a clean malicious run at n = 1000. Sender: #0 base
// OTs, #1 χ seed of the OT check, #2 PPRF sums and γ, #3 check answer.
// Receiver: #0 base OTs, #1 SoftSpoken corrections, #2 OT header, #3..
// columns, then the OT check answer and, last, the challenge x.
struct Counts {
  uint64_t sender = 0;
  uint64_t receiver = 0;
};
Counts CleanCounts(const SilentVoleParams& p) {
  Outcome o = RunVole(1000, kSeed + 110, p);
  EXPECT_TRUE(o.sender.ok()) << o.sender.status();
  EXPECT_TRUE(o.receiver.ok()) << o.receiver.status();
  return {o.sender_messages, o.receiver_messages};
}

// CorrelationHolds reports whether both sides succeeded with
// A = B ⊕ C·Δ everywhere.
bool CorrelationHolds(const Outcome& o) {
  if (!o.sender.ok() || !o.receiver.ok()) return false;
  const size_t n = o.receiver->a.size();
  if (o.sender->b.size() != n || o.receiver->c.size() != n) return false;
  std::vector<Block> deltas(n, o.sender->delta.value()), cd(n);
  crypto::Gf128MulBlocks(o.receiver->c.span(), deltas, absl::MakeSpan(cd));
  for (size_t i = 0; i < n; ++i) {
    if (o.receiver->a[i] != (o.sender->b[i] ^ cd[i])) return false;
  }
  return true;
}

// kSenderHeader: the OT extension's header, where a changed parameter is
// FailedPrecondition (a mismatch) and a changed magic DataLoss.
enum class Checker { kSender, kSenderHeader, kReceiver, kEither };

// ExpectCaughtOrHarmless: a changed message either ends the run with
// DataLoss on the side whose check covers it, or changed a value the
// honest run never uses (a level sum on the side the receiver's path does
// not take, a correction on the side of Δ's path: the selective failure
// the checks allow), in which case both sides finish with a correct
// correlation. Returns whether it was caught.
bool ExpectCaughtOrHarmless(const Outcome& o, Checker checker) {
  if (o.sender.ok() && o.receiver.ok()) {
    EXPECT_TRUE(CorrelationHolds(o)) << "both sides accepted a broken correlation";
    return false;
  }
  const bool sender_dl = o.sender.status().code() == absl::StatusCode::kDataLoss;
  const bool receiver_dl = o.receiver.status().code() == absl::StatusCode::kDataLoss;
  switch (checker) {
    case Checker::kSender:
      EXPECT_TRUE(sender_dl) << o.sender.status() << " / " << o.receiver.status();
      break;
    case Checker::kSenderHeader:
      EXPECT_TRUE(sender_dl ||
                  o.sender.status().code() == absl::StatusCode::kFailedPrecondition)
          << o.sender.status();
      break;
    case Checker::kReceiver:
      EXPECT_TRUE(receiver_dl) << o.sender.status() << " / " << o.receiver.status();
      break;
    case Checker::kEither:
      EXPECT_TRUE(sender_dl || receiver_dl) << o.sender.status() << " / " << o.receiver.status();
      break;
  }
  return true;
}

// A party that changes any one message of the VOLE: the receiver's check
// covers the PPRF message and the answer, the OT extension's check (on the
// sender's side) the receiver's base OT, corrections, header and columns;
// the χ seed and the challenge x only matter to the side that chose them
// (its own check fails); a flip in the sender's base-OT message may be
// caught by either side. Messages that carry only values the honest run
// always uses (columns, γ, the answers) must always be caught.
TEST(SilentVoleMaliciousTest, FlippedByteInAnyMessageIsCaughtWithDataLoss) {
  const Counts counts = CleanCounts(Malicious());
  ASSERT_EQ(counts.sender, 4u);
  ASSERT_GE(counts.receiver, 6u);
  for (bool by_sender : {true, false}) {
    const uint64_t total = by_sender ? counts.sender : counts.receiver;
    for (uint64_t index = 0; index < total; ++index) {
      for (size_t byte : {size_t{3}, size_t{1000003}}) {
        Fault f;
        f.kind = Fault::kFlipByte;
        f.message_index = index;
        f.byte_index = byte;  // 3: inside the OT header's magic
        SCOPED_TRACE(f.DebugString() + (by_sender ? " by the sender" : " by the receiver"));
        Outcome o = RunVole(1000, kSeed + 112, Malicious(), f, by_sender);
        Checker checker = Checker::kSender;
        bool always = true;
        if (by_sender) {
          checker = index == 0 ? Checker::kEither
                    : index == 1 ? Checker::kSender
                                 : Checker::kReceiver;
          always = index == 1 || index == 3;
        } else {
          checker = index + 1 == total ? Checker::kReceiver
                    : index == 2       ? Checker::kSenderHeader
                                       : Checker::kSender;
          always = index >= 2;
        }
        const bool caught = ExpectCaughtOrHarmless(o, checker);
        if (always) {
          EXPECT_TRUE(caught);
        }
      }
    }
  }
}

// Every γ_j is used, so a change to one is always caught; a change to a
// level sum is caught iff the receiver's path uses it (about half of them).
TEST(SilentVoleMaliciousTest, ChangedGammaIsAlwaysCaughtAndSumsWhenUsed) {
  const SilentVoleParams p = Malicious();
  const size_t t = p.noise_weight;
  const size_t d = PprfDepth(SilentVoleSectionSize(p, 1000));
  const size_t sums_len = 32 * t * d;
  for (size_t j : {size_t{0}, size_t{1}, t / 2, t - 1}) {
    Fault f;
    f.kind = Fault::kFlipByte;
    f.message_index = 2;
    f.byte_index = sums_len + 16 * j + 9;
    f.xor_mask = 0x80;
    SCOPED_TRACE(f.DebugString());
    Outcome o = RunVole(1000, kSeed + 113, p, f, true);
    EXPECT_EQ(o.receiver.status().code(), absl::StatusCode::kDataLoss) << o.receiver.status();
  }
  int caught = 0;
  constexpr int kTries = 24;
  for (int i = 0; i < kTries; ++i) {
    Fault f;
    f.kind = Fault::kFlipByte;
    f.message_index = 2;
    f.byte_index = (sums_len / kTries) * i + 5;
    SCOPED_TRACE(f.DebugString());
    Outcome o = RunVole(1000, kSeed + 114, p, f, true);
    caught += ExpectCaughtOrHarmless(o, Checker::kReceiver) ? 1 : 0;
  }
  // Each is caught with probability 1/2: 24 tries, P[fewer than 4] < 2^-14.
  EXPECT_GE(caught, 4);
  EXPECT_LE(caught, kTries - 4);
}

// Semi-honest mode: a flipped byte in any message may go unnoticed or end
// in an error, but never crashes or hangs.
TEST(SilentVoleFaultTest, FlippedByteInAnyMessageNeverCrashes) {
  const Counts counts = CleanCounts(SilentVoleParams{});
  for (bool by_sender : {true, false}) {
    const uint64_t total = by_sender ? counts.sender : counts.receiver;
    for (uint64_t index = 0; index < total; ++index) {
      Fault f;
      f.kind = Fault::kFlipByte;
      f.message_index = index;
      f.byte_index = 3;
      SCOPED_TRACE(f.DebugString());
      Outcome o = RunVole(1000, kSeed + 114, {}, f, by_sender);
      if (!o.sender.ok()) {
        EXPECT_NE(o.sender.status().code(), absl::StatusCode::kInternal);
      }
      if (!o.receiver.ok()) {
        EXPECT_NE(o.receiver.status().code(), absl::StatusCode::kInternal);
      }
    }
  }
}

}  // namespace
}  // namespace liaison::ot
