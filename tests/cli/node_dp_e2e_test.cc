// End-to-end tests of `liaison node run` with differentially private count
// and sum jobs, the privacy ledger, item budgets and required builds: two
// nodes as real processes on loopback, driven through the REST API.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "base/bytes.h"
#include "cli/exit_codes.h"
#include "crypto/hash.h"
#include "data/profile.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/identity.h"
#include "net/tls_channel.h"
#include "node/peer_protocol.h"
#include "node/testing/webhook_receiver.h"
#include "cli/testing/node_cluster.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace liaison {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::ScopedTempDir;

using testing::FreePort;
using testing::kLiaisonBinary;
using testing::WriteFile;
using namespace node_e2e;  // NOLINT: the cluster, its nodes and helpers

// ConfigureDp configures a and b with alliance fin allowing count and sum
// on rr22 under a dp budget of `epsilon` (delta "0.000001").
void ConfigureDp(Cluster& cl, const std::string& epsilon, const std::string& extra_a = "",
                 const std::string& extra_b = "") {
  WriteItems(cl["a"]);
  WriteItems(cl["b"]);
  // result_to "both" is semi-honest only for noised jobs: these jobs test
  // the ledgers, so their alliance runs semi-honest.
  const std::map<std::string, std::string> policy = {
      {"questions", "[\"match\", \"count\", \"sum\"]"},
      {"protocols", "[\"rr22\"]"},
      {"security", "\"semi-honest\""}};
  const std::string dp =
      "[alliances.fin.dp]\nepsilon = \"" + epsilon + "\"\ndelta = \"0.000001\"\n";
  cl.Configure("a", kDatasets + extra_a + Alliance("fin", {"b"}, {{"b", "ind"}}, policy) + dp);
  cl.Configure("b", kDatasets + extra_b + Alliance("fin", {"a"}, {{"a", "ind"}}, policy) + dp);
}

Json CountJob(const std::string& epsilon, const std::string& result_to) {
  return Json{{"alliance", "fin"}, {"peer", "b"},          {"dataset", "ind"},
              {"question", "count"}, {"protocol", "rr22"}, {"epsilon", epsilon},
              {"result_to", result_to}};
}

// Spent returns the spent epsilon of `peer`'s ledger of ind on `n` (over
// all alliances).
std::string Spent(const Node& n, const std::string& peer) {
  Reply r = n.Call("GET", "/v1/privacy", n.analyst_key);
  for (const Json& row : r.json["ledger"]) {
    if (row["peer"] == peer && row["dataset"] == "ind") {
      return row["spent"]["epsilon"];
    }
  }
  return "(none: " + r.body + ")";
}

bool HasRefusal(const Node& n, const std::string& id, const std::string& code) {
  for (const Json& rec : n.AuditRecords(id)) {
    if (rec["kind"] == "job_refused" && rec.dump().find(code) != std::string::npos) return true;
  }
  return false;
}

