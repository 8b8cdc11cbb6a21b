// The daemon against a cheating partner: the test plays "alpha", a peer
// that speaks the node-to-node protocol (peer_protocol.h) and the session
// by hand to a daemon "bravo" in this process, as a partner running
// modified code would: it changes an approved offer, announces one set size
// and brings another, asks for another security model, and reaches the
// same data through several alliances and names.
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/version.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/identity.h"
#include "net/tls_channel.h"
#include "node/audit.h"
#include "node/daemon.h"
#include "node/home.h"
#include "node/peer_protocol.h"
#include "node/testing/fake_clock.h"
#include "node/testing/raw_db.h"
#include "node/testing/schema4.h"
#include "session/psi_job.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace liaison::node {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::FakeClock;
using testing::RawDb;
using Json = nlohmann::json;

constexpr int kBravoItems = 20;

// JobId returns the n-th job id of the test: "job_" and 32 hex digits.
std::string JobId(int n) {
  char hex[33];
  std::snprintf(hex, sizeof(hex), "%032x", n);
  return std::string("job_") + hex;
}

class DaemonPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = tmp_.Sub("bravo");
    auto init = InitHome(home_, InitOptions{"bravo"});
    ASSERT_TRUE(init.ok()) << init.status();
    bravo_fp_ = init->fingerprint;
    auto fp = net::GenerateIdentity(tmp_.Sub("alpha"));
    ASSERT_TRUE(fp.ok()) << fp.status();
    alpha_fp_ = *fp;
    auto id = net::Identity::Load(tmp_.Sub("alpha"));
    ASSERT_TRUE(id.ok()) << id.status();
    alpha_ = std::make_unique<net::Identity>(std::move(*id));
    std::string items;
    for (int i = 1; i <= kBravoItems; ++i) items += "10.0.0." + std::to_string(i) + "\n";
    liaison::testing::WriteFile(HomePath(home_, "ind.txt"), items);
    auto charlie = net::GenerateIdentity(tmp_.Sub("charlie"));
    ASSERT_TRUE(charlie.ok()) << charlie.status();
    charlie_fp_ = *charlie;
    auto charlie_id = net::Identity::Load(tmp_.Sub("charlie"));
    ASSERT_TRUE(charlie_id.ok()) << charlie_id.status();
    charlie_ = std::make_unique<net::Identity>(std::move(*charlie_id));
  }

 public:
  // Alliance returns an [alliances.NAME] table with `member` (alpha) as its
  // member and `datasets` (default: ind) for it; `keys` (key -> TOML value)
  // replace the defaults (match on rr22 and ecdh, automatic approval).
  static std::string Alliance(const std::string& name,
                              const std::map<std::string, std::string>& keys = {},
                              const std::string& datasets = "[\"ind\"]",
                              const std::string& member = "alpha") {
    std::map<std::string, std::string> k = {{"questions", "[\"match\"]"},
                                            {"protocols", "[\"rr22\", \"ecdh\"]"},
                                            {"max_set_size", "1000"},
                                            {"jobs_per_hour_per_peer", "1000"},
                                            {"approval", "\"auto\""},
                                            {"tlp_ceiling", "\"amber\""}};
    for (const auto& [key, v] : keys) k[key] = v;
    std::string t = "[alliances." + name + "]\nmembers = [\"" + member + "\"]\n";
    for (const auto& [key, v] : k) t += key + " = " + v + "\n";
    return t + "[alliances." + name + ".datasets]\n" + member + " = " + datasets + "\n";
  }

 protected:
  // Configure writes bravo's config: alpha as its peer at `alpha_port`
  // (where a fake alpha may listen), dataset ind (and `datasets`), and
  // `alliances`.
  void Configure(const std::string& alliances, uint16_t alpha_port = 1,
                 const std::string& datasets = "") {
    auto port = [] { return std::to_string(liaison::testing::FreePort()); };
    liaison::testing::WriteFile(
        HomePath(home_, kConfigFile),
        "[node]\nname = \"bravo\"\npeer_listen = \"127.0.0.1:" + port() +
            "\"\nrest_listen = \"127.0.0.1:" + port() +
            "\"\nshutdown_grace_seconds = 2\npeer_retry_attempts = 1\n"
            "peer_connect_timeout_seconds = 1\n"
            "[peers.alpha]\naddress = \"127.0.0.1:" + std::to_string(alpha_port) +
            "\"\nfingerprint = \"" + alpha_fp_ + "\"\n"
            "[peers.charlie]\naddress = \"127.0.0.1:1\"\nfingerprint = \"" + charlie_fp_ + "\"\n"
            "[datasets.ind]\nfile = \"ind.txt\"\ntlp = \"amber\"\n" + datasets + alliances);
  }

  // AddToDataset adds `keys` to [datasets.ind] of the config written.
  void AddToDataset(const std::string& keys) {
    std::string config = liaison::testing::ReadFileOrEmpty(HomePath(home_, kConfigFile));
    const std::string table = "[datasets.ind]\nfile = \"ind.txt\"\ntlp = \"amber\"\n";
    const size_t at = config.find(table);
    ASSERT_NE(at, std::string::npos);
    config.insert(at + table.size(), keys);
    liaison::testing::WriteFile(HomePath(home_, kConfigFile), config);
  }

  std::unique_ptr<Daemon> Start(Clock* clock = nullptr) {
    DaemonOptions options;
    options.home = home_;
    options.clock = clock;
    options.peer_io_timeout = absl::Seconds(10);
    auto d = Daemon::Start(options);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? std::move(*d) : nullptr;
  }

  // Offer sends `offer` to bravo on a new connection and returns bravo's
  // verdict; the connection is kept in `*channel` if it is given, else
  // closed.
  absl::StatusOr<Verdict> Offer(Daemon& d, const JobOffer& offer,
                                std::unique_ptr<net::Channel>* channel = nullptr,
                                const net::Identity* from = nullptr) {
    return OfferRaw(d, [&](net::Channel& ch) { return SendOffer(ch, offer); }, channel, from);
  }

 public:
  // OfferRaw is Offer with the offer sent by `send`, from alpha unless
  // `from` is given.
  absl::StatusOr<Verdict> OfferRaw(Daemon& d,
                                   const std::function<absl::Status(net::Channel&)>& send,
                                   std::unique_ptr<net::Channel>* channel,
                                   const net::Identity* from = nullptr) {
    net::TlsOptions tls;
    tls.identity = from != nullptr ? from : alpha_.get();
    tls.peer_fingerprint = bravo_fp_;
    tls.connect_timeout = absl::Seconds(5);
    tls.io_timeout = absl::Seconds(10);
    // A noised job is "preparing" until the responder has drawn its noise
    // with no channel open: offer again, as a node's initiator does.
    std::unique_ptr<net::Channel> ch;
    absl::StatusOr<Verdict> v;
    for (int attempt = 0; attempt < 100; ++attempt) {
      LIAISON_ASSIGN_OR_RETURN(ch, net::TlsConnect("127.0.0.1", d.peer_port(), tls));
      LIAISON_RETURN_IF_ERROR(send(*ch));
      v = RecvVerdict(*ch);
      if (!v.ok() || v->kind != VerdictKind::kPending || v->code != kPendingPreparing) break;
      ch->Close();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (channel != nullptr) {
      *channel = std::move(ch);
    } else {
      ch->Close();
    }
    return v;
  }

 protected:

  // MatchOffer is alpha's offer of a match job on rr22 (malicious, bravo's
  // default for it) announcing `set_size` items, whose result goes to alpha.
  static JobOffer MatchOffer(const std::string& id, uint64_t set_size) {
    JobOffer o;
    o.job_id = id;
    o.alliance = "fin";
    o.question = "match";
    o.protocol = "rr22";
    o.result_to = session::ResultTo::kMe;
    o.set_size = set_size;
    o.profile_name = std::string(data::Profile::V1().name());
    o.profile_version = static_cast<uint32_t>(data::Profile::V1().version());
    o.profile_digest = data::Profile::V1().digest();
    o.software_version = kVersion;
    o.security = session::Security::kMalicious;
    return o;
  }

  // CountOffer is alpha's offer of a count of `epsilon` to alpha
  // (malicious, as the policy gives a count on rr22).
  static JobOffer CountOffer(const std::string& id, const std::string& epsilon) {
    JobOffer o = MatchOffer(id, 5);
    o.question = "count";
    o.dp = OfferDp{epsilon, "", "", "", ""};
    o.security = session::Security::kMalicious;  // count on rr22: the policy default
    return o;
  }

  // WaitFinal waits (at most 10 s) until bravo's job `id` is final.
  Job WaitFinal(Daemon& d, const std::string& id) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    absl::StatusOr<Job> j = d.store().GetJob(id);
    while (std::chrono::steady_clock::now() < deadline) {
      j = d.store().GetJob(id);
      if (j.ok() && IsFinal(j->state)) return *j;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(j.ok()) << j.status();
    return j.ok() ? *j : Job{};
  }

  // WaitRecords returns bravo's audit records of job `id` of `kind` once
  // there is at least one (a job's record follows its state change), or
  // none after 5 s.
  std::vector<AuditRecord> WaitRecords(Daemon& d, const std::string& id, std::string_view kind) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::vector<AuditRecord> out = RecordsOf(d, id, kind);
    while (out.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      out = RecordsOf(d, id, kind);
    }
    return out;
  }

  // RecordsOf returns bravo's audit records of job `id` ("" for records
  // without a job) of `kind`.
  std::vector<AuditRecord> RecordsOf(Daemon& d, const std::string& id, std::string_view kind) {
    std::vector<AuditRecord> out;
    EXPECT_TRUE(ForEachAuditRecord(d.store(), [&](const AuditRecord& r) {
                  if (r.kind == kind && r.job_id == id) out.push_back(r);
                  return absl::OkStatus();
                }).ok());
    return out;
  }

  liaison::testing::ScopedTempDir tmp_;
  std::string home_;
  std::string bravo_fp_, alpha_fp_, charlie_fp_;
  std::unique_ptr<net::Identity> alpha_, charlie_;
};

