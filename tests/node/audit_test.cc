#include "node/audit.h"

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/build_info.h"
#include "crypto/hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/identity.h"
#include "node/store.h"
#include "node/testing/raw_db.h"
#include "testing/temp_dir.h"

namespace liaison::node {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using liaison::testing::ScopedTempDir;
using testing::RawDb;

const std::string kDigestA(64, 'a');
const std::string kDigestB(64, 'b');
const std::string kDigestC(64, 'c');
const std::string kBuild = "sha256:" + std::string(64, 'd');
const std::string kPeerBuild = "sha256:" + std::string(64, 'e');

net::Identity MakeIdentity(const std::string& dir) {
  EXPECT_TRUE(net::GenerateIdentity(dir).ok());
  auto id = net::Identity::Load(dir);
  EXPECT_TRUE(id.ok()) << id.status();
  return std::move(*id);
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(f, line)) out.push_back(line);
  return out;
}

void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream f(path, std::ios::trunc);
  for (const std::string& l : lines) f << l << "\n";
}

void ReplaceIn(std::string& s, const std::string& from, const std::string& to) {
  size_t pos = s.find(from);
  ASSERT_NE(pos, std::string::npos) << from;
  s.replace(pos, from.size(), to);
}

class AuditTest : public ::testing::Test {
 protected:
  AuditTest()
      : node_(MakeIdentity(tmp_.Sub("node"))), peer_(MakeIdentity(tmp_.Sub("peer"))) {
    Store::Options options;
    options.create = true;
    auto store = Store::Open(db_path(), options);
    EXPECT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    log_ = std::make_unique<AuditLog>(*store_, node_);
  }

  std::string db_path() const { return tmp_.Sub("node.db"); }

  AuditEvent JobEvent(AuditKind kind, const std::string& job_id) {
    AuditEvent e;
    e.kind = kind;
    e.actor = "key_0123456789abcdef";
    e.job_id = job_id;
    e.alliance = "fin";
    e.peer = "bravo";
    e.question = "match";
    e.protocol = "rr22";
    e.params_json = R"({"result_to":"both","min_set_size":10})";
    e.dataset_digests = {kDigestA};
    e.profile_digest = kDigestB;
    return e;
  }

  // AppendJob appends a node_initialized record and the records of one job
  // with a receipt: 5 records in all.
  void AppendJob() {
    AuditEvent init;
    init.kind = AuditKind::kNodeInitialized;
    ASSERT_TRUE(log_->Append(init).ok());
    ASSERT_TRUE(log_->Append(JobEvent(AuditKind::kJobOffered, "job_1")).ok());
    ASSERT_TRUE(log_->Append(JobEvent(AuditKind::kJobStarted, "job_1")).ok());
    AuditEvent done = JobEvent(AuditKind::kJobSucceeded, "job_1");
    done.transcript_hash = kDigestC;
    done.result_digest = kDigestA;
    done.counts = {{"own_set_size", 1000}, {"peer_set_size", 900}, {"intersection_size", 17}};
    ASSERT_TRUE(log_->Append(done).ok());
    auto params_digest = ParamsDigest(done.params_json);
    ASSERT_TRUE(params_digest.ok());
    auto receipt = SignReceipt(peer_, "job_1", *params_digest, kDigestC, kDigestA);
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    AuditEvent r = JobEvent(AuditKind::kReceipt, "job_1");
    r.actor = ActorForPeer(peer_.fingerprint());
    r.receipt = *receipt;
    auto appended = log_->Append(r);
    ASSERT_TRUE(appended.ok()) << appended.status();
  }

  absl::StatusOr<AuditSummary> Verify() { return VerifyAuditLog(*store_, node_.public_key()); }

