#include "node/policy.h"

#include <string>

#include "base/version.h"
#include "data/profile.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/testing/match_offer.h"

namespace liaison::node {
namespace {

using ::testing::HasSubstr;

const std::string kBuildA = "sha256:" + std::string(64, 'a');
const std::string kBuildB = "sha256:" + std::string(64, 'b');

JobOffer MakeOffer() { return testing::MatchOffer(); }

Config MakeConfig() {
  Config c;
  PeerConfig bravo{"bravo", "127.0.0.1:1", "sha256:" + std::string(64, 'b')};
  c.peers["bravo"] = bravo;
  c.datasets["ind"].name = "ind";
  c.datasets["other"].name = "other";
  AllianceConfig a;
  a.name = "fin";
  a.members = {"bravo"};
  a.datasets["bravo"] = {"ind"};
  a.questions = {Question::kMatch};
  a.protocols = {"rr22"};
  a.min_set_size = 2;
  a.max_set_size = 10;
  a.jobs_per_hour_per_peer = 5;
  c.alliances["fin"] = a;
  return c;
}

TEST(PolicyTest, AllianceRequiringBuildsRefusesAnyOtherNamingIt) {
  Config c = MakeConfig();
  c.alliances["fin"].require_build = {kBuildA};
  const PeerConfig& bravo = c.peers.at("bravo");
  JobOffer o = MakeOffer();
  o.build = kBuildA;
  EXPECT_EQ(CheckOfferPolicy(c, bravo, o, data::Profile::V1()).refusal_code, "");
  o.build = kBuildB;
  PolicyDecision d = CheckOfferPolicy(c, bravo, o, data::Profile::V1());
  EXPECT_EQ(d.refusal_code, kRefuseBuildNotAllowed);
  EXPECT_EQ(d.reason, "the initiator's build " + kBuildB +
                          " is not one of the 1 build alliance fin requires (require_build)");
  o.build = "";
  EXPECT_EQ(CheckOfferPolicy(c, bravo, o, data::Profile::V1()).refusal_code,
            kRefuseBuildNotAllowed);
  EXPECT_EQ(BuildRefusal(c.alliances["fin"], kBuildA, "the responder's"), "");
  EXPECT_EQ(BuildRefusal(MakeConfig().alliances["fin"], kBuildB, "the responder's"), "");
}

TEST(PolicyTest, PolicyRefusalsNameTheRule) {
  const Config c = MakeConfig();
  const PeerConfig& bravo = c.peers.at("bravo");
  const data::Profile& p = data::Profile::V1();
  auto code = [&](auto mutate) {
    JobOffer o = MakeOffer();
    mutate(o);
    return CheckOfferPolicy(c, bravo, o, p).refusal_code;
  };
  EXPECT_EQ(code([](JobOffer&) {}), "");
  EXPECT_EQ(CheckOfferPolicy(c, bravo, MakeOffer(), p).dataset, "ind");
  EXPECT_EQ(code([](JobOffer& o) { o.alliance = "ct"; }), kRefusePeerNotInAlliance);
  EXPECT_EQ(code([](JobOffer& o) { o.question = "count"; }), kRefuseQuestionNotAllowed);
  EXPECT_EQ(code([](JobOffer& o) { o.protocol = "ecdh"; }), kRefuseProtocolNotAllowed);
  EXPECT_EQ(code([](JobOffer& o) { o.peer_dataset = "other"; }), kRefuseDatasetNotAllowed);
  EXPECT_EQ(code([](JobOffer& o) { o.profile_digest = std::string(64, '0'); }),
            kRefuseProfileMismatch);
  EXPECT_EQ(code([](JobOffer& o) { o.software_version = "9.0.0"; }), kRefuseSoftware);
  EXPECT_EQ(code([](JobOffer& o) { o.set_size = 11; }), kRefuseSetSize);
  EXPECT_EQ(code([](JobOffer& o) { o.set_size = 1; }), kRefuseSetSize);
  EXPECT_EQ(code([](JobOffer& o) { o.security = session::Security::kSemiHonest; }),
            kRefuseSecurityMismatch);
}

TEST(PolicyTest, SecurityForIsMaliciousWhereAVariantExistsUnlessTheAllianceSaysOtherwise) {
  AllianceConfig a = MakeConfig().alliances.at("fin");
  using session::Security;
  EXPECT_EQ(*SecurityFor(a, "rr22", "match"), Security::kMalicious);
  EXPECT_EQ(*SecurityFor(a, "ecdh", "match"), Security::kSemiHonest);
  EXPECT_EQ(*SecurityFor(a, "rr22", "count"), Security::kMalicious);
  EXPECT_EQ(*SecurityFor(a, "rr22", "sum"), Security::kMalicious);
  a.security = Security::kSemiHonest;
  EXPECT_EQ(*SecurityFor(a, "rr22", "match"), Security::kSemiHonest);
  a.security = Security::kMalicious;
  EXPECT_EQ(*SecurityFor(a, "rr22", "match"), Security::kMalicious);
  absl::StatusOr<Security> none = SecurityFor(a, "ecdh", "match");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(none.status().message(), ::testing::HasSubstr("no malicious-secure variant"));
}

JobPolicyQuery MakeQuery() { return JobPolicyQuery{"fin", "bravo", "match", "rr22", "ind"}; }

// RulesOf lists the rules CheckJobPolicy finds for `q` against MakeConfig.
std::vector<PolicyRule> RulesOf(const JobPolicyQuery& q, const Config& c = MakeConfig()) {
  std::vector<PolicyRule> rules;
  for (const PolicyFinding& f : CheckJobPolicy(c, q).findings) rules.push_back(f.rule);
  return rules;
}

TEST(PolicyTest, AnAllowedJobIsAdmittedWithItsDatasetAndSecurity) {
  const Config c = MakeConfig();
  JobAdmission a = CheckJobPolicy(c, MakeQuery());
  EXPECT_TRUE(a.admitted());
  EXPECT_EQ(a.alliance, &c.alliances.at("fin"));
  EXPECT_EQ(a.dataset, "ind");
  EXPECT_EQ(a.security, session::Security::kMalicious);
}

TEST(PolicyTest, EachBrokenRuleIsFoundOnItsField) {
  using R = PolicyRule;
  auto with = [](auto mutate) {
    JobPolicyQuery q = MakeQuery();
    mutate(q);
    return q;
  };
  EXPECT_THAT(RulesOf(with([](auto& q) { q.alliance = "ct"; })),
              ::testing::ElementsAre(R::kNoAlliance));
  EXPECT_THAT(RulesOf(with([](auto& q) { q.peer = "charlie"; })),
              ::testing::ElementsAre(R::kNoPeer, R::kDatasetNotAllowed));
  EXPECT_THAT(RulesOf(with([](auto& q) { q.question = "guess"; })),
              ::testing::ElementsAre(R::kUnknownQuestion));
  EXPECT_THAT(RulesOf(with([](auto& q) { q.question = "count"; })),
              ::testing::ElementsAre(R::kQuestionNotAllowed));
  EXPECT_THAT(RulesOf(with([](auto& q) { q.protocol = "kkrt"; })),
              ::testing::ElementsAre(R::kUnknownProtocol));
  EXPECT_THAT(RulesOf(with([](auto& q) { q.protocol = "ecdh"; })),
              ::testing::ElementsAre(R::kProtocolNotAllowed));
  EXPECT_THAT(RulesOf(with([](auto& q) { q.dataset = "nope"; })),
              ::testing::ElementsAre(R::kNoDataset));
  EXPECT_THAT(RulesOf(with([](auto& q) { q.dataset = "other"; })),
              ::testing::ElementsAre(R::kDatasetNotAllowed));
  EXPECT_THAT(RulesOf(with([](auto& q) { q.dataset = ""; })),
              ::testing::ElementsAre(R::kNoDataset));
  Config c = MakeConfig();
  c.peers["charlie"] = PeerConfig{"charlie", "127.0.0.1:2", "sha256:" + std::string(64, 'c')};
  EXPECT_THAT(RulesOf(with([](auto& q) { q.peer = "charlie"; }), c),
              ::testing::ElementsAre(R::kNotMember, R::kDatasetNotAllowed));
  c.alliances["fin"].security = session::Security::kMalicious;
  c.alliances["fin"].protocols = {"ecdh"};
  const JobAdmission a = CheckJobPolicy(c, with([](auto& q) { q.protocol = "ecdh"; }));
  ASSERT_EQ(a.findings.size(), 1u);
  EXPECT_EQ(a.findings[0].rule, R::kSecurityUnavailable);
  EXPECT_EQ(a.findings[0].field, "security");
  EXPECT_THAT(a.findings[0].detail, HasSubstr("no malicious-secure variant"));
}

TEST(PolicyTest, AnOfferNamingNoDatasetTakesTheFirstTheAllianceMaps) {
  JobPolicyQuery q = MakeQuery();
  q.dataset = "";
  q.pick_dataset = true;
  EXPECT_EQ(CheckJobPolicy(MakeConfig(), q).dataset, "ind");
  Config c = MakeConfig();
  c.alliances["fin"].datasets.clear();
  EXPECT_THAT(RulesOf(q, c), ::testing::ElementsAre(PolicyRule::kNoDatasetForPeer));
}

TEST(PolicyTest, ASubmissionHearsTheStatusCodeOfEachRule) {
  const Config c = MakeConfig();
  auto status = [&](auto mutate) {
    JobPolicyQuery q = MakeQuery();
    mutate(q);
    JobAdmission a = CheckJobPolicy(c, q);
    return a.admitted() ? absl::OkStatus() : PolicyStatus(q, a.findings.front());
  };
  EXPECT_TRUE(status([](auto&) {}).ok());
  EXPECT_EQ(status([](auto& q) { q.alliance = "ct"; }), absl::NotFoundError("no alliance ct"));
  EXPECT_EQ(status([](auto& q) { q.peer = "zed"; }), absl::NotFoundError("no peer zed"));
  EXPECT_EQ(status([](auto& q) { q.question = "guess"; }),
            absl::InvalidArgumentError("unknown question guess"));
  EXPECT_EQ(status([](auto& q) { q.question = "sum"; }),
            absl::PermissionDeniedError("alliance fin does not allow the question sum"));
  EXPECT_EQ(status([](auto& q) { q.protocol = "x"; }),
            absl::InvalidArgumentError("unknown protocol \"x\" (rr22 or ecdh)"));
  EXPECT_EQ(status([](auto& q) { q.protocol = "ecdh"; }),
            absl::PermissionDeniedError("alliance fin does not allow the protocol ecdh"));
  EXPECT_EQ(status([](auto& q) { q.dataset = "nope"; }),
            absl::NotFoundError("no dataset \"nope\""));
  EXPECT_EQ(status([](auto& q) { q.dataset = "other"; }),
            absl::PermissionDeniedError(
                "alliance fin does not allow dataset other in jobs with bravo"));
}

TEST(PolicyTest, AnOfferFromOutsideTheAllianceLearnsNothingOfIt) {
  Config c = MakeConfig();
  c.peers["charlie"] = PeerConfig{"charlie", "127.0.0.1:2", "sha256:" + std::string(64, 'c')};
  JobOffer o = MakeOffer();
  PolicyDecision unknown = CheckOfferPolicy(c, c.peers.at("charlie"), o, data::Profile::V1());
  o.alliance = "ct";
  PolicyDecision no_alliance = CheckOfferPolicy(c, c.peers.at("bravo"), o, data::Profile::V1());
  EXPECT_EQ(unknown.refusal_code, kRefusePeerNotInAlliance);
  EXPECT_EQ(unknown.reason, "this node has no alliance fin with charlie");
  EXPECT_EQ(unknown.alliance, nullptr);
  EXPECT_EQ(no_alliance.refusal_code, kRefusePeerNotInAlliance);
  EXPECT_EQ(no_alliance.reason, "this node has no alliance ct with bravo");
}

TEST(PolicyTest, AnOfferRefusedBeforeItsDatasetNamesNone) {
  Config c = MakeConfig();
  JobOffer o = MakeOffer();
  o.question = "count";
  PolicyDecision d = CheckOfferPolicy(c, c.peers.at("bravo"), o, data::Profile::V1());
  EXPECT_EQ(d.refusal_code, kRefuseQuestionNotAllowed);
  EXPECT_EQ(d.dataset, "");
  EXPECT_EQ(d.alliance, &c.alliances.at("fin"));
}
}  // namespace
}  // namespace liaison::node