const std::string kCountBudget = "[alliances.fin.dp]\nepsilon = \"100\"\ndelta = \"0.001\"\n";

TEST_F(DaemonPeerTest, ALocalStoreFailureAsksThePeerToOfferAgainRatherThanRefusing) {
  // Before, a failure of our own store was told to the peer as the
  // permanent refusal duplicate_job.
  Configure(Alliance("fin"));
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  {
    RawDb raw(HomePath(home_, kStoreFile));
    raw.Exec("CREATE TRIGGER no_jobs BEFORE INSERT ON jobs "
             "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END;");
  }
  absl::StatusOr<Verdict> v = Offer(*d, MatchOffer(JobId(1), 5));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kPending) << v->code << ": " << v->reason;
  EXPECT_EQ(v->code, "busy");
  EXPECT_THAT(v->reason, HasSubstr("local failure"));
  {
    RawDb raw(HomePath(home_, kStoreFile));
    raw.Exec("DROP TRIGGER no_jobs");
  }
  v = Offer(*d, MatchOffer(JobId(1), 5));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kAccept) << v->code << ": " << v->reason;
}

TEST_F(DaemonPeerTest, ReofferWithOtherEpsilonIsRefusedAndAudited) {
  Configure(Alliance("fin", {{"questions", "[\"match\", \"count\"]"},
                             {"approval", "\"manual\""}}) +
            kCountBudget);
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  const JobOffer small = CountOffer(JobId(1), "0.01");
  absl::StatusOr<Verdict> v = Offer(*d, small);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->kind, VerdictKind::kPending) << v->code << ": " << v->reason;
  ASSERT_TRUE(d->DecideOffer(small.job_id, /*approve=*/true, "", kActorCli).ok());

  // The job approved at epsilon 0.01 is offered again at epsilon 50.
  JobOffer large = small;
  large.dp->epsilon = "50";
  v = Offer(*d, large);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kRefuse);
  EXPECT_EQ(v->code, "offer_changed") << v->reason;
  EXPECT_THAT(v->reason, HasSubstr("dp"));
  Job job = WaitFinal(*d, small.job_id);
  EXPECT_EQ(job.state, JobState::kRefused);
  EXPECT_THAT(job.error, StartsWith("offer_changed: "));
  std::vector<AuditRecord> refused = WaitRecords(*d, small.job_id, "job_refused");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].actor, ActorForPeer(alpha_fp_));
  EXPECT_THAT(Json::parse(refused[0].params_json).value("reason", ""),
              StartsWith("offer_changed: "));
  EXPECT_TRUE(RecordsOf(*d, small.job_id, "job_started").empty());
  // The admitted offer, with its epsilon, is what the job's record holds.
  EXPECT_EQ(Json::parse(job.params_json)["offer"]["dp"]["epsilon"], "0.01") << job.params_json;

  // Nothing runs under that id any more, not even the approved offer.
  v = Offer(*d, small);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kRefuse);
  EXPECT_EQ(v->code, "offer_changed");
}