  // ForgeRecord rewrites record `seq` with `change` applied, a correctly
  // recomputed hash and a signature by `signer`, as an attacker holding
  // `signer`'s key would.
  void ForgeRecord(uint64_t seq, const std::function<void(AuditRecord&)>& change,
                   const net::Identity& signer) {
    AuditRecord target;
    ASSERT_TRUE(ForEachAuditRecord(*store_, [&](const AuditRecord& r) {
                  if (r.seq == seq) target = r;
                  return absl::OkStatus();
                }).ok());
    change(target);
    auto body = AuditBody(target);
    ASSERT_TRUE(body.ok());
    std::string hash = ToHex(crypto::Sha256(AsBytes(*body)));
    auto sig = signer.Sign(AsBytes(AuditSignedMessage(hash)));
    ASSERT_TRUE(sig.ok());
    RawDb raw(db_path());
    raw.Unprotect();
    raw.Exec("UPDATE audit_log SET peer = '" + target.peer + "', prev_hash = '" +
             target.prev_hash + "', hash = '" + hash + "', signature = '" + ToHex(*sig) +
             "' WHERE seq = " + std::to_string(seq));
  }

  void ExpectBroken(const std::string& expected_prefix) {
    auto v = Verify();
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(v.status().message()), StartsWith(expected_prefix));
  }

  ScopedTempDir tmp_;
  net::Identity node_;
  net::Identity peer_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditTest, AppendedRecordsFormOneVerifiedChain) {
  AppendJob();
  std::vector<AuditRecord> records;
  ASSERT_TRUE(ForEachAuditRecord(*store_, [&](const AuditRecord& r) {
                records.push_back(r);
                return absl::OkStatus();
              }).ok());
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0].prev_hash, kGenesisHash);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].seq, i + 1);
    if (i > 0) {
      EXPECT_EQ(records[i].prev_hash, records[i - 1].hash);
    }
    EXPECT_THAT(records[i].time, ::testing::MatchesRegex(
                                     "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z"));
  }
  EXPECT_EQ(records[3].counts.at("intersection_size"), 17);
  EXPECT_EQ(records[1].params_json, R"({"min_set_size":10,"result_to":"both"})");
  ASSERT_TRUE(records[4].receipt.has_value());
  EXPECT_EQ(records[4].receipt->peer_fingerprint, peer_.fingerprint());

  auto v = Verify();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->num_records, 5u);
  EXPECT_EQ(v->num_receipts, 1u);
  EXPECT_EQ(v->head_seq, 5u);
  EXPECT_EQ(v->head_hash, records[4].hash);
}

TEST_F(AuditTest, BodyIsCanonicalJsonWithSortedKeys) {
  AuditRecord r;
  r.seq = 7;
  r.time = "2025-01-02T03:04:05.678Z";
  r.kind = "job_offered";
  r.actor = "cli";
  r.params_json = R"({"b": 2, "a": "x"})";
  r.dataset_digests = {kDigestA};
  r.counts = {{"n", 3}};
  r.prev_hash = kGenesisHash;
  r.v = 1;
  auto body = AuditBody(r);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body,
            "{\"actor\":\"cli\",\"alliance\":\"\",\"counts\":{\"n\":3},\"dataset_digests\":[\"" +
                kDigestA +
                "\"],\"job_id\":\"\",\"kind\":\"job_offered\",\"params\":{\"a\":\"x\",\"b\":2},"
                "\"peer\":\"\",\"prev_hash\":\"" +
                std::string(kGenesisHash) +
                "\",\"profile_digest\":\"\",\"protocol\":\"\",\"question\":\"\",\"receipt\":null,"
                "\"result_digest\":\"\",\"seq\":7,\"time\":\"2025-01-02T03:04:05.678Z\","
                "\"transcript_hash\":\"\",\"v\":1}");
  EXPECT_EQ(AuditSignedMessage("ab"), "liaison-audit-record-v1\nab");

  // Version 2 adds both builds; a version-1 record names none.
  r.v = 2;
  r.build = kBuild;
  r.peer_build = kPeerBuild;
  body = AuditBody(r);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_THAT(*body, StartsWith("{\"actor\":\"cli\",\"alliance\":\"\",\"build\":\"" + kBuild +
                                "\",\"counts\""));
  EXPECT_THAT(*body, HasSubstr("\"peer\":\"\",\"peer_build\":\"" + kPeerBuild +
                               "\",\"prev_hash\""));
  EXPECT_THAT(*body, HasSubstr("\"v\":2}"));
  r.v = 1;
  EXPECT_EQ(AuditBody(r).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuditTest, RecordsNameTheBuildThatWroteThemAndThePeersBuild) {
  AuditEvent e = JobEvent(AuditKind::kJobStarted, "job_1");
  e.peer_build = kPeerBuild;
  auto appended = log_->Append(e);
  ASSERT_TRUE(appended.ok()) << appended.status();
  std::vector<AuditRecord> records;
  ASSERT_TRUE(ForEachAuditRecord(*store_, [&](const AuditRecord& r) {
                records.push_back(r);
                return absl::OkStatus();
              }).ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].v, kAuditFormatVersion);
  EXPECT_EQ(records[0].build, BuildDigestOrEmpty());
  EXPECT_TRUE(IsBuildDigest(records[0].build));
  EXPECT_EQ(records[0].peer_build, kPeerBuild);
  EXPECT_TRUE(Verify().ok());

  e.peer_build = "sha256:ABC";
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuditTest, EditedPeerBuildIsAHashMismatch) {
  AppendJob();
  RawDb raw(db_path());
  raw.Unprotect();
  raw.Exec("UPDATE audit_log SET peer_build = '" + kPeerBuild + "' WHERE seq = 3");
  ExpectBroken("audit record 3: hash mismatch");
}

