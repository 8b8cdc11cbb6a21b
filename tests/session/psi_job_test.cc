#include "session/psi_job.h"

#include <string>
#include <vector>

#include "base/status.h"
#include "base/version.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/channel.h"
#include "psi/private_aggregate.h"
#include "testing/sets.h"
#include "testing/two_parties.h"

namespace liaison::session {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

constexpr uint64_t kSeed = 0x10b;

struct Both {
  absl::StatusOr<PsiJobResult> a;
  absl::StatusOr<PsiJobResult> b;
};

Both RunJobs(const PsiJobParams& pa, const std::vector<std::string>& a, const PsiJobParams& pb,
             const std::vector<std::string>& b) {
  auto [ra, rb] = testing::RunPair<PsiJobResult>(
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
        return RunPsiJob(ch, pa, a, prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
        return RunPsiJob(ch, pb, b, prng);
      });
  return Both{std::move(ra), std::move(rb)};
}

TEST(PsiJobTest, MatchJobReturnsMatchedKeyIndicesAndCounters) {
  auto sets = testing::MakeSets(300, 200, 77, kSeed);
  PsiJobParams p;
  Both r = RunJobs(p, sets.a, p, sets.b);
  ASSERT_TRUE(r.a.ok()) << r.a.status();
  ASSERT_TRUE(r.b.ok()) << r.b.status();
  std::vector<std::string> got;
  for (size_t k : r.a->matched_keys) got.push_back(sets.a[k]);
  EXPECT_THAT(got, UnorderedElementsAreArray(sets.common));
  EXPECT_EQ(r.a->agreed.peer.set_size, 200u);
  EXPECT_GT(r.a->bytes_sent, 300u * 32);
  EXPECT_EQ(r.a->bytes_sent, r.b->bytes_received);
  EXPECT_TRUE(r.a->received);
}

TEST(PsiJobTest, CountJobGivesOnlyTheSize) {
  auto sets = testing::MakeSets(50, 60, 20, kSeed);
  PsiJobParams p;
  p.protocol = "ecdh-psi";
  p.output = psi::PsiOutput::kCardinality;
  Both r = RunJobs(p, sets.a, p, sets.b);
  ASSERT_TRUE(r.a.ok()) << r.a.status();
  EXPECT_EQ(r.a->intersection_size, 20u);
  EXPECT_TRUE(r.a->matched_keys.empty());
}

TEST(PsiJobTest, ModeMismatchStopsBothBeforeTheProtocol) {
  auto sets = testing::MakeSets(10, 10, 5, kSeed);
  PsiJobParams pa, pb;
  pa.protocol = pb.protocol = "ecdh-psi";
  pb.output = psi::PsiOutput::kCardinality;
  Both r = RunJobs(pa, sets.a, pb, sets.b);
  EXPECT_EQ(r.a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.b.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.a.status().message(), HasSubstr("mode differs"));
}

TEST(PsiJobTest, EcdhMatchJobGivesTheSameIntersection) {
  auto sets = testing::MakeSets(120, 90, 33, kSeed);
  PsiJobParams p;
  p.protocol = "ecdh-psi";
  Both r = RunJobs(p, sets.a, p, sets.b);
  ASSERT_TRUE(r.a.ok()) << r.a.status();
  std::vector<std::string> got;
  for (size_t k : r.a->matched_keys) got.push_back(sets.a[k]);
  EXPECT_THAT(got, UnorderedElementsAreArray(sets.common));
}

TEST(PsiJobTest, ProtocolMismatchStopsBoth) {
  auto sets = testing::MakeSets(10, 10, 5, kSeed);
  PsiJobParams pa, pb;
  pb.protocol = "ecdh-psi";
  Both r = RunJobs(pa, sets.a, pb, sets.b);
  EXPECT_EQ(r.a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.b.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.a.status().message(), HasSubstr("protocol differs: we run rr22-psi"));
}

TEST(PsiJobTest, Rr22CountJobGivesOnlyTheSize) {
  auto sets = testing::MakeSets(50, 60, 20, kSeed);
  PsiJobParams p;  // rr22-psi, the default
  p.output = psi::PsiOutput::kCardinality;
  Both r = RunJobs(p, sets.a, p, sets.b);
  ASSERT_TRUE(r.a.ok()) << r.a.status();
  ASSERT_TRUE(r.b.ok()) << r.b.status();
  EXPECT_EQ(r.a->intersection_size, 20u);
  EXPECT_EQ(r.b->intersection_size, 20u);
  EXPECT_TRUE(r.a->matched_keys.empty());
  EXPECT_TRUE(r.b->matched_keys.empty());
  EXPECT_EQ(r.a->bytes_sent, r.b->bytes_received);
}

TEST(PsiJobTest, MaliciousRr22JobGivesTheIntersection) {
  auto sets = testing::MakeSets(300, 200, 77, kSeed);
  PsiJobParams p;
  p.security = Security::kMalicious;
  Both r = RunJobs(p, sets.a, p, sets.b);
  ASSERT_TRUE(r.a.ok()) << r.a.status();
  ASSERT_TRUE(r.b.ok()) << r.b.status();
  std::vector<std::string> got;
  for (size_t k : r.a->matched_keys) got.push_back(sets.a[k]);
  EXPECT_THAT(got, UnorderedElementsAreArray(sets.common));
  EXPECT_EQ(r.b->intersection_size, 77u);
}

TEST(PsiJobTest, SecurityMismatchStopsBothInTheHandshake) {
  auto sets = testing::MakeSets(10, 10, 5, kSeed);
  PsiJobParams pa, pb;
  pb.security = Security::kMalicious;
  Both r = RunJobs(pa, sets.a, pb, sets.b);
  EXPECT_EQ(r.a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.b.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.a.status().message(),
              HasSubstr("security model differs: we asked for semi-honest"));
}

TEST(PsiJobTest, MaliciousEcdhIsRefusedBeforeAnyMessage) {
  auto [ca, cb] = net::LocalPair();
  PsiJobParams p;
  p.protocol = "ecdh-psi";
  p.security = Security::kMalicious;
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  std::vector<std::string> items = {"x"};
  EXPECT_EQ(RunPsiJob(*ca, p, items, prng).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ca->bytes_sent(), 0u);
}

// Issue 11: DP noise is drawn before the channel is opened, so that the
// peer cannot time the sampler. RunPsiJob takes the drawn noise and cannot
// draw it itself: a DP job without it is refused before any message.
TEST(PsiJobTest, DpJobWithoutNoiseDrawnBeforehandIsRefusedBeforeAnyMessage) {
  auto [ca, cb] = net::LocalPair();
  PsiJobParams p;
  p.dp = psi::DpAggregateSpec();
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  std::vector<std::string> items = {"x"};
  EXPECT_EQ(RunPsiJob(*ca, p, items, prng).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ca->bytes_sent(), 0u);
  // With its noise drawn first, the job starts: here it reaches the
  // transport and fails on the closed peer.
  absl::StatusOr<psi::AggregateNoise> noise = psi::AggregateNoise::Draw(*p.dp, prng);
  ASSERT_TRUE(noise.ok()) << noise.status();
  cb->Close();
  EXPECT_EQ(RunPsiJob(*ca, p, items, prng, {}, *std::move(noise)).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(PsiJobTest, DpSpecForAnotherSecurityModelIsRefusedBeforeAnyMessage) {
  auto [ca, cb] = net::LocalPair();
  PsiJobParams p;
  p.dp = psi::DpAggregateSpec();
  p.security = Security::kMalicious;  // dp->malicious is false
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  absl::StatusOr<psi::AggregateNoise> noise = psi::AggregateNoise::Draw(*p.dp, prng);
  ASSERT_TRUE(noise.ok());
  std::vector<std::string> items = {"x"};
  EXPECT_EQ(RunPsiJob(*ca, p, items, prng, {}, *std::move(noise)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ca->bytes_sent(), 0u);
}

TEST(PsiJobTest, Rr22MatchCountAndSumHaveAMaliciousVariant) {
  for (const char* mode : {"match", "count", "sum"}) {
    EXPECT_TRUE(HasMaliciousVariant("rr22-psi", mode)) << mode;
    EXPECT_FALSE(HasMaliciousVariant("ecdh-psi", mode)) << mode;
  }
  EXPECT_FALSE(HasMaliciousVariant("rr22-psi", "exact count"));
  EXPECT_FALSE(HasMaliciousVariant("no-such-psi", "match"));
}

TEST(PsiJobTest, UnknownProtocolIsInvalidArgument) {
  auto [ca, cb] = net::LocalPair();
  PsiJobParams p;
  p.protocol = "no-such-psi";
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  std::vector<std::string> items = {"x"};
  EXPECT_EQ(RunPsiJob(*ca, p, items, prng).status().code(), absl::StatusCode::kInvalidArgument);
}

// CheatingPeer announces `announced` items in the session handshake and then
// runs `protocol` ("rr22-psi", "ecdh-psi" or "dp-aggregate", a count)
// itself with `items`, as a partner running modified code would. It returns
// whether the protocol gave it a result.
absl::Status CheatingPeer(net::Channel& ch, const std::string& protocol, uint64_t announced,
                          const std::vector<std::string>& items) {
  const bool dp = protocol == psi::PrivateAggregate::kProtocolName;
  Offer o;
  o.protocol = protocol;
  o.protocol_version = protocol == psi::EcdhPsi::kProtocolName ? psi::EcdhPsi::kProtocolVersion
                       : dp ? psi::PrivateAggregate::kProtocolVersion
                            : psi::Rr22Psi::kProtocolVersion;
  o.mode = dp ? "count" : "match";
  o.profile_name = std::string(data::Profile::V1().name());
  o.profile_version = static_cast<uint32_t>(data::Profile::V1().version());
  o.profile_digest = data::Profile::V1().digest();
  o.set_size = announced;
  o.result_to = ResultTo::kBoth;
  o.software_version = kVersion;
  psi::DpAggregateSpec spec;
  if (dp) {
    LIAISON_ASSIGN_OR_RETURN(o.dp, MakeDpOffer(spec, /*has_values=*/false));
  }
  LIAISON_RETURN_IF_ERROR(Handshake(ch, o).status());
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 2);
  if (dp) {
    psi::PrivateAggregateParams p;
    p.spec = spec;
    p.i_receive = p.peer_receives = true;
    LIAISON_ASSIGN_OR_RETURN(psi::AggregateNoise noise, psi::AggregateNoise::Draw(spec, prng));
    return psi::PrivateAggregate(p).Run(ch, items, {}, std::move(noise), prng).status();
  }
  if (protocol == psi::EcdhPsi::kProtocolName) {
    return psi::EcdhPsi(psi::EcdhPsiParams{}).Run(ch, items, prng).status();
  }
  return psi::Rr22Psi(psi::Rr22PsiParams{}).Run(ch, items, prng).status();
}

class ProtocolHeaderTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ProtocolHeaderTest, HeaderAnnouncingMoreThanTheHandshakeStopsTheRunAtTheHeader) {
  const std::string protocol = GetParam();
  auto sets = testing::MakeSets(/*num_a=*/50, /*num_b=*/20, /*num_common=*/10, kSeed);
  PsiJobParams p;
  if (protocol == psi::PrivateAggregate::kProtocolName) {
    p.dp = psi::DpAggregateSpec{};
  } else {
    p.protocol = protocol;
  }
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  psi::AggregateNoise noise;
  if (p.dp) noise = *psi::AggregateNoise::Draw(*p.dp, prng);
  auto [honest, cheat] = testing::RunPair<PsiJobResult, testing::Ok>(
      [&](net::Channel& ch) { return RunPsiJob(ch, p, sets.b, prng, {}, std::move(noise)); },
      [&](net::Channel& ch) {
        return testing::Done(CheatingPeer(ch, protocol, /*announced=*/1, sets.a));
      });
  EXPECT_EQ(honest.status().code(), absl::StatusCode::kDataLoss) << honest.status();
  EXPECT_THAT(honest.status().message(),
              HasSubstr("the peer announced 1 items in the handshake but its " + protocol +
                        " header announces 50"));
  EXPECT_FALSE(cheat.ok()) << "the cheating peer got a result";
}

INSTANTIATE_TEST_SUITE_P(AllProtocols, ProtocolHeaderTest,
                         ::testing::Values("rr22-psi", "ecdh-psi", "dp-aggregate"));

TEST(PsiJobTest, ExpectedPeerSetSizeIsCheckedInTheHandshake) {
  auto sets = testing::MakeSets(10, 12, 5, kSeed);
  PsiJobParams pa, pb;
  pa.expected_peer_set_size = 11;  // b brings 12
  Both r = RunJobs(pa, sets.a, pb, sets.b);
  EXPECT_EQ(r.a.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.a.status().message(), HasSubstr("announced 11 items in its offer and brings 12"));
  EXPECT_FALSE(r.b.ok());  // refused (or a closed the channel first)
  pa.expected_peer_set_size = 12;
  r = RunJobs(pa, sets.a, pb, sets.b);
  EXPECT_TRUE(r.a.ok()) << r.a.status();
}

}  // namespace
}  // namespace liaison::session
