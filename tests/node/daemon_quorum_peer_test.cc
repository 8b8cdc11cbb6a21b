// A participant's daemon against a cheating initiator of a quorum job: the
// test plays "alpha" (and "charlie"), speaking the quorum messages
// (node/quorum_protocol.h) by hand to a daemon "bravo" in this process, as
// partners running modified code would: an offer that names another key
// for a member or for its own initiator, a repeated offer with another
// threshold, sizes that differ from what was announced, a go out of turn,
// and a join from a node the job expects nothing from.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "base/version.h"
#include "data/profile.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/identity.h"
#include "net/tls_channel.h"
#include "node/daemon.h"
#include "node/home.h"
#include "node/quorum_protocol.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace liaison::node {
namespace {

using ::testing::HasSubstr;

class DaemonQuorumPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = tmp_.Sub("bravo");
    auto init = InitHome(home_, InitOptions{"bravo"});
    ASSERT_TRUE(init.ok()) << init.status();
    bravo_fp_ = init->fingerprint;
    for (const char* who : {"alpha", "charlie"}) {
      auto fp = net::GenerateIdentity(tmp_.Sub(who));
      ASSERT_TRUE(fp.ok()) << fp.status();
      auto id = net::Identity::Load(tmp_.Sub(who));
      ASSERT_TRUE(id.ok()) << id.status();
      ids_.push_back(std::make_unique<net::Identity>(std::move(*id)));
    }
    liaison::testing::WriteFile(HomePath(home_, "ind.txt"), "10.0.0.1\n10.0.0.2\n10.0.0.3\n");
    auto port = [] { return std::to_string(liaison::testing::FreePort()); };
    liaison::testing::WriteFile(
        HomePath(home_, kConfigFile),
        "[node]\nname = \"bravo\"\npeer_listen = \"127.0.0.1:" + port() +
            "\"\nrest_listen = \"127.0.0.1:" + port() +
            "\"\nshutdown_grace_seconds = 2\n"
            "[peers.alpha]\naddress = \"127.0.0.1:1\"\nfingerprint = \"" + Alpha().fingerprint() +
            "\"\n[peers.charlie]\naddress = \"127.0.0.1:1\"\nfingerprint = \"" +
            Charlie().fingerprint() +
            "\"\n[datasets.ind]\nfile = \"ind.txt\"\ntlp = \"amber\"\n"
            "[alliances.ring]\nmembers = [\"alpha\", \"charlie\"]\nquestions = [\"quorum\"]\n"
            "protocols = [\"rr22\"]\nmax_set_size = 100\njobs_per_hour_per_peer = 100\n"
            "approval = \"auto\"\ntlp_ceiling = \"amber\"\n"
            "[alliances.ring.datasets]\nalpha = [\"ind\"]\ncharlie = [\"ind\"]\n");
    DaemonOptions options;
    options.home = home_;
    options.peer_io_timeout = absl::Seconds(5);
    auto d = Daemon::Start(options);
    ASSERT_TRUE(d.ok()) << d.status();
    d_ = std::move(*d);
  }

  const net::Identity& Alpha() const { return *ids_[0]; }
  const net::Identity& Charlie() const { return *ids_[1]; }

  // Offer is alpha's offer of a quorum job among alpha, bravo and charlie.
  QuorumOffer Offer(int job) const {
    QuorumOffer o;
    char hex[33];
    std::snprintf(hex, sizeof(hex), "%032x", job);
    o.job_id = std::string("job_") + hex;
    o.alliance = "ring";
    o.participants = {{"alpha", Alpha().fingerprint()},
                      {"bravo", bravo_fp_},
                      {"charlie", Charlie().fingerprint()}};
    o.initiator = 0;
    o.threshold = 2;
    o.set_size = 5;
    o.profile_name = std::string(data::Profile::V1().name());
    o.profile_version = static_cast<uint32_t>(data::Profile::V1().version());
    o.profile_digest = data::Profile::V1().digest();
    o.software_version = kVersion;
    return o;
  }

  // Connect opens a connection to bravo's peer port as `from`.
  std::unique_ptr<net::Channel> Connect(const net::Identity& from) {
    net::TlsOptions tls;
    tls.identity = &from;
    tls.peer_fingerprint = bravo_fp_;
    tls.connect_timeout = absl::Seconds(5);
    tls.io_timeout = absl::Seconds(10);
    auto ch = net::TlsConnect("127.0.0.1", d_->peer_port(), tls);
    EXPECT_TRUE(ch.ok()) << ch.status();
    return ch.ok() ? std::move(*ch) : nullptr;
  }

  // Send offers `o` as alpha and returns bravo's verdict (and the channel).
  absl::StatusOr<Verdict> Send(const QuorumOffer& o, std::unique_ptr<net::Channel>* kept = nullptr,
                               const net::Identity* from = nullptr) {
    std::unique_ptr<net::Channel> ch = Connect(from != nullptr ? *from : Alpha());
    if (ch == nullptr) return absl::UnavailableError("no connection");
    LIAISON_RETURN_IF_ERROR(SendQuorumOffer(*ch, o));
    absl::StatusOr<Verdict> v = RecvVerdict(*ch);
    if (kept != nullptr) *kept = std::move(ch);
    return v;
  }

  Job WaitFinal(const std::string& id) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    absl::StatusOr<Job> j = d_->store().GetJob(id);
    while (std::chrono::steady_clock::now() < deadline) {
      j = d_->store().GetJob(id);
      if (j.ok() && IsFinal(j->state)) return *j;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(j.ok()) << j.status();
    return j.ok() ? *j : Job{};
  }

  liaison::testing::ScopedTempDir tmp_;
  std::string home_, bravo_fp_;
  std::vector<std::unique_ptr<net::Identity>> ids_;
  std::unique_ptr<Daemon> d_;
};