TEST(NodeDaemonE2eTest, DpCountJobsSpendTheBudgetAndAreRefusedAtExactlyTheRightJob) {
  ScopedTempDir tmp;
  Cluster cl(tmp);
  cl.Add("a");
  cl.Add("b");
  ConfigureDp(cl, "1");
  cl.Start("a");
  cl.Start("b");
  Node& a = cl["a"];
  Node& b = cl["b"];

  // Three jobs of 0.3 to both sides: each side is charged 0.3 per job.
  for (int i = 0; i < 3; ++i) {
    Reply posted = a.PostJob(CountJob("0.3", "both"));
    ASSERT_EQ(posted.status, 202) << posted.body;
    const std::string id = posted.json["id"];
    Json done = a.WaitJob(id);
    ASSERT_EQ(done["state"], "succeeded") << done.dump();
    EXPECT_EQ(b.WaitJob(id)["state"], "succeeded");
    if (i > 0) continue;
    Reply result = a.Call("GET", "/v1/jobs/" + id + "/result", a.automation_key);
    ASSERT_EQ(result.status, 200) << result.body;
    for (const char* key : {"estimate", "mechanism", "epsilon", "delta", "noise_scale", "ci95"}) {
      EXPECT_TRUE(result.json.contains(key)) << key << " missing: " << result.body;
    }
    EXPECT_EQ(result.json["kind"], "dp-aggregate-v1");
    EXPECT_EQ(result.json["mechanism"], "discrete_laplace");
    EXPECT_FALSE(result.json.contains("rows"));
    for (const char* item : {"5.6.7.8", "example.com", "1.2.3.4"}) {
      EXPECT_EQ(result.body.find(item), std::string::npos) << "an item in the result";
    }
    Reply theirs = b.Call("GET", "/v1/jobs/" + id + "/result", b.automation_key);
    EXPECT_EQ(theirs.status, 200) << theirs.body;
    EXPECT_EQ(a.Call("GET", "/v1/jobs/" + id + "/result?format=csv", a.automation_key).status,
              409);
    // The audit records carry the DP parameters and the charge.
    bool charged = false;
    for (const Json& rec : a.AuditRecords(id)) {
      charged |= rec.dump().find("privacy_charge") != std::string::npos &&
                 rec.dump().find("0.3") != std::string::npos;
    }
    EXPECT_TRUE(charged);
  }
  EXPECT_EQ(Spent(a, "b"), "9/10");
  EXPECT_EQ(Spent(b, "a"), "9/10");
  EXPECT_EQ(a.Call("GET", "/v1/privacy", a.automation_key).status, 403);

  // The ledger survives restarts of both nodes.
  cl.Stop("a");
  cl.Stop("b");
  cl.Start("a");
  cl.Start("b");
  EXPECT_EQ(Spent(a, "b"), "9/10");

  // The 4th job would overspend our own budget: 429, nothing created, audited.
  Reply fourth = a.PostJob(CountJob("0.3", "both"));
  EXPECT_EQ(fourth.status, 429) << fourth.body;
  EXPECT_THAT(fourth.body, HasSubstr("privacy budget"));
  Reply audit = a.Call("GET", "/v1/audit?limit=1000", a.analyst_key);
  EXPECT_THAT(audit.body, HasSubstr("privacy_budget_exhausted"));

  // A job whose result only we receive costs us nothing but costs b: b
  // refuses it, and both sides record the refusal with its code.
  Reply mine = a.PostJob(CountJob("0.3", "me"));
  ASSERT_EQ(mine.status, 202) << mine.body;
  const std::string id = mine.json["id"];
  Json refused = a.WaitJob(id);
  EXPECT_EQ(refused["state"], "refused") << refused.dump();
  EXPECT_EQ(refused["refusal_code"], "privacy_budget_exhausted") << refused.dump();
  EXPECT_EQ(b.WaitJob(id)["state"], "refused");
  EXPECT_TRUE(HasRefusal(a, id, "privacy_budget_exhausted"));
  EXPECT_TRUE(HasRefusal(b, id, "privacy_budget_exhausted"));
  EXPECT_EQ(Spent(a, "b"), "9/10");
  EXPECT_EQ(Spent(b, "a"), "9/10");

  // A small one still fits exactly: 0.9 + 0.1 = 1.
  Reply last = a.PostJob(CountJob("0.1", "both"));
  ASSERT_EQ(last.status, 202) << last.body;
  EXPECT_EQ(a.WaitJob(last.json["id"])["state"], "succeeded");
  EXPECT_EQ(Spent(a, "b"), "1");
  EXPECT_EQ(cl.Verify("a").exit_code, 0);
  EXPECT_EQ(cl.Verify("b").exit_code, 0);
}

TEST(NodeDaemonE2eTest, ConcurrentDpJobsCannotTogetherOverspend) {
  ScopedTempDir tmp;
  Cluster cl(tmp);
  cl.Add("a");
  cl.Add("b");
  ConfigureDp(cl, "1");
  cl.Start("a");
  cl.Start("b");
  Node& a = cl["a"];
  std::vector<Reply> replies(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { replies[i] = a.PostJob(CountJob("0.4", "both")); });
  }
  for (std::thread& t : threads) t.join();
  int accepted = 0, exhausted = 0;
  for (const Reply& r : replies) {
    accepted += r.status == 202;
    exhausted += r.status == 429;
  }
  EXPECT_EQ(accepted, 2);
  EXPECT_EQ(exhausted, 2);
  EXPECT_EQ(Spent(a, "b"), "4/5");
}

