#include "psi/ecdh_psi.h"

#include <algorithm>
#include <future>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/channel.h"
#include "testing/faulty_channel.h"
#include "testing/sets.h"
#include "testing/two_parties.h"

namespace liaison::psi {
namespace {

using ::testing::UnorderedElementsAreArray;

constexpr uint64_t kSeed = 0x5eed0001;

struct Outcome {
  absl::StatusOr<PsiResult> a;
  absl::StatusOr<PsiResult> b;
};

EcdhPsiParams Params(PsiOutput output, bool i_receive, bool peer_receives) {
  EcdhPsiParams p;
  p.output = output;
  p.i_receive = i_receive;
  p.peer_receives = peer_receives;
  p.chunk_len = 1000;  // several chunks even on medium sets
  p.num_threads = 2;
  return p;
}

Outcome RunBoth(const EcdhPsiParams& pa, const EcdhPsiParams& pb,
                const std::vector<std::string>& a, const std::vector<std::string>& b) {
  auto [ra, rb] = testing::RunPair<PsiResult>(
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
        return EcdhPsi(pa).Run(ch, a, prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
        return EcdhPsi(pb).Run(ch, b, prng);
      });
  return Outcome{std::move(ra), std::move(rb)};
}

std::vector<std::string> Pick(const std::vector<std::string>& items,
                              const std::vector<size_t>& idx) {
  std::vector<std::string> out;
  for (size_t i : idx) out.push_back(items[i]);
  return out;
}

void ExpectIntersection(size_t na, size_t nb, size_t common) {
  SCOPED_TRACE(::testing::Message() << "na=" << na << " nb=" << nb << " common=" << common
                                    << " seed=" << kSeed);
  auto sets = testing::MakeSets(na, nb, common, kSeed);
  auto p = Params(PsiOutput::kIntersection, true, true);
  Outcome o = RunBoth(p, p, sets.a, sets.b);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  ASSERT_TRUE(o.b.ok()) << o.b.status();
  EXPECT_THAT(Pick(sets.a, o.a->matched), UnorderedElementsAreArray(sets.common));
  EXPECT_THAT(Pick(sets.b, o.b->matched), UnorderedElementsAreArray(sets.common));
  EXPECT_EQ(o.a->intersection_size, common);
  EXPECT_EQ(o.a->peer_set_size, nb);
  EXPECT_EQ(o.b->peer_set_size, na);
  EXPECT_TRUE(std::is_sorted(o.a->matched.begin(), o.a->matched.end()));
}

TEST(EcdhPsiTest, PartialOverlapReturnsExactIntersection) { ExpectIntersection(1000, 1000, 250); }
TEST(EcdhPsiTest, UnequalSizes) { ExpectIntersection(3000, 17, 9); }
TEST(EcdhPsiTest, AllShared) { ExpectIntersection(2500, 2500, 2500); }
TEST(EcdhPsiTest, NoneShared) { ExpectIntersection(1200, 800, 0); }
TEST(EcdhPsiTest, SingleItems) {
  ExpectIntersection(1, 1, 1);
  ExpectIntersection(1, 1, 0);
  ExpectIntersection(2, 2, 1);
}
TEST(EcdhPsiTest, EmptySets) {
  ExpectIntersection(0, 0, 0);
  ExpectIntersection(0, 10, 0);
  ExpectIntersection(10, 0, 0);
}
TEST(EcdhPsiTest, MediumSets) { ExpectIntersection(20000, 15000, 5000); }

TEST(EcdhPsiTest, ResultToOneSideOnly) {
  auto sets = testing::MakeSets(500, 400, 100, kSeed);
  Outcome o = RunBoth(Params(PsiOutput::kIntersection, true, false),
                      Params(PsiOutput::kIntersection, false, true), sets.a, sets.b);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  ASSERT_TRUE(o.b.ok()) << o.b.status();
  EXPECT_TRUE(o.a->received);
  EXPECT_THAT(Pick(sets.a, o.a->matched), UnorderedElementsAreArray(sets.common));
  EXPECT_FALSE(o.b->received);
  EXPECT_TRUE(o.b->matched.empty());
  EXPECT_EQ(o.b->intersection_size, 0u);
}

TEST(EcdhPsiTest, CardinalityRevealsOnlyTheCount) {
  auto sets = testing::MakeSets(800, 900, 321, kSeed);
  auto p = Params(PsiOutput::kCardinality, true, true);
  Outcome o = RunBoth(p, p, sets.a, sets.b);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  ASSERT_TRUE(o.b.ok()) << o.b.status();
  EXPECT_EQ(o.a->intersection_size, 321u);
  EXPECT_EQ(o.b->intersection_size, 321u);
  EXPECT_TRUE(o.a->matched.empty());
  EXPECT_TRUE(o.b->matched.empty());
}

TEST(EcdhPsiTest, CardinalityToOneSide) {
  auto sets = testing::MakeSets(300, 200, 50, kSeed);
  Outcome o = RunBoth(Params(PsiOutput::kCardinality, false, true),
                      Params(PsiOutput::kCardinality, true, false), sets.a, sets.b);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  ASSERT_TRUE(o.b.ok()) << o.b.status();
  EXPECT_FALSE(o.a->received);
  EXPECT_EQ(o.b->intersection_size, 50u);
}

TEST(EcdhPsiTest, DuplicateItemsAreInvalidArgument) {
  std::vector<std::string> a = {"x", "y", "x"};
  std::vector<std::string> b = {"x"};
  auto p = Params(PsiOutput::kIntersection, true, true);
  Outcome o = RunBoth(p, p, a, b);
  EXPECT_EQ(o.a.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EcdhPsiTest, DisagreementOnRecipientsIsFailedPrecondition) {
  std::vector<std::string> a = {"x"}, b = {"x"};
  Outcome o = RunBoth(Params(PsiOutput::kIntersection, true, false),
                      Params(PsiOutput::kIntersection, true, false), a, b);
  EXPECT_EQ(o.a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(o.b.status().code(), absl::StatusCode::kFailedPrecondition);
}

// A scripted peer: sends a valid header for `m` items, then whatever the
// test gives it, then closes. It lets each test corrupt one message exactly.
class ScriptedPeer {
 public:
  static Bytes Header(uint64_t m, bool peer_receives_flag, bool other_receives_flag) {
    ByteWriter w;
    w.U32(0x48434445);
    w.U32(EcdhPsi::kProtocolVersion);
    w.U8(0);
    w.U8(peer_receives_flag ? 1 : 0);
    w.U8(other_receives_flag ? 1 : 0);
    w.U64(m);
    return w.Take();
  }
};

// RunAgainstScript runs our side against a peer that sends `script`, then
// reads `reads_before_close` of our messages (all of them if negative) and
// closes.
absl::StatusCode RunAgainstScript(const std::vector<Bytes>& script, int reads_before_close = -1) {
  auto [ca, cb] = net::LocalPair();
  auto peer = std::async(std::launch::async, [&, ch = cb.get()] {
    for (const Bytes& m : script) {
      if (!ch->Send(m).ok()) return;
    }
    for (int i = 0; reads_before_close < 0 || i < reads_before_close; ++i) {
      if (!ch->Recv().ok()) break;
    }
    ch->Close();
  });
  std::vector<std::string> items = {"alpha", "beta", "gamma"};
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  auto r = EcdhPsi(Params(PsiOutput::kIntersection, true, true)).Run(*ca, items, prng);
  ca->Close();
  peer.get();
  return r.status().code();
}

Bytes ValidPoints(size_t count) {
  // u = 9 (the base point) is canonical.
  Bytes b(count * 32, 0);
  for (size_t i = 0; i < count; ++i) b[32 * i] = 9;
  return b;
}

TEST(EcdhPsiTest, TruncatedChunkFailsWithDataLoss) {
  Bytes chunk = ValidPoints(2);
  chunk.pop_back();
  EXPECT_EQ(RunAgainstScript({ScriptedPeer::Header(2, true, true), chunk}),
            absl::StatusCode::kDataLoss);
}

TEST(EcdhPsiTest, OversizedChunkFailsWithDataLoss) {
  EXPECT_EQ(RunAgainstScript({ScriptedPeer::Header(2, true, true), ValidPoints(3)}),
            absl::StatusCode::kDataLoss);
}

TEST(EcdhPsiTest, NonCanonicalPointFailsWithDataLoss) {
  Bytes chunk = ValidPoints(2);
  chunk[63] = 0x80;  // top bit set: never sent by an honest peer
  EXPECT_EQ(RunAgainstScript({ScriptedPeer::Header(2, true, true), chunk}),
            absl::StatusCode::kDataLoss);
}

TEST(EcdhPsiTest, GarbledHeaderFailsWithDataLoss) {
  Bytes header = ScriptedPeer::Header(2, true, true);
  header[0] ^= 0xff;
  EXPECT_EQ(RunAgainstScript({header}), absl::StatusCode::kDataLoss);
  EXPECT_EQ(RunAgainstScript({Bytes{1, 2, 3}}), absl::StatusCode::kDataLoss);
}

TEST(EcdhPsiTest, WrongLengthReturnedSetFailsWithDataLoss) {
  // The peer sends its (valid) blinded set but returns ours one point short.
  EXPECT_EQ(RunAgainstScript({ScriptedPeer::Header(1, true, true), ValidPoints(1),
                              ValidPoints(2)}),
            absl::StatusCode::kDataLoss);
}

TEST(EcdhPsiTest, PeerClosingMidRunIsUnavailable) {
  // The peer announces 5 points, reads our header and set, and goes.
  EXPECT_EQ(RunAgainstScript({ScriptedPeer::Header(5, true, true)}, 2),
            absl::StatusCode::kUnavailable);
  // The peer goes before saying anything.
  EXPECT_EQ(RunAgainstScript({}, 0), absl::StatusCode::kUnavailable);
}

TEST(EcdhPsiTest, HugeAnnouncedSetDoesNotAllocateUpFront) {
  // The peer claims 2^40 items and then closes: we must fail on the missing
  // data, not on an allocation of 32 TiB.
  EXPECT_EQ(RunAgainstScript({ScriptedPeer::Header(uint64_t{1} << 40, true, true)}, 2),
            absl::StatusCode::kUnavailable);
}

// Every fault injected into one side's messages ends the other side with the
// documented error: never a crash, a hang, or success on damaged data. Messages of side A: #0 header, #1-#3 its
// blinded set, #4-#6 B's set re-blinded.
struct FaultCase {
  testing::Fault fault;
  absl::StatusCode expected;
};

class EcdhPsiFaultTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(EcdhPsiFaultTest, FaultEndsTheRunWithTheRightError) {
  const FaultCase& c = GetParam();
  SCOPED_TRACE(c.fault.DebugString());
  auto sets = testing::MakeSets(300, 300, 100, kSeed);
  auto p = Params(PsiOutput::kIntersection, true, true);
  p.chunk_len = 100;
  auto [ca, cb] = net::LocalPair();
  ca->SetTimeout(absl::Seconds(30));
  cb->SetTimeout(absl::Seconds(30));
  testing::FaultyChannel faulty(std::move(ca), c.fault);
  auto fb = std::async(std::launch::async, [&, ch = cb.get()] {
    crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
    auto r = EcdhPsi(p).Run(*ch, sets.b, prng);
    ch->Close();
    return r;
  });
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  auto ra = EcdhPsi(p).Run(faulty, sets.a, prng);
  faulty.Close();
  auto rb = fb.get();
  EXPECT_TRUE(faulty.fired());
  EXPECT_EQ(rb.status().code(), c.expected) << rb.status();
  // The faulty side may finish when the damage hit its last messages (it got
  // everything it needed intact); then its result must still be exact.
  if (ra.ok()) {
    EXPECT_THAT(Pick(sets.a, ra->matched), UnorderedElementsAreArray(sets.common));
  }
}

testing::Fault MakeFault(testing::Fault::Kind kind, uint64_t index) {
  testing::Fault f;
  f.kind = kind;
  f.message_index = index;
  return f;
}

INSTANTIATE_TEST_SUITE_P(
    Faults, EcdhPsiFaultTest,
    ::testing::Values(
        FaultCase{MakeFault(testing::Fault::kTruncate, 0), absl::StatusCode::kDataLoss},
        FaultCase{MakeFault(testing::Fault::kTruncate, 2), absl::StatusCode::kDataLoss},
        FaultCase{MakeFault(testing::Fault::kTruncate, 5), absl::StatusCode::kDataLoss},
        FaultCase{MakeFault(testing::Fault::kFlipByte, 0), absl::StatusCode::kDataLoss},
        FaultCase{MakeFault(testing::Fault::kGarbage, 0), absl::StatusCode::kDataLoss},
        FaultCase{MakeFault(testing::Fault::kGarbage, 1), absl::StatusCode::kDataLoss},
        FaultCase{MakeFault(testing::Fault::kGarbage, 6), absl::StatusCode::kDataLoss},
        FaultCase{MakeFault(testing::Fault::kOversize, 3), absl::StatusCode::kDataLoss},
        FaultCase{MakeFault(testing::Fault::kDropAndClose, 2), absl::StatusCode::kUnavailable},
        FaultCase{MakeFault(testing::Fault::kCloseBefore, 0), absl::StatusCode::kUnavailable},
        FaultCase{MakeFault(testing::Fault::kCloseBefore, 4), absl::StatusCode::kUnavailable}));

}  // namespace
}  // namespace liaison::psi
