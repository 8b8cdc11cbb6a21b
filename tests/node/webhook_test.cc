#include "node/webhook.h"

#include <algorithm>
#include <httplib.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/config.h"
#include "node/testing/fake_clock.h"
#include "node/testing/node_fixture.h"
#include "node/testing/webhook_receiver.h"

namespace liaison::node {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::FakeClock;
using testing::NodeFixture;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int64_t kNow = 1738292400;  // 2025-01-31T03:00:00Z
const char kSecret[] = "whsec_test_0123456789abcdef";

// --- URLs, secrets, payload and signature ---

TEST(WebhookUrlTest, AcceptsHttpAndHttpsWithDefaultPorts) {
  auto u = ParseWebhookUrl("https://soar.example.org/hooks/liaison?tenant=3");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_TRUE(u->https);
  EXPECT_EQ(u->host, "soar.example.org");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/hooks/liaison?tenant=3");
  u = ParseWebhookUrl("HTTP://127.0.0.1:8080");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_FALSE(u->https);
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path, "/");
  u = ParseWebhookUrl("http://[::1]:9000/x");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
}

TEST(WebhookUrlTest, RefusesOtherSchemesUserInfoFragmentsAndBadPorts) {
  for (const char* bad :
       {"ftp://x/", "soar.example.org/hook", "https://user:pw@soar/", "https://soar/#frag",
        "https://soar:0/", "https://soar:99999/", "https://so ar/", "https://[::1/",
        "https://::1/", "https:///path", ""}) {
    auto u = ParseWebhookUrl(bad);
    EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    // The URL may hold a receiver's token: it is not echoed.
    if (std::string(bad).size() > 8) {
      EXPECT_THAT(std::string(u.status().message()), ::testing::Not(HasSubstr(bad)));
    }
  }
}

TEST(WebhookSignatureTest, IsHmacSha256OverTimestampDotBody) {
  SecretBytes secret(AsBytes(std::string_view(kSecret)));
  // Computed independently: Python hmac.new(secret, b"1738292400." + body,
  // hashlib.sha256).hexdigest() (the receiver example in docs/webhooks.md).
  EXPECT_EQ(WebhookSignature(secret, kNow, R"({"event":"job_succeeded"})"),
            "189d6e06f8751788349f22fb20ecebb533b143f0ed7843f403bf5511d3474d38");
}

Job SucceededJob() {
  Job j;
  j.id = "job_0123456789abcdef0123456789abcdef";
  j.idempotency_key = "playbook-42";
  j.state = JobState::kSucceeded;
  j.alliance = "fin";
  j.peer = "bravo";
  j.question = "match";
  j.protocol = "rr22";
  j.actor = "key_0123456789abcdef";
  j.created = "2025-01-31T02:59:00.000Z";
  j.updated = "2025-01-31T03:00:00.000Z";
  return j;
}

WebhookNotification Succeeded() {
  WebhookNotification n;
  n.event = WebhookEvent::kJobSucceeded;
  n.job = SucceededJob();
  n.counts = {{"num_items", 1000}, {"num_peer_items", 5000}, {"num_matches", 17}};
  n.result_digest = std::string(64, 'd');
  return n;
}

TEST(WebhookPayloadTest, HoldsJobMetadataCountsAndDigestOnly) {
  auto body = WebhookPayload(Succeeded(), "dlv_1", "alpha", "2025-01-31T03:00:00Z");
  ASSERT_TRUE(body.ok()) << body.status();
  nlohmann::json j = nlohmann::json::parse(*body);
  EXPECT_EQ(j["event"], "job_succeeded");
  EXPECT_EQ(j["delivery"], "dlv_1");
  EXPECT_EQ(j["node"], "alpha");
  EXPECT_EQ(j["job"]["id"], "job_0123456789abcdef0123456789abcdef");
  EXPECT_EQ(j["job"]["state"], "succeeded");
  EXPECT_EQ(j["job"]["idempotency_key"], "playbook-42");
  EXPECT_EQ(j["job"]["counts"]["num_matches"], 17);
  EXPECT_EQ(j["job"]["result_digest"], std::string(64, 'd'));
  std::vector<std::string> keys;
  for (auto& [k, v] : j["job"].items()) keys.push_back(k);
  EXPECT_THAT(keys, ::testing::UnorderedElementsAre(
                        "id", "state", "alliance", "peer", "question", "protocol", "actor",
                        "idempotency_key", "created", "updated", "error", "counts",
                        "result_digest"));
}

