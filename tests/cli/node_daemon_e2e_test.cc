// End-to-end tests of `liaison node run`: two and three nodes as real
// processes on loopback, each with its own home, config, store and identity,
// driven through the REST API over HTTPS.
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

TEST(NodeDaemonE2eTest, JobThroughRestRunsBetweenTwoNodesWithReceiptsOnBoth) {
  ScopedTempDir tmp;
  Cluster cl(tmp);
  Node& a = cl.Add("a");
  Node& b = cl.Add("b");
  WriteItems(a);
  WriteItems(b);
  cl.Configure("a", kDatasets + Alliance("fin", {"b"}, {{"b", "ind"}}));
  cl.Configure("b", kDatasets + Alliance("fin", {"a"}, {{"a", "ind"}}));
  cl.Start("a");
  cl.Start("b");

  Reply node = a.Call("GET", "/v1/node", a.automation_key);
  ASSERT_EQ(node.status, 200) << node.body;
  EXPECT_EQ(node.json["fingerprint"], a.fingerprint);

  // Auth: nothing is done without a valid key of the right scope.
  const Json job_body = {{"alliance", "fin"}, {"peer", "b"}, {"dataset", "ind"},
                         {"protocol", "rr22"}, {"result_to", "both"}};
  EXPECT_EQ(a.Call("POST", "/v1/jobs", "", job_body.dump()).status, 401);
  EXPECT_EQ(a.Call("POST", "/v1/jobs", "lsk_" + std::string(64, '0'), job_body.dump()).status,
            401);
  EXPECT_EQ(a.Call("GET", "/v1/offers", a.automation_key).status, 403);
  EXPECT_EQ(a.Call("GET", "/v1/audit", a.automation_key).status, 403);
  Reply jobs = a.Call("GET", "/v1/jobs", a.analyst_key);
  ASSERT_EQ(jobs.status, 200);
  EXPECT_TRUE(jobs.json["jobs"].empty()) << "a refused request created a job";

  Reply posted = a.PostJob(job_body, "nightly-1");
  ASSERT_EQ(posted.status, 202) << posted.body;
  const std::string id = posted.json["id"];
  Reply again = a.PostJob(job_body, "nightly-1");
  EXPECT_EQ(again.status, 202);
  EXPECT_EQ(again.json["id"], id);
  EXPECT_EQ(again.json["created_now"], false);
  Json other = job_body;
  other["protocol"] = "ecdh";
  EXPECT_EQ(a.PostJob(other, "nightly-1").status, 409);

  Json done = a.WaitJob(id);
  ASSERT_EQ(done["state"], "succeeded") << done.dump();
  Json theirs = b.WaitJob(id);
  ASSERT_EQ(theirs["state"], "succeeded") << theirs.dump();
  EXPECT_EQ(theirs["role"], "responder");
  EXPECT_EQ(a.Call("GET", "/v1/jobs", a.analyst_key).json["jobs"].size(), 1u);

  Reply result = a.Call("GET", "/v1/jobs/" + id + "/result", a.automation_key);
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(result.json["intersection_size"], 2);
  EXPECT_EQ(result.json["num_rows"], 3);  // example.com twice in a's file
  Reply csv = a.Call("GET", "/v1/jobs/" + id + "/result", a.automation_key, "",
                     {{"Accept", "text/csv"}});
  EXPECT_EQ(csv.body, "line,type,value\n2,ipv4,5.6.7.8\n3,domain,example.com\n5,domain,example.com\n");
  Reply b_result = b.Call("GET", "/v1/jobs/" + id + "/result?format=csv", b.automation_key);
  EXPECT_EQ(b_result.body, "line,type,value\n1,ipv4,5.6.7.8\n2,domain,example.com\n");

  // Both audit trails: the same transcript hash and result digest, and each
  // holds the other's receipt.
  std::vector<Json> ra = a.AuditRecords(id), rb = b.AuditRecords(id);
  EXPECT_THAT(Kinds(ra), ::testing::ElementsAre("job_offered", "job_started", "job_succeeded",
                                                "receipt"));
  EXPECT_THAT(Kinds(rb), ::testing::ElementsAre("job_offered", "job_started", "job_succeeded",
                                                "receipt"));
  ASSERT_EQ(ra.size(), 4u);
  ASSERT_EQ(rb.size(), 4u);
  EXPECT_EQ(ra[2]["transcript_hash"], rb[2]["transcript_hash"]);
  EXPECT_EQ(ra[2]["result_digest"], rb[2]["result_digest"]);
  EXPECT_EQ(ra[3]["receipt"]["peer_fingerprint"], b.fingerprint);
  EXPECT_EQ(rb[3]["receipt"]["peer_fingerprint"], a.fingerprint);
  EXPECT_EQ(ra[2]["counts"]["intersection"], 2);
  EXPECT_THAT(a.Call("GET", "/v1/audit?limit=1000", a.analyst_key).body,
              ::testing::Not(HasSubstr("10.0.0.1")));

  Reply datasets = a.Call("GET", "/v1/datasets", a.analyst_key);
  EXPECT_THAT(datasets.body, ::testing::Not(HasSubstr("1.2.3.4")));
  Reply reread = a.Call("POST", "/v1/datasets/ind/reread", a.analyst_key);
  EXPECT_EQ(reread.json["num_distinct"], 4);
  EXPECT_EQ(a.Call("GET", "/v1/openapi.json", "").json["openapi"], "3.0.3");

  ProcessResult sa = cl.Stop("a"), sb = cl.Stop("b");
  EXPECT_EQ(sa.exit_code, 0) << sa.err;
  EXPECT_EQ(sb.exit_code, 0) << sb.err;
  EXPECT_THAT(sa.err, HasSubstr("stopped"));
  ProcessResult va = cl.Verify("a"), vb = cl.Verify("b");
  EXPECT_EQ(va.exit_code, 0) << va.err;
  EXPECT_THAT(va.out, HasSubstr("1 peer receipts"));
  EXPECT_EQ(vb.exit_code, 0) << vb.err;
  EXPECT_THAT(vb.out, HasSubstr("1 peer receipts"));
}


