#include "node/peer_protocol.h"

#include <future>
#include <string>

#include "base/build_info.h"
#include "base/version.h"
#include "data/profile.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/channel.h"
#include "node/testing/match_offer.h"

namespace liaison::node {
namespace {

JobOffer MakeOffer() { return testing::MatchOffer(); }

TEST(PeerProtocolTest, OfferRoundTrips) {
  auto [a, b] = net::LocalPair();
  JobOffer o = MakeOffer();
  o.peer_dataset = "ind";
  o.result_to = session::ResultTo::kBoth;
  ASSERT_TRUE(SendOffer(*a, o).ok());
  absl::StatusOr<JobOffer> got = RecvOffer(*b);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->job_id, o.job_id);
  EXPECT_EQ(got->peer_dataset, "ind");
  EXPECT_EQ(got->result_to, session::ResultTo::kBoth);
  EXPECT_EQ(got->profile_digest, o.profile_digest);
  EXPECT_EQ(got->security, session::Security::kMalicious);
  EXPECT_EQ(CanonicalOffer(*got), CanonicalOffer(o));
}

TEST(PeerProtocolTest, CanonicalOfferReadsBackAndChangesAreNamed) {
  JobOffer o = MakeOffer();
  o.question = "count";
  o.dp = OfferDp{"0.01", "", "", "", ""};
  const std::string canonical = CanonicalOffer(o);
  EXPECT_EQ(canonical.find(' '), std::string::npos) << canonical;
  EXPECT_EQ(canonical.find("\"type\""), std::string::npos) << canonical;
  absl::StatusOr<JobOffer> back = ParseCanonicalOffer(canonical);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(CanonicalOffer(*back), canonical);
  EXPECT_EQ(OfferChanges(o, *back), "");

  JobOffer changed = o;
  changed.dp->epsilon = "50";
  changed.set_size = 6;
  EXPECT_NE(CanonicalOffer(changed), canonical);
  EXPECT_EQ(OfferChanges(o, changed), "dp.epsilon, set_size");
  // The same number written otherwise is another offer: comparison is on
  // the bytes, not on what they might mean.
  changed = o;
  changed.dp->epsilon = "0.010";
  EXPECT_NE(CanonicalOffer(changed), canonical);
  EXPECT_EQ(ParseCanonicalOffer("[]").status().code(), absl::StatusCode::kDataLoss);
}

const std::string kBuildA = "sha256:" + std::string(64, 'a');
const std::string kBuildB = "sha256:" + std::string(64, 'b');

TEST(PeerProtocolTest, OfferAndEveryVerdictCarryTheSendersBuild) {
  // By default, this executable's build.
  EXPECT_EQ(MakeOffer().build, BuildDigestOrEmpty());
  EXPECT_EQ(Verdict().build, BuildDigestOrEmpty());
  auto [a, b] = net::LocalPair();
  JobOffer o = MakeOffer();
  o.build = kBuildA;
  ASSERT_TRUE(SendOffer(*a, o).ok());
  absl::StatusOr<JobOffer> got = RecvOffer(*b);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->build, kBuildA);
  for (VerdictKind kind : {VerdictKind::kAccept, VerdictKind::kPending, VerdictKind::kRefuse}) {
    Verdict v;
    v.kind = kind;
    v.build = kBuildB;
    ASSERT_TRUE(SendVerdict(*b, v).ok());
    absl::StatusOr<Verdict> back = RecvVerdict(*a);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->build, kBuildB);
  }
}

TEST(PeerProtocolTest, MalformedBuildIsDataLoss) {
  for (const std::string& bad : {std::string("sha256:xyz"), "sha256:" + std::string(64, 'A'),
                                  std::string(64, 'a')}) {
    auto [a, b] = net::LocalPair();
    JobOffer o = MakeOffer();
    o.build = bad;
    ASSERT_TRUE(SendOffer(*a, o).ok());
    EXPECT_EQ(RecvOffer(*b).status().code(), absl::StatusCode::kDataLoss) << bad;
    Verdict v;
    v.build = bad;
    ASSERT_TRUE(SendVerdict(*b, v).ok());
    EXPECT_EQ(RecvVerdict(*a).status().code(), absl::StatusCode::kDataLoss) << bad;
  }
}

