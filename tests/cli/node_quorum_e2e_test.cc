// End-to-end tests of the node's n-party quorum jobs (docs/node.md, "Quorum
// jobs"): three and five `liaison node run` processes on loopback, a job
// posted over REST at one of them, exact results at every participant, the
// quorum_alert webhook, a refusal by one participant's policy recorded at
// every node, a participant killed mid-run, and `liaison audit verify` with
// the receipts every participant signs.
#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/testing/node_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/testing/raw_db.h"
#include "testing/temp_dir.h"

namespace liaison {
namespace {

using ::testing::HasSubstr;
using testing::ScopedTempDir;
using namespace node_e2e;  // NOLINT: the cluster, its nodes and helpers

// A quorum alliance "ring" among `names`, as `self` configures it; `quorum`
// is the [alliances.ring.quorum] table's body.
std::string QuorumAlliance(const std::vector<std::string>& names, const std::string& self,
                           const std::string& quorum = "") {
  std::vector<std::string> members;
  std::map<std::string, std::string> datasets;
  for (const std::string& n : names) {
    if (n == self) continue;
    members.push_back(n);
    datasets[n] = "ind";
  }
  std::string t = Alliance("ring", members, datasets,
                           {{"questions", "[\"quorum\"]"}, {"max_set_size", "1000000"}});
  if (!quorum.empty()) t += "[alliances.ring.quorum]\n" + quorum;
  return t;
}

// Holdings: which nodes hold each item (10.0.0.K). With t = 2 each node's
// qualifying items are those held by 2 or more, with their holders.
const std::map<std::string, std::vector<std::string>> kHolders = {
    {"10.0.0.1", {"a", "b", "c"}}, {"10.0.0.2", {"a", "b"}}, {"10.0.0.3", {"a"}},
    {"10.0.0.4", {"a", "c"}},      {"10.0.0.5", {"b", "c"}}, {"10.0.0.6", {"b"}},
    {"10.0.0.7", {"c"}},           {"10.0.0.8", {"d", "e", "a"}}, {"10.0.0.9", {"d", "e"}}};

void WriteHoldings(const Node& n) {
  std::string text;
  for (const auto& [item, holders] : kHolders) {
    for (const std::string& h : holders) {
      if (h == n.name) text += item + "\n";
    }
  }
  // A duplicate row: both are reported.
  if (n.name == "a") text += "10.0.0.1\n";
  WriteFile(n.dir + "/ind.txt", text);
}

// Expected is `node`'s qualifying rows at threshold t among `names`:
// value -> holders, one entry a row.
std::multimap<std::string, int> Expected(const std::string& node,
                                         const std::vector<std::string>& names, int t) {
  std::multimap<std::string, int> out;
  for (const auto& [item, holders] : kHolders) {
    int count = 0;
    bool mine = false;
    for (const std::string& h : holders) {
      if (std::find(names.begin(), names.end(), h) == names.end()) continue;
      ++count;
      mine |= h == node;
    }
    if (!mine || count < t) continue;
    out.emplace(item, count);
    if (node == "a" && item == "10.0.0.1") out.emplace(item, count);
  }
  return out;
}

std::multimap<std::string, int> Rows(const Json& result) {
  std::multimap<std::string, int> out;
  for (const Json& r : result["rows"]) {
    out.emplace(r["value"].get<std::string>(), r.value("holders", 0));
  }
  return out;
}

class NodeQuorumE2eTest : public ::testing::Test {
 protected:
  // Setup is how the nodes differ: a node's [alliances.ring.quorum] body,
  // more config for node a, the nodes whose analyst approves each job, and
  // what each node's dataset holds.
  struct Setup {
    std::map<std::string, std::string> quorum_tables;
    std::string extra_a;
    std::set<std::string> manual;
    std::function<void(const Node&)> items = WriteHoldings;
  };
  static Setup QuorumTable(const std::string& node, const std::string& table) {
    Setup s;
    s.quorum_tables[node] = table;
    return s;
  }
  static Setup Manual(const std::string& node) {
    Setup s;
    s.manual.insert(node);
    return s;
  }
  static Setup ExtraA(const std::string& text) {
    Setup s;
    s.extra_a = text;
    return s;
  }
  static Setup Items(std::function<void(const Node&)> items) {
    Setup s;
    s.items = std::move(items);
    return s;
  }
  void SetUpNodes(const std::vector<std::string>& names) { SetUpNodes(names, Setup()); }
  void SetUpNodes(const std::vector<std::string>& names, const Setup& setup) {
    names_ = names;
    for (const std::string& n : names) cl_.Add(n);
    for (const std::string& n : names) setup.items(cl_[n]);
    // Ports are chosen free, but a test running beside this one may take
    // one before our node binds it: then every node gets new ones.
    for (int attempt = 0; attempt < 3; ++attempt) {
      for (const std::string& n : names) {
        auto q = setup.quorum_tables.find(n);
        std::string alliance =
            QuorumAlliance(names, n, q == setup.quorum_tables.end() ? "" : q->second);
        if (setup.manual.count(n) > 0) {
          const std::string from = "approval = \"auto\"";
          alliance.replace(alliance.find(from), from.size(), "approval = \"manual\"");
        }
        cl_.Configure(n, kDatasets + alliance + (n == "a" ? setup.extra_a : ""));
      }
      bool all = true;
      for (const std::string& n : names) all = all && cl_.TryStart(n);
      if (all) return;
      for (const std::string& n : names) {
        if (cl_[n].proc) cl_.Stop(n);
        cl_.NewPorts(n);
      }
    }
    ADD_FAILURE() << "the nodes did not start";
  }
  ~NodeQuorumE2eTest() override {
    for (const std::string& n : names_) {
      if (!cl_[n].proc) continue;
      ProcessResult r = cl_.Stop(n);
      // A failed test shows what each node logged.
      if (HasFailure()) ADD_FAILURE() << "node " << n << " logged:\n" << r.err;
    }
  }