TEST_F(DaemonQuorumPeerTest, AnOfferNamingAnotherKeyForAMemberIsRefused) {
  QuorumOffer o = Offer(1);
  o.participants[2].fingerprint = "sha256:" + std::string(64, 'e');  // not charlie's key
  absl::StatusOr<Verdict> v = Send(o);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kRefuse);
  EXPECT_EQ(v->code, kRefusePeerNotInAlliance);
  EXPECT_THAT(v->reason, HasSubstr("participant charlie"));
  EXPECT_EQ(WaitFinal(o.job_id).state, JobState::kRefused);
}

TEST_F(DaemonQuorumPeerTest, AnOfferWhoseInitiatorIsNotItsSenderIsRefused) {
  QuorumOffer o = Offer(2);
  o.initiator = 2;  // charlie's job, sent by alpha
  absl::StatusOr<Verdict> v = Send(o);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kRefuse);
  EXPECT_EQ(v->code, kRefusePeerNotInAlliance);
  EXPECT_FALSE(d_->store().GetJob(o.job_id).ok());  // nothing recorded for it
}

TEST_F(DaemonQuorumPeerTest, SizesOtherThanAnnouncedAreRefusedAndTheJobEnds) {
  QuorumOffer o = Offer(3);
  std::unique_ptr<net::Channel> ch;
  absl::StatusOr<Verdict> v = Send(o, &ch);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->kind, VerdictKind::kAccept) << v->code << ": " << v->reason;
  EXPECT_EQ(v->set_size, 3u);
  // Bravo announced 3 items; alpha tells everyone it has 1.
  ASSERT_TRUE(SendQuorumSizes(*ch, QuorumSizes{{5, 1, 4}, {"", "", ""}}).ok());
  v = RecvVerdict(*ch);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kRefuse);
  EXPECT_EQ(v->code, kRefuseOfferChanged);
  Job job = WaitFinal(o.job_id);
  EXPECT_EQ(job.state, JobState::kRefused);
  EXPECT_THAT(job.error, HasSubstr("offer_changed"));
}