TEST(NodeDaemonE2eTest, DpSumJobUsesThePeersValueColumn) {
  ScopedTempDir tmp;
  Cluster cl(tmp);
  cl.Add("a");
  cl.Add("b");
  const std::string amounts =
      "[datasets.amounts]\nfile = \"amounts.csv\"\ncolumn = \"ip\"\n"
      "value_column = \"amount\"\ntlp = \"amber\"\n";
  WriteItems(cl["a"]);
  WriteItems(cl["b"]);
  WriteFile(cl["b"].dir + "/amounts.csv", "ip,amount\n5.6.7.8,40\n9.9.9.9,7\n1.2.3.4,25\n");
  const std::map<std::string, std::string> policy = {
      {"questions", "[\"count\", \"sum\"]"}, {"protocols", "[\"rr22\"]"}};
  const std::string dp = "[alliances.fin.dp]\nepsilon = \"5\"\ndelta = \"0\"\n";
  cl.Configure("a", kDatasets + Alliance("fin", {"b"}, {{"b", "ind"}}, policy) + dp);
  cl.Configure("b", kDatasets + amounts + Alliance("fin", {"a"}, {{"a", "amounts"}}, policy) + dp);
  cl.Start("a");
  cl.Start("b");
  Node& a = cl["a"];
  Node& b = cl["b"];
  Reply posted = a.PostJob({{"alliance", "fin"}, {"peer", "b"}, {"dataset", "ind"},
                            {"question", "sum"}, {"epsilon", "1"}, {"count_epsilon", "0.5"},
                            {"bounds", "0:100"}, {"result_to", "me"}});
  ASSERT_EQ(posted.status, 202) << posted.body;
  const std::string id = posted.json["id"];
  Json done = a.WaitJob(id);
  ASSERT_EQ(done["state"], "succeeded") << done.dump();
  Reply result = a.Call("GET", "/v1/jobs/" + id + "/result", a.automation_key);
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(result.json["mode"], "sum");
  EXPECT_TRUE(result.json.contains("estimate"));
  EXPECT_TRUE(result.json.contains("count")) << result.body;
  EXPECT_EQ(result.body.find("5.6.7.8"), std::string::npos);
  // a's peer received nothing: a is charged nothing; b is charged ε + count ε.
  EXPECT_EQ(Spent(a, "b"), "0");
  Reply ledger = b.Call("GET", "/v1/privacy", b.analyst_key);
  EXPECT_THAT(ledger.body, HasSubstr("\"3/2\"")) << ledger.body;
  // b's values may not go back to b alone.
  Reply wrong = b.PostJob({{"alliance", "fin"}, {"peer", "a"}, {"dataset", "amounts"},
                           {"question", "sum"}, {"epsilon", "1"}, {"bounds", "0:100"},
                           {"result_to", "me"}});
  EXPECT_EQ(wrong.status, 400) << wrong.body;
  // The alliance runs counts and sums malicious (its default): they go to
  // one side only, and a job asking for both is refused before it exists.
  Reply both = a.PostJob({{"alliance", "fin"}, {"peer", "b"}, {"dataset", "ind"},
                          {"question", "count"}, {"epsilon", "1"}, {"result_to", "both"}});
  EXPECT_EQ(both.status, 400) << both.body;
  EXPECT_THAT(both.body, HasSubstr("one side only")) << both.body;
}