TEST(NodeDaemonE2eTest, ASecondNodeOnTheSameRestPortDoesNotStart) {
  // Before, cpp-httplib's SO_REUSEPORT let the second node start and take a
  // share of the first one's REST calls.
  ScopedTempDir tmp;
  Cluster cl(tmp);
  cl.Add("a");
  cl.Add("b");
  cl["b"].rest_port = cl["a"].rest_port;
  cl.Configure("a", "");
  cl.Configure("b", "");
  cl.Start("a");
  testing::Process second({kLiaisonBinary, "node", "run", cl["b"].dir}, tmp.path());
  std::optional<ProcessResult> ended = second.WaitFor(20000);
  ASSERT_TRUE(ended.has_value()) << "the second node kept running";
  EXPECT_NE(ended->exit_code, 0);
  EXPECT_THAT(ended->err, HasSubstr("REST API")) << ended->err;
  EXPECT_EQ(cl["a"].Call("GET", "/v1/health", "").status, 200);
}

TEST(NodeDaemonE2eTest, ApiKeysAreListedAndARevokedKeyIsRefusedAtOnce) {
  ScopedTempDir tmp;
  Cluster cl(tmp);
  Node& a = cl.Add("a");
  cl.Configure("a", "");
  cl.Start("a");
  ASSERT_EQ(a.Call("GET", "/v1/offers", a.analyst_key).status, 200);
  // One key a line: id, scope, label, created, last used, revoked.
  auto list = [&] {
    ProcessResult r = Liaison({"node", "apikey", "list", a.dir}, tmp);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      std::vector<std::string> fields;
      std::istringstream cells(line);
      for (std::string f; std::getline(cells, f, '\t');) fields.push_back(f);
      EXPECT_EQ(fields.size(), 6u) << line;
      rows.push_back(fields);
    }
    return rows;
  };
  std::map<std::string, std::string> id_of;  // scope -> id
  for (const auto& row : list()) {
    id_of[row[1]] = row[0];
    EXPECT_EQ(row[5], "-") << "not revoked";
    if (row[1] == "analyst") {
      EXPECT_NE(row[4], "-") << "it was used just now";
    }
  }
  ASSERT_EQ(id_of.size(), 3u);

  // Revoked from the command line while the node runs: refused at once.
  ProcessResult revoke = Liaison({"node", "apikey", "revoke", a.dir, id_of["analyst"]}, tmp);
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_EQ(a.Call("GET", "/v1/offers", a.analyst_key).status, 401);

  // Over REST, for the admin scope only.
  EXPECT_EQ(a.Call("GET", "/v1/apikeys", a.automation_key).status, 403);
  Reply keys = a.Call("GET", "/v1/apikeys", a.admin_key);
  ASSERT_EQ(keys.status, 200) << keys.body;
  ASSERT_EQ(keys.json["keys"].size(), 3u) << keys.body;
  for (const Json& k : keys.json["keys"]) {
    EXPECT_EQ(k["revoked"].is_null(), k["id"] != id_of["analyst"]) << k.dump();
    EXPECT_FALSE(k.contains("token")) << k.dump();
  }
  Reply revoked = a.Call("POST", "/v1/apikeys/" + id_of["automation"] + "/revoke", a.admin_key);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_FALSE(revoked.json["revoked"].is_null()) << revoked.body;
  EXPECT_EQ(a.Call("GET", "/v1/jobs", a.automation_key).status, 401);
  EXPECT_EQ(a.Call("POST", "/v1/apikeys/key_0000000000000000/revoke", a.admin_key).status, 404);
  int revoked_rows = 0;
  for (const auto& row : list()) revoked_rows += row[5] != "-";
  EXPECT_EQ(revoked_rows, 2);
}