TEST(WebhookPayloadTest, EventMustMatchTheJobState) {
  WebhookNotification n = Succeeded();
  n.event = WebhookEvent::kJobFailed;
  EXPECT_EQ(WebhookPayload(n, "d", "a", "t").status().code(), absl::StatusCode::kInvalidArgument);
  n.job.reset();
  EXPECT_EQ(WebhookPayload(n, "d", "a", "t").status().code(), absl::StatusCode::kInvalidArgument);
  n.event = WebhookEvent::kScheduleMissed;
  EXPECT_EQ(WebhookPayload(n, "d", "a", "t").status().code(), absl::StatusCode::kInvalidArgument);
}

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  { std::ofstream(path, std::ios::trunc) << text; }
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

TEST(WebhookSecretTest, FileMustBePrivateAndLongEnough) {
  NodeFixture node;
  WebhookConfig c;
  c.secret_path = node.Sub("soar.secret");
  EXPECT_EQ(LoadWebhookSecret(c).status().code(), absl::StatusCode::kNotFound);
  WriteFile(c.secret_path, std::string(kSecret) + "\n", 0644);
  auto s = LoadWebhookSecret(c);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("chmod 600"));
  EXPECT_THAT(std::string(s.status().message()), ::testing::Not(HasSubstr(kSecret)));
  ASSERT_EQ(chmod(c.secret_path.c_str(), 0600), 0);
  s = LoadWebhookSecret(c);
  ASSERT_TRUE(s.ok()) << s.status();
  // The trailing newline an editor adds is not part of the secret.
  EXPECT_EQ(ToHex(s->span()), ToHex(AsBytes(std::string_view(kSecret))));
  WriteFile(c.secret_path, "short\n", 0600);
  EXPECT_EQ(LoadWebhookSecret(c).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(WebhookSecretTest, EnvironmentVariableMustBeSet) {
  WebhookConfig c;
  c.secret_env = "LIAISON_TEST_WEBHOOK_UNSET";
  unsetenv("LIAISON_TEST_WEBHOOK_UNSET");
  EXPECT_EQ(LoadWebhookSecret(c).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(setenv("LIAISON_TEST_WEBHOOK_UNSET", kSecret, 1), 0);
  auto s = LoadWebhookSecret(c);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->size(), sizeof(kSecret) - 1);
}

// --- the [webhooks.<name>] config section ---

const std::string kNode =
    "[node]\nname = \"alpha\"\npeer_listen = \"0.0.0.0:7400\"\nrest_listen = \"127.0.0.1:7480\"\n";

TEST(WebhookConfigTest, SectionParsesWithDefaults) {
  auto config = ParseConfig(kNode +
                                "[webhooks.soar]\nurl = \"https://soar.example.org/h\"\n"
                                "secret_file = \"secrets/soar.key\"\n"
                                "[webhooks.siem]\nurl = \"http://10.0.0.5:8080/in\"\n"
                                "secret_env = \"SIEM_HOOK_SECRET\"\n"
                                "events = [\"job_failed\", \"schedule_missed\"]\n"
                                "max_attempts = 3\ntimeout_seconds = 5\n",
                            "liaison.toml", "/srv/alpha");
  ASSERT_TRUE(config.ok()) << config.status();
  const WebhookConfig& soar = config->webhooks.at("soar");
  EXPECT_EQ(soar.secret_path, "/srv/alpha/secrets/soar.key");
  // Every event by default, the quorum alert included.
  EXPECT_EQ(soar.events.size(), 6u);
  EXPECT_NE(std::find(soar.events.begin(), soar.events.end(), WebhookEvent::kQuorumAlert),
            soar.events.end());
  EXPECT_EQ(soar.max_attempts, 8u);
  EXPECT_EQ(soar.timeout_seconds, 10u);
  const WebhookConfig& siem = config->webhooks.at("siem");
  EXPECT_EQ(siem.secret_env, "SIEM_HOOK_SECRET");
  EXPECT_EQ(siem.events,
            (std::vector<WebhookEvent>{WebhookEvent::kJobFailed, WebhookEvent::kScheduleMissed}));
  EXPECT_EQ(siem.max_attempts, 3u);
  EXPECT_EQ(siem.timeout_seconds, 5u);
}

TEST(WebhookConfigTest, ErrorsNameTheLineAndKey) {
  const std::string head = kNode + "[webhooks.soar]\n";  // the table is line 5
  struct Case {
    std::string body;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"url = \"ftp://x/\"\nsecret_env = \"S\"\n",
       "liaison.toml:6: webhooks.soar.url: not a usable webhook URL"},
      {"url = \"https://x/\"\n", "liaison.toml:5: webhooks.soar.secret_file: missing"},
      {"url = \"https://x/\"\nsecret_env = \"S\"\nsecret_file = \"k\"\n",
       "liaison.toml:7: webhooks.soar.secret_env: give either"},
      {"url = \"https://x/\"\nsecret_file = \"../k\"\n",
       "liaison.toml:7: webhooks.soar.secret_file: must be a relative path inside"},
      {"url = \"https://x/\"\nsecret_file = \"/etc/k\"\n",
       "liaison.toml:7: webhooks.soar.secret_file: must be a relative path inside"},
      {"url = \"https://x/\"\nsecret_env = \"S\"\nevents = [\"job_done\"]\n",
       "liaison.toml:8: webhooks.soar.events: \"job_done\" is not a webhook event"},
      {"url = \"https://x/\"\nsecret_env = \"S\"\nmax_attempts = 0\n",
       "liaison.toml:8: webhooks.soar.max_attempts: must be 1 to 100"},
      {"url = \"https://x/\"\nsecret_env = \"S\"\nretries = 3\n",
       "liaison.toml:8: webhooks.soar.retries: unknown key"},
  };
  for (const Case& c : cases) {
    auto config = ParseConfig(head + c.body, "liaison.toml", "/srv/alpha");
    ASSERT_FALSE(config.ok()) << c.body;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(config.status().message()), StartsWith(c.want)) << c.body;
  }
}