TEST(NodeDaemonE2eTest, ScheduledDpCountRunsBetweenNodesUntilItsBudgetIsSpent) {
  ScopedTempDir tmp;
  WebhookReceiver receiver;
  Cluster cl(tmp);
  cl.Add("a");
  cl.Add("b");
  // Every 2 s a count of ε = 0.6 to both sides, under budgets of ε = 1: the
  // first run spends 0.6 on each side, the second would overspend a's.
  const std::string schedule =
      "[schedules.counts]\nalliance = \"fin\"\npeer = \"b\"\ndataset = \"ind\"\n"
      "question = \"count\"\nprotocol = \"rr22\"\nepsilon = \"0.6\"\nevery = \"2s\"\n"
      "result_to = \"both\"\n";
  ConfigureDp(cl, "1", schedule + WebhookTo(cl["a"], receiver.url(), kHookSecret));
  cl.Start("b");
  cl.Start("a");
  Node& a = cl["a"];
  Node& b = cl["b"];

  Reply schedules = a.Call("GET", "/v1/schedules", a.analyst_key);
  ASSERT_EQ(schedules.status, 200) << schedules.body;
  EXPECT_EQ(schedules.json["schedules"][0]["job"]["epsilon"], "0.6") << schedules.body;

  Json job = FirstFinishedJobOf(a, "schedule:counts");
  ASSERT_EQ(job.value("state", ""), "succeeded") << job.dump();
  const std::string id = job["id"];
  EXPECT_EQ(b.WaitJob(id)["state"], "succeeded");
  Reply result = a.Call("GET", "/v1/jobs/" + id + "/result", a.automation_key);
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(result.json["kind"], "dp-aggregate-v1");
  for (const char* key : {"estimate", "mechanism", "epsilon", "delta", "noise_scale", "ci95"}) {
    EXPECT_TRUE(result.json.contains(key)) << key << " missing: " << result.body;
  }
  EXPECT_EQ(result.json["mechanism"], "discrete_laplace");
  for (const char* item : {"5.6.7.8", "example.com"}) {
    EXPECT_EQ(result.body.find(item), std::string::npos) << "an item in the result";
  }

  // The next run is refused as a POST would be (429): audited, reported as
  // a run not made, and notified; the budget stays as it was.
  Json missed = WaitForRecord(a, "schedule_missed", [](const Json& r) {
    return r["params"].value("reason", "") == "budget_exhausted";
  });
  ASSERT_FALSE(missed.is_null());
  EXPECT_EQ(missed["actor"], "schedule:counts");
  Json refused = WaitForRecord(a, "job_refused", [](const Json& r) {
    return r["actor"] == "schedule:counts";
  });
  ASSERT_FALSE(refused.is_null());
  EXPECT_THAT(refused.dump(), HasSubstr("privacy_budget_exhausted"));
  std::optional<Hook> hook = receiver.WaitFor([](const Hook& h) {
    return h.event == "job_refused" && h.json.is_object() &&
           h.json["job"]["actor"] == "schedule:counts";
  });
  ASSERT_TRUE(hook.has_value());
  EXPECT_TRUE(SignatureIsValid(kHookSecret, hook->signature, hook->body));
  EXPECT_THAT(hook->json["job"].value("error", ""), HasSubstr("privacy_budget_exhausted"));
  EXPECT_EQ(Spent(a, "b"), "3/5");
  EXPECT_EQ(Spent(b, "a"), "3/5");

  EXPECT_EQ(cl.Stop("a").exit_code, 0);
  EXPECT_EQ(cl.Stop("b").exit_code, 0);
  EXPECT_EQ(cl.Verify("a").exit_code, 0);
  EXPECT_EQ(cl.Verify("b").exit_code, 0);
}