// A log written by a liaison before builds were recorded (format version 1,
// store schema 4) still verifies once the store is migrated, and records
// appended after it continue the chain; its export verifies too.
TEST_F(AuditTest, LogOfAnOlderLiaisonStillVerifies) {
  std::string prev = kGenesisHash;
  {
    RawDb raw(db_path());
    for (uint64_t seq = 1; seq <= 3; ++seq) {
      AuditRecord r;
      r.v = 1;
      r.seq = seq;
      r.time = "2025-01-02T03:04:0" + std::to_string(seq) + ".000Z";
      r.kind = seq == 1 ? "node_initialized" : "job_offered";
      r.actor = "cli";
      r.job_id = seq == 1 ? "" : "job_" + std::to_string(seq);
      r.params_json = "{}";
      r.prev_hash = prev;
      auto body = AuditBody(r);
      ASSERT_TRUE(body.ok()) << body.status();
      r.hash = ToHex(crypto::Sha256(AsBytes(*body)));
      auto sig = node_.Sign(AsBytes(AuditSignedMessage(r.hash)));
      ASSERT_TRUE(sig.ok());
      raw.Exec("INSERT INTO audit_log (seq, time, kind, actor, job_id, alliance, peer, question, "
               "protocol, params, dataset_digests, profile_digest, transcript_hash, "
               "result_digest, counts, receipt, prev_hash, hash, signature) VALUES (" +
               std::to_string(seq) + ", '" + r.time + "', '" + r.kind + "', 'cli', '" +
               r.job_id + "', '', '', '', '', '{}', '[]', '', '', '', '{}', NULL, '" + prev +
               "', '" + r.hash + "', '" + ToHex(*sig) + "')");
      prev = r.hash;
    }
  }
  // Back to the schema of the older liaison: no build columns.
  log_.reset();
  store_.reset();
  {
    RawDb raw(db_path());
    raw.Exec("ALTER TABLE audit_log DROP COLUMN build; ALTER TABLE audit_log DROP COLUMN "
             "peer_build; DROP INDEX jobs_request_key; ALTER TABLE jobs DROP COLUMN "
             "request_key; ALTER TABLE api_keys DROP COLUMN last_used; "
             "DELETE FROM schema_version WHERE version >= 6;");
  }
  auto reopened = Store::Open(db_path(), {});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = std::move(*reopened);
  log_ = std::make_unique<AuditLog>(*store_, node_);
  auto v = Verify();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->num_records, 3u);

  AuditEvent e = JobEvent(AuditKind::kJobRefused, "job_3");
  e.peer_build = kPeerBuild;
  ASSERT_TRUE(log_->Append(e).ok());
  v = Verify();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->num_records, 4u);

  const std::string path = tmp_.Sub("mixed.jsonl");
  ASSERT_TRUE(ExportAuditLog(*store_, node_.public_key(), path).ok());
  auto verified = VerifyAuditExport(path, node_.fingerprint());
  ASSERT_TRUE(verified.ok()) << verified.status();
  auto lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_THAT(lines[1], ::testing::Not(HasSubstr("build")));
  EXPECT_THAT(lines[1], HasSubstr("\"v\":1"));
  EXPECT_THAT(lines[4], HasSubstr("\"peer_build\":\"" + kPeerBuild + "\""));
  EXPECT_THAT(lines[4], HasSubstr("\"v\":2"));
}

