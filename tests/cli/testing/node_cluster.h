// A cluster of liaison nodes as real processes on loopback, for the
// end-to-end tests of `liaison node run`: each node with its own home,
// config, store, identity and API keys, driven through the REST API over
// HTTPS.
#ifndef LIAISON_TESTS_CLI_TESTING_NODE_CLUSTER_H_
#define LIAISON_TESTS_CLI_TESTING_NODE_CLUSTER_H_

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/identity.h"
#include "node/testing/webhook_receiver.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace liaison::node_e2e {

using Json = nlohmann::json;
using testing::FreePort;
using testing::kLiaisonBinary;
using testing::ProcessResult;
using testing::ScopedTempDir;
using testing::WriteFile;

inline ProcessResult Liaison(const std::vector<std::string>& args, const ScopedTempDir& tmp) {
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

inline std::vector<std::string> Kinds(const std::vector<Json>& records) {
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
    if (!TryStart(name)) ADD_FAILURE() << "node " << name << " did not start";
  }

  // TryStart starts `name` and waits until it answers; false (the process
  // gone) if it did not start, e.g. because another test took one of its
  // ports in the meantime.
  bool TryStart(const std::string& name) {
    Node& n = nodes_.at(name);
    n.proc = std::make_unique<testing::Process>(
        std::vector<std::string>{kLiaisonBinary, "node", "run", n.dir}, tmp_.path());
    // Up to 30 s: a loaded machine, and the audit log verified at start.
    for (int i = 0; i < 1200; ++i) {
      if (n.Call("GET", "/v1/health", "").status == 200) return true;
      if (n.proc->WaitFor(0).has_value()) break;  // it exited
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    n.proc.reset();
    return false;
  }

  // NewPorts gives `name` other free ports (configure every node again
  // before starting them).
  void NewPorts(const std::string& name) {
    Node& n = nodes_.at(name);
    n.peer_port = FreePort();
    n.rest_port = FreePort();
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
inline std::string Alliance(const std::string& name, const std::vector<std::string>& members,
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

inline const std::string kDatasets =
    "[datasets.ind]\nfile = \"ind.txt\"\ntlp = \"amber\"\n"
    "[datasets.secret]\nfile = \"ind.txt\"\ntlp = \"amber\"\n";

// Items: a and b share 5.6.7.8 and example.com (twice in a's file: both rows
// are reported), c shares example.com with both.
inline void WriteItems(const Node& n) {
  std::string items;
  if (n.name == "a") items = "1.2.3.4\n5.6.7.8\nexample.com\n10.0.0.1\nEXAMPLE.com.\n";
  if (n.name == "b") items = "5.6.7.8\nexample.com\n9.9.9.9\n";
  if (n.name == "c") items = "example.com\n8.8.8.8\n";
  WriteFile(n.dir + "/ind.txt", items);
}

// WebhookTo returns a [webhooks.soar] table posting to `url`, with its secret
// written to hook.key (mode 0600) in `n`'s home.
inline std::string WebhookTo(const Node& n, const std::string& url, const std::string& secret) {
  WriteFile(n.dir + "/hook.key", secret + "\n");
  EXPECT_EQ(chmod((n.dir + "/hook.key").c_str(), 0600), 0);
  return "[webhooks.soar]\nurl = \"" + url + "\"\nsecret_file = \"hook.key\"\n";
}

// FirstFinishedJobOf returns the first job of `actor` in a final state (or `{}`
// after 20 s).
inline Json FirstFinishedJobOf(const Node& n, const std::string& actor) {
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

inline const std::string kHookSecret = "0123456789abcdef0123456789abcdef";

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

// WaitForRecord returns the first audit record of `n` of `kind` that `pred`
// accepts (null after 10 s).
inline Json WaitForRecord(const Node& n, const std::string& kind,
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

// ExpectRefusedOnBoth checks that a job was refused with `code` on both
// sides, with a job_refused audit record on each.
inline void ExpectRefusedOnBoth(const Node& initiator, const Node& responder, const std::string& id,
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

// SignatureIsValid checks a Liaison-Signature header as docs/webhooks.md
// tells a receiver to, with OpenSSL directly.
inline bool SignatureIsValid(const std::string& secret, const std::string& header,
                      const std::string& body) {
  return node::testing::ReceiverAccepts(secret, header, body);
}

}  // namespace liaison::node_e2e

#endif  // LIAISON_TESTS_CLI_TESTING_NODE_CLUSTER_H_