TEST(NodeDaemonE2eTest, BudgetsFollowTheDataAcrossAlliancesAndNames) {
  ScopedTempDir tmp;
  Cluster cl(tmp);
  Node& a = cl.Add("a");
  Node& b = cl.Add("b");
  WriteItems(a);
  WriteItems(b);
  // a grants b its indicators through two alliances, and under two names
  // (ind and secret are the same file); each alliance's budget is 1.
  const std::map<std::string, std::string> policy = {
      {"questions", "[\"match\", \"count\"]"},
      {"protocols", "[\"rr22\"]"},
      {"security", "\"semi-honest\""}};  // "both" below: semi-honest only
  auto dp = [](const std::string& alliance) {
    return "[alliances." + alliance + ".dp]\nepsilon = \"1\"\ndelta = \"0.000001\"\n";
  };
  cl.Configure("a", kDatasets + Alliance("fin", {"b"}, {{"b", "ind"}}, policy) + dp("fin") +
                        Alliance("ct", {"b"}, {{"b", "secret"}}, policy) + dp("ct"));
  cl.Configure("b", kDatasets + Alliance("fin", {"a"}, {{"a", "ind"}}, policy) + dp("fin") +
                        Alliance("ct", {"a"}, {{"a", "ind"}}, policy) + dp("ct"));
  cl.Start("a");
  cl.Start("b");
  Reply first = a.PostJob(CountJob("0.7", "both"));
  ASSERT_EQ(first.status, 202) << first.body;
  ASSERT_EQ(a.WaitJob(first.json["id"])["state"], "succeeded");
  // The same items under their other name, through the other alliance:
  // 0.7 + 0.7 > 1, refused at once on a (429), audited.
  Json again = CountJob("0.7", "both");
  again["alliance"] = "ct";
  again["dataset"] = "secret";
  Reply refused = a.PostJob(again);
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("content of dataset secret"));
  EXPECT_THAT(a.Call("GET", "/v1/audit?limit=1000", a.analyst_key).body,
              HasSubstr("privacy_budget_exhausted"));
  // b's ledger of a's answers about b's ind is one too: a count to a only
  // (b is charged) through ct after 0.7 through fin is refused by b.
  Json theirs = CountJob("0.7", "me");
  theirs["alliance"] = "ct";
  theirs["dataset"] = "secret";
  Reply mine = a.PostJob(theirs);
  ASSERT_EQ(mine.status, 202) << mine.body;
  Json job = a.WaitJob(mine.json["id"]);
  EXPECT_EQ(job["state"], "refused") << job.dump();
  EXPECT_EQ(job["refusal_code"], "privacy_budget_exhausted") << job.dump();
  EXPECT_TRUE(HasRefusal(b, mine.json["id"], "privacy_budget_exhausted"));

  // GET /v1/privacy: one ledger per (peer, dataset) over its alliances, and
  // the content ledger both names share.
  Reply ledger = a.Call("GET", "/v1/privacy", a.analyst_key);
  ASSERT_EQ(ledger.status, 200) << ledger.body;
  ASSERT_EQ(ledger.json["ledger"].size(), 2u) << ledger.body;
  for (const Json& row : ledger.json["ledger"]) {
    EXPECT_EQ(row["peer_fingerprint"], b.fingerprint);
    EXPECT_EQ(row["budget"]["epsilon"], "1");
    if (row["dataset"] == "ind") {
      EXPECT_EQ(row["alliances"], Json::array({"fin"}));
      EXPECT_EQ(row["spent"]["epsilon"], "7/10");
      ASSERT_EQ(row["contents"].size(), 1u) << ledger.body;
      EXPECT_EQ(row["contents"][0]["spent"]["epsilon"], "7/10");
    } else {
      EXPECT_EQ(row["spent"]["epsilon"], "0") << ledger.body;
    }
  }
  EXPECT_TRUE(ledger.json["global"].empty());
  EXPECT_EQ(cl.Verify("a").exit_code, 0);
  EXPECT_EQ(cl.Verify("b").exit_code, 0);
}

// --- the item budget of match jobs -------------------------------------------