TEST_F(AuditTest, InvalidEventsAreRefused) {
  AuditEvent e = JobEvent(AuditKind::kJobOffered, "job_1");
  e.actor = "somebody";
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kInvalidArgument);
  e = JobEvent(AuditKind::kJobOffered, "job_1");
  e.profile_digest = "ABC";
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kInvalidArgument);
  e = JobEvent(AuditKind::kJobOffered, "job_1");
  e.params_json = R"({"epsilon": 0.5})";
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kInvalidArgument);
  e = JobEvent(AuditKind::kJobOffered, "job_1");
  e.params_json = "not json";
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kInvalidArgument);
  e = JobEvent(AuditKind::kJobOffered, "job_1");
  e.alliance = std::string("\xff\xfe", 2);
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kInvalidArgument);
  e = JobEvent(AuditKind::kReceipt, "job_1");  // a receipt record without a receipt
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kInvalidArgument);
  e = JobEvent(AuditKind::kJobOffered, "job_1");
  e.counts["items"] = -1;
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kInvalidArgument);
  // Nothing was appended.
  EXPECT_EQ(Verify().status().code(), absl::StatusCode::kDataLoss);
}

// A quorum job's receipts must come from its participants: the node's own
// log holding one signed by any other key (a bug, or a record written with
// the node's key by someone who wanted a receipt on file) fails verify.
TEST_F(AuditTest, AQuorumReceiptFromANonParticipantFailsVerify) {
  AuditEvent init;
  init.kind = AuditKind::kNodeInitialized;
  ASSERT_TRUE(log_->Append(init).ok());
  auto append_receipt = [&](const net::Identity& signer) {
    AuditEvent r = JobEvent(AuditKind::kReceipt, "job_q");
    r.question = "quorum";
    r.protocol = "quorum-v1";
    r.params_json = R"({"participants":[{"name":"alpha","fingerprint":")" +
                    node_.fingerprint() + R"("},{"name":"bravo","fingerprint":")" +
                    peer_.fingerprint() + R"("}],"threshold":2})";
    auto receipt = SignReceipt(signer, "job_q", kDigestA, kDigestB, kDigestC);
    ASSERT_TRUE(receipt.ok());
    r.actor = ActorForPeer(signer.fingerprint());
    r.receipt = *receipt;
    ASSERT_TRUE(log_->Append(r).ok());
  };
  append_receipt(peer_);
  ASSERT_TRUE(Verify().ok()) << Verify().status();
  const net::Identity stranger = MakeIdentity(tmp_.Sub("stranger"));
  append_receipt(stranger);
  absl::StatusOr<AuditSummary> v = Verify();
  EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(v.status().message(), HasSubstr("audit record 3: the receipt is signed by a key "
                                              "that is not a participant's"));
}

TEST_F(AuditTest, ActorsHaveTheDocumentedForms) {
  EXPECT_TRUE(IsValidActor("cli"));
  EXPECT_TRUE(IsValidActor(ActorForSchedule("nightly")));
  EXPECT_TRUE(IsValidActor(ActorForPeer(peer_.fingerprint())));
  EXPECT_TRUE(IsValidActor("key_0123456789abcdef"));
  EXPECT_FALSE(IsValidActor("schedule:"));
  EXPECT_FALSE(IsValidActor("peer:sha256:1234"));
  EXPECT_FALSE(IsValidActor("key_XYZ"));
}