// --- delivery to a real HTTP server on loopback ---

// WaitUntilRunning returns once `server`'s accept loop runs, so that a
// stop() cannot come before it (httplib 0.11 ignores a stop() then).
void WaitUntilRunning(httplib::Server& server) {
  while (!server.is_running()) std::this_thread::sleep_for(milliseconds(1));
}

struct Received {
  httplib::Headers headers;
  std::string body;
  std::string path;
};

// Receiver is an HTTP server on 127.0.0.1 that answers each POST with the
// next scripted response (200 when the script is empty).
class Receiver {
 public:
  struct Reply {
    int status = 200;
    std::string retry_after;
  };

  Receiver() {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back({req.headers, req.body, req.path});
      Reply reply;
      if (!script_.empty()) {
        reply = script_.front();
        script_.pop_front();
      }
      res.status = reply.status;
      if (!reply.retry_after.empty()) res.set_header("Retry-After", reply.retry_after);
      res.set_content("{}", "application/json");
      cv_.notify_all();
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    WaitUntilRunning(server_);
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }

  void Script(std::vector<Reply> replies) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.assign(replies.begin(), replies.end());
  }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, seconds(10), [&] { return received_.size() >= n; });
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/liaison"; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Reply> script_;
  std::vector<Received> received_;
};

using testing::ReceiverSignature;

class DeliveryTest : public ::testing::Test {
 protected:
  DeliveryTest() {
    WriteFile(node_.Sub("soar.secret"), std::string(kSecret) + "\n", 0600);
    options_.node_name = "alpha";
    options_.initial_backoff = milliseconds(1000);
    options_.max_backoff = milliseconds(8000);
  }

  WebhookConfig Hook(std::string url, uint32_t max_attempts = 8) {
    WebhookConfig c;
    c.name = "soar";
    c.url = std::move(url);
    c.secret_file = "soar.secret";
    c.secret_path = node_.Sub("soar.secret");
    c.events = {WebhookEvent::kJobSucceeded, WebhookEvent::kJobFailed};
    c.max_attempts = max_attempts;
    c.timeout_seconds = 1;
    return c;
  }