// Issue 12: the daemon took a Clock but judged approval deadlines by the
// system clock.
TEST_F(DaemonPeerTest, ApprovalDeadlineFollowsTheInjectedClock) {
  Configure(Alliance("fin", {{"approval", "\"manual\""}}));
  const int64_t now = UnixSeconds(std::chrono::system_clock::now());
  FakeClock clock(now);
  std::unique_ptr<Daemon> d = Start(&clock);
  ASSERT_NE(d, nullptr);
  const JobOffer offer = MatchOffer(JobId(1), 5);
  absl::StatusOr<Verdict> v = Offer(*d, offer);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->kind, VerdictKind::kPending) << v->code << ": " << v->reason;
  absl::StatusOr<std::vector<Job>> offers = d->ListOffers();
  ASSERT_TRUE(offers.ok()) << offers.status();
  EXPECT_EQ(offers->size(), 1u);
  // A day and a minute later by the daemon's clock (the default deadline
  // is a day), though no real time has passed: the offer has expired.
  clock.Advance(std::chrono::seconds(86400 + 60));
  offers = d->ListOffers();
  ASSERT_TRUE(offers.ok()) << offers.status();
  EXPECT_TRUE(offers->empty());
  EXPECT_EQ(WaitFinal(*d, offer.job_id).state, JobState::kRefused);
}