TEST_F(AuditTest, ReceiptVerifiesAndTamperedReceiptDoesNot) {
  auto receipt = SignReceipt(peer_, "job_9", kDigestA, kDigestB, kDigestC);
  ASSERT_TRUE(receipt.ok());
  EXPECT_TRUE(VerifyReceipt(*receipt).ok());
  // The signed message is the peer's own key's business to reproduce.
  EXPECT_TRUE(net::Identity::Verify(peer_.public_key(),
                                    AsBytes(ReceiptMessage("job_9", kDigestA, kDigestB, kDigestC)),
                                    *FromHex(receipt->signature))
                  .ok());
  Receipt changed = *receipt;
  changed.result_digest = kDigestB;
  EXPECT_EQ(VerifyReceipt(changed).code(), absl::StatusCode::kDataLoss);
  Receipt other_key = *receipt;
  other_key.peer_public_key = ToHex(node_.public_key());
  other_key.peer_fingerprint = node_.fingerprint();
  EXPECT_EQ(VerifyReceipt(other_key).code(), absl::StatusCode::kDataLoss);
  Receipt wrong_fp = *receipt;
  wrong_fp.peer_fingerprint = node_.fingerprint();
  EXPECT_THAT(std::string(VerifyReceipt(wrong_fp).message()), HasSubstr("fingerprint"));
  // A forged receipt is refused at append time too.
  AuditEvent e = JobEvent(AuditKind::kReceipt, "job_9");
  e.receipt = changed;
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(AuditTest, AppendOnlyTriggersRefuseUpdateAndDelete) {
  AppendJob();
  RawDb raw(db_path());
  EXPECT_THAT(raw.TryExec("UPDATE audit_log SET peer = 'x' WHERE seq = 2"),
              HasSubstr("append-only"));
  EXPECT_THAT(raw.TryExec("DELETE FROM audit_log WHERE seq = 5"), HasSubstr("append-only"));
}

TEST_F(AuditTest, EditedFieldIsAHashMismatchNamingTheRecord) {
  AppendJob();
  RawDb raw(db_path());
  raw.Unprotect();
  raw.Exec("UPDATE audit_log SET counts = '{\"intersection_size\":3}' WHERE seq = 4");
  ExpectBroken("audit record 4: hash mismatch");
}

TEST_F(AuditTest, EditedParametersAreAHashMismatch) {
  AppendJob();
  RawDb raw(db_path());
  raw.Unprotect();
  raw.Exec("UPDATE audit_log SET params = '{\"result_to\":\"me\"}' WHERE seq = 2");
  ExpectBroken("audit record 2: hash mismatch");
}

TEST_F(AuditTest, DeletedRecordIsNamed) {
  AppendJob();
  RawDb raw(db_path());
  raw.Unprotect();
  raw.Exec("DELETE FROM audit_log WHERE seq = 3");
  ExpectBroken("audit record 3: missing");
}

TEST_F(AuditTest, DeletedFirstRecordIsNamed) {
  AppendJob();
  RawDb raw(db_path());
  raw.Unprotect();
  raw.Exec("DELETE FROM audit_log WHERE seq = 1");
  ExpectBroken("audit record 1: missing");
}

TEST_F(AuditTest, DeletedAndRenumberedRecordsAreDetected) {
  AppendJob();
  RawDb raw(db_path());
  raw.Unprotect();
  // Remove record 3 and close the gap, as a careful attacker would.
  raw.Exec("DELETE FROM audit_log WHERE seq = 3");
  raw.Exec("UPDATE audit_log SET seq = seq + 100 WHERE seq > 3");
  raw.Exec("UPDATE audit_log SET seq = seq - 101 WHERE seq > 100");
  ExpectBroken("audit record 3: hash mismatch");
}

TEST_F(AuditTest, SwappedRecordsAreDetected) {
  AppendJob();
  RawDb raw(db_path());
  raw.Unprotect();
  raw.Exec("UPDATE audit_log SET seq = 100 WHERE seq = 2");
  raw.Exec("UPDATE audit_log SET seq = 2 WHERE seq = 3");
  raw.Exec("UPDATE audit_log SET seq = 3 WHERE seq = 100");
  ExpectBroken("audit record 2: hash mismatch");
}

TEST_F(AuditTest, RehashedRecordWithoutTheKeyIsABadSignature) {
  AppendJob();
  // Change record 3, recompute its hash correctly, and sign with another key.
  ForgeRecord(3, [](AuditRecord& r) { r.peer = "charlie"; }, peer_);
  ExpectBroken("audit record 3: bad signature");
}

TEST_F(AuditTest, ReplacedRecordBreaksTheChainAfterIt) {
  AppendJob();
  // Even signed with the node's own key, a record chained to anything but its
  // predecessor is caught.
  ForgeRecord(3, [](AuditRecord& r) { r.prev_hash = kDigestA; }, node_);
  ExpectBroken("audit record 3: chain broken");
}

TEST_F(AuditTest, TamperedStoredReceiptIsNamed) {
  AppendJob();
  RawDb raw(db_path());
  raw.Unprotect();
  // Swapping the receipt's signature for another valid-looking one changes
  // the record's content, so the record hash already catches it.
  raw.Exec("UPDATE audit_log SET receipt = replace(receipt, '\"job_id\":\"job_1\"', "
           "'\"job_id\":\"job_2\"') WHERE seq = 5");
  ExpectBroken("audit record 5: hash mismatch");
}

TEST_F(AuditTest, TruncatedTailVerifiesButChangesTheHead) {
  // Without an external anchor, removing the newest records leaves a valid
  // shorter chain: this is documented in docs/audit.md. The head (seq and
  // hash) changes, which is what a peer's receipt or a recorded head detects.
  AppendJob();
  auto before = Verify();
  ASSERT_TRUE(before.ok());
  RawDb raw(db_path());
  raw.Unprotect();
  raw.Exec("DELETE FROM audit_log WHERE seq >= 4");
  auto after = Verify();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->head_seq, 3u);
  EXPECT_NE(after->head_hash, before->head_hash);
}