TEST(NodeDaemonE2eTest, ThreeNodesTwoAlliancesRefusalsAndManualApproval) {
  ScopedTempDir tmp;
  Cluster cl(tmp);
  Node& a = cl.Add("a");
  Node& b = cl.Add("b");
  Node& c = cl.Add("c");
  for (Node* n : {&a, &b, &c}) WriteItems(*n);
  // A raw peer of b's, to offer what no liaison node would (a profile
  // mismatch).
  const std::string raw_dir = tmp.Sub("raw");
  absl::StatusOr<std::string> raw_fp = net::GenerateIdentity(raw_dir);
  ASSERT_TRUE(raw_fp.ok());
  cl.AddRawPeer("b", "raw", *raw_fp);

  // b: alliance fin with a, c (and the raw peer); ct with a only. a's
  // alliances small, limited and manual are b's, with b stricter.
  const std::string count_ok = "[alliances.fin.dp]\nepsilon = \"1.0\"\ndelta = \"0.000001\"\n";
  cl.Configure("a", kDatasets +
                        Alliance("fin", {"b"}, {{"b", "ind"}},
                                 {{"questions", "[\"match\", \"count\"]"}}) +
                        count_ok + Alliance("small", {"b"}, {{"b", "ind"}}) +
                        Alliance("limited", {"b"}, {{"b", "ind"}}) +
                        Alliance("manual", {"b"}, {{"b", "ind"}}));
  cl.Configure("b", kDatasets +
                        Alliance("fin", {"a", "c", "raw"},
                                 {{"a", "ind"}, {"c", "ind"}, {"raw", "ind"}}) +
                        Alliance("ct", {"a"}, {{"a", "ind"}}) +
                        Alliance("small", {"a"}, {{"a", "ind"}}, {{"max_set_size", "2"}}) +
                        Alliance("limited", {"a"}, {{"a", "ind"}},
                                 {{"jobs_per_hour_per_peer", "1"}}) +
                        Alliance("manual", {"a"}, {{"a", "ind"}}, {{"approval", "\"manual\""}}));
  cl.Configure("c", kDatasets + Alliance("fin", {"b"}, {{"b", "ind"}}) +
                        Alliance("ct", {"b"}, {{"b", "ind"}}));
  for (const char* n : {"a", "b", "c"}) {
    ProcessResult check = Liaison({"node", "check", cl[n].dir}, tmp);
    ASSERT_EQ(check.exit_code, 0) << check.err;
  }
  cl.Start("a");
  cl.Start("b");
  cl.Start("c");

  // c and b share alliance fin; c believes b is in ct too, but b's ct is
  // only with a.
  Reply ok = c.PostJob({{"alliance", "fin"}, {"peer", "b"}, {"dataset", "ind"}});
  ASSERT_EQ(ok.status, 202) << ok.body;
  Json ok_job = c.WaitJob(ok.json["id"]);
  EXPECT_EQ(ok_job["state"], "succeeded") << ok_job.dump();
  // result_to "me" (the default): b ran the job but holds no result.
  EXPECT_EQ(b.WaitJob(ok.json["id"])["state"], "succeeded");
  EXPECT_EQ(b.Call("GET", "/v1/jobs/" + ok.json["id"].get<std::string>() + "/result",
                   b.automation_key)
                .status,
            404);
  Reply ct = c.PostJob({{"alliance", "ct"}, {"peer", "b"}, {"dataset", "ind"}});
  ASSERT_EQ(ct.status, 202) << ct.body;
  ExpectRefusedOnBoth(c, b, ct.json["id"], "peer_not_in_alliance");

  // Our own policy refuses synchronously, before anything is created.
  EXPECT_EQ(c.PostJob({{"alliance", "fin"}, {"peer", "a"}, {"dataset", "ind"}}).status, 403);

  Reply ds = a.PostJob({{"alliance", "fin"}, {"peer", "b"}, {"dataset", "ind"},
                        {"peer_dataset", "secret"}});
  ASSERT_EQ(ds.status, 202) << ds.body;
  ExpectRefusedOnBoth(a, b, ds.json["id"], "dataset_not_allowed");

  Reply q = a.PostJob({{"alliance", "fin"}, {"peer", "b"}, {"dataset", "ind"},
                       {"question", "count"}, {"epsilon", "0.5"}});
  ASSERT_EQ(q.status, 202) << q.body;
  ExpectRefusedOnBoth(a, b, q.json["id"], "question_not_allowed");

  Reply size = a.PostJob({{"alliance", "small"}, {"peer", "b"}, {"dataset", "ind"}});
  ASSERT_EQ(size.status, 202) << size.body;
  ExpectRefusedOnBoth(a, b, size.json["id"], "set_size_out_of_bounds");

  Reply first = a.PostJob({{"alliance", "limited"}, {"peer", "b"}, {"dataset", "ind"}});
  ASSERT_EQ(first.status, 202);
  EXPECT_EQ(a.WaitJob(first.json["id"])["state"], "succeeded");
  Reply second = a.PostJob({{"alliance", "limited"}, {"peer", "b"}, {"dataset", "ind"}});
  ASSERT_EQ(second.status, 202);
  ExpectRefusedOnBoth(a, b, second.json["id"], "rate_limited");

  // Manual approval: a's job waits for b's analyst; approve one, refuse one.
  Reply m1 = a.PostJob({{"alliance", "manual"}, {"peer", "b"}, {"dataset", "ind"}});
  Reply m2 = a.PostJob({{"alliance", "manual"}, {"peer", "b"}, {"dataset", "ind"}});
  ASSERT_EQ(m1.status, 202);
  ASSERT_EQ(m2.status, 202);
  const std::string id1 = m1.json["id"], id2 = m2.json["id"];
  auto waiting = [](const std::string& s) { return s == "awaiting_approval"; };
  ASSERT_EQ(b.WaitJob(id1, waiting)["state"], "awaiting_approval");
  ASSERT_EQ(b.WaitJob(id2, waiting)["state"], "awaiting_approval");
  EXPECT_EQ(a.WaitJob(id1, [](const std::string& s) { return s == "awaiting_peer"; })["state"],
            "awaiting_peer");
  Reply offers = b.Call("GET", "/v1/offers", b.analyst_key);
  EXPECT_EQ(offers.json["offers"].size(), 2u) << offers.body;
  EXPECT_EQ(b.Call("POST", "/v1/offers/" + id1 + "/approve", b.automation_key).status, 403);
  EXPECT_EQ(b.WaitJob(id1, waiting)["state"], "awaiting_approval");
  EXPECT_EQ(b.Call("POST", "/v1/offers/" + id1 + "/approve", b.analyst_key).status, 200);
  EXPECT_EQ(b.Call("POST", "/v1/offers/" + id2 + "/refuse", b.analyst_key,
                   R"({"reason": "not this week"})")
                .status,
            200);
  EXPECT_EQ(a.WaitJob(id1)["state"], "succeeded");
  Json refused = a.WaitJob(id2);
  EXPECT_EQ(refused["state"], "refused");
  EXPECT_EQ(refused["reason"], "refused_by_analyst: not this week");

  // Profile mismatch, offered by a raw peer with another profile digest.
  {
    absl::StatusOr<net::Identity> id = net::Identity::Load(raw_dir);
    ASSERT_TRUE(id.ok());
    net::TlsOptions tls;
    tls.identity = &*id;
    tls.peer_fingerprint = b.fingerprint;
    auto ch = net::TlsConnect("127.0.0.1", static_cast<uint16_t>(b.peer_port), tls);
    ASSERT_TRUE(ch.ok()) << ch.status();
    node::JobOffer offer;
    offer.job_id = "job_" + std::string(32, 'e');
    offer.alliance = "fin";
    offer.question = "match";
    offer.protocol = "rr22";
    offer.set_size = 3;
    offer.profile_name = "liaison-indicators";
    offer.profile_version = 99;
    offer.profile_digest = std::string(64, 'f');
    offer.software_version = "0.1.0";
    ASSERT_TRUE(node::SendOffer(**ch, offer).ok());
    absl::StatusOr<node::Verdict> v = node::RecvVerdict(**ch);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->kind, node::VerdictKind::kRefuse);
    EXPECT_EQ(v->code, "profile_mismatch");
    Json theirs = b.WaitJob(offer.job_id);
    EXPECT_EQ(theirs["refusal_code"], "profile_mismatch");
    EXPECT_THAT(Kinds(b.AuditRecords(offer.job_id)), ::testing::Contains("job_refused"));
  }

  for (const char* n : {"a", "b", "c"}) {
    EXPECT_EQ(cl.Stop(n).exit_code, 0);
    ProcessResult v = cl.Verify(n);
    EXPECT_EQ(v.exit_code, 0) << n << ": " << v.err;
  }
}