TEST(PeerProtocolTest, ReceiptParametersCoverBothBuilds) {
  JobOffer o = MakeOffer();
  o.build = kBuildA;
  const std::string fp_i = "sha256:" + std::string(64, '1'), fp_r = "sha256:" + std::string(64, '2');
  const std::string params = OfferParamsJson(o, 4, fp_i, fp_r, kBuildB);
  EXPECT_THAT(params, ::testing::HasSubstr("\"initiator_build\":\"" + kBuildA + "\""));
  EXPECT_THAT(params, ::testing::HasSubstr("\"responder_build\":\"" + kBuildB + "\""));
  EXPECT_NE(ParamsDigest(params).value(),
            ParamsDigest(OfferParamsJson(o, 4, fp_i, fp_r, kBuildA)).value());
}

TEST(PeerProtocolTest, MalformedOfferIsDataLoss) {
  for (std::string bad :
       {std::string("not json"), std::string(R"({"type":"offer","v":2})"),
        std::string(R"({"type":"verdict","v":1})"),
        std::string(R"({"type":"offer","v":1,"job_id":"job_1"})"),
        std::string(R"({"type":"offer","v":1,"job_id":"job_)") + std::string(32, 'a') +
            R"(","alliance":"../x","question":"match","protocol":"rr22","result_to":"both",)"
            R"("set_size":1,"peer_dataset":"","profile":{"name":"p","version":1,"digest":"d"},)"
            R"("software_version":"0.1.0"})",
        std::string(20000, ' ')}) {
    auto [a, b] = net::LocalPair();
    ASSERT_TRUE(a->Send(AsBytes(bad)).ok());
    EXPECT_EQ(RecvOffer(*b).status().code(), absl::StatusCode::kDataLoss) << bad.substr(0, 60);
  }
}

TEST(PeerProtocolTest, AnOversizedOfferIsRefusedFromItsLengthAndTheChannelKeepsItsLimit) {
  // An offer is bounded by kMaxControlMessageLen, not by the channel's
  // 64 MiB: the receiver refuses it from the frame's length prefix, before
  // buffering it (over TLS: TlsChannelTest.RecvAtMost...).
  auto [a, b] = net::LocalPair();
  ASSERT_TRUE(a->Send(Bytes(kMaxControlMessageLen + 1, ' ')).ok());
  auto offer = RecvOffer(*b);
  EXPECT_EQ(offer.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(offer.status().message()), ::testing::HasSubstr("offer"));
  EXPECT_EQ(b->max_message_len(), net::kDefaultMaxMessageLen);
}

TEST(PeerProtocolTest, TranscriptHashIsTheSameOnBothSidesWhateverTheInterleaving) {
  auto [a, b] = net::LocalPair();
  TranscriptChannel ta(*a, /*initiator=*/true), tb(*b, /*initiator=*/false);
  // Both send before either receives: each side sees the flights in another
  // order.
  ASSERT_TRUE(ta.Send(AsBytes(std::string("offer"))).ok());
  ASSERT_TRUE(tb.Send(AsBytes(std::string("early"))).ok());
  ASSERT_TRUE(ta.Send(AsBytes(std::string("more"))).ok());
  ASSERT_TRUE(tb.Recv().ok());
  ASSERT_TRUE(ta.Recv().ok());
  ASSERT_TRUE(tb.Recv().ok());
  const std::string ha = ta.Seal(), hb = tb.Seal();
  EXPECT_EQ(ha, hb);
  EXPECT_EQ(ha.size(), 64u);

  auto [c, d] = net::LocalPair();
  TranscriptChannel tc(*c, true), td(*d, false);
  ASSERT_TRUE(tc.Send(AsBytes(std::string("offer"))).ok());
  ASSERT_TRUE(td.Recv().ok());
  EXPECT_NE(tc.Seal(), ha) << "a different transcript must hash differently";
}

TEST(PeerProtocolTest, ResultCommitmentDependsOnSaltAndContent) {
  const Bytes s1(32, 1), s2(32, 2);
  EXPECT_NE(ResultCommitment(s1, "none"), ResultCommitment(s2, "none"));
  EXPECT_NE(ResultCommitment(s1, "none"), ResultCommitment(s1, "match-v1\n"));
  EXPECT_NE(ResultDigest("a", "b"), ResultDigest("b", "a"));
}

}  // namespace
}  // namespace liaison::node