TEST_F(DaemonPeerTest, ReofferDifferingInAnyParameterIsRefused) {
  Configure(Alliance("fin", {{"questions", "[\"match\", \"count\"]"},
                             {"approval", "\"manual\""}}) +
            kCountBudget);
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  using Change = std::function<void(JobOffer&)>;
  const std::vector<std::pair<std::string, Change>> changes = {
      {"set_size", [](JobOffer& o) { o.set_size += 1; }},
      {"result_to", [](JobOffer& o) { o.result_to = session::ResultTo::kBoth; }},
      {"peer_dataset", [](JobOffer& o) { o.peer_dataset = "ind"; }},
      {"profile.name", [](JobOffer& o) { o.profile_name += "-x"; }},
      {"software_version", [](JobOffer& o) { o.software_version += "-patched"; }},
      {"dp.delta", [](JobOffer& o) { o.dp->delta = "0.0000001"; }},
      {"dp.epsilon", [](JobOffer& o) { o.dp->epsilon = "0.010"; }},
      {"question", [](JobOffer& o) {
         o.question = "match";
         o.dp.reset();
         o.security = session::Security::kMalicious;
       }},
      {"security", [](JobOffer& o) { o.security = session::Security::kSemiHonest; }},
  };
  int n = 100;
  for (const auto& [what, change] : changes) {
    const JobOffer admitted = CountOffer(JobId(++n), "0.01");
    absl::StatusOr<Verdict> v = Offer(*d, admitted);
    ASSERT_TRUE(v.ok()) << what << ": " << v.status();
    ASSERT_EQ(v->kind, VerdictKind::kPending) << what << ": " << v->reason;
    ASSERT_TRUE(d->DecideOffer(admitted.job_id, true, "", kActorCli).ok()) << what;
    JobOffer changed = admitted;
    change(changed);
    v = Offer(*d, changed);
    ASSERT_TRUE(v.ok()) << what << ": " << v.status();
    EXPECT_EQ(v->kind, VerdictKind::kRefuse) << what;
    EXPECT_EQ(v->code, "offer_changed") << what << ": " << v->reason;
    EXPECT_EQ(WaitFinal(*d, admitted.job_id).state, JobState::kRefused) << what;
    EXPECT_EQ(WaitRecords(*d, admitted.job_id, "job_refused").size(), 1u) << what;
  }
  // The same offer again is answered from the stored job: approved, so
  // accepted (alpha then goes away, and the job fails).
  const JobOffer same = CountOffer(JobId(++n), "0.01");
  ASSERT_EQ(Offer(*d, same)->kind, VerdictKind::kPending);
  ASSERT_TRUE(d->DecideOffer(same.job_id, true, "", kActorCli).ok());
  absl::StatusOr<Verdict> v = Offer(*d, same);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kAccept) << v->code << ": " << v->reason;
}

// MatchKeys returns `n` distinct match keys of alpha's.
std::vector<std::string> MatchKeys(int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back("alpha-item-" + std::to_string(i));
  return keys;
}

TEST_F(DaemonPeerTest, InitiatorAnnouncingOneItemAndBringingFiftyFailsBeforeAnyProtocolData) {
  Configure(Alliance("fin"));
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  const JobOffer offer = MatchOffer(JobId(1), 1);
  std::unique_ptr<net::Channel> ch;
  absl::StatusOr<Verdict> v = Offer(*d, offer, &ch);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->kind, VerdictKind::kAccept) << v->code << ": " << v->reason;
  ASSERT_TRUE(SendGo(*ch, Go{}).ok());

  session::PsiJobParams p;
  p.result_to = session::ResultTo::kMe;
  p.security = session::Security::kMalicious;
  crypto::Prng prng = crypto::Prng::FromTestSeed(11);
  const std::vector<std::string> keys = MatchKeys(50);
  absl::StatusOr<session::PsiJobResult> r = session::RunPsiJob(*ch, p, keys, prng);
  ch->Close();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("announced 1 items in its offer and brings 50"));

  Job job = WaitFinal(*d, offer.job_id);
  EXPECT_EQ(job.state, JobState::kFailed);
  EXPECT_THAT(job.error, HasSubstr("the peer announced 1 items in its offer and brings 50"));
  std::vector<AuditRecord> failed = WaitRecords(*d, offer.job_id, "job_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_THAT(Json::parse(failed[0].params_json).value("reason", ""),
              HasSubstr("announced 1 items in its offer and brings 50"));
}

