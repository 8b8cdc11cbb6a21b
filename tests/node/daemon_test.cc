// Tests of the daemon in one process, without its REST server or a peer:
// scheduled count jobs go through Daemon::SubmitJob, the path of
// POST /v1/jobs, and spend the privacy ledger as REST-posted jobs do.
// (daemon_peer_test.cc plays a cheating peer against the daemon.)
//
// The schedules run on a FakeClock. The peer is never reached: the
// dataset's file does not exist, so each job fails locally right after it
// was created, and so after its privacy cost was reserved (a reserved cost
// is never refunded), which is what these tests look at.
#include "node/daemon.h"

#include <chrono>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "dp/rational.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/audit.h"
#include "node/home.h"
#include "node/internal/sqlite.h"
#include "node/privacy_ledger.h"
#include "node/schedule.h"
#include "node/testing/fake_clock.h"
#include "node/testing/raw_db.h"
#include "node/webhook.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace liaison::node {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;
using testing::FakeClock;
using testing::RawDb;
using Json = nlohmann::json;

// kT0 is 2025-01-31T00:00:00Z; the schedule below fires at kT0 + 60 s, + 120
// s, ...
constexpr int64_t kT0 = 1738281600;
constexpr char kHookSecretEnv[] = "LIAISON_TEST_DAEMON_HOOK_SECRET";

class DaemonScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = tmp_.Sub("alpha");
    auto init = InitHome(home_, InitOptions{"alpha"});
    ASSERT_TRUE(init.ok()) << init.status();
    ASSERT_EQ(setenv(kHookSecretEnv, "0123456789abcdef0123", 1), 0);
  }

  // Configure writes a config whose alliance allows count jobs with bravo
  // under a budget of ε = 1, and a schedule "counts" asking a count of
  // ε = 0.4 (the peer receives, so we are charged) every 60 s, with
  // `schedule_keys` added; job_refused and schedule_missed go to a webhook.
  void Configure(const std::string& schedule_keys = "") {
    auto port = [] { return std::to_string(liaison::testing::FreePort()); };
    liaison::testing::WriteFile(
        HomePath(home_, kConfigFile),
        "[node]\nname = \"alpha\"\npeer_listen = \"127.0.0.1:" + port() +
            "\"\nrest_listen = \"127.0.0.1:" + port() +
            "\"\nshutdown_grace_seconds = 2\n"
            "[peers.bravo]\naddress = \"127.0.0.1:" + port() +
            "\"\nfingerprint = \"sha256:" + std::string(64, 'b') + "\"\n"
            "[datasets.ind]\nfile = \"missing.txt\"\ntlp = \"amber\"\n"
            "[alliances.fin]\nmembers = [\"bravo\"]\nquestions = [\"count\"]\n"
            "protocols = [\"rr22\"]\nmax_set_size = 1000\njobs_per_hour_per_peer = 100\n"
            "approval = \"auto\"\ntlp_ceiling = \"amber\"\n"
            "[alliances.fin.datasets]\nbravo = [\"ind\"]\n"
            "[alliances.fin.dp]\nepsilon = \"1\"\ndelta = \"0\"\n"
            "[schedules.counts]\nalliance = \"fin\"\npeer = \"bravo\"\ndataset = \"ind\"\n"
            "question = \"count\"\nprotocol = \"rr22\"\nepsilon = \"0.4\"\nevery = \"60s\"\n"
            "result_to = \"peer\"\n" +
            schedule_keys +
            "[webhooks.soar]\nurl = \"http://127.0.0.1:9/hook\"\nsecret_env = \"" +
            kHookSecretEnv + "\"\nevents = [\"job_refused\", \"schedule_missed\"]\n");
  }

  std::unique_ptr<Daemon> Start() {
    auto d = TryStart();
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? std::move(*d) : nullptr;
  }

  absl::StatusOr<std::unique_ptr<Daemon>> TryStart(bool accept_broken_audit = false) {
    DaemonOptions options;
    options.home = home_;
    options.clock = &clock_;
    options.accept_broken_audit = accept_broken_audit;
    return Daemon::Start(options);
  }

  // Tamper runs `sql` on the store as someone with the file would, the
  // audit log's triggers dropped.
  void Tamper(const std::string& sql) {
    RawDb raw(HomePath(home_, kStoreFile));
    raw.Exec("DROP TRIGGER IF EXISTS audit_log_no_update; "
             "DROP TRIGGER IF EXISTS audit_log_no_delete;");
    raw.Exec(sql);
  }

  std::string NumRecords() {
    return RawDb(HomePath(home_, kStoreFile)).QueryText("SELECT COUNT(*) FROM audit_log");
  }

  // AdvanceTo moves the clock to kT0 + `s` and waits (real time, at most
  // 10 s) until the scheduler has handled every fire time up to it.
  bool AdvanceTo(Daemon& d, int64_t s) {
    clock_.Advance(std::chrono::seconds(kT0 + s - clock_.NowSeconds()));
    const int64_t last_fire = kT0 + s - s % 60;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      auto states = ReadScheduleStates(d.store());
      if (states.ok() && states->size() == 1 && (*states)[0].through >= last_fire) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // Spent is the ε charged to bravo's ledger of ind, exactly.
  std::string Spent(Daemon& d) {
    std::string out = "(unread)";
    absl::Status s = d.store().Read([&](internal::Db& db) -> absl::Status {
      LIAISON_ASSIGN_OR_RETURN(
          LedgerTotals t, SpentIn(db, LedgerScope{"sha256:" + std::string(64, 'b'), "ind", ""}));
      out = dp::FormatRational(t.spent.epsilon);
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  std::vector<Job> ScheduledJobs(Daemon& d) {
    auto jobs = d.store().ListJobs(1000, std::nullopt);
    EXPECT_TRUE(jobs.ok()) << jobs.status();
    std::vector<Job> out;
    for (const Job& j : jobs.ok() ? *jobs : std::vector<Job>{}) {
      if (j.actor == "schedule:counts") out.push_back(j);
    }
    return out;
  }

  std::vector<AuditRecord> Records(Daemon& d, std::string_view kind) {
    std::vector<AuditRecord> out;
    EXPECT_TRUE(ForEachAuditRecord(d.store(), [&](const AuditRecord& r) {
                  if (r.kind == kind) out.push_back(r);
                  return absl::OkStatus();
                }).ok());
    return out;
  }

  // Bodies returns the webhook payloads queued for `event`, oldest first.
  std::vector<Json> Bodies(Daemon& d, std::string_view event) {
    auto rows = ListWebhookDeliveries(d.store());
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<Json> out;
    RawDb raw(HomePath(home_, kStoreFile));
    for (const WebhookDelivery& w : rows.ok() ? *rows : std::vector<WebhookDelivery>{}) {
      if (w.event != event) continue;
      out.push_back(Json::parse(
          raw.QueryText("SELECT body FROM webhook_outbox WHERE id = '" + w.id + "'")));
    }
    return out;
  }

  liaison::testing::ScopedTempDir tmp_;
  std::string home_;
  FakeClock clock_{kT0 + 30};
};

TEST_F(DaemonScheduleTest, ScheduledCountFiringTwiceSpendsTheLedgerTwice) {
  Configure();
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(Spent(*d), "0");
  ASSERT_TRUE(AdvanceTo(*d, 60));
  EXPECT_EQ(Spent(*d), "2/5");
  ASSERT_TRUE(AdvanceTo(*d, 120));
  EXPECT_EQ(Spent(*d), "4/5");

  std::vector<Job> jobs = ScheduledJobs(*d);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_THAT((std::vector<std::string>{jobs[0].idempotency_key, jobs[1].idempotency_key}),
              UnorderedElementsAre(ScheduleIdempotencyKey("counts", kT0 + 60),
                                   ScheduleIdempotencyKey("counts", kT0 + 120)));
  for (const Job& j : jobs) {
    EXPECT_EQ(j.question, "count");
    Json params = Json::parse(j.params_json);
    EXPECT_EQ(params["dp"]["epsilon"], "0.4") << j.params_json;
    EXPECT_EQ(params["privacy_charge"]["epsilon"], "2/5") << j.params_json;
  }
  std::vector<AuditRecord> offered = Records(*d, "job_offered");
  ASSERT_EQ(offered.size(), 2u);
  EXPECT_EQ(offered[0].actor, "schedule:counts");
  EXPECT_THAT(offered[0].params_json, HasSubstr("privacy_charge"));
  EXPECT_TRUE(Records(*d, "schedule_missed").empty());
  EXPECT_TRUE(Records(*d, "job_refused").empty());
}

TEST_F(DaemonScheduleTest, RunThatWouldOverspendIsRefusedAndSoAreLaterRuns) {
  Configure();
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(AdvanceTo(*d, 60));
  ASSERT_TRUE(AdvanceTo(*d, 120));
  ASSERT_EQ(Spent(*d), "4/5");

  // 0.8 + 0.4 > 1: the third run is refused as a REST submission would be
  // (ResourceExhausted, nothing created), audited and notified.
  ASSERT_TRUE(AdvanceTo(*d, 180));
  EXPECT_EQ(Spent(*d), "4/5");
  EXPECT_EQ(ScheduledJobs(*d).size(), 2u);
  std::vector<AuditRecord> refused = Records(*d, "job_refused");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].actor, "schedule:counts");
  EXPECT_EQ(refused[0].job_id, "");
  EXPECT_EQ(refused[0].question, "count");
  EXPECT_THAT(Json::parse(refused[0].params_json).value("reason", ""),
              StartsWith("privacy_budget_exhausted: "));
  std::vector<AuditRecord> missed = Records(*d, "schedule_missed");
  ASSERT_EQ(missed.size(), 1u);
  Json missed_params = Json::parse(missed[0].params_json);
  EXPECT_EQ(missed_params["reason"], "budget_exhausted");
  EXPECT_EQ(missed_params["first_missed"], "2025-01-31T00:03:00Z");
  EXPECT_THAT(missed_params.value("error", ""), StartsWith("RESOURCE_EXHAUSTED: "));

  std::vector<Json> hooks = Bodies(*d, "job_refused");
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0]["job"]["state"], "refused");
  EXPECT_EQ(hooks[0]["job"]["id"], "");
  EXPECT_EQ(hooks[0]["job"]["actor"], "schedule:counts");
  EXPECT_EQ(hooks[0]["job"]["idempotency_key"], ScheduleIdempotencyKey("counts", kT0 + 180));
  EXPECT_THAT(hooks[0]["job"].value("error", ""), StartsWith("privacy_budget_exhausted: "));
  std::vector<Json> missed_hooks = Bodies(*d, "schedule_missed");
  ASSERT_EQ(missed_hooks.size(), 1u);
  EXPECT_EQ(missed_hooks[0]["schedule"]["reason"], "budget_exhausted");

  // The budget is never given back: the next run is refused too, and the
  // scheduler keeps going.
  ASSERT_TRUE(AdvanceTo(*d, 240));
  EXPECT_EQ(Spent(*d), "4/5");
  EXPECT_EQ(Records(*d, "job_refused").size(), 2u);
  EXPECT_EQ(Records(*d, "schedule_missed").size(), 2u);
  EXPECT_EQ(Bodies(*d, "job_refused").size(), 2u);
  ASSERT_TRUE(AdvanceTo(*d, 300));
  EXPECT_EQ(Records(*d, "job_refused").size(), 3u);
  EXPECT_EQ(ScheduledJobs(*d).size(), 2u);
}