TEST(NodeDaemonE2eTest, ItemBudgetRefusesMatchJobsAtTheRightJobOnBothSides) {
  ScopedTempDir tmp;
  Cluster cl(tmp);
  Node& a = cl.Add("a");
  Node& b = cl.Add("b");
  WriteItems(a);  // 4 distinct items
  WriteItems(b);  // 3 distinct items, 2 shared with a
  // b: a may announce 12 items a day and learn 5 distinct items of b's. The
  // worst case of a job is min(4, 3) = 3, replaced after the job by the 2
  // items actually shared; the same 2 items again count once.
  cl.Configure("b", kDatasets +
                        Alliance("fin", {"a"}, {{"a", "ind"}},
                                 {{"max_peer_items_per_day", "12"},
                                  {"max_revealed_items_per_day", "5"}}) +
                        Alliance("tight", {"a"}, {{"a", "secret"}}));
  // a: b may learn at most 2 items a day of a's dataset secret, which
  // alliance tight grants b. (A limit is the data's, in all alliances: had
  // tight granted ind, fin's jobs on ind would be under it too.)
  cl.Configure("a", kDatasets + Alliance("fin", {"b"}, {{"b", "ind"}}) +
                        Alliance("tight", {"b"}, {{"b", "secret"}},
                                 {{"max_revealed_items_per_day", "2"}}));
  cl.Start("a");
  cl.Start("b");
  const Json job = {{"alliance", "fin"}, {"peer", "b"}, {"dataset", "ind"},
                    {"result_to", "both"}};
  for (int i = 0; i < 3; ++i) {
    Reply posted = a.PostJob(job);
    ASSERT_EQ(posted.status, 202) << posted.body;
    Json done = a.WaitJob(posted.json["id"]);
    ASSERT_EQ(done["state"], "succeeded") << i << ": " << done.dump();
  }
  // The budget is in b's store: it survives a restart of b.
  cl.Stop("b");
  cl.Start("b");
  Reply fourth = a.PostJob(job);
  ASSERT_EQ(fourth.status, 202) << fourth.body;
  const std::string id = fourth.json["id"];
  Json refused = a.WaitJob(id);
  EXPECT_EQ(refused["state"], "refused") << refused.dump();
  EXPECT_EQ(refused["refusal_code"], "item_budget_exhausted") << refused.dump();
  EXPECT_THAT(refused.value("reason", ""), HasSubstr("max_peer_items_per_day"));
  EXPECT_EQ(b.WaitJob(id)["state"], "refused");
  EXPECT_TRUE(HasRefusal(a, id, "item_budget_exhausted"));
  EXPECT_TRUE(HasRefusal(b, id, "item_budget_exhausted"));

  // a's own limit: a job in which b would learn up to 3 of a's items is
  // refused by a before the protocol; one in which b learns nothing runs.
  Reply tight = a.PostJob({{"alliance", "tight"}, {"peer", "b"}, {"dataset", "secret"},
                           {"result_to", "both"}});
  ASSERT_EQ(tight.status, 202) << tight.body;
  Json t = a.WaitJob(tight.json["id"]);
  EXPECT_EQ(t["state"], "refused") << t.dump();
  EXPECT_EQ(t["refusal_code"], "item_budget_exhausted") << t.dump();
  EXPECT_THAT(t.value("reason", ""), HasSubstr("max_revealed_items_per_day"));
  EXPECT_EQ(b.WaitJob(tight.json["id"])["state"], "refused");
  EXPECT_TRUE(HasRefusal(b, tight.json["id"], "item_budget_exhausted"));
  Reply mine = a.PostJob({{"alliance", "tight"}, {"peer", "b"}, {"dataset", "secret"},
                          {"result_to", "me"}});
  ASSERT_EQ(mine.status, 202) << mine.body;
  EXPECT_EQ(a.WaitJob(mine.json["id"])["state"], "succeeded");
  EXPECT_EQ(cl.Verify("a").exit_code, 0);
  EXPECT_EQ(cl.Verify("b").exit_code, 0);
}

// --- agreed builds ---------------------------------------------------------

// RecordOf returns the first of `records` of `kind` (null if none).
Json RecordOf(const std::vector<Json>& records, const std::string& kind) {
  for (const Json& r : records) {
    if (r["kind"] == kind) return r;
  }
  return Json();
}