TEST_F(DaemonPeerTest, ResponderAnnouncingOneItemAndBringingFiftyFailsBeforeAnyProtocolData) {
  // alpha listens as a responder; bravo offers it a job.
  net::TlsOptions tls;
  tls.identity = alpha_.get();
  tls.peer_fingerprints = {bravo_fp_};
  tls.io_timeout = absl::Seconds(10);
  auto listener = net::TlsListener::Listen("127.0.0.1", 0, tls);
  ASSERT_TRUE(listener.ok()) << listener.status();
  Configure(Alliance("fin"), (*listener)->port());
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  JobSubmission s;
  s.alliance = "fin";
  s.peer = "alpha";
  s.dataset = "ind";
  s.result_to = "both";
  auto created = d->SubmitJob(s, kActorCli);
  ASSERT_TRUE(created.ok()) << created.status();

  auto ch = (*listener)->Accept(absl::Seconds(10));
  ASSERT_TRUE(ch.ok()) << ch.status();
  absl::StatusOr<JobOffer> offer = RecvOffer(**ch);
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_EQ(offer->set_size, static_cast<uint64_t>(kBravoItems));
  Verdict accept;
  accept.kind = VerdictKind::kAccept;
  accept.set_size = 1;
  ASSERT_TRUE(SendVerdict(**ch, accept).ok());
  absl::StatusOr<Go> go = RecvGo(**ch);
  ASSERT_TRUE(go.ok()) << go.status();
  ASSERT_TRUE(go->proceed);
  session::PsiJobParams p;
  p.result_to = session::ResultTo::kBoth;
  p.security = session::Security::kMalicious;
  crypto::Prng prng = crypto::Prng::FromTestSeed(12);
  const std::vector<std::string> keys = MatchKeys(50);
  absl::StatusOr<session::PsiJobResult> r = session::RunPsiJob(**ch, p, keys, prng);
  (*ch)->Close();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << r.status();

  Job job = WaitFinal(*d, created->job.id);
  EXPECT_EQ(job.state, JobState::kFailed);
  EXPECT_THAT(job.error, HasSubstr("the peer announced 1 items in its offer and brings 50"));
  std::vector<AuditRecord> failed = WaitRecords(*d, job.id, "job_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_THAT(Json::parse(failed[0].params_json).value("reason", ""),
              HasSubstr("announced 1 items in its offer and brings 50"));
}

// --- the security model of node jobs ----------------------------------------

// SendOfferWith sends `offer` with its "security" field set to `security`,
// written by hand as a partner's own code would.
absl::Status SendOfferWith(net::Channel& ch, const JobOffer& offer, const std::string& security) {
  Json m = Json::parse(CanonicalOffer(offer));
  m["security"] = security;
  m["type"] = "offer";
  m["v"] = kPeerProtocolVersion;
  const std::string text = m.dump();
  return ch.Send(AsBytes(text));
}

// OfferWith is Offer with "security" written by hand.
absl::StatusOr<Verdict> OfferWith(DaemonPeerTest& t, Daemon& d, const JobOffer& offer,
                                  const std::string& security, std::unique_ptr<net::Channel>* ch) {
  return t.OfferRaw(d, [&](net::Channel& c) { return SendOfferWith(c, offer, security); }, ch);
}

TEST_F(DaemonPeerTest, MatchOnRr22RunsMaliciousByDefaultAndTheRecordsSaySo) {
  Configure(Alliance("fin"));
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  const JobOffer offer = MatchOffer(JobId(1), 8);
  std::unique_ptr<net::Channel> ch;
  absl::StatusOr<Verdict> v = OfferWith(*this, *d, offer, "malicious", &ch);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->kind, VerdictKind::kAccept) << v->code << ": " << v->reason;
  ASSERT_TRUE(SendGo(*ch, Go{}).ok());
  session::PsiJobParams p;
  p.result_to = session::ResultTo::kMe;
  p.security = session::Security::kMalicious;
  crypto::Prng prng = crypto::Prng::FromTestSeed(13);
  std::vector<std::string> keys = MatchKeys(8);
  absl::StatusOr<session::PsiJobResult> r = session::RunPsiJob(*ch, p, keys, prng);
  ch->Close();
  EXPECT_TRUE(r.ok()) << r.status();
  Job job = WaitFinal(*d, offer.job_id);
  EXPECT_EQ(Json::parse(job.params_json).value("security", ""), "malicious") << job.params_json;
  std::vector<AuditRecord> started = WaitRecords(*d, offer.job_id, "job_started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(Json::parse(started[0].params_json).value("security", ""), "malicious");
}