TEST(NodeDaemonE2eTest, AJobWaitingForAnUnreachablePeerResumesAfterARestart) {
  // Before, a restart failed it ("node restarted while the job was in
  // progress") although it had sent nothing yet.
  ScopedTempDir tmp;
  Cluster cl(tmp);
  Node& a = cl.Add("a");
  Node& b = cl.Add("b");
  WriteItems(a);
  WriteItems(b);
  cl.Configure("a", kDatasets + Alliance("fin", {"b"}, {{"b", "ind"}}),
               "peer_connect_timeout_seconds = 1\npeer_retry_initial_seconds = 60\n");
  cl.Configure("b", kDatasets + Alliance("fin", {"a"}, {{"a", "ind"}}));
  cl.Start("a");  // b is not running
  Reply posted = a.PostJob({{"alliance", "fin"}, {"peer", "b"}, {"dataset", "ind"}});
  ASSERT_EQ(posted.status, 202) << posted.body;
  const std::string id = posted.json["id"];
  Json waiting = a.WaitJob(id, [&](const std::string&) {
    Reply r = a.Call("GET", "/v1/jobs/" + id, a.automation_key);
    return r.body.find("unreachable (attempt 1") != std::string::npos;
  });
  ASSERT_EQ(waiting["state"], "awaiting_peer") << waiting.dump();
  cl.Stop("a", SIGKILL);
  cl.Start("b");
  cl.Start("a");
  Json done = a.WaitJob(id);
  EXPECT_EQ(done["state"], "succeeded") << done.dump();
  EXPECT_EQ(b.WaitJob(id)["state"], "succeeded");
}