  std::unique_ptr<WebhookDispatcher> Make(const WebhookConfig& hook) {
    auto d = WebhookDispatcher::Create(node_.store(), node_.audit(), {{hook.name, hook}}, clock_,
                                       options_);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? std::move(*d) : nullptr;
  }

  WebhookDelivery Only() {
    auto all = ListWebhookDeliveries(node_.store());
    EXPECT_TRUE(all.ok());
    EXPECT_EQ(all->size(), 1u);
    return all->empty() ? WebhookDelivery() : all->front();
  }

  NodeFixture node_;
  FakeClock clock_{kNow};
  WebhookDispatcher::Options options_;
  Receiver receiver_;
};

TEST_F(DeliveryTest, DeliversASignedPostTheReceiverCanVerify) {
  auto d = Make(Hook(receiver_.Url()));
  ASSERT_TRUE(d->Enqueue(Succeeded()).ok());
  ASSERT_TRUE(d->DeliverDue().ok());
  std::vector<Received> got = receiver_.received();
  ASSERT_EQ(got.size(), 1u);
  const Received& r = got[0];
  EXPECT_EQ(r.path, "/hooks/liaison");
  auto header = [&](const char* name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
  };
  EXPECT_EQ(header("Content-Type"), "application/json");
  EXPECT_EQ(header("Liaison-Event"), "job_succeeded");
  const WebhookDelivery delivery = Only();
  EXPECT_EQ(header("Liaison-Delivery"), delivery.id);
  EXPECT_EQ(delivery.state, WebhookDeliveryState::kDelivered);
  EXPECT_EQ(delivery.attempts, 1);

  // Verify as a receiver would: split t= and v1=, recompute, compare.
  std::string sig = header("Liaison-Signature");
  ASSERT_THAT(sig, StartsWith("t="));
  size_t comma = sig.find(",v1=");
  ASSERT_NE(comma, std::string::npos);
  std::string t = sig.substr(2, comma - 2);
  std::string v1 = sig.substr(comma + 4);
  EXPECT_EQ(t, std::to_string(kNow));
  EXPECT_EQ(v1, ReceiverSignature(kSecret, t, r.body));
  EXPECT_NE(v1, ReceiverSignature("another secret 0123", t, r.body));

  nlohmann::json body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["event"], "job_succeeded");
  EXPECT_EQ(body["delivery"], delivery.id);
  EXPECT_EQ(body["job"]["id"], SucceededJob().id);
  EXPECT_EQ(body["job"]["counts"]["num_matches"], 17);
}

TEST_F(DeliveryTest, RetriesAfter500ThenSucceedsWithTheSameDeliveryId) {
  receiver_.Script({{500, ""}, {200, ""}});
  auto d = Make(Hook(receiver_.Url()));
  ASSERT_TRUE(d->Enqueue(Succeeded()).ok());
  ASSERT_TRUE(d->DeliverDue().ok());
  WebhookDelivery after_first = Only();
  EXPECT_EQ(after_first.state, WebhookDeliveryState::kPending);
  EXPECT_EQ(after_first.attempts, 1);
  EXPECT_EQ(after_first.last_error, "HTTP 500");
  // Back-off with jitter: between half and all of initial_backoff.
  EXPECT_GE(after_first.next_attempt_ms, kNow * 1000 + 500);
  EXPECT_LE(after_first.next_attempt_ms, kNow * 1000 + 1000);
  ASSERT_TRUE(d->DeliverDue().ok());  // not due yet
  EXPECT_EQ(receiver_.received().size(), 1u);
  clock_.AdvanceMillis(1000);
  ASSERT_TRUE(d->DeliverDue().ok());
  std::vector<Received> got = receiver_.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].headers.find("Liaison-Delivery")->second,
            got[1].headers.find("Liaison-Delivery")->second);
  EXPECT_EQ(got[0].body, got[1].body);
  EXPECT_EQ(Only().state, WebhookDeliveryState::kDelivered);
  EXPECT_EQ(Only().attempts, 2);
}