TEST_F(DaemonPeerTest, OfferWithAnotherSecurityModelThanThePolicyIsRefused) {
  // fin: the default (malicious wherever it exists); open: semi-honest.
  Configure(Alliance("fin", {{"questions", "[\"match\", \"count\"]"}}) + kCountBudget +
            Alliance("open", {{"security", "\"semi-honest\""}}));
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  struct Case {
    JobOffer offer;
    std::string security;
    std::string code;  // "" for accepted
  };
  JobOffer ecdh = MatchOffer(JobId(3), 5);
  ecdh.protocol = "ecdh";
  JobOffer open = MatchOffer(JobId(5), 5);
  open.alliance = "open";
  JobOffer open_malicious = MatchOffer(JobId(6), 5);
  open_malicious.alliance = "open";
  const std::vector<Case> cases = {
      {MatchOffer(JobId(1), 5), "semi-honest", "security_mismatch"},
      {CountOffer(JobId(2), "0.1"), "semi-honest", "security_mismatch"},
      {ecdh, "semi-honest", ""},
      {CountOffer(JobId(4), "0.1"), "malicious", ""},
      {open, "semi-honest", ""},
      {open_malicious, "malicious", "security_mismatch"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Verdict> v = OfferWith(*this, *d, c.offer, c.security, nullptr);
    ASSERT_TRUE(v.ok()) << c.offer.job_id << ": " << v.status();
    if (c.code.empty()) {
      EXPECT_EQ(v->kind, VerdictKind::kAccept) << c.offer.job_id << ": " << v->reason;
      continue;
    }
    EXPECT_EQ(v->kind, VerdictKind::kRefuse) << c.offer.job_id;
    EXPECT_EQ(v->code, c.code) << c.offer.job_id << ": " << v->reason;
    EXPECT_EQ(WaitRecords(*d, c.offer.job_id, "job_refused").size(), 1u) << c.offer.job_id;
  }
}

TEST_F(DaemonPeerTest, AllianceAskingMaliciousForAJobWithoutAMaliciousVariantRefusesIt) {
  Configure(Alliance("fin", {{"security", "\"malicious\""}}));
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  // Our own submission: refused before anything is created.
  JobSubmission s;
  s.alliance = "fin";
  s.peer = "alpha";
  s.dataset = "ind";
  s.protocol = "ecdh";
  auto created = d->SubmitJob(s, kActorCli);
  EXPECT_EQ(created.status().code(), absl::StatusCode::kPermissionDenied) << created.status();
  EXPECT_THAT(created.status().message(), HasSubstr("malicious"));
  // A partner's offer: refused, whatever it asks.
  JobOffer ecdh = MatchOffer(JobId(1), 5);
  ecdh.protocol = "ecdh";
  for (const char* security : {"malicious", "semi-honest"}) {
    ecdh.job_id = JobId(security[0] == 'm' ? 1 : 2);
    absl::StatusOr<Verdict> v = OfferWith(*this, *d, ecdh, security, nullptr);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->kind, VerdictKind::kRefuse);
    EXPECT_EQ(v->code, "security_unavailable") << v->reason;
  }
  // rr22 match has the malicious variant: our submission says so.
  s.protocol = "rr22";
  created = d->SubmitJob(s, kActorCli);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(Json::parse(created->job.params_json).value("security", ""), "malicious");
}

TEST_F(DaemonPeerTest, InitiatorOffersTheSecurityModelOfItsPolicy) {
  net::TlsOptions tls;
  tls.identity = alpha_.get();
  tls.peer_fingerprints = {bravo_fp_};
  tls.io_timeout = absl::Seconds(10);
  auto listener = net::TlsListener::Listen("127.0.0.1", 0, tls);
  ASSERT_TRUE(listener.ok()) << listener.status();
  Configure(Alliance("fin"), (*listener)->port());
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  for (const char* protocol : {"rr22", "ecdh"}) {
    JobSubmission s;
    s.alliance = "fin";
    s.peer = "alpha";
    s.dataset = "ind";
    s.protocol = protocol;
    auto created = d->SubmitJob(s, kActorCli);
    ASSERT_TRUE(created.ok()) << created.status();
    const std::string expected = std::string(protocol) == "rr22" ? "malicious" : "semi-honest";
    EXPECT_EQ(Json::parse(created->job.params_json).value("security", ""), expected);
    auto ch = (*listener)->Accept(absl::Seconds(10));
    ASSERT_TRUE(ch.ok()) << ch.status();
    absl::StatusOr<Bytes> raw = (*ch)->Recv();
    ASSERT_TRUE(raw.ok()) << raw.status();
    Json offer = Json::parse(AsStringView(*raw));
    EXPECT_EQ(offer.value("security", ""), expected) << offer.dump();
    Verdict refuse;
    refuse.code = "refused_by_analyst";
    refuse.reason = "not now";
    (void)SendVerdict(**ch, refuse);
    (*ch)->Close();
    EXPECT_EQ(WaitFinal(*d, created->job.id).state, JobState::kRefused);
  }
}

