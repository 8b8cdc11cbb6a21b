// Webhooks: signed HTTP POSTs that tell a SOAR platform (or any receiver)
// that a job finished or that scheduled runs were missed. Configured as
// [webhooks.<name>] tables; docs/webhooks.md is the receiver's reference
// (payload, headers, how to verify the signature).
//
// Signature: HMAC-SHA256 with the webhook's shared secret over
// "<timestamp>.<body>", sent as
//   Liaison-Signature: t=<Unix seconds>,v1=<64 lower-case hex digits>
// with Liaison-Event (the event name) and Liaison-Delivery (an id that stays
// the same across retries, for de-duplication). The timestamp is that of the
// attempt, so a receiver can refuse stale (replayed) requests.
//
// Delivery goes through an outbox table in the store: a notification is
// rendered into one row per subscribed webhook, possibly in the same
// transaction as the job state change it reports (EnqueueIn), and survives
// restarts. The dispatcher's thread posts due rows one at a time:
//   2xx                          delivered
//   network error, 408, 429, 5xx retried with exponential back-off and
//                                jitter, or after Retry-After if the
//                                receiver sent one (capped)
//   any other status (3xx, 4xx)  failed at once (redirects are not followed)
// After max_attempts tries a delivery is failed. A failed delivery is
// recorded in the audit log ("webhook_failed", actor "node") in the same
// transaction that marks it failed. Payloads never hold items, only job
// metadata, counts and digests.
#ifndef LIAISON_NODE_WEBHOOK_H_
#define LIAISON_NODE_WEBHOOK_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/secret.h"
#include "node/audit.h"
#include "node/clock.h"
#include "node/config.h"
#include "node/internal/worker.h"
#include "node/store.h"

namespace liaison::node {

// WebhookUrl is a parsed webhook URL.
struct WebhookUrl {
  bool https = false;
  std::string host;  // IPv6 without brackets
  uint16_t port = 0;  // explicit or the scheme's default
  std::string path;   // "/" at least; with the query, if any
};

// ParseWebhookUrl accepts "http://host[:port][/path][?query]" and the same
// with https; the host is a DNS name, an IPv4 address or a bracketed IPv6
// address. InvalidArgument (without echoing the URL, which may carry a
// token) for another scheme, user info, a fragment, a bad port, white space
// or control characters.
absl::StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view url);

// WebhookNotification is what the daemon (or the scheduler) reports.
struct WebhookNotification {
  WebhookEvent event = WebhookEvent::kJobSucceeded;
  // job is the job after the change being reported; required for job_*
  // events.
  std::optional<Job> job;
  // counts and result_digest are the job's (set sizes, intersection size;
  // a 64-hex digest), as in its audit record. Never items.
  std::map<std::string, int64_t> counts;
  std::string result_digest;
  // MissedRuns describes a gap of a schedule; required for schedule_missed.
  struct MissedRuns {
    std::string schedule;
    int64_t num_missed = 0;
    int64_t first_missed = 0;  // Unix seconds
    int64_t last_missed = 0;   // Unix seconds
    // "node_not_running", "late", "submit_failed" or "budget_exhausted"
    std::string reason;
  };
  std::optional<MissedRuns> missed;
};

// WebhookPayload renders the JSON body for `n` (docs/webhooks.md):
// {"delivery","event","node","time", and "job" or "schedule"}. `time` is
// RFC 3339. InvalidArgument if the event's required part is missing.
absl::StatusOr<std::string> WebhookPayload(const WebhookNotification& n,
                                           std::string_view delivery_id,
                                           std::string_view node_name, std::string_view time);

// WebhookSignature returns the 64 hex digits of HMAC-SHA256(`secret`,
// "<timestamp>.<body>").
std::string WebhookSignature(const SecretBytes& secret, int64_t timestamp,
                             std::string_view body);

// LoadWebhookSecret reads the secret of `config`: the file's contents
// without trailing white space, or the environment variable's value.
// FailedPrecondition if the file is readable or writable by group or
// others, is not a regular file, the variable is unset, or the secret is
// shorter than 16 bytes; NotFound if the file is missing. Messages name the
// file or variable, never the secret.
absl::StatusOr<SecretBytes> LoadWebhookSecret(const WebhookConfig& config);

// WebhookDeliveryState is where an outbox row is.
enum class WebhookDeliveryState { kPending, kDelivered, kFailed };
std::string_view WebhookDeliveryStateName(WebhookDeliveryState s);  // "pending", ...