TEST_F(DeliveryTest, Honours429RetryAfter) {
  receiver_.Script({{429, "30"}, {200, ""}});
  auto d = Make(Hook(receiver_.Url()));
  ASSERT_TRUE(d->Enqueue(Succeeded()).ok());
  ASSERT_TRUE(d->DeliverDue().ok());
  EXPECT_EQ(Only().next_attempt_ms, (kNow + 30) * 1000);
  EXPECT_EQ(Only().last_error, "HTTP 429");
  clock_.Advance(seconds(29));
  ASSERT_TRUE(d->DeliverDue().ok());
  EXPECT_EQ(receiver_.received().size(), 1u);
  clock_.Advance(seconds(1));
  ASSERT_TRUE(d->DeliverDue().ok());
  EXPECT_EQ(receiver_.received().size(), 2u);
  EXPECT_EQ(Only().state, WebhookDeliveryState::kDelivered);
}

TEST_F(DeliveryTest, RetryAfterAsHttpDateIsHonoured) {
  receiver_.Script({{503, "Fri, 31 Jan 2025 03:02:00 GMT"}, {200, ""}});
  auto d = Make(Hook(receiver_.Url()));
  ASSERT_TRUE(d->Enqueue(Succeeded()).ok());
  ASSERT_TRUE(d->DeliverDue().ok());
  EXPECT_EQ(Only().next_attempt_ms, (kNow + 120) * 1000);
}