TEST_F(AuditTest, EmptiedLogIsDataLoss) {
  ExpectBroken("audit record 1: missing");
}

TEST_F(AuditTest, VerificationWithAnotherNodesKeyFails) {
  AppendJob();
  auto v = VerifyAuditLog(*store_, peer_.public_key());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(v.status().message()), StartsWith("audit record 1: bad signature"));
}

TEST_F(AuditTest, ConcurrentAppendsKeepOneValidChain) {
  // Two connections (as two processes would have), two threads on each.
  auto second = Store::Open(db_path(), {});
  ASSERT_TRUE(second.ok());
  AuditLog second_log(**second, node_);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      AuditLog& log = (t % 2 == 0) ? *log_ : second_log;
      for (int i = 0; i < kPerThread; ++i) {
        AuditEvent e = JobEvent(AuditKind::kJobOffered, "job_" + std::to_string(t * 100 + i));
        auto r = log.Append(e);
        ASSERT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (auto& th : threads) th.join();
  auto v = Verify();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->num_records, static_cast<uint64_t>(kThreads * kPerThread));
}

// Issue 12, item 8: a log does not sign a record onto one that was changed
// or removed since it verified it.
TEST_F(AuditTest, AppendOntoAChangedHeadFailsAndKeepsFailing) {
  AppendJob();
  RawDb raw(db_path());
  raw.Unprotect();
  raw.Exec("UPDATE audit_log SET peer = 'zulu' WHERE seq = 5");
  auto r = log_->Append(JobEvent(AuditKind::kJobOffered, "job_2"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()),
              StartsWith("the audit log is broken: audit record 5: hash mismatch"));
  EXPECT_THAT(std::string(log_->Check().message()), HasSubstr("audit record 5: hash mismatch"));
  // Put back, the record verifies again, but this log stays stopped.
  raw.Exec("UPDATE audit_log SET peer = 'bravo' WHERE seq = 5");
  ASSERT_TRUE(Verify().ok());
  EXPECT_EQ(log_->Append(JobEvent(AuditKind::kJobOffered, "job_3")).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(raw.QueryText("SELECT COUNT(*) FROM audit_log"), "5");
}

TEST_F(AuditTest, NewestRecordDeletedUnderALogIsCaughtAtItsNextAppend) {
  AppendJob();
  RawDb raw(db_path());
  raw.Unprotect();
  raw.Exec("DELETE FROM audit_log WHERE seq = 5");
  ASSERT_TRUE(Verify().ok()) << "the chain alone does not show a truncation";
  auto r = log_->Append(JobEvent(AuditKind::kJobOffered, "job_2"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("audit record 5: missing: this process verified the log up to record 5"));
}

TEST_F(AuditTest, RecordsAnotherWriterAppendedAreVerifiedNotRefused) {
  AppendJob();
  auto second = Store::Open(db_path(), {});
  ASSERT_TRUE(second.ok());
  AuditLog other(**second, node_);
  ASSERT_TRUE(other.Append(JobEvent(AuditKind::kJobOffered, "job_2")).ok());
  auto r = log_->Append(JobEvent(AuditKind::kJobOffered, "job_3"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->seq, 7u);
}

TEST_F(AuditTest, OverrideIsSignedOntoTheHeadAndTheBreakStaysReported) {
  AppendJob();
  RawDb raw(db_path());
  raw.Unprotect();
  raw.Exec("UPDATE audit_log SET peer = 'zulu' WHERE seq = 3");
  auto scan = ScanAuditLog(*store_, node_.public_key());
  ASSERT_TRUE(scan.ok()) << scan.status();
  ASSERT_EQ(scan->Unaccepted().size(), 1u);
  EXPECT_EQ(scan->Unaccepted()[0].seq, 3u);

  AuditLog log(*store_, node_);
  auto overrides = log.AcceptBreaks();
  ASSERT_TRUE(overrides.ok()) << overrides.status();
  ASSERT_EQ(overrides->size(), 1u);
  const AuditRecord& o = (*overrides)[0];
  EXPECT_EQ(o.kind, "audit_override");
  EXPECT_EQ(o.seq, 6u);
  EXPECT_THAT(o.params_json, HasSubstr("\"bad_seq\":3"));
  EXPECT_THAT(o.params_json, HasSubstr("hash mismatch"));
  EXPECT_EQ(o.prev_hash, raw.QueryText("SELECT hash FROM audit_log WHERE seq = 5"));
  // The log goes on from the override.
  ASSERT_TRUE(log.Append(JobEvent(AuditKind::kJobOffered, "job_2")).ok());

  // Verification still reports the break, and names the override.
  auto v = Verify();
  ASSERT_EQ(v.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(v.status().message()), StartsWith("audit record 3: hash mismatch"));
  EXPECT_THAT(std::string(v.status().message()),
              HasSubstr("--accept-broken-audit: audit_override record 6"));
  scan = ScanAuditLog(*store_, node_.public_key());
  ASSERT_TRUE(scan.ok());
  EXPECT_TRUE(scan->Unaccepted().empty());

  // The log can be exported; the offline verifier reports the same.
  auto exported = ExportAuditLog(*store_, node_.public_key(), tmp_.Sub("audit.jsonl"));
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_EQ(exported->head_seq, 7u);
  auto offline = VerifyAuditExport(tmp_.Sub("audit.jsonl"), node_.fingerprint());
  ASSERT_EQ(offline.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(offline.status().message()),
              StartsWith("audit record 3: hash mismatch"));
  EXPECT_THAT(std::string(offline.status().message()), HasSubstr("audit_override record 6"));

  // An override accepts the record as it was: altered again, it is a new
  // break.
  raw.Exec("UPDATE audit_log SET peer = 'yankee' WHERE seq = 3");
  scan = ScanAuditLog(*store_, node_.public_key());
  ASSERT_TRUE(scan.ok());
  ASSERT_EQ(scan->Unaccepted().size(), 1u);
  EXPECT_EQ(scan->Unaccepted()[0].seq, 3u);
}

TEST_F(AuditTest, EveryBreakIsFoundNotOnlyTheFirst) {
  AppendJob();
  RawDb raw(db_path());
  raw.Unprotect();
  raw.Exec("UPDATE audit_log SET peer = 'zulu' WHERE seq = 2");
  raw.Exec("DELETE FROM audit_log WHERE seq = 4");
  auto scan = ScanAuditLog(*store_, node_.public_key());
  ASSERT_TRUE(scan.ok());
  ASSERT_EQ(scan->breaks.size(), 2u);
  EXPECT_EQ(scan->breaks[0].seq, 2u);
  EXPECT_THAT(scan->breaks[0].problem, StartsWith("hash mismatch"));
  EXPECT_EQ(scan->breaks[1].seq, 4u);
  EXPECT_THAT(scan->breaks[1].problem, StartsWith("missing"));
  EXPECT_THAT(std::string(Verify().status().message()),
              HasSubstr("1 more problem(s) after it, the next at record 4"));
}

class AuditExportTest : public AuditTest {
 protected:
  void SetUp() override {
    AppendJob();
    auto s = ExportAuditLog(*store_, node_.public_key(), export_path());
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_EQ(s->num_records, 5u);
  }
  std::string export_path() const { return tmp_.Sub("audit.jsonl"); }

  void ExpectExportBroken(const std::string& expected_substring) {
    auto v = VerifyAuditExport(export_path(), node_.fingerprint());
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(v.status().message()), HasSubstr(expected_substring));
  }
};

TEST_F(AuditExportTest, ExportVerifiesOfflineAgainstTheFingerprint) {
  auto v = VerifyAuditExport(export_path(), node_.fingerprint());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->summary.num_records, 5u);
  EXPECT_EQ(v->summary.num_receipts, 1u);
  EXPECT_EQ(v->node_fingerprint, node_.fingerprint());
  auto lines = ReadLines(export_path());
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_THAT(lines[0], HasSubstr("\"format\":\"liaison-audit-export\""));
  EXPECT_THAT(lines[0], HasSubstr(ToHex(node_.public_key())));
}

TEST_F(AuditExportTest, ExportOfAnotherNodeIsPermissionDenied) {
  auto v = VerifyAuditExport(export_path(), peer_.fingerprint());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(AuditExportTest, EditedExportLineIsNamed) {
  auto lines = ReadLines(export_path());
  ReplaceIn(lines[2], "\"peer\":\"bravo\"", "\"peer\":\"zulu\"");
  WriteLines(export_path(), lines);
  ExpectExportBroken("audit record 2: hash mismatch");
}

TEST_F(AuditExportTest, ReorderedExportLinesAreNamed) {
  auto lines = ReadLines(export_path());
  std::swap(lines[2], lines[3]);
  WriteLines(export_path(), lines);
  ExpectExportBroken("audit record 2: missing");
}

TEST_F(AuditExportTest, DeletedExportLineIsNamed) {
  auto lines = ReadLines(export_path());
  lines.erase(lines.begin() + 3);
  WriteLines(export_path(), lines);
  ExpectExportBroken("audit record 3: missing");
}

TEST_F(AuditExportTest, TruncatedExportContradictsItsHeader) {
  auto lines = ReadLines(export_path());
  lines.pop_back();
  WriteLines(export_path(), lines);
  ExpectExportBroken("truncated or extended");
}

TEST_F(AuditExportTest, SwappedKeyInTheHeaderIsCaught) {
  auto lines = ReadLines(export_path());
  ReplaceIn(lines[0], ToHex(node_.public_key()), ToHex(peer_.public_key()));
  WriteLines(export_path(), lines);
  ExpectExportBroken("node_fingerprint is not that of its node_public_key");
}

TEST_F(AuditExportTest, GarbageLineIsDataLossWithLineNumber) {
  auto lines = ReadLines(export_path());
  lines[4] = "{not json";
  WriteLines(export_path(), lines);
  ExpectExportBroken("audit.jsonl:5: not valid JSON");
}

TEST_F(AuditExportTest, MissingExportIsNotFound) {
  EXPECT_EQ(VerifyAuditExport(tmp_.Sub("none.jsonl"), "").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AuditExportTest, BrokenLogIsNotExported) {
  RawDb raw(db_path());
  raw.Unprotect();
  raw.Exec("UPDATE audit_log SET actor = 'cli' WHERE seq = 2");
  auto s = ExportAuditLog(*store_, node_.public_key(), tmp_.Sub("second.jsonl"));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss);
  std::ifstream f(tmp_.Sub("second.jsonl"));
  EXPECT_FALSE(f.good());
}

}  // namespace
}  // namespace liaison::node