  Json Post(const std::vector<std::string>& participants, int threshold,
            bool hide_count = false) {
    Json body{{"alliance", "ring"},     {"question", "quorum"},
              {"participants", participants}, {"threshold", threshold},
              {"dataset", "ind"}};
    if (hide_count) body["hide_count"] = true;
    Reply r = cl_["a"].PostJob(body);
    EXPECT_EQ(r.status, 202) << r.body;
    return r.json;
  }

  ScopedTempDir tmp_;
  Cluster cl_{tmp_};
  std::vector<std::string> names_;
};

TEST_F(NodeQuorumE2eTest, ThreeNodesLearnTheirItemsOverTheThresholdWithHolders) {
  WebhookReceiver hooks;
  SetUpNodes({"a", "b", "c"});
  // The webhook only at a: reconfigure and restart it.
  cl_.Stop("a");
  cl_.Configure("a", kDatasets + QuorumAlliance(names_, "a") +
                         WebhookTo(cl_["a"], hooks.url(), kHookSecret));
  cl_.Start("a");
  const Json posted = Post({"a", "b", "c"}, 2);
  const std::string id = posted.value("id", "");
  ASSERT_FALSE(id.empty()) << posted.dump();
  for (const std::string& n : names_) {
    Json job = cl_[n].WaitJob(id);
    EXPECT_EQ(job["state"], "succeeded") << n << ": " << job.dump();
    if (job["state"] != "succeeded") continue;
    Reply result = cl_[n].Call("GET", "/v1/jobs/" + id + "/result", cl_[n].automation_key);
    ASSERT_EQ(result.status, 200) << n << ": " << result.body;
    EXPECT_EQ(result.json["kind"], "quorum-v1");
    EXPECT_EQ(result.json["threshold"], 2);
    EXPECT_EQ(Rows(result.json), Expected(n, names_, 2)) << n << ": " << result.body;
    Reply csv = cl_[n].Call("GET", "/v1/jobs/" + id + "/result?format=csv",
                            cl_[n].automation_key);
    EXPECT_EQ(csv.status, 200) << csv.body;
    EXPECT_THAT(csv.body, ::testing::StartsWith("line,type,value,holders\n"));
    EXPECT_THAT(csv.body, HasSubstr(",ipv4,10.0.0.1,3\n"));
    // Every other participant's receipt is on the record.
    int receipts = 0;
    for (const Json& rec : cl_[n].AuditRecords(id)) receipts += rec["kind"] == "receipt";
    EXPECT_EQ(receipts, 2) << n;
  }
  // The alert names the count and the result, never an item.
  std::optional<Hook> alert =
      hooks.WaitFor([](const Hook& h) { return h.event == "quorum_alert"; });
  ASSERT_TRUE(alert.has_value());
  EXPECT_EQ(alert->json["alert"]["qualifying"], 3) << alert->body;
  EXPECT_EQ(alert->json["alert"]["threshold"], 2);
  EXPECT_EQ(alert->json["alert"]["result"], "/v1/jobs/" + id + "/result");
  EXPECT_EQ(alert->body.find("10.0.0."), std::string::npos) << alert->body;
  EXPECT_TRUE(SignatureIsValid(kHookSecret, alert->signature, alert->body));
  for (const std::string& n : names_) {
    cl_.Stop(n);
    ProcessResult v = cl_.Verify(n);
    EXPECT_EQ(v.exit_code, 0) << n << ": " << v.out << v.err;
  }
}

TEST_F(NodeQuorumE2eTest, FiveNodesWithHiddenCounts) {
  SetUpNodes({"a", "b", "c", "d", "e"});
  const Json posted = Post({"e", "a", "c", "b", "d"}, 3, /*hide_count=*/true);
  const std::string id = posted.value("id", "");
  ASSERT_FALSE(id.empty()) << posted.dump();
  for (const std::string& n : names_) {
    Json job = cl_[n].WaitJob(id);
    EXPECT_EQ(job["state"], "succeeded") << n << ": " << job.dump();
    if (job["state"] != "succeeded") continue;
    Reply result = cl_[n].Call("GET", "/v1/jobs/" + id + "/result", cl_[n].automation_key);
    ASSERT_EQ(result.status, 200) << n << ": " << result.body;
    std::multimap<std::string, int> want;
    for (const auto& [item, holders] : Expected(n, names_, 3)) want.emplace(item, 0);
    EXPECT_EQ(Rows(result.json), want) << n << ": " << result.body;
  }
}

TEST_F(NodeQuorumE2eTest, ARefusalByOneParticipantEndsTheJobEverywhere) {
  // c admits only t >= 3.
  SetUpNodes({"a", "b", "c"}, QuorumTable("c", "min_threshold = 3\n"));
  const Json posted = Post({"a", "b", "c"}, 2);
  const std::string id = posted.value("id", "");
  ASSERT_FALSE(id.empty()) << posted.dump();
  for (const std::string& n : names_) {
    Json job = cl_[n].WaitJob(id);
    EXPECT_EQ(job["state"], "refused") << n << ": " << job.dump();
    EXPECT_EQ(job["refusal_code"], "quorum_out_of_bounds") << n << ": " << job.dump();
    EXPECT_THAT(Kinds(cl_[n].AuditRecords(id)), ::testing::Contains("job_refused")) << n;
    EXPECT_EQ(cl_[n].Call("GET", "/v1/jobs/" + id + "/result", cl_[n].automation_key).status,
              409)
        << n;
  }
  // The initiator and b name who refused.
  EXPECT_THAT(cl_["a"].WaitJob(id).dump(), HasSubstr("participant c refused"));
  EXPECT_THAT(cl_["b"].WaitJob(id).dump(), HasSubstr("participant c refused"));
}

TEST_F(NodeQuorumE2eTest, OwnPolicyIsCheckedAtSubmission) {
  SetUpNodes({"a", "b", "c"}, QuorumTable("a", "min_members = 4\n"));
  Reply small = cl_["a"].PostJob(Json{{"alliance", "ring"}, {"question", "quorum"},
                                      {"participants", {"a", "b", "c"}}, {"threshold", 2},
                                      {"dataset", "ind"}});
  EXPECT_EQ(small.status, 403) << small.body;
  EXPECT_THAT(small.body, HasSubstr("3"));
  Reply without_me = cl_["a"].PostJob(Json{{"alliance", "ring"}, {"question", "quorum"},
                                           {"participants", {"b", "c"}}, {"threshold", 2},
                                           {"dataset", "ind"}});
  EXPECT_EQ(without_me.status, 400) << without_me.body;
  Reply with_peer = cl_["a"].PostJob(Json{{"alliance", "ring"}, {"question", "quorum"},
                                          {"peer", "b"}, {"participants", {"a", "b", "c"}},
                                          {"threshold", 2}, {"dataset", "ind"}});
  EXPECT_EQ(with_peer.status, 400) << with_peer.body;
}

TEST_F(NodeQuorumE2eTest, AParticipantsAnalystApprovesAndTheJobRunsEverywhere) {
  // c's alliance needs an analyst; b accepts at once and waits with a.
  SetUpNodes({"a", "b", "c"}, Manual("c"));
  const std::string id = Post({"a", "b", "c"}, 2).value("id", "");
  ASSERT_FALSE(id.empty());
  Json pending =
      cl_["c"].WaitJob(id, [](const std::string& s) { return s == "awaiting_approval"; });
  ASSERT_EQ(pending.value("state", ""), "awaiting_approval") << pending.dump();
  // Nothing runs meanwhile: the initiator waits, b keeps its job queued.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(cl_["a"].WaitJob(id, [](const std::string&) { return true; })["state"],
            "awaiting_peer");
  EXPECT_EQ(cl_["b"].WaitJob(id, [](const std::string&) { return true; })["state"], "queued");
  Reply approved = cl_["c"].Call("POST", "/v1/offers/" + id + "/approve", cl_["c"].analyst_key);
  ASSERT_EQ(approved.status, 200) << approved.body;
  for (const std::string& n : names_) {
    Json job = cl_[n].WaitJob(id);
    EXPECT_EQ(job["state"], "succeeded") << n << ": " << job.dump();
    Reply result = cl_[n].Call("GET", "/v1/jobs/" + id + "/result", cl_[n].automation_key);
    EXPECT_EQ(Rows(result.json), Expected(n, names_, 2)) << n << ": " << result.body;
  }
}

TEST_F(NodeQuorumE2eTest, AnAnalystsRefusalAtOneParticipantEndsTheJobAtEvery) {
  SetUpNodes({"a", "b", "c"}, Manual("c"));
  const std::string id = Post({"a", "b", "c"}, 2).value("id", "");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(cl_["c"].WaitJob(id, [](const std::string& s) {
    return s == "awaiting_approval";
  })["state"], "awaiting_approval");
  Reply refused = cl_["c"].Call("POST", "/v1/offers/" + id + "/refuse", cl_["c"].analyst_key,
                                "{\"reason\": \"not this week\"}");
  ASSERT_EQ(refused.status, 200) << refused.body;
  for (const std::string& n : names_) {
    Json job = cl_[n].WaitJob(id);
    EXPECT_EQ(job["state"], "refused") << n << ": " << job.dump();
    EXPECT_EQ(job["refusal_code"], "refused_by_analyst") << n << ": " << job.dump();
  }
  EXPECT_THAT(cl_["b"].WaitJob(id).dump(), HasSubstr("participant c refused: not this week"));
}

TEST_F(NodeQuorumE2eTest, AScheduleRunsQuorumJobs) {
  SetUpNodes({"a", "b", "c"},
             ExtraA("[schedules.ring2]\nalliance = \"ring\"\nquestion = \"quorum\"\n"
             "participants = [\"c\", \"a\", \"b\"]\nthreshold = 2\ndataset = \"ind\"\n"
             "every = \"2s\"\n"));
  Reply schedules = cl_["a"].Call("GET", "/v1/schedules", cl_["a"].analyst_key);
  ASSERT_EQ(schedules.status, 200) << schedules.body;
  EXPECT_EQ(schedules.json["schedules"][0]["job"]["participants"],
            Json({"c", "a", "b"}))
      << schedules.body;
  Json job = FirstFinishedJobOf(cl_["a"], "schedule:ring2");
  ASSERT_EQ(job.value("state", ""), "succeeded") << job.dump();
  const std::string id = job["id"];
  for (const std::string& n : names_) {
    ASSERT_EQ(cl_[n].WaitJob(id)["state"], "succeeded") << n;
    Reply result = cl_[n].Call("GET", "/v1/jobs/" + id + "/result", cl_[n].automation_key);
    EXPECT_EQ(Rows(result.json), Expected(n, names_, 2)) << n << ": " << result.body;
  }
}

TEST_F(NodeQuorumE2eTest, AParticipantKilledMidRunFailsTheJobEverywhereWithNoResult) {
  // Sets large enough (2^18 distinct items, half of them everyone's) that
  // the run takes seconds, so the kill lands in it.
  SetUpNodes({"a", "b", "c"}, Items([](const Node& n) {
               std::string text;
               for (int i = 0; i < (1 << 18); ++i) {
                 text += (i % 2 == 0 ? "shared" : n.name) + "-" + std::to_string(i) +
                         ".example.net\n";
               }
               WriteFile(n.dir + "/ind.txt", text);
             }));
  const Json posted = Post({"a", "b", "c"}, 2);
  const std::string id = posted.value("id", "");
  ASSERT_FALSE(id.empty()) << posted.dump();
  Json c_job = cl_["c"].WaitJob(id, [](const std::string& s) { return s == "running"; });
  ASSERT_EQ(c_job.value("state", ""), "running") << c_job.dump();
  cl_.Stop("c", SIGKILL);
  for (const char* n : {"a", "b"}) {
    Json job = cl_[n].WaitJob(id);
    EXPECT_EQ(job["state"], "failed") << n << ": " << job.dump();
    EXPECT_EQ(cl_[n].Call("GET", "/v1/jobs/" + id + "/result", cl_[n].automation_key).status,
              409)
        << n;
    EXPECT_THAT(Kinds(cl_[n].AuditRecords(id)), ::testing::Contains("job_failed")) << n;
  }
}

TEST_F(NodeQuorumE2eTest, AuditVerifyFailsOnAnAlteredQuorumReceipt) {
  SetUpNodes({"a", "b", "c"});
  const std::string id = Post({"a", "b", "c"}, 3).value("id", "");
  ASSERT_EQ(cl_["b"].WaitJob(id)["state"], "succeeded");
  ASSERT_EQ(cl_["a"].WaitJob(id)["state"], "succeeded");
  ASSERT_EQ(cl_["c"].WaitJob(id)["state"], "succeeded");
  cl_.Stop("b");
  ASSERT_EQ(cl_.Verify("b").exit_code, cli::kExitOk);
  {
    node::testing::RawDb raw(cl_["b"].dir + "/node.db");
    raw.Unprotect();
    const std::string seq = raw.QueryText(
        "SELECT seq FROM audit_log WHERE kind = 'receipt' AND job_id = '" + id + "' LIMIT 1");
    ASSERT_FALSE(seq.empty());
    raw.Exec("UPDATE audit_log SET receipt = replace(receipt, '\"result_digest\":\"', "
             "'\"result_digest\":\"0') WHERE seq = " + seq);
  }
  ProcessResult verify = cl_.Verify("b");
  EXPECT_EQ(verify.exit_code, cli::kExitDataLoss) << verify.out << verify.err;
}

}  // namespace
}  // namespace liaison