// --- budgets that follow the data, not the alliance or the name -----------

// CountAlliance is an alliance allowing count with alpha (or `member`) on
// `datasets` under a budget of epsilon 1.
std::string CountAlliance(const std::string& name, const std::string& datasets = "[\"ind\"]",
                          const std::string& member = "alpha") {
  return DaemonPeerTest::Alliance(name, {{"questions", "[\"match\", \"count\"]"}}, datasets,
                                  member) +
         "[alliances." + name + ".dp]\nepsilon = \"1\"\ndelta = \"0.001\"\n";
}

// Count is our submission of a count of `epsilon` that the peer learns (so
// we are charged) on `dataset` with `peer` in `alliance`.
JobSubmission Count(const std::string& alliance, const std::string& dataset,
                    const std::string& epsilon, const std::string& peer = "alpha") {
  JobSubmission s;
  s.alliance = alliance;
  s.peer = peer;
  s.dataset = dataset;
  s.question = "count";
  s.result_to = "peer";  // the peer learns the count, so we are charged
  s.dp.epsilon = epsilon;
  return s;
}

// kInd2 is a second name for the items of ind (the same file).
const std::string kInd2 = "[datasets.ind2]\nfile = \"ind.txt\"\ntlp = \"amber\"\n";

TEST_F(DaemonPeerTest, SameDatasetThroughTwoAlliancesSharesOneBudget) {
  Configure(CountAlliance("fin") + CountAlliance("ct"));
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  // Ours (initiator): the second alliance's job would overspend what the
  // first spent on the same data: ResourceExhausted (429), nothing created.
  ASSERT_TRUE(d->SubmitJob(Count("fin", "ind", "0.6"), kActorCli).ok());
  auto second = d->SubmitJob(Count("ct", "ind", "0.6"), kActorCli);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted) << second.status();
  EXPECT_THAT(second.status().message(), HasSubstr("dataset ind"));
  std::vector<AuditRecord> refused = WaitRecords(*d, "", "job_refused");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_THAT(Json::parse(refused[0].params_json).value("reason", ""),
              StartsWith("privacy_budget_exhausted: "));

  // Theirs (responder): alpha's count through fin, then through ct. Our
  // answers to alpha about ind are in the same ledger, whoever asked.
  JobOffer first = CountOffer(JobId(1), "0.3");
  JobOffer other = CountOffer(JobId(2), "0.3");
  other.alliance = "ct";
  absl::StatusOr<Verdict> v = Offer(*d, first);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kAccept) << v->code << ": " << v->reason;
  v = Offer(*d, other);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kRefuse);
  EXPECT_EQ(v->code, "privacy_budget_exhausted") << v->reason;
  EXPECT_EQ(WaitRecords(*d, other.job_id, "job_refused").size(), 1u);
  EXPECT_TRUE(d->SubmitJob(Count("ct", "ind", "0.1"), kActorCli).ok()) << "0.9 + 0.1 fits 1";
}

TEST_F(DaemonPeerTest, SameContentUnderTwoDatasetNamesSharesOneBudget) {
  Configure(CountAlliance("fin", "[\"ind\", \"ind2\"]"), 1, kInd2);
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(d->SubmitJob(Count("fin", "ind", "0.6"), kActorCli).ok());
  auto renamed = d->SubmitJob(Count("fin", "ind2", "0.6"), kActorCli);
  EXPECT_EQ(renamed.status().code(), absl::StatusCode::kResourceExhausted) << renamed.status();
  EXPECT_THAT(renamed.status().message(), HasSubstr("content"));

  JobOffer first = CountOffer(JobId(1), "0.3");
  first.peer_dataset = "ind";
  JobOffer other = CountOffer(JobId(2), "0.3");
  other.peer_dataset = "ind2";
  absl::StatusOr<Verdict> v = Offer(*d, first);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kAccept) << v->code << ": " << v->reason;
  v = Offer(*d, other);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->code, "privacy_budget_exhausted") << v->reason;
}