TEST(NodeDaemonE2eTest, KilledMidJobLeavesAConsistentStoreAndAFailedJob) {
  ScopedTempDir tmp;
  Cluster cl(tmp);
  Node& a = cl.Add("a");
  Node& b = cl.Add("b");
  // Enough items that ECDH takes a while on both sides.
  for (Node* n : {&a, &b}) {
    std::string items;
    for (int i = 0; i < 40000; ++i) {
      items += "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) +
               "." + std::to_string(i & 255) + "\n";
    }
    if (n == &b) items += "192.0.2.1\n";
    WriteFile(n->dir + "/ind.txt", items);
  }
  cl.Configure("a", kDatasets + Alliance("fin", {"b"}, {{"b", "ind"}},
                                         {{"max_set_size", "100000"}}));
  cl.Configure("b", kDatasets + Alliance("fin", {"a"}, {{"a", "ind"}},
                                         {{"max_set_size", "100000"}}));
  cl.Start("a");
  cl.Start("b");
  Reply posted = a.PostJob({{"alliance", "fin"}, {"peer", "b"}, {"dataset", "ind"},
                            {"protocol", "ecdh"}});
  ASSERT_EQ(posted.status, 202) << posted.body;
  const std::string id = posted.json["id"];
  Json running = b.WaitJob(id, [](const std::string& s) { return s == "running"; });
  ASSERT_EQ(running["state"], "running") << running.dump();
  cl.Stop("b", SIGKILL);

  Json mine = a.WaitJob(id);
  EXPECT_EQ(mine["state"], "failed") << mine.dump();

  cl.Start("b");
  Json theirs = b.WaitJob(id);
  EXPECT_EQ(theirs["state"], "failed");
  EXPECT_THAT(theirs["reason"].get<std::string>(), HasSubstr("node restarted"));
  EXPECT_EQ(b.Call("GET", "/v1/jobs/" + id + "/result", b.automation_key).status, 409);
  EXPECT_THAT(Kinds(b.AuditRecords(id)), ::testing::ElementsAre("job_offered", "job_started",
                                                                "job_failed"));
  EXPECT_EQ(cl.Stop("a").exit_code, 0);
  EXPECT_EQ(cl.Stop("b").exit_code, 0);
  EXPECT_EQ(cl.Verify("a").exit_code, 0);
  EXPECT_EQ(cl.Verify("b").exit_code, 0);
}