TEST_F(DaemonScheduleTest, RestartAfterACrashDoesNotSpendARunTwice) {
  Configure("catch_up = \"latest\"\n");
  {
    std::unique_ptr<Daemon> d = Start();
    ASSERT_NE(d, nullptr);
    ASSERT_TRUE(AdvanceTo(*d, 60));
    ASSERT_EQ(Spent(*d), "2/5");
  }
  // A crash after the run's job was created (and charged) but before the
  // run was recorded: the store says the 00:01:00 run is still to come.
  RawDb(HomePath(home_, kStoreFile))
      .Exec("UPDATE schedule_state SET through = " + std::to_string(kT0 + 30) +
            ", last_fired = NULL, last_job_id = ''");
  clock_.Advance(std::chrono::seconds(10));  // 00:01:10: that run is due again

  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(AdvanceTo(*d, 70));
  EXPECT_EQ(Spent(*d), "2/5");
  ASSERT_EQ(ScheduledJobs(*d).size(), 1u);
  EXPECT_TRUE(Records(*d, "schedule_missed").empty()) << "the run was not missed";
  auto states = ReadScheduleStates(d->store());
  ASSERT_TRUE(states.ok() && states->size() == 1u);
  EXPECT_EQ((*states)[0].last_job_id, ScheduledJobs(*d)[0].id);

  // Submitting that run again, as a scheduler without the recovery would,
  // finds the job by its key and reserves nothing.
  const std::string key = ScheduleIdempotencyKey("counts", kT0 + 60);
  auto again = d->SubmitJob(ScheduledSubmission(d->config().schedules.at("counts").job, key),
                            "schedule:counts");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->job.id, ScheduledJobs(*d)[0].id);
  EXPECT_EQ(Spent(*d), "2/5");

  // The next run is an ordinary one.
  ASSERT_TRUE(AdvanceTo(*d, 120));
  EXPECT_EQ(Spent(*d), "4/5");
}

