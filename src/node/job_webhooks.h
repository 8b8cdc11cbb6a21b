// JobWebhooks: the JobEvents observer that turns a job's terminal state
// change into a webhook notification (webhook.h). The daemon registers it
// when [webhooks.*] are configured.
//
// A job becoming succeeded, failed, refused or cancelled is rendered into
// the outbox inside the same store transaction as the state change
// (OnJobChangeIn calls WebhookDispatcher::EnqueueIn), so a committed change
// always has its notification and a rolled-back one never does; after the
// commit OnJobChanged wakes the dispatcher. Other changes (queued,
// awaiting_peer, running, ...) send nothing. The payload carries the job's
// metadata, error, counts and result digest; never items.
#ifndef LIAISON_NODE_JOB_WEBHOOKS_H_
#define LIAISON_NODE_JOB_WEBHOOKS_H_

#include <optional>

#include "absl/status/status.h"
#include "node/config.h"
#include "node/daemon.h"
#include "node/webhook.h"

namespace liaison::node {

// WebhookEventForState returns the webhook event that reports a job
// reaching `state`, or nullopt for a state that is not final.
std::optional<WebhookEvent> WebhookEventForState(JobState state);

class JobWebhooks : public JobEvents {
 public:
  // `dispatcher` must outlive this object. Thread-safe, as the dispatcher's
  // EnqueueIn and Wake are.
  explicit JobWebhooks(WebhookDispatcher& dispatcher) : dispatcher_(dispatcher) {}

  // OnJobChangeIn enqueues the notification of a final state in `db`. A
  // notification that cannot be rendered (InvalidArgument, e.g. text that is
  // not UTF-8) is logged and dropped rather than blocking the job's change;
  // store errors are returned (and roll the change back).
  absl::Status OnJobChangeIn(internal::Db& db, const JobChange& change) override;
  // OnJobChanged wakes the dispatcher after a final state was committed.
  void OnJobChanged(const Job& job) override;

 private:
  WebhookDispatcher& dispatcher_;
};

}  // namespace liaison::node

#endif  // LIAISON_NODE_JOB_WEBHOOKS_H_
