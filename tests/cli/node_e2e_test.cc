// End-to-end tests of `liaison node init`, `liaison audit verify` and
// `liaison audit export`: the real binary on real files.
#include <signal.h>
#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/identity.h"
#include "node/audit.h"
#include "node/store.h"
#include "node/testing/raw_db.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace liaison {
namespace {

using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::ScopedTempDir;

ProcessResult Liaison(const std::vector<std::string>& args, const ScopedTempDir& tmp) {
  return testing::RunLiaison(args, tmp.path());
}

// AppendJobRecords adds a few signed records, as a running node would.
void AppendJobRecords(const std::string& dir) {
  auto id = net::Identity::Load(dir);
  ASSERT_TRUE(id.ok()) << id.status();
  auto store = node::Store::Open(dir + "/node.db", {});
  ASSERT_TRUE(store.ok()) << store.status();
  node::AuditLog log(**store, *id);
  for (node::AuditKind kind :
       {node::AuditKind::kJobOffered, node::AuditKind::kJobStarted, node::AuditKind::kJobSucceeded}) {
    node::AuditEvent e;
    e.kind = kind;
    e.job_id = "job_1";
    e.alliance = "fin";
    e.peer = "bravo";
    e.question = "match";
    e.protocol = "rr22";
    ASSERT_TRUE(log.Append(e).ok());
  }
}

TEST(NodeE2eTest, InitThenVerifyThenRefuseSecondInit) {
  ScopedTempDir tmp;
  const std::string dir = tmp.Sub("alpha");
  ProcessResult init = Liaison({"node", "init", dir}, tmp);
  ASSERT_EQ(init.exit_code, cli::kExitOk) << init.err;
  auto fp = net::CertificateFingerprint(dir + "/node.crt");
  ASSERT_TRUE(fp.ok());
  EXPECT_THAT(init.out, HasSubstr(*fp));

  ProcessResult check = Liaison({"node", "check", dir}, tmp);
  EXPECT_EQ(check.exit_code, cli::kExitOk) << check.err;
  EXPECT_THAT(check.out, HasSubstr("config OK: node alpha"));

  ProcessResult verify = Liaison({"audit", "verify", dir, "--fingerprint", *fp}, tmp);
  EXPECT_EQ(verify.exit_code, cli::kExitOk) << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("audit log OK: 1 records"));

  ProcessResult again = Liaison({"node", "init", dir}, tmp);
  EXPECT_EQ(again.exit_code, cli::kExitNotFound);  // AlreadyExists
  EXPECT_THAT(again.err, HasSubstr("already holds a liaison node"));
}

TEST(NodeE2eTest, CheckNamesMissingDatasetAndWebhookSecretFiles) {
  // Before, `node check` passed a config whose files were missing.
  ScopedTempDir tmp;
  const std::string dir = tmp.Sub("alpha");
  ASSERT_EQ(Liaison({"node", "init", dir}, tmp).exit_code, cli::kExitOk);
  const std::string config = dir + "/liaison.toml";
  testing::WriteFile(config, testing::ReadFileOrEmpty(config) +
                                 "\n[datasets.ind]\nfile = \"ind.txt\"\ntlp = \"amber\"\n"
                                 "[webhooks.soar]\nurl = \"https://soar.example.org/hook\"\n"
                                 "secret_file = \"hook.key\"\nevents = [\"job_succeeded\"]\n");
  ProcessResult check = Liaison({"node", "check", dir}, tmp);
  EXPECT_EQ(check.exit_code, cli::kExitNotFound) << check.err;
  EXPECT_THAT(check.err, HasSubstr("2 file problem(s)"));
  EXPECT_THAT(check.err, HasSubstr("datasets.ind.file: ind.txt"));
  EXPECT_THAT(check.err, HasSubstr("does not exist"));
  EXPECT_THAT(check.err, HasSubstr("webhooks.soar"));
  EXPECT_THAT(check.err, HasSubstr("hook.key"));

  testing::WriteFile(dir + "/ind.txt", "10.0.0.1\n");
  testing::WriteFile(dir + "/hook.key", std::string(32, 'k') + "\n");
  ASSERT_EQ(chmod((dir + "/hook.key").c_str(), 0600), 0);
  ProcessResult ok = Liaison({"node", "check", dir}, tmp);
  EXPECT_EQ(ok.exit_code, cli::kExitOk) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("config OK: node alpha"));
}

TEST(NodeE2eTest, ADamagedStoreIsNamedAndNotBlamedOnAPeer) {
  // Before: "the peer sent malformed data; this may be an attack".
  ScopedTempDir tmp;
  const std::string dir = tmp.Sub("alpha");
  ASSERT_EQ(Liaison({"node", "init", dir}, tmp).exit_code, cli::kExitOk);
  testing::WriteFile(dir + "/node.db", std::string(8192, 'x'));
  ProcessResult list = Liaison({"node", "apikey", "list", dir}, tmp);
  EXPECT_EQ(list.exit_code, cli::kExitDataLoss) << list.err;
  EXPECT_THAT(list.err, HasSubstr("node.db"));
  EXPECT_THAT(list.err, HasSubstr("damaged"));
  EXPECT_THAT(list.err, ::testing::Not(HasSubstr("peer")));
}

