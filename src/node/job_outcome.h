// What a finished job leaves behind: the result the receiving side keeps
// (its rows or noised values, with the salted commitment and the result
// digest both sides sign), the counts and digests of its audit records,
// and how a refusal is written in a job's error. The daemon records every
// state change of a job with these (job_outcome.cc holds those of its
// methods: the transitions, their notifications and audit records).
#ifndef LIAISON_NODE_JOB_OUTCOME_H_
#define LIAISON_NODE_JOB_OUTCOME_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "node/audit.h"
#include "node/datasets.h"
#include "node/store.h"
#include "session/psi_job.h"

namespace liaison::node {

// RefusalText is how a refusal is recorded in a job's error: "code: reason".
std::string RefusalText(std::string_view code, std::string_view reason);
// SplitRefusal undoes RefusalText ("refused" and the whole error if it has
// no code).
std::pair<std::string, std::string> SplitRefusal(const std::string& error);

// RunOutcome is what one run established, between the verdict and the
// receipts (node/runner.cc makes it).
struct RunOutcome {
  session::PsiJobResult psi;
  std::string transcript_hash;
  std::string params_digest;
  std::string result_digest;
  std::string commitment;
  std::string salt_hex;
  // content is the canonical result this side committed to (the matched
  // keys, or the aggregate's JSON), or "none".
  std::string content;
  Receipt peer_receipt;
  std::string peer_build;  // as the peer announced it in the offer or verdict
};

// FinishedJob is what a succeeded job stores and audits.
struct FinishedJob {
  // result is the stored result: "match-v1" (the matched rows of our
  // dataset) or "dp-aggregate-v1" (the released values) on the receiving
  // side; empty (no kind) on a side that learned nothing.
  JobResult result;
  // rows are the indices of our matched records (match, receiving side).
  std::vector<size_t> rows;
  // audit is the job_succeeded record's content: dataset and profile
  // digests, transcript hash, result digest, the peer's build and the
  // counts (set sizes, bytes, and for a received match the intersection
  // and matched rows). Never items.
  AuditContent audit;
};

// FinishedJobOf builds what `job`, run on `data`, leaves behind after
// `out`. Internal if an aggregate's content is not a JSON object.
absl::StatusOr<FinishedJob> FinishedJobOf(const Job& job, const LoadedDataset& data,
                                          const RunOutcome& out);

// StartedAudit is the content of a job_started record: our dataset's
// digest, the normalisation profile's, both sides' set sizes (items,
// peer_items) and the peer's announced build.
AuditContent StartedAudit(const DatasetInfo& ours, std::string_view profile_digest,
                          uint64_t peer_items, std::string_view peer_build);

// JobAuditEvent is the audit record of `kind` about `job`: its id,
// alliance, peer, question, protocol and params, with `extra`'s content
// if given, and, for a job with an error (but for a receipt), the job's
// role and the error as "reason" in its params.
AuditEvent JobAuditEvent(AuditKind kind, const Job& job, std::string_view actor,
                         const AuditContent* extra = nullptr);

}  // namespace liaison::node

#endif  // LIAISON_NODE_JOB_OUTCOME_H_
