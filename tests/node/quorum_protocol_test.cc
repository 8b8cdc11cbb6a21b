// The quorum job's control messages (node/quorum_protocol.h) and its
// admission policy (node/quorum_policy.h), played against a peer that
// deviates: malformed or inconsistent offers, receipts for another job, with
// another hash of our channel or signed by another key.
#include "node/quorum_protocol.h"

#include <string>
#include <vector>

#include "base/bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/channel.h"
#include "net/identity.h"
#include "node/quorum_policy.h"
#include "testing/temp_dir.h"

namespace liaison::node {
namespace {

using ::testing::HasSubstr;

std::string Fp(char c) { return "sha256:" + std::string(64, c); }

QuorumOffer MakeOffer() {
  QuorumOffer o;
  o.job_id = "job_" + std::string(32, 'a');
  o.alliance = "ring";
  o.participants = {{"alpha", Fp('a')}, {"bravo", Fp('b')}, {"charlie", Fp('c')}};
  o.initiator = 0;
  o.threshold = 2;
  o.set_size = 10;
  o.profile_name = "v1";
  o.profile_version = 1;
  o.profile_digest = std::string(64, 'd');
  o.software_version = "0.1.0";
  o.build = "";
  return o;
}

// Sent is what SendQuorumOffer puts on the wire for `o`.
Bytes Sent(const QuorumOffer& o) {
  auto [a, b] = net::LocalPair();
  EXPECT_TRUE(SendQuorumOffer(*a, o).ok());
  absl::StatusOr<Bytes> got = b->Recv();
  EXPECT_TRUE(got.ok());
  return got.ok() ? *got : Bytes();
}

TEST(QuorumProtocolTest, AnOfferRoundTripsAndHasOneCanonicalForm) {
  const QuorumOffer o = MakeOffer();
  absl::StatusOr<QuorumOffer> back = ParseQuorumOffer(Sent(o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(CanonicalQuorumOffer(*back), CanonicalQuorumOffer(o));
  absl::StatusOr<QuorumOffer> stored = ParseCanonicalQuorumOffer(CanonicalQuorumOffer(o));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->participants.size(), 3u);
  EXPECT_EQ(stored->participants[2].fingerprint, Fp('c'));
  QuorumOffer other = o;
  other.threshold = 3;
  EXPECT_NE(CanonicalQuorumOffer(other), CanonicalQuorumOffer(o));
}

TEST(QuorumProtocolTest, MalformedOffersAreDataLossNamingTheProblem) {
  struct Case {
    const char* what;
    void (*change)(QuorumOffer&);
    const char* message;
  };
  const Case cases[] = {
      {"two participants", [](QuorumOffer& o) { o.participants.pop_back(); }, "participants"},
      {"a duplicate name",
       [](QuorumOffer& o) { o.participants[2].name = "alpha"; }, "listed twice"},
      {"a duplicate key",
       [](QuorumOffer& o) { o.participants[2].fingerprint = Fp('a'); }, "listed twice"},
      {"a bad key", [](QuorumOffer& o) { o.participants[1].fingerprint = "sha256:12"; },
       "fingerprint"},
      {"a bad name", [](QuorumOffer& o) { o.participants[1].name = "-x"; }, "name"},
      {"t above n", [](QuorumOffer& o) { o.threshold = 4; }, "threshold"},
      {"t of 0", [](QuorumOffer& o) { o.threshold = 0; }, "threshold"},
      {"an initiator out of range", [](QuorumOffer& o) { o.initiator = 3; }, "initiator"},
      {"a bad job id", [](QuorumOffer& o) { o.job_id = "job_1"; }, "job_id"},
  };
  for (const Case& c : cases) {
    QuorumOffer o = MakeOffer();
    c.change(o);
    absl::StatusOr<QuorumOffer> got = ParseQuorumOffer(Sent(o));
    EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << c.what;
    EXPECT_THAT(got.status().message(), HasSubstr(c.message)) << c.what;
  }
  EXPECT_EQ(ParseQuorumOffer(AsBytes(std::string_view("{\"type\":\"offer\",\"v\":1}")))
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseQuorumOffer(AsBytes(std::string_view("not json"))).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(QuorumProtocolTest, SizesOrAnAbortAreReadAndCheckedForCount) {
  auto [a, b] = net::LocalPair();
  ASSERT_TRUE(SendQuorumSizes(*a, QuorumSizes{{1, 2, 3}, {"", "", ""}}).ok());
  absl::StatusOr<SizesOrGo> got = RecvSizesOrGo(*b, 3);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->sizes.has_value());
  EXPECT_EQ(got->sizes->set_sizes, (std::vector<uint64_t>{1, 2, 3}));
  ASSERT_TRUE(SendQuorumSizes(*a, QuorumSizes{{1, 2}, {"", ""}}).ok());
  EXPECT_EQ(RecvSizesOrGo(*b, 3).status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(SendGo(*a, Go{false, "quorum_out_of_bounds", "participant c refused: t"}).ok());
  got = RecvSizesOrGo(*b, 3);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->sizes.has_value());
  EXPECT_EQ(got->go.code, "quorum_out_of_bounds");
  // A go that proceeds before the sizes is a protocol violation.
  ASSERT_TRUE(SendGo(*a, Go{}).ok());
  EXPECT_EQ(RecvSizesOrGo(*b, 3).status().code(), absl::StatusCode::kDataLoss);
  a->Close();
  EXPECT_EQ(RecvSizesOrGo(*b, 3).status().code(), absl::StatusCode::kUnavailable);
}

TEST(QuorumProtocolTest, JoinsAndAbortsRoundTrip) {
  auto [a, b] = net::LocalPair();
  ASSERT_TRUE(SendJoin(*a, "job_" + std::string(32, 'b'), 2).ok());
  absl::StatusOr<Bytes> raw = b->Recv();
  ASSERT_TRUE(raw.ok());
  absl::StatusOr<Join> join = ParseJoin(*raw);
  ASSERT_TRUE(join.ok()) << join.status();
  EXPECT_EQ(join->from, 2u);
  ASSERT_TRUE(SendJoin(*a, "job_" + std::string(32, 'b'), 99).ok());
  raw = b->Recv();
  EXPECT_EQ(ParseJoin(*raw).status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(SendQuorumAbort(*a, QuorumAbort{"job_" + std::string(32, 'c'), "x", "y"}).ok());
  raw = b->Recv();
  absl::StatusOr<QuorumAbort> abort = ParseQuorumAbort(*raw);
  ASSERT_TRUE(abort.ok()) << abort.status();
  EXPECT_EQ(abort->reason, "y");
}

class QuorumReceiptTest : public ::testing::Test {
 protected:
  QuorumReceiptTest() {
    for (const char* who : {"alpha", "bravo"}) {
      EXPECT_TRUE(net::GenerateIdentity(tmp_.Sub(who)).ok());
      absl::StatusOr<net::Identity> id = net::Identity::Load(tmp_.Sub(who));
      EXPECT_TRUE(id.ok()) << id.status();
      ids_.push_back(*std::move(id));
    }
  }

  // Exchange sends alpha's (participant 0's) receipt over `hashes` and
  // returns what bravo (participant 1) makes of it, bravo's own hash of their
  // channel being `ours`.
  absl::StatusOr<QuorumReceiptOf> Exchange(const std::vector<std::string>& hashes,
                                           const std::string& ours,
                                           const std::string& signer_params = kParams,
                                           int signer = 0) {
    absl::StatusOr<Receipt> r = SignReceipt(ids_[signer], kJob, signer_params,
                                            QuorumTranscriptHash(hashes), std::string(64, 'e'));
    EXPECT_TRUE(r.ok());
    auto [a, b] = net::LocalPair();
    EXPECT_TRUE(SendQuorumReceipt(*a, *r, hashes).ok());
    return RecvQuorumReceipt(*b, 3, 0, 1, ids_[0].fingerprint(), kJob, kParams, ours);
  }

  static inline const std::string kJob = "job_" + std::string(32, 'f');
  static inline const std::string kParams = std::string(64, '1');
  const std::string h01_ = std::string(64, '2'), h02_ = std::string(64, '3');
  testing::ScopedTempDir tmp_;
  std::vector<net::Identity> ids_;
};

TEST_F(QuorumReceiptTest, AnHonestReceiptIsAccepted) {
  absl::StatusOr<QuorumReceiptOf> got = Exchange({"", h01_, h02_}, h01_);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->receipt.peer_fingerprint, ids_[0].fingerprint());
  EXPECT_EQ(got->channel_hashes[2], h02_);
}

TEST_F(QuorumReceiptTest, AReceiptWithAnotherHashOfOurChannelIsDataLoss) {
  absl::StatusOr<QuorumReceiptOf> got = Exchange({"", h02_, h02_}, h01_);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(got.status().message(), HasSubstr("hash of our channel"));
}

TEST_F(QuorumReceiptTest, AReceiptForOtherParametersIsDataLoss) {
  absl::StatusOr<QuorumReceiptOf> got =
      Exchange({"", h01_, h02_}, h01_, std::string(64, '9'));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(got.status().message(), HasSubstr("other parameters"));
}

TEST_F(QuorumReceiptTest, AReceiptSignedByAnotherParticipantIsDataLoss) {
  absl::StatusOr<QuorumReceiptOf> got = Exchange({"", h01_, h02_}, h01_, kParams, 1);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(got.status().message(), HasSubstr("another key"));
}

TEST_F(QuorumReceiptTest, HashesThatAreNotThoseSignedOrMalformedAreDataLoss) {
  // The receipt signs one list; the message carries another.
  absl::StatusOr<Receipt> r = SignReceipt(ids_[0], kJob, kParams,
                                          QuorumTranscriptHash({"", h01_, h02_}),
                                          std::string(64, 'e'));
  ASSERT_TRUE(r.ok());
  auto [a, b] = net::LocalPair();
  ASSERT_TRUE(SendQuorumReceipt(*a, *r, {"", h01_, h01_}).ok());
  absl::StatusOr<QuorumReceiptOf> got =
      RecvQuorumReceipt(*b, 3, 0, 1, ids_[0].fingerprint(), kJob, kParams, h01_);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(got.status().message(), HasSubstr("transcript hash"));
  // Too few hashes, or a hash at the sender's own index.
  ASSERT_TRUE(SendQuorumReceipt(*a, *r, {"", h01_}).ok());
  EXPECT_EQ(RecvQuorumReceipt(*b, 3, 0, 1, ids_[0].fingerprint(), kJob, kParams, h01_)
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  ASSERT_TRUE(SendQuorumReceipt(*a, *r, {h02_, h01_, h02_}).ok());
  EXPECT_EQ(RecvQuorumReceipt(*b, 3, 0, 1, ids_[0].fingerprint(), kJob, kParams, h01_)
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
}

// --- admission ---------------------------------------------------------------

Config PolicyConfig() {
  Config c;
  c.node.name = "alpha";
  for (auto [name, key] : {std::pair<const char*, char>{"bravo", 'b'}, {"charlie", 'c'},
                           {"delta", 'd'}}) {
    c.peers[name] = PeerConfig{name, "127.0.0.1:1", Fp(key)};
  }
  c.datasets["ind"].name = "ind";
  c.datasets["other"].name = "other";
  AllianceConfig a;
  a.name = "ring";
  a.members = {"bravo", "charlie"};
  a.datasets["bravo"] = {"ind", "other"};
  a.datasets["charlie"] = {"ind"};
  a.questions = {Question::kQuorum};
  a.protocols = {"rr22"};
  a.max_set_size = 100;
  a.quorum = QuorumPolicy();
  c.alliances["ring"] = a;
  return c;
}

QuorumPolicyQuery Query() {
  QuorumPolicyQuery q;
  q.alliance = "ring";
  q.participants = {{"alpha", Fp('a')}, {"bravo", Fp('b')}, {"charlie", Fp('c')}};
  q.me = 0;
  q.our_fingerprint = Fp('a');
  q.threshold = 2;
  return q;
}

TEST(QuorumPolicyTest, AJobWithinTheAlliancesBoundsIsAdmittedWithADatasetForAll) {
  QuorumAdmission a = CheckQuorumPolicy(PolicyConfig(), Query());
  ASSERT_TRUE(a.admitted()) << a.reason;
  EXPECT_EQ(a.dataset, "ind");  // "other" is not mapped to charlie
  ASSERT_EQ(a.peers.size(), 3u);
  EXPECT_EQ(a.peers[0], nullptr);
  EXPECT_EQ(a.peers[2]->name, "charlie");
}

TEST(QuorumPolicyTest, EveryRuleRefusesWithItsCode) {
  struct Case {
    const char* what;
    void (*change)(Config&, QuorumPolicyQuery&);
    const char* code;
    absl::StatusCode status;
  };
  const Case cases[] = {
      {"no alliance", [](Config&, QuorumPolicyQuery& q) { q.alliance = "x"; },
       kRefusePeerNotInAlliance, absl::StatusCode::kNotFound},
      {"a participant with another key than ours for it",
       [](Config&, QuorumPolicyQuery& q) { q.participants[2].fingerprint = Fp('e'); },
       kRefusePeerNotInAlliance, absl::StatusCode::kPermissionDenied},
      {"a peer outside the alliance",
       [](Config&, QuorumPolicyQuery& q) { q.participants[2] = {"delta", Fp('d')}; },
       kRefusePeerNotInAlliance, absl::StatusCode::kPermissionDenied},
      {"not us at our index", [](Config&, QuorumPolicyQuery& q) { q.me = 1; },
       kRefusePeerNotInAlliance, absl::StatusCode::kPermissionDenied},
      {"quorum not allowed", [](Config& c, QuorumPolicyQuery&) { c.alliances["ring"].quorum.reset(); },
       kRefuseQuestionNotAllowed, absl::StatusCode::kPermissionDenied},
      {"too few members",
       [](Config& c, QuorumPolicyQuery&) { c.alliances["ring"].quorum->min_members = 4; },
       kRefuseQuorumBounds, absl::StatusCode::kPermissionDenied},
      {"too many members",
       [](Config& c, QuorumPolicyQuery&) {
         c.alliances["ring"].quorum->min_members = 2;
         c.alliances["ring"].quorum->max_members = 2;
       },
       kRefuseQuorumBounds, absl::StatusCode::kPermissionDenied},
      {"a threshold below the minimum",
       [](Config& c, QuorumPolicyQuery&) { c.alliances["ring"].quorum->min_threshold = 3; },
       kRefuseQuorumBounds, absl::StatusCode::kPermissionDenied},
      {"a threshold above n", [](Config&, QuorumPolicyQuery& q) { q.threshold = 4; },
       kRefuseQuorumBounds, absl::StatusCode::kPermissionDenied},
      {"counts shown where hidden is required",
       [](Config& c, QuorumPolicyQuery&) {
         c.alliances["ring"].quorum->hide_count = HideCount::kRequired;
       },
       kRefuseHideCountRequired, absl::StatusCode::kPermissionDenied},
      {"a dataset not mapped to every participant",
       [](Config&, QuorumPolicyQuery& q) { q.dataset = "other"; }, kRefuseDatasetNotAllowed,
       absl::StatusCode::kPermissionDenied},
      {"no dataset for every participant",
       [](Config& c, QuorumPolicyQuery&) { c.alliances["ring"].datasets["charlie"].clear(); },
       kRefuseDatasetNotAllowed, absl::StatusCode::kPermissionDenied},
  };
  for (const Case& c : cases) {
    Config config = PolicyConfig();
    QuorumPolicyQuery q = Query();
    c.change(config, q);
    QuorumAdmission a = CheckQuorumPolicy(config, q);
    EXPECT_EQ(a.code, c.code) << c.what << ": " << a.reason;
    EXPECT_EQ(a.status().code(), c.status) << c.what;
    EXPECT_FALSE(a.reason.empty()) << c.what;
  }
  // Hidden counts meet a hide_count = "required" alliance.
  Config config = PolicyConfig();
  config.alliances["ring"].quorum->hide_count = HideCount::kRequired;
  QuorumPolicyQuery q = Query();
  q.hide_count = true;
  EXPECT_TRUE(CheckQuorumPolicy(config, q).admitted());
}

}  // namespace
}  // namespace liaison::node
