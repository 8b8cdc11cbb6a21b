// The jobs this node starts. A submission (a POST /v1/jobs body, or a
// schedule's run) is checked against our own policy (node/policy.h), created
// and queued; a worker then offers it to the peer, and the initiator's side
// of the job runs from there (Daemon::SubmitJob; docs/wire/node-peer.md):
// one connection attempt per turn, retried after a capped exponential
// back-off with jitter while the peer is unreachable (PeerRetryCeiling);
// an offer held for an analyst's approval is asked again every
// approval_poll_seconds; once the responder accepts, our policy checks its
// set size and build, reserves our item budget, and the run starts.
// initiator.cc holds the daemon's methods for all this.
#ifndef LIAISON_NODE_INITIATOR_H_
#define LIAISON_NODE_INITIATOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "node/config.h"

namespace liaison::node {

// JobSubmission is a request for a job with a peer, as the REST API and
// schedules make it.
struct JobSubmission {
  std::string alliance;
  std::string peer;
  std::string question = "match";
  std::string protocol = "rr22";  // "rr22" or "ecdh"
  // dataset is ours; peer_dataset the peer's (empty: the peer's first
  // dataset for us in the alliance).
  std::string dataset;
  std::string peer_dataset;
  // result_to: "me", "peer" or "both".
  std::string result_to{kDefaultResultTo};
  // dp: count and sum only (node/dp_jobs.h).
  DpJobParams dp;
  // A quorum's (question "quorum", no peer): the participants by the names
  // our config gives them, this node included (by its [node] name), in
  // party order; the threshold t (1 ≤ t ≤ n); whether the holder counts
  // are hidden.
  std::vector<std::string> participants;
  uint32_t threshold = 0;
  bool hide_count = false;
  std::string idempotency_key;
};

// ScheduledSubmission is the submission a schedule's run makes: the
// template's job (with its DP parameters) under `idempotency_key`, passed
// to Daemon::SubmitJob like a POST /v1/jobs body.
JobSubmission ScheduledSubmission(const JobTemplate& job, std::string_view idempotency_key);

// PeerRetryCeiling is the longest back-off before connection attempt
// `attempts` + 1 to an unreachable peer: peer_retry_initial_seconds doubled
// for every attempt after the first, capped at peer_retry_max_seconds. The
// delay used is drawn uniformly from [ceiling/2, ceiling].
absl::Duration PeerRetryCeiling(const NodeSection& node, uint32_t attempts);

}  // namespace liaison::node

#endif  // LIAISON_NODE_INITIATOR_H_