// Issue 12, item 8: the node refuses to run on an altered audit log.
TEST_F(DaemonScheduleTest, CleanAuditLogStartsAgain) {
  Configure();
  { ASSERT_NE(Start(), nullptr); }
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  auto v = VerifyAuditLog(d->store(), d->identity().public_key());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->head_seq, 3u);  // node_initialized, config_loaded twice
}

TEST_F(DaemonScheduleTest, ChangedAuditRecordRefusesTheStartNamingIt) {
  Configure();
  { ASSERT_NE(Start(), nullptr); }
  Tamper("UPDATE audit_log SET params = '{\"node\":\"mallory\"}' WHERE seq = 2");
  auto d = TryStart();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(d.status().message()),
              StartsWith("the audit log is broken: audit record 2: hash mismatch"));
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("(changed after it was written)"));
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("--accept-broken-audit"));
  EXPECT_EQ(NumRecords(), "2") << "nothing is signed onto the broken log";
}

TEST_F(DaemonScheduleTest, DeletedAuditRecordRefusesTheStart) {
  Configure();
  { ASSERT_NE(Start(), nullptr); }
  { ASSERT_NE(Start(), nullptr); }
  Tamper("DELETE FROM audit_log WHERE seq = 2");
  auto d = TryStart();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(d.status().message()),
              StartsWith("the audit log is broken: audit record 2: missing"));
}

TEST_F(DaemonScheduleTest, ForgedAuditSignatureRefusesTheStart) {
  Configure();
  { ASSERT_NE(Start(), nullptr); }
  Tamper("UPDATE audit_log SET signature = '" + std::string(128, '0') + "' WHERE seq = 1");
  auto d = TryStart();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(d.status().message()),
              StartsWith("the audit log is broken: audit record 1: bad signature"));
}

TEST_F(DaemonScheduleTest, AcceptBrokenAuditStartsAndAuditsTheOverride) {
  Configure();
  { ASSERT_NE(Start(), nullptr); }
  Tamper("UPDATE audit_log SET params = '{\"node\":\"mallory\"}' WHERE seq = 2");
  {
    auto d = TryStart(/*accept_broken_audit=*/true);
    ASSERT_TRUE(d.ok()) << d.status();
    std::vector<AuditRecord> overrides = Records(**d, "audit_override");
    ASSERT_EQ(overrides.size(), 1u);
    EXPECT_EQ(overrides[0].seq, 3u);  // onto the head, before config_loaded
    EXPECT_EQ(overrides[0].actor, "cli");
    Json params = Json::parse(overrides[0].params_json);
    EXPECT_EQ(params["bad_seq"], 2);
    EXPECT_THAT(params.value("problem", ""), StartsWith("hash mismatch"));
    EXPECT_EQ(Records(**d, "config_loaded").size(), 2u);
    // Verification still reports the break, and the override.
    auto v = VerifyAuditLog((*d)->store(), (*d)->identity().public_key());
    ASSERT_EQ(v.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(v.status().message()), StartsWith("audit record 2: hash mismatch"));
    EXPECT_THAT(std::string(v.status().message()), HasSubstr("audit_override record 3"));
  }
  // The break is accepted as it is: the next start needs no flag and adds
  // no second override...
  {
    std::unique_ptr<Daemon> d = Start();
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(Records(*d, "audit_override").size(), 1u);
  }
  // ...but the same record altered again is a new break.
  Tamper("UPDATE audit_log SET params = '{\"node\":\"oscar\"}' WHERE seq = 2");
  auto d = TryStart();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("audit record 2: hash mismatch"));
}

