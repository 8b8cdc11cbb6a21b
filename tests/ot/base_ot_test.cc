#include "ot/base_ot.h"

#include <sodium.h>

#include <memory>
#include <utility>

#include "gtest/gtest.h"
#include "testing/two_parties.h"
#include "net/channel.h"
#include "testing/faulty_channel.h"

namespace liaison::ot {
namespace {

using testing::Fault;

constexpr uint64_t kSeed = 0xba5e0001;

struct Outcome {
  absl::StatusOr<BaseOtSenderOutput> sender = absl::InternalError("unset");
  absl::StatusOr<crypto::SecretBlocks> receiver = absl::InternalError("unset");
};

// RunBoth runs the sender over `to_receiver` and the receiver over
// `to_sender` at once (testing::RunOnEnds), and closes both ends after, as
// processes would.
Outcome RunBoth(net::Channel& to_receiver, net::Channel& to_sender, size_t num_ots,
                const crypto::SecretBits& choices, uint64_t seed, BaseOtParams params = {}) {
  auto [sender, receiver] = testing::RunOnEnds(
      to_receiver, to_sender,
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(seed);
        return BaseOtSender(params).Run(ch, num_ots, prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(seed + 1);
        return BaseOtReceiver(params).Run(ch, choices, prng);
      });
  to_receiver.Close();
  to_sender.Close();
  Outcome out;
  out.sender = std::move(sender);
  out.receiver = std::move(receiver);
  return out;
}

crypto::SecretBits Choices(size_t n, uint64_t seed) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(seed);
  return crypto::SecretBits::Random(n, prng);
}

void ExpectOts(size_t n, BaseOtParams params = {}) {
  SCOPED_TRACE(::testing::Message() << "n=" << n << " seed=" << kSeed);
  auto [a, b] = net::LocalPair();
  crypto::SecretBits choices = Choices(n, kSeed + 7);
  Outcome o = RunBoth(*a, *b, n, choices, kSeed, params);
  ASSERT_TRUE(o.sender.ok()) << o.sender.status();
  ASSERT_TRUE(o.receiver.ok()) << o.receiver.status();
  ASSERT_EQ(o.sender->m0.size(), n);
  ASSERT_EQ(o.sender->m1.size(), n);
  ASSERT_EQ(o.receiver->size(), n);
  for (size_t i = 0; i < n; ++i) {
    const Block& got = (*o.receiver)[i];
    const Block& want = choices.Get(i) ? o.sender->m1[i] : o.sender->m0[i];
    const Block& other = choices.Get(i) ? o.sender->m0[i] : o.sender->m1[i];
    ASSERT_EQ(got, want) << "OT " << i;
    ASSERT_NE(got, other) << "OT " << i;
  }
  // One flight each way: 32 bytes and 64 per OT, plus the 4-byte frames.
  EXPECT_EQ(a->bytes_sent(), 32u + net::kFrameHeaderLen);
  EXPECT_EQ(b->bytes_sent(), 64 * n + net::kFrameHeaderLen);
  EXPECT_EQ(a->rounds(), 1u);
  EXPECT_EQ(b->rounds(), 1u);
}

TEST(BaseOtTest, OneOt) { ExpectOts(1); }
TEST(BaseOtTest, OneHundredTwentyEightOts) { ExpectOts(128); }
TEST(BaseOtTest, ThousandOts) { ExpectOts(1000); }
TEST(BaseOtTest, ThousandOtsOnTwoThreads) { ExpectOts(1000, BaseOtParams{.num_threads = 2}); }
TEST(BaseOtTest, ZeroOtsExchangeOnlyThePoint) { ExpectOts(0); }

TEST(BaseOtTest, SameSeedsGiveSameMessagesWhateverTheThreads) {
  crypto::SecretBits choices = Choices(64, kSeed);
  auto [a1, b1] = net::LocalPair();
  Outcome one = RunBoth(*a1, *b1, 64, choices, kSeed, BaseOtParams{.num_threads = 1});
  auto [a2, b2] = net::LocalPair();
  Outcome two = RunBoth(*a2, *b2, 64, choices, kSeed, BaseOtParams{.num_threads = 2});
  ASSERT_TRUE(one.receiver.ok() && two.receiver.ok());
  for (size_t i = 0; i < 64; ++i) EXPECT_EQ((*one.receiver)[i], (*two.receiver)[i]);
}

TEST(BaseOtTest, SenderMessagesLookIndependent) {
  auto [a, b] = net::LocalPair();
  crypto::SecretBits choices = Choices(128, kSeed);
  Outcome o = RunBoth(*a, *b, 128, choices, kSeed);
  ASSERT_TRUE(o.sender.ok());
  for (size_t i = 0; i < 128; ++i) {
    EXPECT_NE(o.sender->m0[i], o.sender->m1[i]);
    if (i > 0) {
      EXPECT_NE(o.sender->m0[i], o.sender->m0[i - 1]);
    }
  }
}

TEST(BaseOtTest, CountMismatchIsDataLoss) {
  auto [a, b] = net::LocalPair();
  crypto::SecretBits choices = Choices(10, kSeed);
  Outcome o = RunBoth(*a, *b, /*num_ots=*/11, choices, kSeed);
  EXPECT_EQ(o.sender.status().code(), absl::StatusCode::kDataLoss);
}

TEST(BaseOtTest, TooManyOtsForTheChannelIsInvalidArgument) {
  auto [a, b] = net::LocalPair();
  a->set_max_message_len(640);
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  auto r = BaseOtSender().Run(*a, 11, prng);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  b->set_max_message_len(640);
  auto r2 = BaseOtReceiver().Run(*b, Choices(11, kSeed), prng);
  EXPECT_EQ(r2.status().code(), absl::StatusCode::kInvalidArgument);
}

// A scripted sender: sends `a_msg` as its point and drains the receiver.
absl::StatusOr<crypto::SecretBlocks> ReceiverAgainstPoint(const Bytes& a_msg, size_t n) {
  auto [a, b] = net::LocalPair();
  EXPECT_TRUE(a->Send(a_msg).ok());
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  return BaseOtReceiver().Run(*b, Choices(n, kSeed), prng);
}

Bytes ValidPoint() {
  Bytes p(32);
  crypto_core_ristretto255_random(p.data());
  return p;
}

TEST(BaseOtTest, ReceiverRefusesIdentityPoint) {
  auto r = ReceiverAgainstPoint(Bytes(32, 0), 4);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
}

TEST(BaseOtTest, ReceiverRefusesPointWithTopBitSet) {
  // libsodium 1.0.18 accepts this second encoding of a valid point; we don't.
  Bytes p = ValidPoint();
  ASSERT_EQ(crypto_core_ristretto255_is_valid_point(p.data()), 1);
  p[31] |= 0x80;
  auto r = ReceiverAgainstPoint(p, 4);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
}

TEST(BaseOtTest, ReceiverRefusesNonCanonicalFieldElement) {
  Bytes p(32, 0xff);
  p[31] = 0x7f;  // 2^255 − 1 ≥ p
  auto r = ReceiverAgainstPoint(p, 4);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
}

TEST(BaseOtTest, ReceiverRefusesShortPoint) {
  Bytes p = ValidPoint();
  p.pop_back();
  auto r = ReceiverAgainstPoint(p, 4);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
}

TEST(BaseOtTest, ReceiverAcceptsAnyValidPoint) {
  auto r = ReceiverAgainstPoint(ValidPoint(), 4);
  EXPECT_TRUE(r.ok()) << r.status();
}

// A scripted receiver: sends `pairs` as its message.
absl::StatusOr<BaseOtSenderOutput> SenderAgainstPairs(const Bytes& pairs, size_t n) {
  auto [a, b] = net::LocalPair();
  EXPECT_TRUE(b->Send(pairs).ok());
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  return BaseOtSender().Run(*a, n, prng);
}

Bytes ValidPairs(size_t n) {
  Bytes out;
  for (size_t i = 0; i < 2 * n; ++i) {
    Bytes p = ValidPoint();
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

TEST(BaseOtTest, SenderAcceptsAnyValidPairs) {
  auto r = SenderAgainstPairs(ValidPairs(3), 3);
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST(BaseOtTest, SenderRefusesIdentityInAPair) {
  for (size_t pos : {size_t{0}, size_t{32}, size_t{2 * 64 + 32}}) {
    Bytes pairs = ValidPairs(3);
    std::fill(pairs.begin() + pos, pairs.begin() + pos + 32, 0);
    auto r = SenderAgainstPairs(pairs, 3);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << "identity at byte " << pos;
  }
}

TEST(BaseOtTest, SenderRefusesTopBitSetInAPair) {
  Bytes pairs = ValidPairs(3);
  pairs[64 + 31] |= 0x80;
  auto r = SenderAgainstPairs(pairs, 3);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
}

// Fault injection: every fault on every message, in both directions. The
// side that sees a damaged message must fail with DataLoss, the side whose
// peer vanished with Unavailable; nothing may crash or hang, and a flipped
// byte that still decodes to a valid point (possible: the encoding is
// dense) may only yield a mismatched OT — which base OT cannot detect and OT
// extension's malicious check does.
TEST(BaseOtTest, FaultsEndInDataLossOrUnavailable) {
  constexpr size_t kN = 16;
  for (Fault::Kind kind : testing::AllFaultKinds()) {
    for (bool from_sender : {true, false}) {
      Fault fault;
      fault.kind = kind;
      fault.direction = Fault::kSend;
      fault.message_index = 0;
      fault.byte_index = 31;     // the top byte of the first point
      fault.xor_mask = 0x80;     // sets the top bit: never canonical
      SCOPED_TRACE(fault.DebugString() + (from_sender ? " by the sender" : " by the receiver"));
      auto [a, b] = net::LocalPair();
      std::unique_ptr<net::Channel> sender_end = std::move(a), receiver_end = std::move(b);
      if (from_sender) {
        sender_end = std::make_unique<testing::FaultyChannel>(std::move(sender_end), fault);
      } else {
        receiver_end = std::make_unique<testing::FaultyChannel>(std::move(receiver_end), fault);
      }
      crypto::SecretBits choices = Choices(kN, kSeed);
      Outcome o = RunBoth(*sender_end, *receiver_end, kN, choices, kSeed);
      // The victim is the side that receives the damaged message.
      const absl::Status victim = from_sender ? o.receiver.status() : o.sender.status();
      switch (kind) {
        case Fault::kTruncate:
        case Fault::kFlipByte:
        case Fault::kGarbage:
        case Fault::kOversize:
          EXPECT_EQ(victim.code(), absl::StatusCode::kDataLoss) << victim;
          break;
        case Fault::kDropAndClose:
        case Fault::kCloseBefore:
          EXPECT_EQ(victim.code(), absl::StatusCode::kUnavailable) << victim;
          break;
        default:
          break;
      }
    }
  }
}

TEST(BaseOtTest, PeerClosingBeforeSendingIsUnavailable) {
  auto [a, b] = net::LocalPair();
  a->Close();
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  auto r = BaseOtReceiver().Run(*b, Choices(8, kSeed), prng);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace liaison::ot
