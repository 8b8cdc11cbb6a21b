#include "node/job_webhooks.h"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/testing/fake_clock.h"
#include "node/testing/node_fixture.h"
#include "node/testing/raw_db.h"

namespace liaison::node {
namespace {

using testing::FakeClock;
using testing::NodeFixture;
using testing::RawDb;

constexpr int64_t kNow = 1738292400;  // 2025-01-31T03:00:00Z

class JobWebhooksTest : public ::testing::Test {
 protected:
  JobWebhooksTest() {
    const std::string secret = node_.Sub("soar.secret");
    std::ofstream(secret) << "whsec_test_0123456789abcdef\n";
    EXPECT_EQ(chmod(secret.c_str(), 0600), 0);
    WebhookConfig c;
    c.name = "soar";
    c.url = "http://127.0.0.1:9/hook";  // never posted to: the dispatcher is not started
    c.secret_file = "soar.secret";
    c.secret_path = secret;
    c.events = {WebhookEvent::kJobSucceeded, WebhookEvent::kJobFailed,
                WebhookEvent::kJobRefused, WebhookEvent::kJobCancelled};
    WebhookDispatcher::Options options;
    options.node_name = "alpha";
    auto d = WebhookDispatcher::Create(node_.store(), node_.audit(), {{c.name, c}}, clock_,
                                       options);
    EXPECT_TRUE(d.ok()) << d.status();
    dispatcher_ = std::move(*d);
    events_ = std::make_unique<JobWebhooks>(*dispatcher_);
  }

  static JobRequest Request(const std::string& actor) {
    JobRequest r;
    r.alliance = "fin";
    r.peer = "bravo";
    r.question = "match";
    r.protocol = "rr22";
    r.actor = actor;
    return r;
  }

  std::string NewJob() {
    auto created = node_.store().CreateJob(Request("schedule:nightly"));
    EXPECT_TRUE(created.ok()) << created.status();
    return created->job.id;
  }

  // Hook passes every change to the observer, as the daemon does.
  JobChangeHook Hook(std::map<std::string, int64_t> counts = {}, std::string digest = "") {
    return [this, counts, digest](internal::Db& db, const Job& job) {
      return events_->OnJobChangeIn(db, JobChange{job, counts, digest});
    };
  }

  std::vector<WebhookDelivery> Deliveries() {
    auto all = ListWebhookDeliveries(node_.store());
    EXPECT_TRUE(all.ok()) << all.status();
    return all.ok() ? *all : std::vector<WebhookDelivery>{};
  }

  nlohmann::json Body(const std::string& delivery_id) {
    RawDb raw(node_.Sub("node.db"));
    return nlohmann::json::parse(
        raw.QueryText("SELECT body FROM webhook_outbox WHERE id = '" + delivery_id + "'"));
  }

  NodeFixture node_;
  FakeClock clock_{kNow};
  std::unique_ptr<WebhookDispatcher> dispatcher_;
  std::unique_ptr<JobWebhooks> events_;
};

TEST_F(JobWebhooksTest, EveryFinalStateHasItsEvent) {
  EXPECT_EQ(WebhookEventForState(JobState::kSucceeded), WebhookEvent::kJobSucceeded);
  EXPECT_EQ(WebhookEventForState(JobState::kFailed), WebhookEvent::kJobFailed);
  EXPECT_EQ(WebhookEventForState(JobState::kRefused), WebhookEvent::kJobRefused);
  EXPECT_EQ(WebhookEventForState(JobState::kCancelled), WebhookEvent::kJobCancelled);
  for (JobState s : {JobState::kQueued, JobState::kAwaitingApproval, JobState::kAwaitingPeer,
                     JobState::kRunning}) {
    EXPECT_FALSE(WebhookEventForState(s).has_value()) << JobStateName(s);
  }
}

TEST_F(JobWebhooksTest, FailedJobIsEnqueuedWithItsReasonInTheSameTransaction) {
  const std::string id = NewJob();
  auto waiting = node_.store().TransitionJob(id, JobState::kAwaitingPeer, "", Hook());
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_TRUE(Deliveries().empty()) << "a state that is not final sent a notification";

  auto failed = node_.store().TransitionJob(
      id, JobState::kFailed, "peer unreachable after 3 attempts: refused", Hook());
  ASSERT_TRUE(failed.ok()) << failed.status();
  std::vector<WebhookDelivery> d = Deliveries();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].event, "job_failed");
  EXPECT_EQ(d[0].job_id, id);
  EXPECT_EQ(d[0].state, WebhookDeliveryState::kPending);
  nlohmann::json body = Body(d[0].id);
  EXPECT_EQ(body["job"]["error"], "peer unreachable after 3 attempts: refused");
  EXPECT_EQ(body["job"]["actor"], "schedule:nightly");
}

TEST_F(JobWebhooksTest, RolledBackChangeLeavesNoNotification) {
  const std::string id = NewJob();
  auto failing = [this](internal::Db& db, const Job& job) -> absl::Status {
    EXPECT_TRUE(events_->OnJobChangeIn(db, JobChange{job, {}, ""}).ok());
    return absl::UnavailableError("the disk is full");
  };
  auto r = node_.store().TransitionJob(id, JobState::kCancelled, "", failing);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Deliveries().empty());
  auto job = node_.store().GetJob(id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state, JobState::kQueued);
}

TEST_F(JobWebhooksTest, SucceededJobCarriesCountsAndDigestNeverItems) {
  const std::string id = NewJob();
  ASSERT_TRUE(node_.store().TransitionJob(id, JobState::kRunning, "").ok());
  JobResult result;
  result.job_id = id;
  result.kind = "match-v1";
  result.body = R"({"rows":[{"value":"198.51.100.7"}]})";
  result.digest = std::string(64, 'e');
  result.num_rows = 1;
  auto done = node_.store().FinishJob(
      result, Hook({{"items", 4}, {"intersection", 1}}, std::string(64, 'e')));
  ASSERT_TRUE(done.ok()) << done.status();
  std::vector<WebhookDelivery> d = Deliveries();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].event, "job_succeeded");
  nlohmann::json body = Body(d[0].id);
  EXPECT_EQ(body["job"]["counts"]["intersection"], 1);
  EXPECT_EQ(body["job"]["result_digest"], std::string(64, 'e'));
  EXPECT_EQ(body.dump().find("198.51.100.7"), std::string::npos);
}

TEST_F(JobWebhooksTest, ResponderRefusedAtAdmissionIsNotified) {
  auto admitted = node_.store().AdmitPeerJob(Request("peer:sha256:00"), "job_0123456789abcdef0123456789abcdef", 10,
                                             JobState::kQueued, "profile_mismatch: no", Hook());
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  std::vector<WebhookDelivery> d = Deliveries();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].event, "job_refused");
}

}  // namespace
}  // namespace liaison::node