TEST_F(DaemonPeerTest, GlobalBudgetOfADatasetSpansAllPeers) {
  Configure(CountAlliance("fin") + CountAlliance("cf", "[\"ind\"]", "charlie"), 1, "");
  // ind may give out epsilon 1 in all, whoever asks.
  AddToDataset("dp_global_epsilon = \"1\"\ndp_global_delta = \"0.001\"\n");
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(d->SubmitJob(Count("fin", "ind", "0.6"), kActorCli).ok());
  auto charlie = d->SubmitJob(Count("cf", "ind", "0.6", "charlie"), kActorCli);
  EXPECT_EQ(charlie.status().code(), absl::StatusCode::kResourceExhausted) << charlie.status();
  EXPECT_THAT(charlie.status().message(), HasSubstr("all peers"));
  EXPECT_TRUE(d->SubmitJob(Count("cf", "ind", "0.4", "charlie"), kActorCli).ok());
  // alpha's offer now finds the global budget spent.
  absl::StatusOr<Verdict> v = Offer(*d, CountOffer(JobId(1), "0.1"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->code, "privacy_budget_exhausted") << v->reason;
}

TEST_F(DaemonPeerTest, ItemBudgetFollowsTheDataAcrossAlliancesNamesAndPeers) {
  const std::map<std::string, std::string> limited = {{"max_peer_items_per_day", "10"}};
  Configure(Alliance("fin", limited, "[\"ind\", \"ind2\"]") + Alliance("ct") +
                Alliance("cf", {}, "[\"ind\"]", "charlie"),
            1, kInd2);
  AddToDataset("global_max_peer_items_per_day = 15\n");
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  auto offer = [&](int n, const std::string& alliance, const std::string& dataset,
                   const net::Identity* from = nullptr) {
    JobOffer o = MatchOffer(JobId(n), 6);
    o.alliance = alliance;
    o.peer_dataset = dataset;
    absl::StatusOr<Verdict> v = Offer(*d, o, nullptr, from);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? (v->kind == VerdictKind::kAccept ? "accept" : v->code) : "error";
  };
  EXPECT_EQ(offer(1, "fin", "ind"), "accept");
  // The same data through an alliance without a limit of its own: fin's
  // limit is the smallest among the alliances that grant alpha ind.
  EXPECT_EQ(offer(2, "ct", "ind"), "item_budget_exhausted");
  // The same items under another name.
  EXPECT_EQ(offer(3, "fin", "ind2"), "item_budget_exhausted");
  EXPECT_EQ(WaitRecords(*d, JobId(2), "job_refused").size(), 1u);
  // All peers together may announce 15 items a day against ind: charlie's
  // first 6 fit (12), its next 6 do not (18).
  EXPECT_EQ(offer(4, "cf", "ind", charlie_.get()), "accept");
  EXPECT_EQ(offer(5, "cf", "ind", charlie_.get()), "item_budget_exhausted");
}

TEST_F(DaemonPeerTest, SpendingRecordedBeforeTheUpgradeStillCountsAfterIt) {
  // A store of schema version 4, in which alpha was given epsilon 0.5 about
  // ind in alliance fin and 0.4 in alliance ct: two budgets then, one now.
  {
    RawDb raw(HomePath(home_, kStoreFile));
    testing::MakeSchema4(raw);
    auto bravo = net::Identity::Load(home_);
    ASSERT_TRUE(bravo.ok()) << bravo.status();
    testing::Schema4AuditLog(raw, *bravo);
    for (int n : {1, 2}) {
      raw.Exec("INSERT INTO jobs (id, state, alliance, peer, question, protocol, params, actor, "
               "created, updated, role) VALUES ('" + JobId(n) + "', 'succeeded', '" +
               (n == 1 ? "fin" : "ct") + "', 'alpha', 'count', 'rr22', "
               "'{\"dataset\":\"ind\"}', 'cli', 't', 't', 'initiator')");
    }
    testing::Schema4Charge(raw, "fin", "alpha", "ind", "1/2", JobId(1));
    testing::Schema4Charge(raw, "ct", "alpha", "ind", "2/5", JobId(2));
  }
  Configure(CountAlliance("fin", "[\"ind\", \"ind2\"]") + CountAlliance("ct"), 1, kInd2);
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->store().schema_version(), kSchemaVersion);
  // 0.5 + 0.4 spent: 0.2 more is over the budget of 1, in either alliance,
  // and on the same items under their other name (the rows got the
  // dataset's content when the node started).
  for (const auto& [alliance, dataset] : {std::pair<const char*, const char*>{"fin", "ind"},
                                         {"ct", "ind"},
                                         {"fin", "ind2"}}) {
    auto over = d->SubmitJob(Count(alliance, dataset, "0.2"), kActorCli);
    EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted)
        << alliance << "/" << dataset << ": " << over.status();
  }
  EXPECT_TRUE(d->SubmitJob(Count("ct", "ind", "0.1"), kActorCli).ok());
  RawDb raw(HomePath(home_, kStoreFile));
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM privacy_ledger WHERE peer_fingerprint = '" +
                          alpha_fp_ + "' AND dataset_digest != ''"),
            "3");
}

}  // namespace
}  // namespace liaison::node