// --- schedules, webhooks, unreachable peers ----------------------------------


// Schedule returns a [schedules.NAME] table for a match with b, to both,
// every `every`.
std::string Schedule(const std::string& name, const std::string& every) {
  return "[schedules." + name +
         "]\nalliance = \"fin\"\npeer = \"b\"\ndataset = \"ind\"\nquestion = \"match\"\n"
         "protocol = \"rr22\"\nresult_to = \"both\"\nevery = \"" + every + "\"\n";
}

// ConfigureFin writes the items of nodes a and b and configures both with
// alliance fin; a's config gets `a_extra` (schedules, webhooks) and its
// [node] table `a_node_keys`.
void ConfigureFin(Cluster& cl, const std::string& a_extra, const std::string& a_node_keys = "") {
  WriteItems(cl["a"]);
  WriteItems(cl["b"]);
  cl.Configure("a", kDatasets + Alliance("fin", {"b"}, {{"b", "ind"}}) + a_extra, a_node_keys);
  cl.Configure("b", kDatasets + Alliance("fin", {"a"}, {{"a", "ind"}}));
}

// PostAndAwaitRetry posts a job from a to b and waits until it is
// awaiting_peer with a last_error (a failed attempt to reach b).
std::string PostAndAwaitRetry(const Node& a) {
  Reply posted = a.PostJob({{"alliance", "fin"}, {"peer", "b"}, {"dataset", "ind"}});
  EXPECT_EQ(posted.status, 202) << posted.body;
  if (posted.status != 202) return "";
  const std::string id = posted.json["id"];
  Json waiting = a.WaitJob(id, [&](const std::string& state) {
    return state == "awaiting_peer" &&
           a.Call("GET", "/v1/jobs/" + id, a.analyst_key).json.contains("last_error");
  });
  EXPECT_EQ(waiting["state"], "awaiting_peer") << waiting.dump();
  return id;
}

