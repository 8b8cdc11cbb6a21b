#include "psi/rr22_psi.h"

#include <algorithm>
#include <string>
#include <future>
#include <tuple>
#include <vector>

#include "base/bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/two_parties.h"
#include "net/channel.h"
#include "okvs/okvs.h"
#include "psi/internal/seed_commit.h"
#include "testing/faulty_channel.h"
#include "testing/sets.h"

namespace liaison::psi {
namespace {

using ::testing::IsSubsetOf;
using ::testing::UnorderedElementsAreArray;

constexpr uint64_t kSeed =
    0x7272323201;  // logged: every Prng and set below derives from it

struct Outcome {
  absl::StatusOr<PsiResult> a;
  absl::StatusOr<PsiResult> b;
};

Rr22PsiParams Params(bool i_receive, bool peer_receives,
                     Rr22Role role = Rr22Role::kAuto) {
  Rr22PsiParams p;
  p.i_receive = i_receive;
  p.peer_receives = peer_receives;
  p.role = role;
  p.chunk_len = 1000;  // several chunks even on medium sets
  p.num_threads = 2;
  return p;
}

// RunBothOver runs A on `ca` and B on `cb`, the two ends of one pair.
Outcome RunBothOver(net::Channel& ca, net::Channel& cb, const Rr22PsiParams& pa,
                    const Rr22PsiParams& pb, const std::vector<std::string>& a,
                    const std::vector<std::string>& b) {
  auto [ra, rb] = testing::RunOnEnds(
      ca, cb,
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
        return Rr22Psi(pa).Run(ch, a, prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
        return Rr22Psi(pb).Run(ch, b, prng);
      });
  return Outcome{std::move(ra), std::move(rb)};
}

Outcome RunBoth(const Rr22PsiParams& pa, const Rr22PsiParams& pb,
                const std::vector<std::string>& a,
                const std::vector<std::string>& b) {
  auto [ca, cb] = net::LocalPair();
  return RunBothOver(*ca, *cb, pa, pb, a, b);
}

std::vector<std::string> Pick(const std::vector<std::string>& items,
                              const std::vector<size_t>& idx) {
  std::vector<std::string> out;
  for (size_t i : idx) out.push_back(items[i]);
  return out;
}

// SortedPick is Pick, sorted: compared with ==, it avoids gmock's quadratic
// UnorderedElementsAreArray on large sets.
std::vector<std::string> SortedPick(const std::vector<std::string>& items,
                                    const std::vector<size_t>& idx) {
  std::vector<std::string> out = Pick(items, idx);
  std::sort(out.begin(), out.end());
  return out;
}

void ExpectIntersection(size_t na, size_t nb, size_t common,
                        Rr22Role role_a = Rr22Role::kAuto,
                        Rr22Role role_b = Rr22Role::kAuto,
                        bool malicious = false) {
  SCOPED_TRACE(::testing::Message() << "na=" << na << " nb=" << nb << " common="
                                    << common << " malicious=" << malicious
                                    << " seed=" << kSeed);
  auto sets = testing::MakeSets(na, nb, common, kSeed);
  Rr22PsiParams pa = Params(true, true, role_a), pb = Params(true, true, role_b);
  pa.malicious = pb.malicious = malicious;
  Outcome o = RunBoth(pa, pb, sets.a, sets.b);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  ASSERT_TRUE(o.b.ok()) << o.b.status();
  EXPECT_TRUE(o.a->received);
  EXPECT_TRUE(o.b->received);
  EXPECT_TRUE(SortedPick(sets.a, o.a->matched) == sets.common);
  EXPECT_TRUE(SortedPick(sets.b, o.b->matched) == sets.common);
  EXPECT_EQ(o.a->intersection_size, common);
  EXPECT_EQ(o.b->intersection_size, common);
  EXPECT_EQ(o.a->peer_set_size, nb);
  EXPECT_EQ(o.b->peer_set_size, na);
  EXPECT_TRUE(std::is_sorted(o.a->matched.begin(), o.a->matched.end()));
  EXPECT_TRUE(std::is_sorted(o.b->matched.begin(), o.b->matched.end()));
}

TEST(Rr22PsiTest, PartialOverlapReturnsExactIntersection) {
  ExpectIntersection(1000, 1000, 250);
}
TEST(Rr22PsiTest, UnequalSizes) {
  ExpectIntersection(3000, 17, 9);
  ExpectIntersection(17, 3000, 9);
}
TEST(Rr22PsiTest, AllShared) { ExpectIntersection(2500, 2500, 2500); }
TEST(Rr22PsiTest, NoneShared) { ExpectIntersection(1200, 800, 0); }
TEST(Rr22PsiTest, OneAndTwoItems) {
  ExpectIntersection(1, 1, 1);
  ExpectIntersection(1, 1, 0);
  ExpectIntersection(2, 2, 1);
  ExpectIntersection(2, 1, 1);
}
TEST(Rr22PsiTest, EmptySets) {
  ExpectIntersection(0, 0, 0);
  ExpectIntersection(0, 10, 0);
  ExpectIntersection(10, 0, 0);
}
TEST(Rr22PsiTest, LargeSets) { ExpectIntersection(100000, 100000, 30000); }

TEST(Rr22PsiTest, ExplicitRolesEitherWay) {
  ExpectIntersection(500, 400, 123, Rr22Role::kOprfReceiver,
                     Rr22Role::kOprfSender);
  ExpectIntersection(500, 400, 123, Rr22Role::kOprfSender,
                     Rr22Role::kOprfReceiver);
  ExpectIntersection(500, 400, 123, Rr22Role::kOprfSender, Rr22Role::kAuto);
  ExpectIntersection(400, 400, 123, Rr22Role::kAuto,
                     Rr22Role::kAuto);  // tie: by seeds
}

TEST(Rr22PsiTest, ItemsOfAllLengthsIncludingEmptyAndLong) {
  std::vector<std::string> a, b, common;
  for (size_t len = 0; len < 70; ++len) {
    common.push_back(std::string(len, 'x'));
    if (len == 0) continue;  // "" is in common
    a.push_back(std::string(len, 'a'));
    b.push_back(std::string(len, 'b'));
  }
  common.push_back(std::string(5000, 'z'));
  // Same bytes, different lengths, must not collide: "x" * 7 vs "x" * 7 + "\0".
  a.push_back(std::string(7, 'x') + std::string(1, '\0'));
  b.push_back(std::string(7, 'x') + std::string(2, '\0'));
  a.insert(a.end(), common.begin(), common.end());
  b.insert(b.end(), common.begin(), common.end());
  auto p = Params(true, true);
  Outcome o = RunBoth(p, p, a, b);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  ASSERT_TRUE(o.b.ok()) << o.b.status();
  EXPECT_THAT(Pick(a, o.a->matched), UnorderedElementsAreArray(common));
  EXPECT_THAT(Pick(b, o.b->matched), UnorderedElementsAreArray(common));
}

TEST(Rr22PsiTest, ResultToMeOnly) {
  auto sets = testing::MakeSets(500, 400, 100, kSeed);
  Outcome o = RunBoth(Params(true, false), Params(false, true), sets.a, sets.b);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  ASSERT_TRUE(o.b.ok()) << o.b.status();
  EXPECT_TRUE(o.a->received);
  EXPECT_THAT(Pick(sets.a, o.a->matched),
              UnorderedElementsAreArray(sets.common));
  EXPECT_FALSE(o.b->received);
  EXPECT_TRUE(o.b->matched.empty());
  EXPECT_EQ(o.b->intersection_size, 0u);
  EXPECT_EQ(o.b->peer_set_size, 500u);
}

TEST(Rr22PsiTest, ResultToPeerOnly) {
  // The receiving side has the larger set: it is still the OPRF receiver.
  auto sets = testing::MakeSets(300, 700, 99, kSeed);
  Outcome o = RunBoth(Params(false, true), Params(true, false), sets.a, sets.b);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  ASSERT_TRUE(o.b.ok()) << o.b.status();
  EXPECT_FALSE(o.a->received);
  EXPECT_TRUE(o.a->matched.empty());
  EXPECT_TRUE(o.b->received);
  EXPECT_THAT(Pick(sets.b, o.b->matched),
              UnorderedElementsAreArray(sets.common));
}

Rr22PsiParams CountParams(bool i_receive, bool peer_receives,
                          Rr22Role role = Rr22Role::kAuto) {
  Rr22PsiParams p = Params(i_receive, peer_receives, role);
  p.output = PsiOutput::kCardinality;
  return p;
}

TEST(Rr22PsiTest, CountModeGivesTheExactCountToBothAndNoItems) {
  for (auto [na, nb, common] : {std::tuple<size_t, size_t, size_t>{1, 1, 1},
                                {2, 2, 0},
                                {2, 2, 2},
                                {1000, 700, 300},
                                {50, 2000, 50}}) {
    SCOPED_TRACE(::testing::Message() << na << "/" << nb << "/" << common);
    auto sets = testing::MakeSets(na, nb, common, kSeed);
    Outcome o = RunBoth(CountParams(true, true), CountParams(true, true),
                        sets.a, sets.b);
    ASSERT_TRUE(o.a.ok()) << o.a.status();
    ASSERT_TRUE(o.b.ok()) << o.b.status();
    EXPECT_EQ(o.a->intersection_size, common);
    EXPECT_EQ(o.b->intersection_size, common);
    EXPECT_TRUE(o.a->received);
    EXPECT_TRUE(o.a->matched.empty());
    EXPECT_TRUE(o.b->matched.empty());
    EXPECT_EQ(o.a->peer_set_size, nb);
    EXPECT_EQ(o.b->peer_set_size, na);
  }
}

TEST(Rr22PsiTest, CountModeToOneSideOnly) {
  auto sets = testing::MakeSets(600, 900, 123, kSeed);
  Outcome o = RunBoth(CountParams(true, false), CountParams(false, true),
                      sets.a, sets.b);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  ASSERT_TRUE(o.b.ok()) << o.b.status();
  EXPECT_EQ(o.a->intersection_size, 123u);
  EXPECT_FALSE(o.b->received);
  EXPECT_EQ(o.b->intersection_size, 0u);
  // The receiving side with the larger set (it is the OPRF receiver).
  Outcome p = RunBoth(CountParams(false, true), CountParams(true, false),
                      sets.a, sets.b);
  ASSERT_TRUE(p.a.ok()) << p.a.status();
  ASSERT_TRUE(p.b.ok()) << p.b.status();
  EXPECT_EQ(p.b->intersection_size, 123u);
  EXPECT_EQ(p.a->intersection_size, 0u);
}

TEST(Rr22PsiTest, CountModeWithAnEmptySetIsZero) {
  auto sets = testing::MakeSets(0, 10, 0, kSeed);
  Outcome o = RunBoth(CountParams(true, true), CountParams(true, true),
                      sets.a, sets.b);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  ASSERT_TRUE(o.b.ok()) << o.b.status();
  EXPECT_EQ(o.a->intersection_size, 0u);
  EXPECT_EQ(o.b->intersection_size, 0u);
}

TEST(Rr22PsiTest, CountModeDuplicateItemsAreInvalidArgument) {
  std::vector<std::string> a = {"x", "y", "x"};
  std::vector<std::string> b = {"x", "z", "w", "v"};
  Outcome o = RunBoth(CountParams(true, true, Rr22Role::kOprfReceiver),
                      CountParams(true, true), a, b);
  EXPECT_EQ(o.a.status().code(), absl::StatusCode::kInvalidArgument)
      << o.a.status();
  EXPECT_EQ(o.b.status().code(), absl::StatusCode::kFailedPrecondition)
      << o.b.status();
  Outcome p = RunBoth(CountParams(true, true, Rr22Role::kOprfSender),
                      CountParams(true, true), a, b);
  EXPECT_EQ(p.a.status().code(), absl::StatusCode::kInvalidArgument)
      << p.a.status();
}

TEST(Rr22PsiTest, CountModeAgainstMatchModeIsFailedPrecondition) {
  auto sets = testing::MakeSets(10, 10, 3, kSeed);
  Outcome o = RunBoth(CountParams(true, true), Params(true, true), sets.a,
                      sets.b);
  EXPECT_EQ(o.a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(o.b.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Rr22PsiTest, DuplicateItemsOfOprfReceiverAreInvalidArgument) {
  std::vector<std::string> a = {"x", "y", "x"};
  std::vector<std::string> b = {"x", "z", "w", "v"};
  Outcome o = RunBoth(Params(true, true, Rr22Role::kOprfReceiver),
                      Params(true, true), a, b);
  EXPECT_EQ(o.a.status().code(), absl::StatusCode::kInvalidArgument)
      << o.a.status();
  EXPECT_EQ(o.b.status().code(), absl::StatusCode::kUnavailable)
      << o.b.status();
}

TEST(Rr22PsiTest, DuplicateItemsOfOprfSenderAreInvalidArgument) {
  std::vector<std::string> a = {"x", "y", "x"};
  std::vector<std::string> b = {"x"};
  Outcome o = RunBoth(Params(true, true, Rr22Role::kOprfSender),
                      Params(true, true), a, b);
  EXPECT_EQ(o.a.status().code(), absl::StatusCode::kInvalidArgument)
      << o.a.status();
  EXPECT_EQ(o.b.status().code(), absl::StatusCode::kUnavailable)
      << o.b.status();
}

TEST(Rr22PsiTest, DuplicateItemsAreCalledSo) {
  std::vector<std::string> a = {"x", "y", "x"};
  std::vector<std::string> b = {"x", "z", "w", "v"};
  for (Rr22Role role : {Rr22Role::kOprfReceiver, Rr22Role::kOprfSender}) {
    Outcome o = RunBoth(Params(true, true, role), Params(true, true), a, b);
    ASSERT_EQ(o.a.status().code(), absl::StatusCode::kInvalidArgument) << o.a.status();
    EXPECT_THAT(std::string(o.a.status().message()),
                ::testing::HasSubstr("rr22-psi items must be distinct"));
    Outcome c = RunBoth(CountParams(true, true, role), CountParams(true, true), a, b);
    ASSERT_EQ(c.a.status().code(), absl::StatusCode::kInvalidArgument) << c.a.status();
    EXPECT_THAT(std::string(c.a.status().message()),
                ::testing::HasSubstr("rr22-psi items must be distinct"));
  }
}

// The regression of issue 12: every InvalidArgument from the OPRF or the
// shared-output PSI was relabelled "items must be distinct". Here the
// channel's message limit is too small for the VOLE's base OTs.
TEST(Rr22PsiTest, OtherInvalidArgumentIsPassedThroughNotCalledDuplicates) {
  auto sets = testing::MakeSets(300, 300, 100, kSeed);
  for (bool count : {false, true}) {
    SCOPED_TRACE(count ? "count mode" : "match mode");
    auto [ca, cb] = net::LocalPair();
    ca->set_max_message_len(2048);
    cb->set_max_message_len(2048);
    Rr22PsiParams pa = count ? CountParams(true, true, Rr22Role::kOprfReceiver)
                             : Params(true, true, Rr22Role::kOprfReceiver);
    Rr22PsiParams pb = count ? CountParams(true, true) : Params(true, true);
    pa.chunk_len = pb.chunk_len = 16;
    Outcome o = RunBothOver(*ca, *cb, pa, pb, sets.a, sets.b);
    const absl::StatusOr<PsiResult>& ra = o.a;
    const absl::StatusOr<PsiResult>& rb = o.b;
    const absl::Status& refused = absl::IsInvalidArgument(ra.status()) ? ra.status() : rb.status();
    ASSERT_EQ(refused.code(), absl::StatusCode::kInvalidArgument)
        << ra.status() << " / " << rb.status();
    // The base OT finds that its messages do not fit the channel.
    EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("channel"));
    EXPECT_THAT(std::string(ra.status().message()), ::testing::Not(::testing::HasSubstr("distinct")));
    EXPECT_THAT(std::string(rb.status().message()), ::testing::Not(::testing::HasSubstr("distinct")));
  }
}

TEST(Rr22PsiTest, DisagreementOnRecipientsIsFailedPrecondition) {
  std::vector<std::string> a = {"x"}, b = {"x"};
  Outcome o = RunBoth(Params(true, false), Params(true, false), a, b);
  EXPECT_EQ(o.a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(o.b.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Rr22PsiTest, DisagreementOnOkvsBinsIsFailedPrecondition) {
  std::vector<std::string> a = {"x"}, b = {"x"};
  auto pb = Params(true, true);
  pb.okvs_bin_items = 1 << 10;
  Outcome o = RunBoth(Params(true, true), pb, a, b);
  EXPECT_EQ(o.a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(o.b.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Rr22PsiTest, SameExplicitRoleOnBothSidesIsFailedPrecondition) {
  std::vector<std::string> a = {"x"}, b = {"x"};
  auto p = Params(true, true, Rr22Role::kOprfReceiver);
  Outcome o = RunBoth(p, p, a, b);
  EXPECT_EQ(o.a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(o.b.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Rr22PsiTest, RoleContradictingRecipientsIsInvalidArgument) {
  auto [ca, cb] = net::LocalPair();
  std::vector<std::string> a = {"x"};
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  auto r =
      Rr22Psi(Params(true, false, Rr22Role::kOprfSender)).Run(*ca, a, prng);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  r = Rr22Psi(Params(false, false)).Run(*ca, a, prng);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ca->messages_sent(), 0u);
}

// ScriptedPeer sends a valid header for `m` items, then whatever the test
// gives it, then closes.
Bytes ScriptedHeader(uint64_t m, uint8_t role = 0,
                     crypto::Block seed = crypto::Block(0x0f0e0d0c0b0a0908, 0x0706050403020100)) {
  ByteWriter w;
  w.U32(0x32325252);
  w.U32(Rr22Psi::kProtocolVersion);
  w.U8(0);
  w.U8(1);
  w.U8(1);
  w.U8(role);
  w.U8(0);  // semi-honest
  w.U64(m);
  w.U64(1000);
  w.U64(okvs::kDefaultBinItems);
  const crypto::Digest256 c = internal::CommitSeed(seed);
  w.Raw(ByteSpan(c.data(), c.size()));
  return w.Take();
}

absl::StatusCode RunAgainstScript(const std::vector<Bytes>& script,
                                  int reads_before_close = -1) {
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
  auto r = Rr22Psi(Params(true, true)).Run(*ca, items, prng);
  ca->Close();
  peer.get();
  return r.status().code();
}

TEST(Rr22PsiTest, GarbledHeaderFailsWithDataLoss) {
  Bytes header = ScriptedHeader(2);
  header[0] ^= 0xff;
  EXPECT_EQ(RunAgainstScript({header}), absl::StatusCode::kDataLoss);
  EXPECT_EQ(RunAgainstScript({Bytes{1, 2, 3}}), absl::StatusCode::kDataLoss);
  Bytes long_header = ScriptedHeader(2);
  long_header.push_back(0);
  EXPECT_EQ(RunAgainstScript({long_header}), absl::StatusCode::kDataLoss);
  Bytes bad_role = ScriptedHeader(2, 3);
  EXPECT_EQ(RunAgainstScript({bad_role}), absl::StatusCode::kDataLoss);
}

// Regression (issue 11): the seeds were sent in the clear in the headers,
// so the side that spoke second could choose the item-hash key. Now each
// header commits to the seed and a seed that does not open the commitment
// is DataLoss: a peer that sends another seed than it committed to is
// caught before any VOLE message.
TEST(Rr22PsiTest, SeedOtherThanTheCommittedOneIsDataLoss) {
  const crypto::Block committed(11, 22), chosen_late(11, 23);
  auto opening = [](const crypto::Block& b) {
    Bytes out(16);
    b.ToBytes(out.data());
    return out;
  };
  const Bytes header = ScriptedHeader(2, 0, committed);
  EXPECT_EQ(RunAgainstScript({header, opening(chosen_late)}), absl::StatusCode::kDataLoss);
  Bytes short_opening = opening(committed);
  short_opening.pop_back();
  EXPECT_EQ(RunAgainstScript({header, short_opening}), absl::StatusCode::kDataLoss);
  // The honest opening passes; the scripted peer reads our header and
  // opening, then closes: the run stops in the VOLE.
  EXPECT_EQ(RunAgainstScript({header, opening(committed)}, /*reads_before_close=*/2),
            absl::StatusCode::kUnavailable);
}

TEST(Rr22PsiTest, HugeAnnouncedSetIsRefusedBeforeAllocating) {
  EXPECT_EQ(RunAgainstScript({ScriptedHeader(uint64_t{1} << 40)}),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Rr22PsiTest, PeerClosingIsUnavailable) {
  EXPECT_EQ(RunAgainstScript({}, 0), absl::StatusCode::kUnavailable);
  // The peer sends its header, reads ours and goes (mid-VOLE for us).
  EXPECT_EQ(RunAgainstScript({ScriptedHeader(5)}, 1),
            absl::StatusCode::kUnavailable);
}

// The fault matrix. The faulty side A is the OPRF receiver or the OPRF
// sender; its messages are located by what they are (the VOLE's message
// count is read off a clean run), and every fault must end the honest side
// B with the documented error.
enum class Slot {
  kHeader,
  kSeedOpening,
  kVole,
  kOkvsSeed,
  kFirstP,
  kLastP,
  kCount,
  kPositions,
  kFirstF,
  kLastF
};

struct FaultCase {
  bool a_is_receiver;
  Slot slot;
  testing::Fault::Kind kind;
  size_t garbage_len;
  absl::StatusCode expected;
};

constexpr size_t kFaultItems = 300, kFaultCommon = 100, kFaultChunk = 100;

Rr22PsiParams FaultParams(bool receiver) {
  auto p = Params(true, true,
                  receiver ? Rr22Role::kOprfReceiver : Rr22Role::kOprfSender);
  p.chunk_len = kFaultChunk;
  return p;
}

// FaultyRun is a run with a fault on A's end: both results, whether the
// fault fired, and how many messages A sent.
struct FaultyRun {
  absl::StatusOr<PsiResult> a = absl::InternalError("unset");
  absl::StatusOr<PsiResult> b = absl::InternalError("unset");
  bool fired = false;
  uint64_t a_messages = 0;
};

// RunFaulty runs A (params `pa`, set a) over a FaultyChannel with `fault`
// against B (testing::RunPair).
FaultyRun RunFaulty(const Rr22PsiParams& pa, const Rr22PsiParams& pb,
                    const testing::TwoSets& sets, const testing::Fault& fault) {
  testing::PairOptions options;
  options.timeout = absl::Seconds(30);
  options.wrap_a = [fault](std::unique_ptr<net::Channel> ch) {
    return std::unique_ptr<net::Channel>(
        std::make_unique<testing::FaultyChannel>(std::move(ch), fault));
  };
  FaultyRun out;
  options.after = [&out](const net::Channel& a, const net::Channel&) {
    const auto& faulty = static_cast<const testing::FaultyChannel&>(a);
    out.fired = faulty.fired();
    out.a_messages = faulty.messages_sent();
  };
  std::tie(out.a, out.b) = testing::RunPair<PsiResult>(
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
        return Rr22Psi(pa).Run(ch, sets.a, prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
        return Rr22Psi(pb).Run(ch, sets.b, prng);
      },
      options);
  return out;
}

uint64_t CleanRunMessages(bool a_is_receiver, const testing::TwoSets& sets) {
  uint64_t messages = 0;
  testing::PairOptions options;
  options.after = [&messages](const net::Channel& a, const net::Channel&) {
    messages = a.messages_sent();
  };
  auto [ra, rb] = testing::RunPair<PsiResult>(
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
        return Rr22Psi(FaultParams(a_is_receiver)).Run(ch, sets.a, prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
        return Rr22Psi(FaultParams(!a_is_receiver)).Run(ch, sets.b, prng);
      },
      options);
  EXPECT_TRUE(ra.ok() && rb.ok());
  return messages;
}

uint64_t SlotIndex(Slot slot, uint64_t total) {
  const uint64_t p_chunks =
      (okvs::OkvsParams::ForItems(kFaultItems).size() + kFaultChunk - 1) /
      kFaultChunk;
  const uint64_t f_chunks = (kFaultItems + kFaultChunk - 1) / kFaultChunk;
  const uint64_t pos_chunks = (kFaultCommon + kFaultChunk - 1) / kFaultChunk;
  switch (slot) {
    case Slot::kHeader:
      return 0;
    case Slot::kSeedOpening:
      return 1;
    case Slot::kVole:
      return 2;
    case Slot::kOkvsSeed:
      return total - pos_chunks - 1 - p_chunks - 1;
    case Slot::kFirstP:
      return total - pos_chunks - 1 - p_chunks;
    case Slot::kLastP:
      return total - pos_chunks - 2;
    case Slot::kCount:
      return total - pos_chunks - 1;
    case Slot::kPositions:
      return total - 1;
    case Slot::kFirstF:
      return total - f_chunks;
    case Slot::kLastF:
      return total - 1;
  }
  return 0;
}

TEST(Rr22PsiTest, FlippedByteInOkvsLosesMatchesButNeverAddsThem) {
  // Undetectable in the semi-honest protocol (P ⊕ C is uniformly random),
  // as rr22_psi.h documents: the run ends, with a subset of the truth.
  auto sets = testing::MakeSets(kFaultItems, kFaultItems, kFaultCommon, kSeed);
  testing::Fault fault;
  fault.kind = testing::Fault::kFlipByte;
  fault.byte_index = 7;
  fault.xor_mask = 0x40;
  fault.message_index = SlotIndex(Slot::kLastP, CleanRunMessages(true, sets));
  FaultyRun run = RunFaulty(FaultParams(true), FaultParams(false), sets, fault);
  const auto& [ra, rb] = std::tie(run.a, run.b);
  EXPECT_TRUE(run.fired);
  ASSERT_TRUE(ra.ok()) << ra.status();
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_THAT(Pick(sets.a, ra->matched), IsSubsetOf(sets.common));
  EXPECT_THAT(Pick(sets.b, rb->matched), IsSubsetOf(sets.common));
  EXPECT_EQ(ra->matched.size(), rb->matched.size());
}

class Rr22PsiFaultTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(Rr22PsiFaultTest, FaultEndsTheRunWithTheRightError) {
  const FaultCase& c = GetParam();
  auto sets = testing::MakeSets(kFaultItems, kFaultItems, kFaultCommon, kSeed);
  const uint64_t total = CleanRunMessages(c.a_is_receiver, sets);
  testing::Fault fault;
  fault.kind = c.kind;
  fault.message_index = SlotIndex(c.slot, total);
  if (c.garbage_len != 0) fault.garbage_len = c.garbage_len;
  SCOPED_TRACE(fault.DebugString() +
               (c.a_is_receiver ? " (A is R)" : " (A is S)") +
               " seed=" + std::to_string(kSeed));
  FaultyRun run =
      RunFaulty(FaultParams(c.a_is_receiver), FaultParams(!c.a_is_receiver), sets, fault);
  const auto& [ra, rb] = std::tie(run.a, run.b);
  EXPECT_TRUE(run.fired);
  EXPECT_EQ(rb.status().code(), c.expected) << rb.status();
  if (ra.ok()) {
    EXPECT_THAT(Pick(sets.a, ra->matched),
                UnorderedElementsAreArray(sets.common));
  }
}

using K = testing::Fault;
constexpr auto kDataLoss = absl::StatusCode::kDataLoss;
constexpr auto kUnavailable = absl::StatusCode::kUnavailable;

INSTANTIATE_TEST_SUITE_P(
    Rr22Faults, Rr22PsiFaultTest,
    ::testing::Values(
        // A is the OPRF receiver: damage to its header, seed, P ⊕ C, positions.
        FaultCase{true, Slot::kHeader, K::kTruncate, 0, kDataLoss},
        FaultCase{true, Slot::kHeader, K::kFlipByte, 0, kDataLoss},
        FaultCase{true, Slot::kSeedOpening, K::kFlipByte, 0, kDataLoss},
        FaultCase{true, Slot::kSeedOpening, K::kTruncate, 0, kDataLoss},
        FaultCase{true, Slot::kSeedOpening, K::kCloseBefore, 0, kUnavailable},
        FaultCase{true, Slot::kOkvsSeed, K::kTruncate, 0, kDataLoss},
        FaultCase{true, Slot::kFirstP, K::kTruncate, 0, kDataLoss},
        FaultCase{true, Slot::kLastP, K::kTruncate, 0, kDataLoss},
        FaultCase{true, Slot::kFirstP, K::kOversize, 0, kDataLoss},
        FaultCase{true, Slot::kFirstP, K::kGarbage, 1601, kDataLoss},
        FaultCase{true, Slot::kLastP, K::kGarbage, 5, kDataLoss},
        FaultCase{true, Slot::kCount, K::kGarbage, 8, kDataLoss},
        FaultCase{true, Slot::kPositions, K::kTruncate, 0, kDataLoss},
        FaultCase{true, Slot::kPositions, K::kGarbage, 0, kDataLoss},
        FaultCase{true, Slot::kFirstP, K::kDropAndClose, 0, kUnavailable},
        FaultCase{true, Slot::kFirstP, K::kCloseBefore, 0, kUnavailable},
        FaultCase{true, Slot::kVole, K::kCloseBefore, 0, kUnavailable},
        FaultCase{true, Slot::kPositions, K::kCloseBefore, 0, kUnavailable},
        // A is the OPRF sender: damage to its F list.
        FaultCase{false, Slot::kHeader, K::kGarbage, 0, kDataLoss},
        FaultCase{false, Slot::kSeedOpening, K::kGarbage, 0, kDataLoss},
        FaultCase{false, Slot::kFirstF, K::kTruncate, 0, kDataLoss},
        FaultCase{false, Slot::kLastF, K::kTruncate, 0, kDataLoss},
        FaultCase{false, Slot::kFirstF, K::kOversize, 0, kDataLoss},
        FaultCase{false, Slot::kFirstF, K::kGarbage, 0,
                  kDataLoss},  // same length: unsorted
        FaultCase{false, Slot::kLastF, K::kGarbage, 0, kDataLoss},
        FaultCase{false, Slot::kFirstF, K::kCloseBefore, 0, kUnavailable},
        FaultCase{false, Slot::kLastF, K::kDropAndClose, 0, kUnavailable}));

// Malicious mode.

void ExpectMaliciousIntersection(size_t na, size_t nb, size_t common) {
  ExpectIntersection(na, nb, common, Rr22Role::kAuto, Rr22Role::kAuto,
                     /*malicious=*/true);
}

Rr22PsiParams MaliciousParams(bool i_receive, bool peer_receives,
                              Rr22Role role = Rr22Role::kAuto) {
  Rr22PsiParams p = Params(i_receive, peer_receives, role);
  p.malicious = true;
  return p;
}

TEST(Rr22PsiMaliciousTest, PartialOverlapReturnsExactIntersection) {
  ExpectMaliciousIntersection(1000, 1000, 250);
}
TEST(Rr22PsiMaliciousTest, UnequalSizes) {
  ExpectMaliciousIntersection(3000, 17, 9);
  ExpectMaliciousIntersection(17, 3000, 9);
}
TEST(Rr22PsiMaliciousTest, AllAndNoneShared) {
  ExpectMaliciousIntersection(2500, 2500, 2500);
  ExpectMaliciousIntersection(1200, 800, 0);
}
TEST(Rr22PsiMaliciousTest, ZeroOneAndTwoItems) {
  ExpectMaliciousIntersection(0, 0, 0);
  ExpectMaliciousIntersection(0, 10, 0);
  ExpectMaliciousIntersection(1, 1, 1);
  ExpectMaliciousIntersection(1, 1, 0);
  ExpectMaliciousIntersection(2, 2, 1);
  ExpectMaliciousIntersection(2, 1, 1);
}
TEST(Rr22PsiMaliciousTest, LargeSets) {
  ExpectMaliciousIntersection(100000, 100000, 30000);
}

TEST(Rr22PsiMaliciousTest, ResultToOneSideEitherWay) {
  auto sets = testing::MakeSets(500, 400, 100, kSeed);
  for (bool a_receives : {true, false}) {
    SCOPED_TRACE(a_receives ? "A receives" : "B receives");
    Outcome o = RunBoth(MaliciousParams(a_receives, !a_receives),
                        MaliciousParams(!a_receives, a_receives), sets.a, sets.b);
    ASSERT_TRUE(o.a.ok()) << o.a.status();
    ASSERT_TRUE(o.b.ok()) << o.b.status();
    const PsiResult& got = a_receives ? *o.a : *o.b;
    const PsiResult& other = a_receives ? *o.b : *o.a;
    EXPECT_TRUE(got.received);
    EXPECT_TRUE(SortedPick(a_receives ? sets.a : sets.b, got.matched) == sets.common);
    EXPECT_FALSE(other.received);
    EXPECT_TRUE(other.matched.empty());
  }
}

TEST(Rr22PsiMaliciousTest, SecurityMismatchIsFailedPreconditionBeforeTheVole) {
  std::vector<std::string> a = {"x", "y"}, b = {"x"};
  auto [ca, cb] = net::LocalPair();
  Outcome out = RunBothOver(*ca, *cb, Params(true, true), MaliciousParams(true, true), a, b);
  EXPECT_EQ(out.a.status().code(), absl::StatusCode::kFailedPrecondition) << out.a.status();
  EXPECT_EQ(out.b.status().code(), absl::StatusCode::kFailedPrecondition) << out.b.status();
  // Only the headers moved.
  EXPECT_EQ(ca->messages_sent(), 1u);
  EXPECT_EQ(cb->messages_sent(), 1u);
}

TEST(Rr22PsiMaliciousTest, CountModeIsSemiHonestOnlyAndRefusedBeforeSending) {
  auto [ca, cb] = net::LocalPair();
  Rr22PsiParams p = MaliciousParams(true, true);
  p.output = PsiOutput::kCardinality;
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  auto r = Rr22Psi(p).Run(*ca, std::vector<std::string>{"x"}, prng);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_EQ(ca->messages_sent(), 0u);
}

TEST(Rr22PsiTest, OtherProtocolVersionIsFailedPrecondition) {
  ByteWriter w;
  w.U32(0x32325252);
  w.U32(1);  // the version before the security byte: a shorter header
  for (int i = 0; i < 44; ++i) w.U8(0);
  EXPECT_EQ(RunAgainstScript({w.Take()}), absl::StatusCode::kFailedPrecondition);
}

// The malicious fault matrix: A changes one byte of one of its messages
// (every message of the silent VOLE, the commitment and the opening, the
// proofs), B is honest. The side whose check covers the message fails with
// DataLoss; a change to a value the honest run never uses (a level sum off
// the receiver's path, a SoftSpoken correction on Δ's side) may pass, and
// then both results are exact. No side ever returns a wrong result.

using MaliciousRun = FaultyRun;

MaliciousRun RunMalicious(bool a_is_receiver, const testing::TwoSets& sets,
                          testing::Fault fault) {
  auto pa = MaliciousParams(true, true, a_is_receiver ? Rr22Role::kOprfReceiver
                                                      : Rr22Role::kOprfSender);
  auto pb = MaliciousParams(true, true, a_is_receiver ? Rr22Role::kOprfSender
                                                      : Rr22Role::kOprfReceiver);
  pa.chunk_len = pb.chunk_len = kFaultChunk;
  return RunFaulty(pa, pb, sets, fault);
}

void ExpectExactIfOk(const MaliciousRun& r, const testing::TwoSets& sets) {
  if (r.a.ok()) {
    EXPECT_TRUE(SortedPick(sets.a, r.a->matched) == sets.common) << "A: wrong result";
  }
  if (r.b.ok()) {
    EXPECT_TRUE(SortedPick(sets.b, r.b->matched) == sets.common) << "B: wrong result";
  }
}

enum class Caught { kByB, kByA, kByEither, kByBOrHarmless, kByBHeader };

TEST(Rr22PsiMaliciousTest, ChangedVoleOrCommitmentMessageFailsWithDataLoss) {
  auto sets = testing::MakeSets(kFaultItems, kFaultItems, kFaultCommon, kSeed);
  const uint64_t p_chunks =
      (okvs::OkvsParams::ForItems(kFaultItems).size() + kFaultChunk - 1) /
      kFaultChunk;
  const uint64_t f_chunks = (kFaultItems + kFaultChunk - 1) / kFaultChunk;
  const uint64_t proof_msgs = 1 + (kFaultCommon + kFaultChunk / 2 - 1) / (kFaultChunk / 2);
  for (bool a_is_receiver : {true, false}) {
    const MaliciousRun clean = RunMalicious(a_is_receiver, sets, {});
    ASSERT_TRUE(clean.a.ok() && clean.b.ok());
    ExpectExactIfOk(clean, sets);
    const uint64_t total = clean.a_messages;
    // A as R: header, seed opening, the VOLE receiver's messages (base OT,
    // corrections, OT header, columns, OT check answer, x), seed ‖ w_R,
    // P ⊕ C, proofs. A as S: header, seed opening, commitment, base OT, χ,
    // PPRF, check answer, opening, F list.
    const uint64_t first = 1;
    const uint64_t last = a_is_receiver ? total - proof_msgs - p_chunks - 1
                                        : total - f_chunks;  // exclusive
    for (uint64_t index = first; index < last; ++index) {
      testing::Fault fault;
      fault.kind = testing::Fault::kFlipByte;
      fault.message_index = index;
      fault.byte_index = 3;
      SCOPED_TRACE(fault.DebugString() + (a_is_receiver ? " (A is R)" : " (A is S)"));
      const MaliciousRun r = RunMalicious(a_is_receiver, sets, fault);
      EXPECT_TRUE(r.fired);
      ExpectExactIfOk(r, sets);
      Caught expect = Caught::kByB;
      if (a_is_receiver) {
        if (index + 1 == last) expect = Caught::kByA;          // x
        if (index == 4) expect = Caught::kByBHeader;           // OT header
        if (index == 3) expect = Caught::kByBOrHarmless;       // corrections
      } else {
        if (index == 3) expect = Caught::kByEither;            // base OT
        if (index == 4) expect = Caught::kByA;                 // χ seed
        if (index == 5) expect = Caught::kByBOrHarmless;       // PPRF sums
      }
      const bool a_dl = r.a.status().code() == absl::StatusCode::kDataLoss;
      const bool b_dl = r.b.status().code() == absl::StatusCode::kDataLoss;
      switch (expect) {
        case Caught::kByB:
          EXPECT_TRUE(b_dl) << r.b.status();
          break;
        case Caught::kByA:
          EXPECT_TRUE(a_dl) << r.a.status();
          EXPECT_FALSE(r.b.ok());
          break;
        case Caught::kByEither:
          EXPECT_TRUE(a_dl || b_dl) << r.a.status() << " / " << r.b.status();
          break;
        case Caught::kByBOrHarmless:
          EXPECT_TRUE(b_dl || (r.a.ok() && r.b.ok())) << r.b.status();
          break;
        case Caught::kByBHeader:
          EXPECT_TRUE(b_dl || r.b.status().code() == absl::StatusCode::kFailedPrecondition)
              << r.b.status();
          break;
      }
    }
  }
}

TEST(Rr22PsiMaliciousTest, ClaimingAMatchWithoutItsProofIsDataLoss) {
  auto sets = testing::MakeSets(kFaultItems, kFaultItems, kFaultCommon, kSeed);
  const MaliciousRun clean = RunMalicious(true, sets, {});
  ASSERT_TRUE(clean.a.ok() && clean.b.ok());
  // A (R) changes a proof byte in its last positions message: B must refuse
  // rather than report the position.
  testing::Fault fault;
  fault.kind = testing::Fault::kFlipByte;
  fault.message_index = clean.a_messages - 1;
  fault.byte_index = 4 + 7;  // inside the first entry's proof
  const MaliciousRun r = RunMalicious(true, sets, fault);
  EXPECT_TRUE(r.fired);
  EXPECT_EQ(r.b.status().code(), absl::StatusCode::kDataLoss) << r.b.status();
  ExpectExactIfOk(r, sets);
}

TEST(Rr22PsiMaliciousTest, ChangedOkvsOrTagsOnlyLoseMatches) {
  // A malicious R may send any P (it chooses its input) and a malicious S
  // any list (likewise): neither is an error, and the results stay a
  // subset of the truth, equal on both sides.
  auto sets = testing::MakeSets(kFaultItems, kFaultItems, kFaultCommon, kSeed);
  for (bool a_is_receiver : {true, false}) {
    const MaliciousRun clean = RunMalicious(a_is_receiver, sets, {});
    ASSERT_TRUE(clean.a.ok() && clean.b.ok());
    const uint64_t f_chunks = (kFaultItems + kFaultChunk - 1) / kFaultChunk;
    const uint64_t proof_msgs = 1 + (kFaultCommon + kFaultChunk / 2 - 1) / (kFaultChunk / 2);
    testing::Fault fault;
    fault.kind = testing::Fault::kFlipByte;
    fault.message_index = a_is_receiver ? clean.a_messages - proof_msgs - 1
                                        : clean.a_messages - f_chunks;
    fault.byte_index = 21;
    SCOPED_TRACE(fault.DebugString());
    const MaliciousRun r = RunMalicious(a_is_receiver, sets, fault);
    EXPECT_TRUE(r.fired);
    ASSERT_TRUE(r.a.ok()) << r.a.status();
    ASSERT_TRUE(r.b.ok()) << r.b.status();
    EXPECT_THAT(Pick(sets.a, r.a->matched), IsSubsetOf(sets.common));
    EXPECT_THAT(Pick(sets.b, r.b->matched), IsSubsetOf(sets.common));
    EXPECT_EQ(r.a->matched.size(), r.b->matched.size());
  }
}

}  // namespace
}  // namespace liaison::psi