TEST_F(DaemonQuorumPeerTest, AGoBeforeTheSizesFailsTheJob) {
  QuorumOffer o = Offer(4);
  std::unique_ptr<net::Channel> ch;
  absl::StatusOr<Verdict> v = Send(o, &ch);
  ASSERT_TRUE(v.ok() && v->kind == VerdictKind::kAccept);
  ASSERT_TRUE(SendGo(*ch, Go{}).ok());
  Job job = WaitFinal(o.job_id);
  EXPECT_EQ(job.state, JobState::kFailed);
  EXPECT_THAT(job.error, HasSubstr("a go before the quorum sizes"));
}

TEST_F(DaemonQuorumPeerTest, ARepeatedOfferWithAnotherThresholdIsRefusedOfferChanged) {
  QuorumOffer o = Offer(5);
  std::unique_ptr<net::Channel> ch;
  ASSERT_TRUE(Send(o, &ch).ok());
  // Not now: bravo keeps the job queued for the next offer...
  ASSERT_TRUE(SendGo(*ch, Go{false, kGoRetry, "waiting"}).ok());
  ch->Close();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(d_->store().GetJob(o.job_id)->state, JobState::kQueued);
  // ...which must be the same offer.
  o.threshold = 3;
  absl::StatusOr<Verdict> v = Send(o);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->code, kRefuseOfferChanged);
  EXPECT_EQ(WaitFinal(o.job_id).state, JobState::kRefused);
}

TEST_F(DaemonQuorumPeerTest, AJoinForAJobThatExpectsNoneIsClosed) {
  // Charlie joins a job bravo never accepted, then one it is answering
  // but for which it expects alpha's channel (the initiator's) only.
  std::unique_ptr<net::Channel> stranger = Connect(Charlie());
  ASSERT_NE(stranger, nullptr);
  ASSERT_TRUE(SendJoin(*stranger, "job_" + std::string(32, '9'), 2).ok());
  EXPECT_EQ(stranger->Recv().status().code(), absl::StatusCode::kUnavailable);  // closed
  QuorumOffer o = Offer(6);
  o.participants = {{"bravo", bravo_fp_},
                    {"alpha", Alpha().fingerprint()},
                    {"charlie", Charlie().fingerprint()}};
  o.initiator = 1;
  std::unique_ptr<net::Channel> ch;
  ASSERT_TRUE(Send(o, &ch).ok());
  ASSERT_TRUE(SendQuorumSizes(*ch, QuorumSizes{{3, 5, 4}, {"", "", ""}}).ok());
  absl::StatusOr<Verdict> ready = RecvVerdict(*ch);
  ASSERT_TRUE(ready.ok() && ready->kind == VerdictKind::kAccept);
  // Bravo (index 0) now takes charlie's join (index 2), not alpha posing
  // as charlie's index, nor charlie claiming another index.
  std::unique_ptr<net::Channel> impostor = Connect(Alpha());
  ASSERT_TRUE(SendJoin(*impostor, o.job_id, 2).ok());
  EXPECT_EQ(impostor->Recv().status().code(), absl::StatusCode::kUnavailable);  // closed
  std::unique_ptr<net::Channel> wrong_index = Connect(Charlie());
  ASSERT_TRUE(SendJoin(*wrong_index, o.job_id, 1).ok());
  EXPECT_EQ(wrong_index->Recv().status().code(), absl::StatusCode::kUnavailable);  // closed
  // Charlie's own join is kept open for the run...
  std::unique_ptr<net::Channel> good = Connect(Charlie());
  ASSERT_TRUE(SendJoin(*good, o.job_id, 2).ok());
  good->SetTimeout(absl::Milliseconds(300));
  EXPECT_EQ(good->Recv().status().code(), absl::StatusCode::kDeadlineExceeded);
  // ...and closed when the job ends.
  ASSERT_TRUE(SendGo(*ch, Go{false, "failed", "the test ends here"}).ok());
  good->SetTimeout(absl::Seconds(5));
  EXPECT_EQ(good->Recv().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(WaitFinal(o.job_id).state, JobState::kRefused);
}

}  // namespace
}  // namespace liaison::node