TEST_F(DaemonScheduleTest, AuditRecordChangedUnderARunningNodeStopsItsNextAppend) {
  Configure();
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  // Record 2 is the config_loaded of this start: the head the node signs
  // its next record onto.
  Tamper("UPDATE audit_log SET params = '{\"node\":\"mallory\"}' WHERE seq = 2");
  auto job = d->SubmitJob(ScheduledSubmission(d->config().schedules.at("counts").job, "k1"),
                          "cli");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(job.status().message()),
              HasSubstr("audit record 2: hash mismatch"));
  EXPECT_TRUE(ScheduledJobs(*d).empty());
  EXPECT_EQ(Spent(*d), "0");
  EXPECT_EQ(NumRecords(), "2") << "nothing is signed onto the altered record";
}

// Issue 12: the executor's retry queue followed the system clock, not the
// daemon's. A job whose peer is unreachable is tried again when the
// injected clock says its back-off (an hour here) has passed.
TEST_F(DaemonScheduleTest, RetryOfAnUnreachablePeerFollowsTheInjectedClock) {
  auto port = [] { return std::to_string(liaison::testing::FreePort()); };
  liaison::testing::WriteFile(HomePath(home_, "ind.txt"), "10.0.0.1\n10.0.0.2\n");
  liaison::testing::WriteFile(
      HomePath(home_, kConfigFile),
      "[node]\nname = \"alpha\"\npeer_listen = \"127.0.0.1:" + port() +
          "\"\nrest_listen = \"127.0.0.1:" + port() +
          "\"\nshutdown_grace_seconds = 2\npeer_connect_timeout_seconds = 1\n"
          "peer_retry_attempts = 3\npeer_retry_initial_seconds = 3600\n"
          "peer_retry_max_seconds = 3600\n"
          "[peers.bravo]\naddress = \"127.0.0.1:" + port() +
          "\"\nfingerprint = \"sha256:" + std::string(64, 'b') + "\"\n"
          "[datasets.ind]\nfile = \"ind.txt\"\ntlp = \"amber\"\n"
          "[alliances.fin]\nmembers = [\"bravo\"]\nquestions = [\"match\"]\n"
          "protocols = [\"rr22\"]\nmax_set_size = 1000\njobs_per_hour_per_peer = 100\n"
          "approval = \"auto\"\ntlp_ceiling = \"amber\"\n"
          "[alliances.fin.datasets]\nbravo = [\"ind\"]\n");
  std::unique_ptr<Daemon> d = Start();
  ASSERT_NE(d, nullptr);
  JobSubmission s;
  s.alliance = "fin";
  s.peer = "bravo";
  s.dataset = "ind";
  auto created = d->SubmitJob(s, "cli");
  ASSERT_TRUE(created.ok()) << created.status();
  // wait_error waits (real time, at most `seconds`) for the job's error to
  // say `attempt`.
  auto wait_error = [&](const std::string& attempt, int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::string error;
    while (std::chrono::steady_clock::now() < deadline) {
      auto job = d->store().GetJob(created->job.id);
      if (job.ok()) error = job->error;
      if (error.find(attempt) != std::string::npos) return error;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return error;
  };
  ASSERT_THAT(wait_error("(attempt 1 of 3)", 20), HasSubstr("(attempt 1 of 3)"));
  // The retry is due within the hour by the daemon's clock. The job may be
  // queued again just after the clock moved, so it moves an hour at a time
  // until the second attempt is made; no real hour passes.
  std::string error;
  for (int i = 0; i < 10 && error.find("(attempt 2 of 3)") == std::string::npos; ++i) {
    clock_.Advance(std::chrono::seconds(3600));
    error = wait_error("(attempt 2 of 3)", 3);
  }
  EXPECT_THAT(error, HasSubstr("(attempt 2 of 3)"));
}

}  // namespace
}  // namespace liaison::node
