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

ProcessResult Liaison(const std::vector<std::string>& args, const ScopedTempDir& tmp) {
  return testing::RunLiaison(args, tmp.path());
}

struct Reply {
  int status = 0;
  std::string body;
  Json json;
};

// Node is one liaison node: its home, ports, keys and process.
struct Node {
  std::string name;
  std::string dir;
  std::string fingerprint;
  int peer_port = 0;
  int rest_port = 0;
  std::string admin_key, analyst_key, automation_key;
  std::unique_ptr<testing::Process> proc;

  Reply Call(const std::string& method, const std::string& path, const std::string& key,
             const std::string& body = "", const httplib::Headers& extra = {}) const {
    httplib::SSLClient cli("127.0.0.1", rest_port);
    // The test does not pin the certificate; NodeInfoShowsTheIdentity
    // checks the fingerprint the node reports.
    cli.enable_server_certificate_verification(false);
    cli.set_read_timeout(30, 0);
    httplib::Headers headers = extra;
    if (!key.empty()) headers.emplace("Authorization", "Bearer " + key);
    httplib::Result r = method == "GET"
                            ? cli.Get(path.c_str(), headers)
                            : cli.Post(path.c_str(), headers, body, "application/json");
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.body = r->body;
    out.json = Json::parse(r->body, nullptr, false);
    return out;
  }

  // PostJob posts a job and returns its id ("" on failure, with the reply).
  Reply PostJob(const Json& body, const std::string& idempotency_key = "") const {
    httplib::Headers h;
    if (!idempotency_key.empty()) h.emplace("Idempotency-Key", idempotency_key);
    return Call("POST", "/v1/jobs", automation_key, body.dump(), h);
  }