TEST(NodeE2eTest, TamperedRecordFailsVerifyWithDataLossNamingIt) {
  ScopedTempDir tmp;
  const std::string dir = tmp.Sub("alpha");
  ASSERT_EQ(Liaison({"node", "init", dir}, tmp).exit_code, cli::kExitOk);
  AppendJobRecords(dir);
  ASSERT_EQ(Liaison({"audit", "verify", dir}, tmp).exit_code, cli::kExitOk);
  {
    node::testing::RawDb raw(dir + "/node.db");
    raw.Unprotect();
    raw.Exec("UPDATE audit_log SET peer = 'charlie' WHERE seq = 3");
  }
  ProcessResult verify = Liaison({"audit", "verify", dir}, tmp);
  EXPECT_EQ(verify.exit_code, cli::kExitDataLoss);
  EXPECT_THAT(verify.err, HasSubstr("audit record 3: hash mismatch"));
  EXPECT_THAT(verify.err, ::testing::Not(HasSubstr("peer sent")));
}

// Issue 12, item 8: `node run` refuses an altered audit log, naming the
// record and the flag; with --accept-broken-audit it runs, and `audit
// verify` still reports the break, and the override.
TEST(NodeE2eTest, NodeRunRefusesAnAlteredAuditLogUnlessTheBreakIsAccepted) {
  ScopedTempDir tmp;
  const std::string dir = tmp.Sub("alpha");
  ASSERT_EQ(Liaison({"node", "init", dir}, tmp).exit_code, cli::kExitOk);
  testing::WriteFile(dir + "/liaison.toml",
                     "[node]\nname = \"alpha\"\npeer_listen = \"127.0.0.1:" +
                         std::to_string(testing::FreePort()) + "\"\nrest_listen = \"127.0.0.1:" +
                         std::to_string(testing::FreePort()) + "\"\n");
  AppendJobRecords(dir);
  {
    node::testing::RawDb raw(dir + "/node.db");
    raw.Unprotect();
    raw.Exec("UPDATE audit_log SET peer = 'charlie' WHERE seq = 3");
  }
  {
    testing::Process run({testing::kLiaisonBinary, "node", "run", dir}, tmp.path());
    std::optional<ProcessResult> refused = run.WaitFor(30000);
    ASSERT_TRUE(refused.has_value()) << "the node started on an altered audit log";
    EXPECT_EQ(refused->exit_code, cli::kExitDataLoss) << refused->err;
    EXPECT_THAT(refused->err, HasSubstr("audit record 3: hash mismatch"));
    EXPECT_THAT(refused->err, HasSubstr("--accept-broken-audit"));
  }
  {
    testing::Process run(
        {testing::kLiaisonBinary, "node", "run", dir, "--accept-broken-audit"}, tmp.path());
    // Started once it has signed its config_loaded record (at most 30 s).
    bool started = false;
    for (int i = 0; i < 300 && !started; ++i) {
      std::optional<ProcessResult> exited = run.WaitFor(100);
      ASSERT_FALSE(exited.has_value()) << exited->err;
      started = node::testing::RawDb(dir + "/node.db")
                    .QueryText("SELECT COUNT(*) FROM audit_log WHERE kind = 'config_loaded'") ==
                "1";
    }
    ASSERT_TRUE(started);
    run.Kill(SIGTERM);
    ProcessResult stopped = run.Wait();
    EXPECT_EQ(stopped.exit_code, cli::kExitOk) << stopped.err;
    EXPECT_THAT(stopped.out, HasSubstr("\"event\":\"started\""));
  }
  ProcessResult verify = Liaison({"audit", "verify", dir}, tmp);
  EXPECT_EQ(verify.exit_code, cli::kExitDataLoss);
  EXPECT_THAT(verify.err, HasSubstr("audit record 3: hash mismatch"));
  EXPECT_THAT(verify.err, HasSubstr("--accept-broken-audit: audit_override record 5"));
}

TEST(NodeE2eTest, ExportVerifiesOfflineAndOnlyForTheRightKey) {
  ScopedTempDir tmp;
  const std::string dir = tmp.Sub("alpha");
  ASSERT_EQ(Liaison({"node", "init", dir}, tmp).exit_code, cli::kExitOk);
  AppendJobRecords(dir);
  const std::string out = tmp.Sub("audit.jsonl");
  ProcessResult exp = Liaison({"audit", "export", dir, "--out", out}, tmp);
  ASSERT_EQ(exp.exit_code, cli::kExitOk) << exp.err;
  EXPECT_THAT(exp.out, HasSubstr("exported 4 audit records"));

  auto fp = net::CertificateFingerprint(dir + "/node.crt");
  ASSERT_TRUE(fp.ok());
  ProcessResult ok = Liaison({"audit", "verify", "--export", out, "--fingerprint", *fp}, tmp);
  EXPECT_EQ(ok.exit_code, cli::kExitOk) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("audit log OK: 4 records"));

  ProcessResult wrong = Liaison(
      {"audit", "verify", "--export", out, "--fingerprint", "sha256:" + std::string(64, '0')},
      tmp);
  EXPECT_EQ(wrong.exit_code, cli::kExitRefused);

  ProcessResult usage = Liaison({"audit", "verify"}, tmp);
  EXPECT_EQ(usage.exit_code, cli::kExitUsage);
}

}  // namespace
}  // namespace liaison
