#include "ot/pprf.h"

#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "base/status.h"
#include "gtest/gtest.h"
#include "net/channel.h"
#include "testing/faulty_channel.h"
#include "testing/two_parties.h"

namespace liaison::ot {
namespace {

using crypto::kZeroBlock;
using testing::Fault;

constexpr uint64_t kSeed = 0x7070726600000001;

// ExpectPunctured checks that every leaf agrees except leaf α_j of each
// tree, which the receiver holds as zero and the sender as a nonzero value.
void ExpectPunctured(const PprfParams& p, const SecretPoints& points,
                     absl::Span<const Block> sender, absl::Span<const Block> receiver) {
  ASSERT_EQ(sender.size(), p.num_trees * p.domain);
  ASSERT_EQ(receiver.size(), sender.size());
  size_t bad = 0;
  for (size_t j = 0; j < p.num_trees; ++j) {
    for (size_t i = 0; i < p.domain; ++i) {
      const size_t x = j * p.domain + i;
      if (i == points[j]) {
        if (receiver[x] != kZeroBlock || sender[x] == kZeroBlock) ++bad;
      } else if (sender[x] != receiver[x]) {
        if (bad++ == 0) ADD_FAILURE() << "tree " << j << " leaf " << i << " differs";
      }
    }
  }
  EXPECT_EQ(bad, 0u);
}

// RunLocal runs both sides with random OTs made here in the clear (an
// insecure dealer, fine for testing the tree logic).
void RunLocal(const PprfParams& p, const SecretPoints& points, uint64_t seed) {
  SCOPED_TRACE(::testing::Message() << "trees=" << p.num_trees << " domain=" << p.domain
                                    << " threads=" << p.num_threads << " seed=" << seed);
  crypto::Prng prng = crypto::Prng::FromTestSeed(seed);
  const size_t num_ots = PprfNumOts(p);
  crypto::SecretBlocks m0(num_ots), m1(num_ots), m(num_ots);
  prng.Fill(m0.span());
  prng.Fill(m1.span());
  const PprfReceiver receiver(p);
  const crypto::SecretBits choices = receiver.ChoiceBits(points);
  for (size_t i = 0; i < num_ots; ++i) m[i] = choices.Get(i) ? m1[i] : m0[i];
  crypto::SecretBlocks sender_leaves(p.num_trees * p.domain), receiver_leaves(p.num_trees * p.domain);
  std::vector<Block> sums(PprfSumsLen(p));
  ASSERT_TRUE(PprfSender(p).Expand(m0.span(), m1.span(), prng, sender_leaves.span(),
                                   absl::MakeSpan(sums)).ok());
  ASSERT_TRUE(receiver.Expand(points, m.span(), sums, receiver_leaves.span()).ok());
  ExpectPunctured(p, points, sender_leaves.span(), receiver_leaves.span());
}

TEST(PprfTest, DepthIsCeilLog2) {
  EXPECT_EQ(PprfDepth(2), 1);
  EXPECT_EQ(PprfDepth(3), 2);
  EXPECT_EQ(PprfDepth(4), 2);
  EXPECT_EQ(PprfDepth(5), 3);
  EXPECT_EQ(PprfDepth(4096), 12);
  EXPECT_EQ(PprfDepth(4097), 13);
}

TEST(PprfTest, EveryPunctureOfSmallDomainsLeavesExactlyThatLeaf) {
  for (size_t domain : {2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17}) {
    const PprfParams p{domain, domain, 1};
    SecretPoints points(domain);
    for (size_t j = 0; j < domain; ++j) points[j] = j;  // tree j punctured at j
    RunLocal(p, points, kSeed + domain);
  }
}

TEST(PprfTest, RandomPointsOnLargeDomains) {
  for (size_t domain : {1000, 4229, 8192}) {
    for (int threads : {1, 2}) {
      const PprfParams p{37, domain, threads};
      crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 100 + domain);
      const SecretPoints points = SecretPoints::Random(p.num_trees, domain, prng);
      RunLocal(p, points, kSeed + domain);
    }
  }
}

TEST(PprfTest, PointsAtBothEndsOfTheDomain) {
  const PprfParams p{4, 4229, 2};
  SecretPoints points(4);
  points[0] = 0;
  points[1] = 4228;
  points[2] = 4096;
  points[3] = 4095;
  RunLocal(p, points, kSeed);
}

TEST(PprfTest, LeavesLookRandomAndDifferAcrossTrees) {
  const PprfParams p{3, 1000, 1};
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  crypto::SecretBlocks m0(PprfNumOts(p)), m1(PprfNumOts(p)), leaves(3000);
  std::vector<Block> sums(PprfSumsLen(p));
  ASSERT_TRUE(PprfSender(p).Expand(m0.span(), m1.span(), prng, leaves.span(),
                                   absl::MakeSpan(sums)).ok());
  std::set<Block> distinct(leaves.span().begin(), leaves.span().end());
  EXPECT_EQ(distinct.size(), 3000u);
}

TEST(PprfTest, BadArgumentsAreInvalidArgument) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  crypto::SecretBlocks m(2), leaves(4);
  std::vector<Block> sums(4);
  EXPECT_EQ(PprfSender({2, 1, 1}).Expand(m.span(), m.span(), prng, leaves.span(),
                                         absl::MakeSpan(sums)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PprfSender({2, 2, 1}).Expand(m.span(), m.span(), prng, leaves.span(),
                                         absl::MakeSpan(sums).subspan(1)).code(),
            absl::StatusCode::kInvalidArgument);
  SecretPoints points(2);
  points[1] = 2;  // out of range for domain 2
  EXPECT_EQ(PprfReceiver({2, 2, 1}).Expand(points, m.span(), sums, leaves.span()).code(),
            absl::StatusCode::kInvalidArgument);
}

struct Outcome {
  absl::StatusOr<crypto::SecretBlocks> sender = absl::InternalError("unset");
  absl::StatusOr<crypto::SecretBlocks> receiver = absl::InternalError("unset");
};

// RunOverOt runs PprfSender/Receiver::Run over a semi-honest OT extension
// (testing::RunPair; the sender is party a), with `fault` on the sender's
// end (if by_sender) or the receiver's.
Outcome RunOverOt(const PprfParams& p, const SecretPoints& points, const Fault& fault,
                  bool by_sender) {
  OtExtensionParams op;
  op.security = Security::kSemiHonest;
  testing::PairOptions options;
  (by_sender ? options.wrap_a : options.wrap_b) = [fault](std::unique_ptr<net::Channel> ch) {
    return std::unique_ptr<net::Channel>(
        std::make_unique<testing::FaultyChannel>(std::move(ch), fault));
  };
  auto [sender, receiver] = testing::RunPair<crypto::SecretBlocks>(
      [&](net::Channel& ch) -> absl::StatusOr<crypto::SecretBlocks> {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 7);
        OtExtensionSender ot(op);
        LIAISON_RETURN_IF_ERROR(ot.SetUp(ch, prng));
        return PprfSender(p).Run(ch, ot, prng);
      },
      [&](net::Channel& ch) -> absl::StatusOr<crypto::SecretBlocks> {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 8);
        OtExtensionReceiver ot(op);
        LIAISON_RETURN_IF_ERROR(ot.SetUp(ch, prng));
        return PprfReceiver(p).Run(ch, ot, points, prng);
      },
      options);
  Outcome o;
  o.sender = std::move(sender);
  o.receiver = std::move(receiver);
  return o;
}