  // WaitJob polls the job until it is in a final state (or `until`), at most
  // 30 s, and returns it.
  Json WaitJob(const std::string& id,
               const std::function<bool(const std::string&)>& until = nullptr) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    Json job;
    while (std::chrono::steady_clock::now() < deadline) {
      Reply r = Call("GET", "/v1/jobs/" + id, analyst_key);
      if (r.status == 200) {
        job = r.json;
        const std::string state = job["state"];
        if (until ? until(state)
                  : (state == "succeeded" || state == "failed" || state == "refused" ||
                     state == "cancelled")) {
          return job;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return job;
  }

  std::vector<Json> AuditRecords(const std::string& job_id) const {
    Reply r = Call("GET", "/v1/audit?limit=1000", analyst_key);
    std::vector<Json> out;
    for (const Json& rec : r.json["records"]) {
      if (rec["job_id"] == job_id) out.push_back(rec);
    }
    return out;
  }
};

std::vector<std::string> Kinds(const std::vector<Json>& records) {
  std::vector<std::string> k;
  for (const Json& r : records) k.push_back(r["kind"]);
  return k;
}

class Cluster {
 public:
  explicit Cluster(const ScopedTempDir& tmp) : tmp_(tmp) {}

  Node& Add(const std::string& name) {
    Node& n = nodes_[name];
    n.name = name;
    n.dir = tmp_.Sub(name);
    ProcessResult init = Liaison({"node", "init", n.dir}, tmp_);
    EXPECT_EQ(init.exit_code, 0) << init.err;
    n.fingerprint = *net::CertificateFingerprint(n.dir + "/node.crt");
    n.peer_port = FreePort();
    n.rest_port = FreePort();
    n.admin_key = Key(n, "admin");
    n.analyst_key = Key(n, "analyst");
    n.automation_key = Key(n, "automation");
    return n;
  }

  Node& operator[](const std::string& name) { return nodes_.at(name); }

  // Configure writes `name`'s liaison.toml: its [node] section (with
  // `node_keys`, "key = value" lines), every other node as a peer, and
  // `rest` (datasets, alliances, schedules, webhooks).
  void Configure(const std::string& name, const std::string& rest,
                 const std::string& node_keys = "") {
    Node& n = nodes_.at(name);
    std::string text = "[node]\nname = \"" + name + "\"\npeer_listen = \"127.0.0.1:" +
                       std::to_string(n.peer_port) + "\"\nrest_listen = \"127.0.0.1:" +
                       std::to_string(n.rest_port) +
                       "\"\napproval_poll_seconds = 1\nshutdown_grace_seconds = 2\n" + node_keys;
    for (const auto& [other, o] : nodes_) {
      if (other == name) continue;
      text += "[peers." + other + "]\naddress = \"127.0.0.1:" + std::to_string(o.peer_port) +
              "\"\nfingerprint = \"" + o.fingerprint + "\"\n";
    }
    text += extra_peers_[name];
    WriteFile(n.dir + "/liaison.toml", text + rest);
  }

  void AddRawPeer(const std::string& node, const std::string& peer_name,
                  const std::string& fingerprint) {
    extra_peers_[node] += "[peers." + peer_name + "]\naddress = \"127.0.0.1:1\"\nfingerprint = \"" +
                          fingerprint + "\"\n";
  }

  void Start(const std::string& name) {
    Node& n = nodes_.at(name);
    n.proc = std::make_unique<testing::Process>(
        std::vector<std::string>{kLiaisonBinary, "node", "run", n.dir}, tmp_.path());
    for (int i = 0; i < 200; ++i) {
      if (n.Call("GET", "/v1/health", "").status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "node " << name << " did not start";
  }

  ProcessResult Stop(const std::string& name, int sig = SIGTERM) {
    Node& n = nodes_.at(name);
    n.proc->Kill(sig);
    ProcessResult r = n.proc->Wait();
    n.proc.reset();
    return r;
  }

  ProcessResult Verify(const std::string& name) {
    return Liaison({"audit", "verify", nodes_.at(name).dir, "--fingerprint",
                    nodes_.at(name).fingerprint},
                   tmp_);
  }

 private:
  std::string Key(const Node& n, const std::string& scope) {
    ProcessResult r = Liaison({"node", "apikey", "create", n.dir, "--scope", scope, "--label",
                               "test-" + scope},
                              tmp_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string key = r.out;
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    return key;
  }

  const ScopedTempDir& tmp_;
  std::map<std::string, Node> nodes_;
  std::map<std::string, std::string> extra_peers_;
};

// Alliance returns an [alliances.NAME] table: members, the dataset each
// may use, and policy keys with `overrides` (key -> TOML value) replacing
// the defaults.
std::string Alliance(const std::string& name, const std::vector<std::string>& members,
                     const std::map<std::string, std::string>& datasets,
                     const std::map<std::string, std::string>& overrides = {}) {
  std::map<std::string, std::string> keys = {{"questions", "[\"match\"]"},
                                             {"protocols", "[\"rr22\", \"ecdh\"]"},
                                             {"max_set_size", "1000"},
                                             {"jobs_per_hour_per_peer", "100"},
                                             {"approval", "\"auto\""},
                                             {"tlp_ceiling", "\"amber\""}};
  for (const auto& [k, v] : overrides) keys[k] = v;
  std::string m;
  for (const std::string& p : members) m += (m.empty() ? "\"" : ", \"") + p + "\"";
  std::string t = "[alliances." + name + "]\nmembers = [" + m + "]\n";
  for (const auto& [k, v] : keys) t += k + " = " + v + "\n";
  t += "[alliances." + name + ".datasets]\n";
  for (const auto& [peer, ds] : datasets) t += peer + " = [\"" + ds + "\"]\n";
  return t;
}

const std::string kDatasets =
    "[datasets.ind]\nfile = \"ind.txt\"\ntlp = \"amber\"\n"
    "[datasets.secret]\nfile = \"ind.txt\"\ntlp = \"amber\"\n";

// Items: a and b share 5.6.7.8 and example.com (twice in a's file: both rows
// are reported), c shares example.com with both.
void WriteItems(const Node& n) {
  std::string items;
  if (n.name == "a") items = "1.2.3.4\n5.6.7.8\nexample.com\n10.0.0.1\nEXAMPLE.com.\n";
  if (n.name == "b") items = "5.6.7.8\nexample.com\n9.9.9.9\n";
  if (n.name == "c") items = "example.com\n8.8.8.8\n";
  WriteFile(n.dir + "/ind.txt", items);
}

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

// ExpectRefusedOnBoth checks that a job was refused with `code` on both
// sides, with a job_refused audit record on each.
void ExpectRefusedOnBoth(const Node& initiator, const Node& responder, const std::string& id,
                         const std::string& code) {
  Json mine = initiator.WaitJob(id);
  EXPECT_EQ(mine["state"], "refused") << mine.dump();
  EXPECT_EQ(mine["refusal_code"], code) << mine.dump();
  Json theirs = responder.WaitJob(id);
  EXPECT_EQ(theirs["state"], "refused") << theirs.dump();
  EXPECT_EQ(theirs["refusal_code"], code) << theirs.dump();
  EXPECT_THAT(Kinds(initiator.AuditRecords(id)), ::testing::Contains("job_refused"));
  EXPECT_THAT(Kinds(responder.AuditRecords(id)), ::testing::Contains("job_refused"));
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

// Hook is one POST a WebhookReceiver got.
struct Hook {
  std::string event, delivery, signature, body;
  Json json;
};

// WebhookReceiver is a plain-HTTP receiver on loopback, in the test process,
// that records every POST to /hook and answers 204.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      Hook h{req.get_header_value("Liaison-Event"), req.get_header_value("Liaison-Delivery"),
             req.get_header_value("Liaison-Signature"), req.body,
             Json::parse(req.body, nullptr, false)};
      std::lock_guard<std::mutex> lock(mu_);
      got_.push_back(std::move(h));
      res.status = 204;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~WebhookReceiver() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

  // WaitFor returns the first POST that `pred` accepts, waiting up to 20 s.
  std::optional<Hook> WaitFor(const std::function<bool(const Hook&)>& pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (const Hook& h : got_) {
          if (pred(h)) return h;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Hook> got_;
};

// SignatureIsValid checks a Liaison-Signature header as docs/webhooks.md
// tells a receiver to, with OpenSSL directly.
bool SignatureIsValid(const std::string& secret, const std::string& header,
                      const std::string& body) {
  return node::testing::ReceiverAccepts(secret, header, body);
}

// Schedule returns a [schedules.NAME] table for a match with b, to both,
// every `every`.
std::string Schedule(const std::string& name, const std::string& every) {
  return "[schedules." + name +
         "]\nalliance = \"fin\"\npeer = \"b\"\ndataset = \"ind\"\nquestion = \"match\"\n"
         "protocol = \"rr22\"\nresult_to = \"both\"\nevery = \"" + every + "\"\n";
}

// WebhookTo returns a [webhooks.soar] table posting to `url`, with its secret
// written to hook.key (mode 0600) in `n`'s home.
std::string WebhookTo(const Node& n, const std::string& url, const std::string& secret) {
  WriteFile(n.dir + "/hook.key", secret + "\n");
  EXPECT_EQ(chmod((n.dir + "/hook.key").c_str(), 0600), 0);
  return "[webhooks.soar]\nurl = \"" + url + "\"\nsecret_file = \"hook.key\"\n";
}

// FirstJobOf returns the first job of `actor` in a final state (or `{}`
// after 20 s).
Json FirstFinishedJobOf(const Node& n, const std::string& actor) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    Reply r = n.Call("GET", "/v1/jobs?limit=1000", n.analyst_key);
    for (const Json& j : r.json["jobs"]) {
      const std::string state = j["state"];
      if (j["actor"] == actor && (state == "succeeded" || state == "failed" ||
                                  state == "refused" || state == "cancelled")) {
        return j;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Json::object();
}

// WaitForRecord returns the first audit record of `n` of `kind` that `pred`
// accepts (null after 10 s).
Json WaitForRecord(const Node& n, const std::string& kind,
                   const std::function<bool(const Json&)>& pred = nullptr) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    Reply audit = n.Call("GET", "/v1/audit?limit=1000", n.analyst_key);
    for (const Json& r : audit.json["records"]) {
      if (r["kind"] == kind && (!pred || pred(r))) return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Json();
}

const std::string kHookSecret = "0123456789abcdef0123456789abcdef";

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

// --- differentially private count and sum jobs, the privacy ledger ----------

namespace liaison {
namespace {

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
