#include "node/job_webhooks.h"

#include "base/log.h"
#include "base/strings.h"

namespace liaison::node {

std::optional<WebhookEvent> WebhookEventForState(JobState state) {
  switch (state) {
    case JobState::kSucceeded: return WebhookEvent::kJobSucceeded;
    case JobState::kFailed: return WebhookEvent::kJobFailed;
    case JobState::kRefused: return WebhookEvent::kJobRefused;
    case JobState::kCancelled: return WebhookEvent::kJobCancelled;
    default: return std::nullopt;
  }
}

absl::Status JobWebhooks::OnJobChangeIn(internal::Db& db, const JobChange& change) {
  std::optional<WebhookEvent> event = WebhookEventForState(change.job.state);
  if (!event) return absl::OkStatus();
  WebhookNotification n;
  n.event = *event;
  n.job = change.job;
  n.counts = change.counts;
  n.result_digest = change.result_digest;
  absl::Status s = dispatcher_.EnqueueIn(db, n);
  auto qualifying = change.counts.find("qualifying");
  if (s.ok() && change.job.state == JobState::kSucceeded && change.job.question == "quorum" &&
      qualifying != change.counts.end() && qualifying->second > 0) {
    n.event = WebhookEvent::kQuorumAlert;
    s = dispatcher_.EnqueueIn(db, n);
  }
  if (absl::IsInvalidArgument(s)) {
    Log(LogLevel::kError, StrCat("job ", change.job.id, ": its webhook notification was dropped: ",
                                 std::string(s.message())));
    return absl::OkStatus();
  }
  return s;
}

void JobWebhooks::OnJobChanged(const Job& job) {
  if (WebhookEventForState(job.state)) dispatcher_.Wake();
}

}  // namespace liaison::node