// WebhookDelivery is one outbox row.
struct WebhookDelivery {
  std::string id;  // "dlv_" and 32 hex digits: the Liaison-Delivery header
  std::string webhook;
  std::string event;
  std::string job_id;  // empty for schedule_missed
  WebhookDeliveryState state = WebhookDeliveryState::kPending;
  int64_t attempts = 0;
  int64_t next_attempt_ms = 0;  // Unix milliseconds; meaningful while pending
  std::string last_error;       // "HTTP 503", "connection: ..."; empty if none
  std::string created;          // RFC 3339
  std::string finished;         // RFC 3339 when delivered or failed
};

// ListWebhookDeliveries returns every outbox row, oldest first.
absl::StatusOr<std::vector<WebhookDelivery>> ListWebhookDeliveries(Store& store);

// ListRecentWebhookDeliveries returns the newest `limit` outbox rows, newest
// first (the REST API's GET /v1/webhooks/deliveries).
absl::StatusOr<std::vector<WebhookDelivery>> ListRecentWebhookDeliveries(Store& store,
                                                                         size_t limit);

// WebhookDispatcher renders notifications into the outbox and delivers
// them. Life cycle: Create, Start() once, Stop() (or destroy) once.
// `store`, `audit` and `clock` must outlive it. Enqueue, EnqueueIn, Wake
// and NextAttemptTime are thread-safe and may be called before Start;
// DeliverDue must not be called while the thread runs.
class WebhookDispatcher {
 public:
  struct Options {
    // node_name is the "node" of every payload.
    std::string node_name;
    // initial_backoff is the delay before the second attempt; each further
    // one doubles it, up to max_backoff. The delay actually used is drawn
    // uniformly from [d/2, d] (jitter, so that many deliveries failing
    // together do not retry together).
    std::chrono::milliseconds initial_backoff = std::chrono::seconds(5);
    std::chrono::milliseconds max_backoff = std::chrono::hours(1);
    // max_retry_after caps a receiver's Retry-After.
    std::chrono::milliseconds max_retry_after = std::chrono::hours(1);
  };

  // Create loads every webhook's secret (LoadWebhookSecret; its error is
  // returned, prefixed with "webhooks.<name>") and checks its URL.
  static absl::StatusOr<std::unique_ptr<WebhookDispatcher>> Create(
      Store& store, AuditLog& audit, const std::map<std::string, WebhookConfig>& webhooks,
      Clock& clock, Options options);
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // EnqueueIn adds one outbox row for each webhook subscribed to `n.event`,
  // inside the caller's write transaction `db` (from Store::Write), so the
  // notification is committed together with the change it reports, or not
  // at all. Call Wake() after the transaction commits. InvalidArgument as
  // for WebhookPayload.
  absl::Status EnqueueIn(internal::Db& db, const WebhookNotification& n);

  // Enqueue is EnqueueIn in a transaction of its own, followed by Wake().
  absl::Status Enqueue(const WebhookNotification& n);

  // Wake tells the thread to look at the outbox now.
  void Wake();

  // Start first fails (webhook_failed) the pending rows of webhooks that are
  // no longer configured, then starts the thread. FailedPrecondition if
  // already started.
  absl::Status Start();

  // Stop wakes the thread and waits for the attempt in progress (at most
  // about three times timeout_seconds). Pending rows stay for the next
  // start. Idempotent.
  void Stop();

  // DeliverDue makes one attempt at every pending row due now (by the
  // clock), oldest first, and records each outcome. Store errors are
  // returned. The thread's step, public for tests.
  absl::Status DeliverDue();

  // NextAttemptTime returns when the earliest pending row is due, nullopt if
  // there is none.
  absl::StatusOr<std::optional<Clock::TimePoint>> NextAttemptTime();

 private:
  struct Hook {
    WebhookConfig config;
    WebhookUrl url;
    SecretBytes secret;
  };
  struct Attempt;

  WebhookDispatcher(Store& store, AuditLog& audit, Clock& clock, Options options);
  absl::Status FailOrphans();
  Attempt Post(const Hook& hook, const WebhookDelivery& d, const std::string& body);
  absl::Status Record(const Hook* hook, const WebhookDelivery& d, const Attempt& a);
  std::chrono::milliseconds Backoff(int64_t attempts);
  Clock::TimePoint Step();

  Store& store_;
  AuditLog& audit_;
  Clock& clock_;
  Options options_;
  std::map<std::string, Hook> hooks_;  // immutable after Create
  std::mt19937_64 jitter_;  // not secret: only spreads retries; worker thread only
  internal::Worker worker_;  // last: stopped before the rest goes
};

}  // namespace liaison::node

#endif  // LIAISON_NODE_WEBHOOK_H_