TEST(PprfRunTest, OverOtExtensionEveryLeafButThePointAgrees) {
  const PprfParams p{50, 777, 2};
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 9);
  const SecretPoints points = SecretPoints::Random(p.num_trees, p.domain, prng);
  Outcome o = RunOverOt(p, points, Fault{}, true);
  ASSERT_TRUE(o.sender.ok()) << o.sender.status();
  ASSERT_TRUE(o.receiver.ok()) << o.receiver.status();
  ExpectPunctured(p, points, o.sender->span(), o.receiver->span());
}

// The sender sends two messages: the base OTs (#0) and the sums (#1).
TEST(PprfRunTest, TruncatedSumsAreDataLoss) {
  const PprfParams p{5, 100, 1};
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 10);
  const SecretPoints points = SecretPoints::Random(p.num_trees, p.domain, prng);
  Fault f;
  f.kind = Fault::kTruncate;
  f.message_index = 1;
  Outcome o = RunOverOt(p, points, f, true);
  EXPECT_EQ(o.receiver.status().code(), absl::StatusCode::kDataLoss);
}

TEST(PprfRunTest, SenderClosingBeforeTheSumsIsUnavailable) {
  const PprfParams p{5, 100, 1};
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 11);
  const SecretPoints points = SecretPoints::Random(p.num_trees, p.domain, prng);
  Fault f;
  f.kind = Fault::kCloseBefore;
  f.message_index = 1;
  Outcome o = RunOverOt(p, points, f, true);
  EXPECT_EQ(o.sender.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(o.receiver.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace liaison::ot
