#include "node/store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "crypto/hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/internal/sqlite.h"
#include "node/testing/raw_db.h"
#include "node/testing/schema4.h"
#include "testing/temp_dir.h"

namespace liaison::node {
namespace {

using ::testing::HasSubstr;
using testing::RawDb;
using liaison::testing::ScopedTempDir;

std::unique_ptr<Store> OpenNew(const std::string& path) {
  Store::Options options;
  options.create = true;
  auto store = Store::Open(path, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

JobRequest Request(std::string key) {
  JobRequest r;
  r.idempotency_key = std::move(key);
  r.alliance = "fin";
  r.peer = "bravo";
  r.question = "match";
  r.protocol = "rr22";
  r.params_json = R"({"result_to": "both", "max_items": 1000})";
  r.actor = "key_0123456789abcdef";
  return r;
}

TEST(StoreTest, OpenCreatesTheSchemaInWalModeWithPrivateFile) {
  ScopedTempDir tmp;
  auto store = OpenNew(tmp.Sub("node.db"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), kSchemaVersion);
  struct stat st;
  ASSERT_EQ(stat(tmp.Sub("node.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  RawDb raw(tmp.Sub("node.db"));
  EXPECT_EQ(raw.QueryText("PRAGMA journal_mode"), "wal");
  for (const char* table :
       {"schema_version", "audit_log", "api_keys", "jobs", "results", "privacy_ledger",
        "item_budget"}) {
    EXPECT_EQ(raw.QueryText(std::string("SELECT count(*) FROM sqlite_schema WHERE name = '") +
                            table + "'"),
              "1")
        << table;
  }
}

TEST(StoreTest, ReopeningAppliesNoMigrationTwice) {
  ScopedTempDir tmp;
  const std::string path = tmp.Sub("node.db");
  OpenNew(path).reset();
  for (int i = 0; i < 3; ++i) {
    auto store = Store::Open(path, {});
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->schema_version(), kSchemaVersion);
  }
  RawDb raw(path);
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM schema_version"),
            std::to_string(kSchemaVersion));
}

TEST(StoreTest, MissingFileWithoutCreateIsNotFound) {
  ScopedTempDir tmp;
  EXPECT_EQ(Store::Open(tmp.Sub("none.db"), {}).status().code(), absl::StatusCode::kNotFound);
}

TEST(StoreTest, NewerSchemaIsRefused) {
  ScopedTempDir tmp;
  const std::string path = tmp.Sub("node.db");
  OpenNew(path).reset();
  RawDb(path).Exec("INSERT INTO schema_version VALUES (99, 'future')");
  auto store = Store::Open(path, {});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("newer"));
}

TEST(StoreTest, ForeignDatabaseIsRefused) {
  ScopedTempDir tmp;
  const std::string path = tmp.Sub("other.db");
  RawDb(path).Exec("CREATE TABLE t (x)");
  EXPECT_EQ(Store::Open(path, {}).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(StoreTest, GarbageFileIsDataLoss) {
  ScopedTempDir tmp;
  const std::string path = tmp.Sub("garbage.db");
  std::ofstream(path) << std::string(8192, 'x');
  EXPECT_EQ(Store::Open(path, {}).status().code(), absl::StatusCode::kDataLoss);
}

TEST(StoreTest, ReadOnlyStoreRefusesWrites) {
  ScopedTempDir tmp;
  const std::string path = tmp.Sub("node.db");
  OpenNew(path).reset();
  Store::Options options;
  options.read_only = true;
  auto store = Store::Open(path, options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->CreateJob(Request("k")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(StoreTest, FailedTransactionLeavesNothing) {
  ScopedTempDir tmp;
  auto store = OpenNew(tmp.Sub("node.db"));
  absl::Status s = store->Write([](internal::Db& db) -> absl::Status {
    auto ins = db.Prepare(
        "INSERT INTO jobs (id, state, alliance, peer, question, protocol, params, actor, "
        "created, updated) VALUES ('job_x', 'queued', 'a', 'p', 'match', 'rr22', '{}', 'cli', "
        "'t', 't')");
    if (!ins.ok()) return ins.status();
    if (absl::Status r = ins->Run(); !r.ok()) return r;
    // A crash or error after the first statement: nothing may remain.
    return absl::AbortedError("simulated failure between statements");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store->GetJob("job_x").status().code(), absl::StatusCode::kNotFound);
}

TEST(StoreTest, ApiKeyIsCreatedAuthenticatedAndRevoked) {
  ScopedTempDir tmp;
  auto store = OpenNew(tmp.Sub("node.db"));
  auto key = store->CreateApiKey(ApiScope::kAnalyst, "soar playbook");
  ASSERT_TRUE(key.ok()) << key.status();
  std::string token(AsStringView(key->token.span()));
  EXPECT_THAT(token, ::testing::MatchesRegex("lsk_[0-9a-f]{64}"));
  EXPECT_THAT(key->key.id, ::testing::MatchesRegex("key_[0-9a-f]{16}"));

  auto got = store->AuthenticateApiKey(token);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->id, key->key.id);
  EXPECT_EQ(got->scope, ApiScope::kAnalyst);
  EXPECT_EQ(got->label, "soar playbook");

  ASSERT_TRUE(store->RevokeApiKey(key->key.id).ok());
  EXPECT_EQ(store->AuthenticateApiKey(token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(store->RevokeApiKey("key_ffffffffffffffff").code(), absl::StatusCode::kNotFound);
  auto all = store->ListApiKeys();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE((*all)[0].revoked);
}

TEST(StoreTest, WrongOrMalformedApiKeyIsUnauthenticated) {
  ScopedTempDir tmp;
  auto store = OpenNew(tmp.Sub("node.db"));
  ASSERT_TRUE(store->CreateApiKey(ApiScope::kAdmin, "").ok());
  for (const std::string& bad :
       {std::string(""), std::string("lsk_"), "lsk_" + std::string(64, '0'), std::string(68, 'x')}) {
    EXPECT_EQ(store->AuthenticateApiKey(bad).status().code(), absl::StatusCode::kUnauthenticated)
        << bad;
  }
}

TEST(StoreTest, OnlyTheHashOfAnApiKeyIsStored) {
  ScopedTempDir tmp;
  const std::string path = tmp.Sub("node.db");
  auto store = OpenNew(path);
  auto key = store->CreateApiKey(ApiScope::kAutomation, "x");
  ASSERT_TRUE(key.ok());
  std::string token(AsStringView(key->token.span()));
  store.reset();
  RawDb raw(path);
  EXPECT_EQ(raw.QueryText("SELECT hex(key_hash) FROM api_keys"),
            [&] {
              std::string h = ToHex(crypto::Sha256(AsBytes(token)));
              for (char& c : h) c = static_cast<char>(toupper(c));
              return h;
            }());
  // Neither the token nor its random part appears anywhere in the file.
  raw.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find(token.substr(4)), std::string::npos);
}

TEST(StoreTest, ScopesNest) {
  EXPECT_TRUE(ScopeAllows(ApiScope::kAdmin, ApiScope::kAdmin));
  EXPECT_TRUE(ScopeAllows(ApiScope::kAdmin, ApiScope::kAutomation));
  EXPECT_FALSE(ScopeAllows(ApiScope::kAnalyst, ApiScope::kAdmin));
  EXPECT_TRUE(ScopeAllows(ApiScope::kAnalyst, ApiScope::kAnalyst));
  EXPECT_TRUE(ScopeAllows(ApiScope::kAnalyst, ApiScope::kAutomation));
  EXPECT_FALSE(ScopeAllows(ApiScope::kAutomation, ApiScope::kAnalyst));
  EXPECT_TRUE(ScopeAllows(ApiScope::kAutomation, ApiScope::kAutomation));
  EXPECT_EQ(*ParseApiScope("analyst"), ApiScope::kAnalyst);
  EXPECT_EQ(ParseApiScope("root").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StoreTest, SameIdempotencyKeyTwiceCreatesOneJob) {
  ScopedTempDir tmp;
  const std::string path = tmp.Sub("node.db");
  auto store = OpenNew(path);
  auto first = store->CreateJob(Request("abc-123"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->job.state, JobState::kQueued);
  EXPECT_EQ(first->job.params_json, R"({"max_items":1000,"result_to":"both"})");
  // The same request with its JSON written differently is the same request.
  JobRequest again = Request("abc-123");
  again.params_json = R"({ "max_items":1000 , "result_to":"both" })";
  auto second = store->CreateJob(again);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->job.id, first->job.id);
  store.reset();
  EXPECT_EQ(RawDb(path).QueryText("SELECT count(*) FROM jobs"), "1");
}

TEST(StoreTest, SameIdempotencyKeyForAnotherRequestIsAlreadyExists) {
  ScopedTempDir tmp;
  auto store = OpenNew(tmp.Sub("node.db"));
  ASSERT_TRUE(store->CreateJob(Request("k1")).ok());
  JobRequest other = Request("k1");
  other.peer = "charlie";
  EXPECT_EQ(store->CreateJob(other).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST(StoreTest, IdempotencyKeysArePerActor) {
  // An analyst's key sending an automation key's Idempotency-Key gets a job
  // of its own, never the other key's job (before: the other key's job).
  ScopedTempDir tmp;
  const std::string path = tmp.Sub("node.db");
  auto store = OpenNew(path);
  auto automation = store->CreateJob(Request("nightly"));
  ASSERT_TRUE(automation.ok()) << automation.status();
  JobRequest analyst = Request("nightly");
  analyst.actor = "key_fedcba9876543210";
  auto theirs = store->CreateJob(analyst);
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_TRUE(theirs->created);
  EXPECT_NE(theirs->job.id, automation->job.id);
  // Each retry finds its own actor's job.
  auto again = store->CreateJob(analyst);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->job.id, theirs->job.id);
  EXPECT_EQ(again->job.idempotency_key, "nightly");
  // And another body under the other actor's key is not a conflict.
  JobRequest other = Request("nightly");
  other.actor = "key_1111111111111111";
  other.peer = "charlie";
  auto third = store->CreateJob(other);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_TRUE(third->created);
  store.reset();
  EXPECT_EQ(RawDb(path).QueryText("SELECT count(*) FROM jobs"), "3");
}

TEST(StoreTest, ConcurrentRetriesWithOneKeyCreateOneJob) {
  ScopedTempDir tmp;
  const std::string path = tmp.Sub("node.db");
  auto store = OpenNew(path);
  // A second connection, as another process would have.
  auto other = Store::Open(path, {});
  ASSERT_TRUE(other.ok());
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> ids;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Store& s = (t % 2 == 0) ? *store : **other;
      for (int i = 0; i < 10; ++i) {
        auto r = s.CreateJob(Request("retry-" + std::to_string(i)));
        ASSERT_TRUE(r.ok()) << r.status();
        std::lock_guard<std::mutex> lock(mu);
        ids.insert(r->job.id);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ids.size(), 10u);
}

TEST(StoreTest, JobWithoutIdempotencyKeyIsCreatedEachTime) {
  ScopedTempDir tmp;
  auto store = OpenNew(tmp.Sub("node.db"));
  auto a = store->CreateJob(Request(""));
  auto b = store->CreateJob(Request(""));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->job.id, b->job.id);
}

TEST(StoreTest, InvalidJobRequestsAreRefused) {
  ScopedTempDir tmp;
  auto store = OpenNew(tmp.Sub("node.db"));
  JobRequest r = Request("x");
  r.params_json = "[1, 2]";
  EXPECT_EQ(store->CreateJob(r).status().code(), absl::StatusCode::kInvalidArgument);
  r = Request("x");
  r.peer = "";
  EXPECT_EQ(store->CreateJob(r).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StoreTest, JobStateFollowsTheStateMachine) {
  ScopedTempDir tmp;
  auto store = OpenNew(tmp.Sub("node.db"));
  auto job = store->CreateJob(Request("sm"));
  ASSERT_TRUE(job.ok());
  const std::string id = job->job.id;
  ASSERT_TRUE(store->TransitionJob(id, JobState::kAwaitingPeer, "").ok());
  ASSERT_TRUE(store->TransitionJob(id, JobState::kRunning, "").ok());
  auto failed = store->TransitionJob(id, JobState::kFailed, "peer disconnected");
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->error, "peer disconnected");
  auto got = store->GetJob(id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, JobState::kFailed);
  EXPECT_EQ(got->error, "peer disconnected");
  // Final states are final.
  EXPECT_EQ(store->TransitionJob(id, JobState::kRunning, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->TransitionJob("job_none", JobState::kRunning, "").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(CanTransition(JobState::kRunning, JobState::kQueued));
  EXPECT_TRUE(CanTransition(JobState::kAwaitingApproval, JobState::kQueued));
  EXPECT_TRUE(IsFinal(JobState::kCancelled));
  EXPECT_EQ(*ParseJobState("awaiting_peer"), JobState::kAwaitingPeer);
}

TEST(StoreTest, NoteJobErrorMarksAJobInProgressAndTheNextTransitionClearsIt) {
  ScopedTempDir tmp;
  auto store = OpenNew(tmp.Sub("node.db"));
  auto job = store->CreateJob(Request("note"));
  ASSERT_TRUE(job.ok());
  const std::string id = job->job.id;
  ASSERT_TRUE(store->TransitionJob(id, JobState::kAwaitingPeer, "").ok());
  auto noted = store->NoteJobError(id, "peer unreachable (attempt 1 of 3): refused");
  ASSERT_TRUE(noted.ok()) << noted.status();
  EXPECT_EQ(noted->state, JobState::kAwaitingPeer);
  EXPECT_EQ(store->GetJob(id)->error, "peer unreachable (attempt 1 of 3): refused");
  auto running = store->TransitionJob(id, JobState::kRunning, "");
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->error, "");
  ASSERT_TRUE(store->TransitionJob(id, JobState::kFailed, "gone").ok());
  EXPECT_EQ(store->NoteJobError(id, "late").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->GetJob(id)->error, "gone");
  EXPECT_EQ(store->NoteJobError("job_none", "x").status().code(), absl::StatusCode::kNotFound);
}

TEST(StoreTest, AFailingJobChangeHookRollsTheChangeBack) {
  ScopedTempDir tmp;
  auto store = OpenNew(tmp.Sub("node.db"));
  auto job = store->CreateJob(Request("hook"));
  ASSERT_TRUE(job.ok());
  const std::string id = job->job.id;
  JobState seen = JobState::kQueued;
  auto refuse = [&](internal::Db&, const Job& j) {
    seen = j.state;
    return absl::InternalError("observer failed");
  };
  EXPECT_EQ(store->TransitionJob(id, JobState::kCancelled, "", refuse).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(seen, JobState::kCancelled);  // the hook saw the job as changed
  EXPECT_EQ(store->GetJob(id)->state, JobState::kQueued);
  ASSERT_TRUE(store->TransitionJob(id, JobState::kRunning, "").ok());
  JobResult result;
  result.job_id = id;
  result.kind = "match-v1";
  result.body = "{}";
  result.digest = std::string(64, 'a');
  EXPECT_EQ(store->FinishJob(result, refuse).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(store->GetJob(id)->state, JobState::kRunning);
  EXPECT_EQ(store->GetResult(id).status().code(), absl::StatusCode::kNotFound);
}

TEST(StoreTest, AdmitPeerJobRefusesPastTheHourlyLimitAndCountsNoRefusals) {
  ScopedTempDir tmp;
  auto store = OpenNew(tmp.Sub("node.db"));
  ASSERT_NE(store, nullptr);
  auto id = [](char c) { return "job_" + std::string(32, c); };
  auto refused = store->AdmitPeerJob(Request(""), id('0'), 2, JobState::kQueued, "profile_mismatch: x");
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->job.state, JobState::kRefused);
  EXPECT_EQ(refused->job.role, JobRole::kResponder);
  for (char c : {'1', '2'}) {
    auto ok = store->AdmitPeerJob(Request(""), id(c), 2, JobState::kAwaitingApproval, "");
    ASSERT_TRUE(ok.ok()) << ok.status();
    EXPECT_EQ(ok->job.state, JobState::kAwaitingApproval);
    EXPECT_FALSE(ok->rate_limited);
  }
  auto limited = store->AdmitPeerJob(Request(""), id('3'), 2, JobState::kQueued, "");
  ASSERT_TRUE(limited.ok());
  EXPECT_TRUE(limited->rate_limited);
  EXPECT_EQ(limited->job.state, JobState::kRefused);
  EXPECT_THAT(limited->job.error, HasSubstr("rate_limited"));
  EXPECT_EQ(store->AdmitPeerJob(Request(""), id('3'), 9, JobState::kQueued, "").status().code(),
            absl::StatusCode::kAlreadyExists);
  auto got = store->GetJob(id('1'));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->role, JobRole::kResponder);
}

TEST(StoreTest, FinishJobStoresTheResultOnlyForARunningJob) {
  ScopedTempDir tmp;
  auto store = OpenNew(tmp.Sub("node.db"));
  ASSERT_NE(store, nullptr);
  auto job = store->CreateJob(Request(""));
  ASSERT_TRUE(job.ok());
  JobResult r;
  r.job_id = job->job.id;
  r.kind = "match-v1";
  r.body = R"({"rows":[]})";
  r.digest = std::string(64, 'd');
  EXPECT_EQ(store->FinishJob(r).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->GetResult(r.job_id).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->TransitionJob(r.job_id, JobState::kRunning, "").ok());
  auto done = store->FinishJob(r);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state, JobState::kSucceeded);
  auto stored = store->GetResult(r.job_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->body, r.body);
  auto listed = store->ListJobs(10, JobState::kSucceeded);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
}

TEST(StoreTest, SchemaFourLedgerRowsAreCarriedOverWithTheContentOfTheirJobs) {
  ScopedTempDir tmp;
  const std::string path = tmp.Sub("node.db");
  std::string charged, refused, matched;
  {
    auto store = OpenNew(path);
    ASSERT_NE(store, nullptr);
    for (std::string* id : {&charged, &refused, &matched}) {
      JobRequest r = Request("");
      r.params_json = R"({"dataset": "ind", "result_to": "both"})";
      auto j = store->CreateJob(r);
      ASSERT_TRUE(j.ok()) << j.status();
      *id = j->job.id;
    }
  }
  const std::string content(64, 'd');
  {
    RawDb raw(path);
    testing::MakeSchema4(raw);
    // A job that ran has its dataset digest in its audit records (here
    // written by hand: the migration reads only these columns).
    for (const std::string& job : {charged, matched}) {
      raw.Exec("INSERT INTO audit_log (seq, time, actor, kind, job_id, alliance, peer, question, "
               "protocol, params, dataset_digests, profile_digest, transcript_hash, "
               "result_digest, counts, receipt, prev_hash, hash, signature) VALUES ((SELECT "
               "COALESCE(MAX(seq), 0) + 1 FROM audit_log), 't', 'node', 'job_started', '" +
               job + "', 'fin', 'bravo', 'count', 'rr22', '{}', '[\"" + content +
               "\"]', '', '', '', '{}', NULL, '', '" + job + "', '')");
    }
    testing::Schema4Charge(raw, "fin", "bravo", "ind", "3/10", charged);
    testing::Schema4Charge(raw, "ct", "bravo", "ind", "1/5", refused);
    raw.Exec("INSERT INTO item_reservations VALUES ('" + matched +
             "', 'fin', 'bravo', 7, 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
    raw.Exec("INSERT INTO item_budget VALUES ('fin', 'bravo', zeroblob(32), '" + matched +
             "', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
    EXPECT_EQ(raw.QueryText("SELECT MAX(version) FROM schema_version"), "4");
  }
  auto store = Store::Open(path, {});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->schema_version(), kSchemaVersion);
  store->reset();
  RawDb raw(path);
  // Every row is still there, with its alliance and peer name; the content
  // is the job's where the audit log has it, and the peer's key is for the
  // node to fill in from its config.
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM privacy_ledger"), "2");
  EXPECT_EQ(raw.QueryText("SELECT dataset_digest FROM privacy_ledger WHERE job_id = '" +
                          charged + "'"),
            content);
  EXPECT_EQ(raw.QueryText("SELECT dataset_digest || '|' || alliance || '|' || peer_fingerprint "
                          "FROM privacy_ledger WHERE job_id = '" + refused + "'"),
            "|ct|");
  EXPECT_EQ(raw.QueryText("SELECT dataset || '|' || dataset_digest || '|' || peer_items FROM "
                          "item_reservations"),
            "ind|" + content + "|7");
  EXPECT_EQ(raw.QueryText("SELECT dataset || '|' || dataset_digest FROM item_budget"),
            "ind|" + content);
}

}  // namespace
}  // namespace liaison::node