TEST(NodeDaemonE2eTest, ScheduledJobRunsAndItsCompletionIsASignedWebhook) {
  ScopedTempDir tmp;
  WebhookReceiver receiver;
  Cluster cl(tmp);
  Node& a = cl.Add("a");
  Node& b = cl.Add("b");
  ConfigureFin(cl, Schedule("often", "2s") + WebhookTo(a, receiver.url(), kHookSecret));
  cl.Start("b");
  cl.Start("a");

  Reply schedules = a.Call("GET", "/v1/schedules", a.analyst_key);
  ASSERT_EQ(schedules.status, 200) << schedules.body;
  ASSERT_EQ(schedules.json["schedules"].size(), 1u);
  EXPECT_EQ(schedules.json["schedules"][0]["recurrence"], "every 2s");
  EXPECT_EQ(a.Call("GET", "/v1/schedules", a.automation_key).status, 403);

  Json job = FirstFinishedJobOf(a, "schedule:often");
  ASSERT_EQ(job.value("state", ""), "succeeded") << job.dump();
  const std::string id = job["id"];
  EXPECT_EQ(b.WaitJob(id)["state"], "succeeded");

  std::optional<Hook> hook = receiver.WaitFor([&](const Hook& h) {
    return h.event == "job_succeeded" && h.json.is_object() && h.json["job"]["id"] == id;
  });
  ASSERT_TRUE(hook.has_value());
  EXPECT_TRUE(SignatureIsValid(kHookSecret, hook->signature, hook->body)) << hook->signature;
  EXPECT_FALSE(SignatureIsValid(kHookSecret, hook->signature, hook->body + " "));
  EXPECT_FALSE(SignatureIsValid("another secret of 32 characters", hook->signature, hook->body));
  EXPECT_EQ(hook->json["node"], "a");
  EXPECT_EQ(hook->json["delivery"], hook->delivery);
  EXPECT_EQ(hook->json["job"]["actor"], "schedule:often");
  EXPECT_EQ(hook->json["job"]["counts"]["intersection"], 2);
  EXPECT_EQ(hook->json["job"]["result_digest"].get<std::string>().size(), 64u);
  EXPECT_THAT(hook->body, ::testing::Not(HasSubstr("5.6.7.8")));
  EXPECT_THAT(hook->body, ::testing::Not(HasSubstr("example.com")));

  Reply deliveries = a.Call("GET", "/v1/webhooks/deliveries?limit=1000", a.analyst_key);
  ASSERT_EQ(deliveries.status, 200) << deliveries.body;
  bool delivered = false;
  for (const Json& d : deliveries.json["deliveries"]) {
    delivered |= d["id"] == hook->delivery && d["state"] == "delivered";
  }
  // The outbox row may be marked delivered a moment after the POST.
  for (int i = 0; i < 40 && !delivered; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Reply again = a.Call("GET", "/v1/webhooks/deliveries", a.analyst_key);
    for (const Json& d : again.json["deliveries"]) {
      delivered |= d["id"] == hook->delivery && d["state"] == "delivered";
    }
  }
  EXPECT_TRUE(delivered) << deliveries.body;
  EXPECT_EQ(a.Call("GET", "/v1/webhooks/deliveries?limit=0", a.analyst_key).status, 400);

  EXPECT_EQ(cl.Stop("a").exit_code, 0);
  EXPECT_EQ(cl.Stop("b").exit_code, 0);
  EXPECT_EQ(cl.Verify("a").exit_code, 0);
  EXPECT_EQ(cl.Verify("b").exit_code, 0);
}

