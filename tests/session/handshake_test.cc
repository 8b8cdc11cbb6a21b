#include "session/handshake.h"

#include <future>

#include "base/bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/channel.h"

namespace liaison::session {
namespace {

using ::testing::HasSubstr;

Offer BaseOffer() {
  Offer o;
  o.protocol = "ecdh-psi";
  o.protocol_version = 1;
  o.mode = "match";
  o.profile_name = "liaison-indicators";
  o.profile_version = 1;
  o.profile_digest = std::string(64, 'a');
  o.set_size = 100;
  o.result_to = ResultTo::kBoth;
  o.software_version = "0.1.0";
  return o;
}

struct Both {
  absl::StatusOr<Agreed> a;
  absl::StatusOr<Agreed> b;
};

Both RunPair(const Offer& a, const Offer& b) {
  auto [ca, cb] = net::LocalPair();
  auto fb = std::async(std::launch::async, [&, ch = cb.get()] { return Handshake(*ch, b); });
  Both out{Handshake(*ca, a), absl::InternalError("unset")};
  out.b = fb.get();
  return out;
}

TEST(HandshakeTest, MatchingOffersAgree) {
  Offer a = BaseOffer(), b = BaseOffer();
  b.set_size = 7;
  Both r = RunPair(a, b);
  ASSERT_TRUE(r.a.ok()) << r.a.status();
  ASSERT_TRUE(r.b.ok()) << r.b.status();
  EXPECT_EQ(r.a->peer.set_size, 7u);
  EXPECT_EQ(r.b->peer.set_size, 100u);
  EXPECT_TRUE(r.a->i_receive && r.a->peer_receives);
}

TEST(HandshakeTest, OneSidedResultAgreesWhenMirrored) {
  Offer a = BaseOffer(), b = BaseOffer();
  a.result_to = ResultTo::kMe;
  b.result_to = ResultTo::kPeer;
  Both r = RunPair(a, b);
  ASSERT_TRUE(r.a.ok()) << r.a.status();
  ASSERT_TRUE(r.b.ok()) << r.b.status();
  EXPECT_TRUE(r.a->i_receive);
  EXPECT_FALSE(r.a->peer_receives);
  EXPECT_FALSE(r.b->i_receive);
  EXPECT_TRUE(r.b->peer_receives);
}

// Each mismatch stops both sides with FailedPrecondition and a line naming
// what differed.
struct MismatchCase {
  const char* name;
  void (*mutate)(Offer&);
  const char* expected;
};

class HandshakeMismatchTest : public ::testing::TestWithParam<MismatchCase> {};

TEST_P(HandshakeMismatchTest, BothSidesStopNamingTheDifference) {
  Offer a = BaseOffer(), b = BaseOffer();
  GetParam().mutate(b);
  Both r = RunPair(a, b);
  ASSERT_FALSE(r.a.ok());
  ASSERT_FALSE(r.b.ok());
  EXPECT_EQ(r.a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.b.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.a.status().message(), HasSubstr(GetParam().expected));
  EXPECT_THAT(r.b.status().message(), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    Mismatches, HandshakeMismatchTest,
    ::testing::Values(
        MismatchCase{"protocol", [](Offer& o) { o.protocol = "rr22-psi"; }, "protocol differs"},
        MismatchCase{"version", [](Offer& o) { o.protocol_version = 2; },
                     "protocol version differs"},
        MismatchCase{"mode", [](Offer& o) { o.mode = "count"; }, "mode differs"},
        MismatchCase{"profile", [](Offer& o) { o.profile_digest = std::string(64, 'b'); },
                     "normalisation profile differs"},
        MismatchCase{"recipients", [](Offer& o) { o.result_to = ResultTo::kMe; },
                     "result recipients differ"},
        MismatchCase{"security", [](Offer& o) { o.security = Security::kMalicious; },
                     "security model differs"},
        MismatchCase{"software", [](Offer& o) { o.software_version = "0.9.0"; },
                     "software versions are not compatible"}),
    [](const ::testing::TestParamInfo<MismatchCase>& info) { return info.param.name; });

// DP jobs: every privacy parameter and the value side are compared before
// any data moves.
TEST(HandshakeTest, DpParameterMismatchStopsBothSidesNamingIt) {
  auto sum_offer = [](bool has_values) {
    Offer o = BaseOffer();
    o.mode = "sum";
    o.dp = DpOffer{"discrete_laplace", "1", "", "1/2", -10, 10, has_values};
    return o;
  };
  struct Case {
    const char* name;
    void (*mutate)(Offer&);
    const char* expected;
  };
  const Case cases[] = {
      {"no dp", [](Offer& o) { o.dp.reset(); }, "differential privacy differs"},
      {"epsilon", [](Offer& o) { o.dp->epsilon = "1/10"; }, "differential privacy differs"},
      // Issue 12: people read decimals, not the wire's fractions.
      {"epsilon in decimals", [](Offer& o) { o.dp->epsilon = "1/10"; }, " epsilon=0.1"},
      {"mechanism", [](Offer& o) { o.dp->mechanism = "discrete_gaussian"; },
       "differential privacy differs"},
      {"delta", [](Offer& o) { o.dp->delta = "1/1000000"; }, "differential privacy differs"},
      {"delta in decimals", [](Offer& o) { o.dp->delta = "1/1000000"; }, " delta=0.000001"},
      {"count epsilon", [](Offer& o) { o.dp->count_epsilon = ""; }, "count's epsilon differs"},
      {"count epsilon in decimals", [](Offer& o) { o.dp->count_epsilon = ""; }, " 0.5"},
      {"bounds", [](Offer& o) { o.dp->hi = 11; }, "value bounds differ"},
      {"both bring values", [](Offer& o) { o.dp->has_values = true; }, "both sides bring values"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Offer a = sum_offer(true), b = sum_offer(false);
    c.mutate(b);
    Both r = RunPair(a, b);
    ASSERT_FALSE(r.a.ok());
    ASSERT_FALSE(r.b.ok());
    EXPECT_EQ(r.a.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(r.b.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(r.a.status().message(), HasSubstr(c.expected));
    EXPECT_THAT(r.b.status().message(), HasSubstr(c.expected));
  }
  // The sum may not go to the values side alone.
  Offer a = sum_offer(true), b = sum_offer(false);
  a.result_to = ResultTo::kMe;
  b.result_to = ResultTo::kPeer;
  Both r = RunPair(a, b);
  EXPECT_EQ(r.a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.a.status().message(), HasSubstr("side without values"));
  // Agreement.
  r = RunPair(sum_offer(true), sum_offer(false));
  ASSERT_TRUE(r.a.ok()) << r.a.status();
  ASSERT_TRUE(r.b.ok()) << r.b.status();
  ASSERT_TRUE(r.b->peer.dp.has_value());
  EXPECT_TRUE(r.b->peer.dp->has_values);
  EXPECT_EQ(r.b->peer.dp->lo, -10);
}

TEST(HandshakeTest, PeerSetOverOurLimitIsPermissionDeniedOnBothSides) {
  Offer a = BaseOffer(), b = BaseOffer();
  a.max_peer_set_size = 50;  // b brings 100
  Both r = RunPair(a, b);
  EXPECT_EQ(r.a.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.a.status().message(), HasSubstr("exceeds our limit of 50"));
  EXPECT_EQ(r.b.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.b.status().message(), HasSubstr("the peer refused the session"));
}

const std::string kBuildA = "sha256:" + std::string(64, 'a');
const std::string kBuildB = "sha256:" + std::string(64, 'b');

TEST(HandshakeTest, EachSideLearnsThePeersBuild) {
  Offer a = BaseOffer(), b = BaseOffer();
  a.build = kBuildA;
  b.build = kBuildB;
  a.require_build = {kBuildA, kBuildB};
  Both r = RunPair(a, b);
  ASSERT_TRUE(r.a.ok()) << r.a.status();
  ASSERT_TRUE(r.b.ok()) << r.b.status();
  EXPECT_EQ(r.a->peer.build, kBuildB);
  EXPECT_EQ(r.b->peer.build, kBuildA);
  // The list is local: it is not sent.
  EXPECT_TRUE(r.b->peer.require_build.empty());
}

TEST(HandshakeTest, PeerBuildNotRequiredIsPermissionDeniedOnBothSidesNamingIt) {
  Offer a = BaseOffer(), b = BaseOffer();
  a.build = kBuildA;
  b.build = kBuildB;
  a.require_build = {kBuildA};
  Both r = RunPair(a, b);
  EXPECT_EQ(r.a.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.a.status().message(), HasSubstr("the peer runs build " + kBuildB));
  EXPECT_EQ(r.b.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.b.status().message(),
              HasSubstr("the peer refused the session: our build " + kBuildB));
}

TEST(HandshakeTest, PeerWithoutBuildIsRefusedWhenOneIsRequired) {
  Offer a = BaseOffer(), b = BaseOffer();
  a.require_build = {kBuildA};
  Both r = RunPair(a, b);  // b announces no build
  EXPECT_EQ(r.a.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.a.status().message(), HasSubstr("the peer announced no build digest"));
  EXPECT_EQ(r.b.status().code(), absl::StatusCode::kPermissionDenied);
}

// A peer that announces another build than the one we require: we refuse
// in our verdict and send nothing after it, so no protocol data moves.
TEST(HandshakeTest, PeerAnnouncingAnotherBuildGetsNoProtocolData) {
  auto [ours, theirs] = net::LocalPair();
  Offer mine = BaseOffer();
  mine.build = kBuildA;
  mine.require_build = {kBuildA};
  Offer fake = BaseOffer();
  fake.build = kBuildB;
  // The fake peer plays the handshake by hand: its offer, and then what it
  // receives.
  auto peer = std::async(std::launch::async, [&, ch = theirs.get()] {
    return Handshake(*ch, fake);
  });
  absl::StatusOr<Agreed> got = Handshake(*ours, mine);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(got.status().message(), HasSubstr(kBuildB));
  absl::StatusOr<Agreed> peer_got = peer.get();
  EXPECT_EQ(peer_got.status().code(), absl::StatusCode::kPermissionDenied);
  // After the two handshake messages each way, nothing: the next read finds
  // the connection closed.
  EXPECT_EQ(ours->bytes_sent(), theirs->bytes_received());
  ours->Close();
  EXPECT_EQ(theirs->Recv().status().code(), absl::StatusCode::kUnavailable);
}

TEST(HandshakeTest, MalformedBuildDigestIsDataLoss) {
  auto [ca, cb] = net::LocalPair();
  Offer bad = BaseOffer();
  bad.build = "sha256:not-hex";
  auto peer = std::async(std::launch::async, [&, ch = cb.get()] { return Handshake(*ch, bad); });
  EXPECT_EQ(Handshake(*ca, BaseOffer()).status().code(), absl::StatusCode::kDataLoss);
  ca->Close();
  EXPECT_FALSE(peer.get().ok());
}

TEST(HandshakeTest, PeerBringingOtherThanItAnnouncedIsPermissionDeniedOnBothSides) {
  Offer a = BaseOffer(), b = BaseOffer();
  a.expected_peer_set_size = 1;  // b announced 1 item before the session
  b.set_size = 50;               // and brings 50
  Both r = RunPair(a, b);
  EXPECT_EQ(r.a.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.a.status().message(),
              HasSubstr("the peer announced 1 items in its offer and brings 50"));
  EXPECT_EQ(r.b.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.b.status().message(), HasSubstr("the peer refused the session"));
  // Fewer than announced is refused too: the size is exact.
  b.set_size = 0;
  a.expected_peer_set_size = 100;
  r = RunPair(a, b);
  EXPECT_EQ(r.a.status().code(), absl::StatusCode::kPermissionDenied);
  // The announced size itself passes.
  b.set_size = 100;
  r = RunPair(a, b);
  EXPECT_TRUE(r.a.ok()) << r.a.status();
  EXPECT_TRUE(r.b.ok()) << r.b.status();
}

TEST(HandshakeTest, GarbledOfferIsDataLoss) {
  auto [ca, cb] = net::LocalPair();
  ASSERT_TRUE(cb->Send(Bytes{0x4c, 0x4c, 0x53, 0x4e, 1, 0xff}).ok());
  auto r = Handshake(*ca, BaseOffer());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  // We told the peer why we stop: an offer and then a refusal verdict.
  ASSERT_TRUE(cb->Recv().ok());
  auto verdict = cb->Recv();
  ASSERT_TRUE(verdict.ok());
}

TEST(HandshakeTest, PeerClosingIsUnavailable) {
  auto [ca, cb] = net::LocalPair();
  cb->Close();
  EXPECT_EQ(Handshake(*ca, BaseOffer()).status().code(), absl::StatusCode::kUnavailable);
}

TEST(HandshakeTest, SoftwareCompatibility) {
  EXPECT_TRUE(CompatibleSoftware("0.1.0", "0.1.7"));
  EXPECT_FALSE(CompatibleSoftware("0.1.0", "0.2.0"));
  EXPECT_TRUE(CompatibleSoftware("1.2.0", "1.5.3"));
  EXPECT_FALSE(CompatibleSoftware("1.2.0", "2.0.0"));
  EXPECT_FALSE(CompatibleSoftware("garbage", "0.1.0"));
}

}  // namespace
}  // namespace liaison::session