// Alliances may require the build their members' nodes announce: the
// responder refuses an offer from another build, the initiator aborts when
// the responder's verdict announces one, both before any PSI message and
// with a job_refused record on both sides; every record of a job names the
// peer's build.
TEST(NodeDaemonE2eTest, RequiredBuildsAreCheckedBeforeThePsiAndRecordedOnBothSides) {
  ScopedTempDir tmp;
  Cluster cl(tmp);
  Node& a = cl.Add("a");
  Node& b = cl.Add("b");
  WriteItems(a);
  WriteItems(b);
  // Both nodes run this build of liaison.
  const std::string build =
      "sha256:" + ToHex(crypto::Sha256(AsBytes(testing::ReadFileOrEmpty(kLiaisonBinary))));
  const std::string other = "sha256:" + std::string(64, 'e');
  const auto require = [](const std::string& digest) { return "[\"" + digest + "\"]"; };
  // agreed: both require this build. strict_b: b requires another one.
  // strict_a: a requires another one.
  cl.Configure("a", kDatasets +
                        Alliance("agreed", {"b"}, {{"b", "ind"}}, {{"require_build", require(build)}}) +
                        Alliance("strict_b", {"b"}, {{"b", "ind"}}) +
                        Alliance("strict_a", {"b"}, {{"b", "ind"}}, {{"require_build", require(other)}}));
  cl.Configure("b", kDatasets +
                        Alliance("agreed", {"a"}, {{"a", "ind"}}, {{"require_build", require(build)}}) +
                        Alliance("strict_b", {"a"}, {{"a", "ind"}}, {{"require_build", require(other)}}) +
                        Alliance("strict_a", {"a"}, {{"a", "ind"}}));
  cl.Start("a");
  cl.Start("b");
  auto post = [&](const std::string& alliance) -> std::string {
    Reply r = a.PostJob({{"alliance", alliance}, {"peer", "b"}, {"dataset", "ind"},
                         {"result_to", "both"}});
    EXPECT_EQ(r.status, 202) << r.body;
    return r.json.value("id", "");
  };

  const std::string agreed = post("agreed");
  ASSERT_EQ(a.WaitJob(agreed)["state"], "succeeded");
  ASSERT_EQ(b.WaitJob(agreed)["state"], "succeeded");
  for (const Node* n : {&a, &b}) {
    SCOPED_TRACE(n->name);
    for (const char* kind : {"job_started", "job_succeeded", "receipt"}) {
      Json r = RecordOf(n->AuditRecords(agreed), kind);
      ASSERT_FALSE(r.is_null()) << kind;
      EXPECT_EQ(r["peer_build"], build) << kind;
      EXPECT_EQ(r["build"], build) << kind;
      EXPECT_EQ(r["v"], 2) << kind;
    }
  }
  // b learnt a's build from the offer, a learns b's only from the verdict.
  EXPECT_EQ(RecordOf(b.AuditRecords(agreed), "job_offered")["peer_build"], build);
  EXPECT_EQ(RecordOf(a.AuditRecords(agreed), "job_offered")["peer_build"], "");

  // b refuses a's offer: a's build is not the one b's alliance requires.
  const std::string by_b = post("strict_b");
  ExpectRefusedOnBoth(a, b, by_b, "build_not_allowed");
  EXPECT_THAT(a.WaitJob(by_b).value("reason", ""),
              HasSubstr("the initiator's build " + build + " is not one of the 1 build"));
  // a aborts after b's verdict: b's build is not the one a's alliance requires.
  const std::string by_a = post("strict_a");
  ExpectRefusedOnBoth(a, b, by_a, "build_not_allowed");
  EXPECT_THAT(b.WaitJob(by_a).value("reason", ""),
              HasSubstr("the responder's build " + build + " is not one of the 1 build"));
  for (const std::string& id : {by_b, by_a}) {
    for (const Node* n : {&a, &b}) {
      SCOPED_TRACE(n->name + " " + id);
      std::vector<Json> records = n->AuditRecords(id);
      // Refused before any PSI message: no job_started on either side.
      EXPECT_THAT(Kinds(records), ::testing::Not(::testing::Contains("job_started")));
      Json refused = RecordOf(records, "job_refused");
      ASSERT_FALSE(refused.is_null());
      EXPECT_EQ(refused["peer_build"], build);
      EXPECT_THAT(refused["params"].value("reason", ""), HasSubstr("build_not_allowed"));
    }
  }

  cl.Stop("a");
  cl.Stop("b");
  ProcessResult va = cl.Verify("a"), vb = cl.Verify("b");
  EXPECT_EQ(va.exit_code, 0) << va.err;
  EXPECT_EQ(vb.exit_code, 0) << vb.err;
}

}  // namespace
}  // namespace liaison