TEST_F(DeliveryTest, NoRetryOn400AndTheFailureIsAudited) {
  receiver_.Script({{400, ""}});
  auto d = Make(Hook(receiver_.Url()));
  ASSERT_TRUE(d->Enqueue(Succeeded()).ok());
  ASSERT_TRUE(d->DeliverDue().ok());
  clock_.Advance(seconds(3600));
  ASSERT_TRUE(d->DeliverDue().ok());
  EXPECT_EQ(receiver_.received().size(), 1u);
  const WebhookDelivery delivery = Only();
  EXPECT_EQ(delivery.state, WebhookDeliveryState::kFailed);
  EXPECT_EQ(delivery.last_error, "HTTP 400");
  std::vector<AuditRecord> failed = node_.Records("webhook_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].actor, "node");
  EXPECT_EQ(failed[0].job_id, SucceededJob().id);
  nlohmann::json p = nlohmann::json::parse(failed[0].params_json);
  EXPECT_EQ(p["webhook"], "soar");
  EXPECT_EQ(p["delivery"], delivery.id);
  EXPECT_EQ(p["attempts"], 1);
  EXPECT_EQ(p["error"], "HTTP 400");
  EXPECT_EQ(failed[0].params_json.find("127.0.0.1"), std::string::npos) << "no URL in the log";
}

TEST_F(DeliveryTest, GivesUpAfterMaxAttemptsAndAuditsIt) {
  receiver_.Script({{503, ""}, {502, ""}, {500, ""}, {200, ""}});
  auto d = Make(Hook(receiver_.Url(), /*max_attempts=*/3));
  ASSERT_TRUE(d->Enqueue(Succeeded()).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(d->DeliverDue().ok());
    clock_.Advance(seconds(60));
  }
  EXPECT_EQ(receiver_.received().size(), 3u);
  EXPECT_EQ(Only().state, WebhookDeliveryState::kFailed);
  EXPECT_EQ(Only().attempts, 3);
  std::vector<AuditRecord> failed = node_.Records("webhook_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(failed[0].params_json)["attempts"], 3);
  EXPECT_EQ(nlohmann::json::parse(failed[0].params_json)["error"], "HTTP 500");
}

TEST_F(DeliveryTest, ConnectionErrorIsRetried) {
  std::string url;
  {
    Receiver gone;
    url = gone.Url();
  }
  auto d = Make(Hook(url));
  ASSERT_TRUE(d->Enqueue(Succeeded()).ok());
  ASSERT_TRUE(d->DeliverDue().ok());
  EXPECT_EQ(Only().state, WebhookDeliveryState::kPending);
  EXPECT_THAT(Only().last_error, StartsWith("connection: "));
}

TEST_F(DeliveryTest, ReadTimeoutIsRetried) {
  httplib::Server slow;
  slow.Post(".*", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(milliseconds(1500));
    res.status = 200;
  });
  int port = slow.bind_to_any_port("127.0.0.1");
  std::thread t([&] { slow.listen_after_bind(); });
  WaitUntilRunning(slow);
  auto d = Make(Hook("http://127.0.0.1:" + std::to_string(port) + "/"));
  ASSERT_TRUE(d->Enqueue(Succeeded()).ok());
  ASSERT_TRUE(d->DeliverDue().ok());
  EXPECT_EQ(Only().state, WebhookDeliveryState::kPending);
  EXPECT_THAT(Only().last_error, StartsWith("connection: "));
  slow.stop();
  t.join();
}

TEST_F(DeliveryTest, OutboxSurvivesReopeningTheStore) {
  std::string id;
  {
    auto d = Make(Hook(receiver_.Url()));
    ASSERT_TRUE(d->Enqueue(Succeeded()).ok());
    id = Only().id;
  }
  node_.Reopen();
  auto d = Make(Hook(receiver_.Url()));
  ASSERT_TRUE(d->DeliverDue().ok());
  ASSERT_EQ(receiver_.received().size(), 1u);
  EXPECT_EQ(receiver_.received()[0].headers.find("Liaison-Delivery")->second, id);
  EXPECT_EQ(Only().state, WebhookDeliveryState::kDelivered);
}

TEST_F(DeliveryTest, EnqueueInCommitsOrRollsBackWithTheCallersTransaction) {
  auto d = Make(Hook(receiver_.Url()));
  absl::Status s = node_.store().Write([&](internal::Db& db) -> absl::Status {
    EXPECT_TRUE(d->EnqueueIn(db, Succeeded()).ok());
    return absl::AbortedError("the job's state change failed");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(ListWebhookDeliveries(node_.store())->empty());
  ASSERT_TRUE(node_.store()
                  .Write([&](internal::Db& db) { return d->EnqueueIn(db, Succeeded()); })
                  .ok());
  EXPECT_EQ(ListWebhookDeliveries(node_.store())->size(), 1u);
}

TEST_F(DeliveryTest, OnlySubscribedEventsAreQueued) {
  auto d = Make(Hook(receiver_.Url()));  // job_succeeded and job_failed
  WebhookNotification missed;
  missed.event = WebhookEvent::kScheduleMissed;
  missed.missed = WebhookNotification::MissedRuns{"nightly", 2, kNow - 86400, kNow, "late"};
  ASSERT_TRUE(d->Enqueue(missed).ok());
  EXPECT_TRUE(ListWebhookDeliveries(node_.store())->empty());
}

TEST_F(DeliveryTest, ThreadDeliversWhatIsEnqueued) {
  auto d = Make(Hook(receiver_.Url()));
  ASSERT_TRUE(d->Start().ok());
  ASSERT_TRUE(d->Enqueue(Succeeded()).ok());
  ASSERT_TRUE(receiver_.WaitFor(1));
  receiver_.Script({{500, ""}});
  WebhookNotification failed = Succeeded();
  failed.event = WebhookEvent::kJobFailed;
  failed.job->state = JobState::kFailed;
  ASSERT_TRUE(d->Enqueue(failed).ok());
  ASSERT_TRUE(receiver_.WaitFor(2));
  // Once the 500 is recorded (the back-off counted from the fake now), move
  // the clock past the back-off: the waiting thread wakes and retries.
  for (int i = 0; i < 10000; ++i) {
    auto all = ListWebhookDeliveries(node_.store());
    ASSERT_TRUE(all.ok());
    if (all->size() == 2 && (*all)[1].attempts == 1) break;
    std::this_thread::sleep_for(milliseconds(1));
  }
  clock_.Advance(seconds(2));
  ASSERT_TRUE(receiver_.WaitFor(3));
  d->Stop();
  EXPECT_EQ(receiver_.received()[2].headers.find("Liaison-Event")->second, "job_failed");
}

TEST_F(DeliveryTest, PendingDeliveriesOfARemovedWebhookFailAtStart) {
  {
    auto d = Make(Hook(receiver_.Url()));
    ASSERT_TRUE(d->Enqueue(Succeeded()).ok());
  }
  WebhookConfig other = Hook(receiver_.Url());
  other.name = "other";
  auto d = Make(other);
  ASSERT_TRUE(d->Start().ok());
  d->Stop();
  EXPECT_EQ(Only().state, WebhookDeliveryState::kFailed);
  EXPECT_EQ(Only().attempts, 0);
  EXPECT_EQ(node_.Records("webhook_failed").size(), 1u);
  EXPECT_TRUE(receiver_.received().empty());
}

}  // namespace
}  // namespace liaison::node