TEST(NodeDaemonE2eTest, RunsMissedWhileTheNodeWasStoppedAreAuditedAndNotified) {
  ScopedTempDir tmp;
  WebhookReceiver receiver;
  Cluster cl(tmp);
  Node& a = cl.Add("a");
  cl.Add("b");
  ConfigureFin(cl, Schedule("often", "1s") + WebhookTo(a, receiver.url(), kHookSecret));
  cl.Start("b");
  cl.Start("a");
  // The schedule has been seen (its state exists) before the node stops.
  Json job = FirstFinishedJobOf(a, "schedule:often");
  ASSERT_EQ(job.value("state", ""), "succeeded") << job.dump();
  EXPECT_EQ(cl.Stop("a").exit_code, 0);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  cl.Start("a");

  Json missed = WaitForRecord(a, "schedule_missed");
  ASSERT_FALSE(missed.is_null());
  EXPECT_EQ(missed["actor"], "schedule:often");
  EXPECT_EQ(missed["params"]["reason"], "node_not_running");
  EXPECT_GE(missed["counts"]["num_missed"].get<int64_t>(), 2);

  std::optional<Hook> hook = receiver.WaitFor([](const Hook& h) {
    return h.event == "schedule_missed" && h.json.is_object() &&
           h.json["schedule"]["reason"] == "node_not_running";
  });
  ASSERT_TRUE(hook.has_value());
  EXPECT_TRUE(SignatureIsValid(kHookSecret, hook->signature, hook->body));
  EXPECT_EQ(hook->json["schedule"]["num_missed"], missed["counts"]["num_missed"]);

  EXPECT_EQ(cl.Stop("a").exit_code, 0);
  EXPECT_EQ(cl.Stop("b").exit_code, 0);
  EXPECT_EQ(cl.Verify("a").exit_code, 0);
}

const std::string kFastRetries =
    "peer_connect_timeout_seconds = 1\npeer_retry_attempts = 3\n"
    "peer_retry_initial_seconds = 1\npeer_retry_max_seconds = 1\n";

TEST(NodeDaemonE2eTest, UnreachablePeerFailsTheJobWithTheReasonAfterTheAttempts) {
  ScopedTempDir tmp;
  Cluster cl(tmp);
  Node& a = cl.Add("a");
  cl.Add("b");  // configured as a's peer, never started
  ConfigureFin(cl, "", kFastRetries);
  cl.Start("a");
  // Between attempts the job waits, showing why.
  const std::string id = PostAndAwaitRetry(a);
  ASSERT_FALSE(id.empty());
  Json noted = a.Call("GET", "/v1/jobs/" + id, a.analyst_key).json;
  EXPECT_THAT(noted.value("last_error", ""), HasSubstr("peer unreachable (attempt "));

  Json failed = a.WaitJob(id);
  EXPECT_EQ(failed["state"], "failed") << failed.dump();
  EXPECT_THAT(failed.value("reason", ""), HasSubstr("peer unreachable after 3 attempts: "));
  EXPECT_FALSE(failed.contains("last_error"));
  std::vector<Json> records = a.AuditRecords(id);
  EXPECT_THAT(Kinds(records), ::testing::ElementsAre("job_offered", "job_failed"));
  if (records.size() == 2) {
    EXPECT_THAT(records[1]["params"].value("reason", ""), HasSubstr("after 3 attempts"));
  }
  EXPECT_EQ(cl.Stop("a").exit_code, 0);
  EXPECT_EQ(cl.Verify("a").exit_code, 0);
}

TEST(NodeDaemonE2eTest, PeerComingUpBetweenAttemptsLetsTheJobSucceed) {
  ScopedTempDir tmp;
  Cluster cl(tmp);
  Node& a = cl.Add("a");
  Node& b = cl.Add("b");
  ConfigureFin(cl, "",
               "peer_connect_timeout_seconds = 1\npeer_retry_attempts = 20\n"
               "peer_retry_initial_seconds = 1\npeer_retry_max_seconds = 1\n");
  cl.Start("a");
  const std::string id = PostAndAwaitRetry(a);
  ASSERT_FALSE(id.empty());

  cl.Start("b");
  Json done = a.WaitJob(id);
  EXPECT_EQ(done["state"], "succeeded") << done.dump();
  EXPECT_FALSE(done.contains("last_error"));
  EXPECT_EQ(b.WaitJob(id)["state"], "succeeded");
  EXPECT_EQ(cl.Stop("a").exit_code, 0);
  EXPECT_EQ(cl.Stop("b").exit_code, 0);
}

}  // namespace
}  // namespace liaison
