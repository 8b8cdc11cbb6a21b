// What a finished job leaves behind (job_outcome.h): its result and audit
// records, and the daemon's state changes with their notifications.
#include "node/job_outcome.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "node/internal/daemon_internal.h"
#include "node/item_budget.h"

namespace liaison::node {

using Json = nlohmann::json;
using internal::NodeProfile;

std::string RefusalText(std::string_view code, std::string_view reason) {
  return StrCat(code, ": ", reason);
}

std::pair<std::string, std::string> SplitRefusal(const std::string& error) {
  size_t colon = error.find(": ");
  if (colon == std::string::npos) return {"refused", error};
  return {error.substr(0, colon), error.substr(colon + 2)};
}

AuditContent StartedAudit(const DatasetInfo& ours, std::string_view profile_digest,
                          uint64_t peer_items, std::string_view peer_build) {
  AuditContent started;
  started.dataset_digests = {ours.digest};
  started.profile_digest = std::string(profile_digest);
  started.counts = {{"items", static_cast<int64_t>(ours.num_distinct)},
                    {"peer_items", static_cast<int64_t>(peer_items)}};
  started.peer_build = std::string(peer_build);
  return started;
}

AuditEvent JobAuditEvent(AuditKind kind, const Job& job, std::string_view actor,
                         const AuditContent* extra) {
  AuditEvent e;
  if (extra != nullptr) static_cast<AuditContent&>(e) = *extra;
  e.kind = kind;
  e.actor = std::string(actor);
  e.job_id = job.id;
  e.alliance = job.alliance;
  e.peer = job.peer;
  e.question = job.question;
  e.protocol = job.protocol;
  e.params_json = job.params_json;
  if (!job.error.empty() && kind != AuditKind::kReceipt) {
    Json p = Json::parse(job.params_json, nullptr, false);
    if (p.is_object()) {
      p["role"] = JobRoleName(job.role);
      p["reason"] = job.error;
      e.params_json = p.dump();
    }
  }
  return e;
}

absl::StatusOr<FinishedJob> FinishedJobOf(const Job& job, const LoadedDataset& data,
                                          const RunOutcome& out) {
  FinishedJob finished;
  JobResult& result = finished.result;
  result.job_id = job.id;
  std::vector<size_t>& rows = finished.rows;
  const bool aggregate = out.psi.aggregate.has_value();
  if (out.psi.received && aggregate) {
    Json body = Json::parse(out.content, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) return absl::InternalError("the aggregate result is not a JSON object");
    body["job_id"] = job.id;
    body["kind"] = "dp-aggregate-v1";
    body["dataset"] = data.info.name;
    body["commitment"] = Json{{"digest", out.commitment}, {"salt", out.salt_hex}};
    body["result_digest"] = out.result_digest;
    result.kind = "dp-aggregate-v1";
    result.body = body.dump();
    result.digest = out.result_digest;
  } else if (out.psi.received) {
    rows = data.set.RecordsOfKeys(out.psi.matched_keys);
    Json items = Json::array();
    for (size_t i : rows) {
      const data::Record& r = data.set.records[i];
      items.push_back(Json{{"line", r.line},
                           {"type", data::TypeName(r.item.type)},
                           {"value", r.item.value}});
    }
    Json body{{"job_id", job.id},
              {"kind", "match-v1"},
              {"dataset", data.info.name},
              {"intersection_size", out.psi.intersection_size},
              {"num_rows", rows.size()},
              {"rows", std::move(items)},
              {"commitment", Json{{"digest", out.commitment}, {"salt", out.salt_hex}}},
              {"result_digest", out.result_digest}};
    result.kind = "match-v1";
    result.body = body.dump();
    result.digest = out.result_digest;
    result.num_rows = static_cast<int64_t>(rows.size());
  }
  AuditContent& extra = finished.audit;
  extra.dataset_digests = {data.info.digest};
  extra.profile_digest = NodeProfile().digest();
  extra.transcript_hash = out.transcript_hash;
  extra.result_digest = out.result_digest;
  extra.peer_build = out.peer_build;
  extra.counts = {{"items", static_cast<int64_t>(data.info.num_distinct)},
                  {"peer_items", static_cast<int64_t>(out.psi.agreed.peer.set_size)},
                  {"bytes_sent", static_cast<int64_t>(out.psi.bytes_sent)},
                  {"bytes_received", static_cast<int64_t>(out.psi.bytes_received)}};
  if (out.psi.received && !aggregate) {
    extra.counts["intersection"] = static_cast<int64_t>(out.psi.intersection_size);
    extra.counts["matched_rows"] = static_cast<int64_t>(rows.size());
  }
  return finished;
}

// --- the daemon's record of its jobs -------------------------------------------

void Daemon::Notify(const Job& job) {
  for (JobEvents* o : observers_) o->OnJobChanged(job);
}

JobChangeHook Daemon::ObserverHook(std::map<std::string, int64_t> counts,
                                   std::string result_digest) {
  if (observers_.empty()) return nullptr;
  return [this, counts = std::move(counts), digest = std::move(result_digest)](
             internal::Db& db, const Job& job) -> absl::Status {
    JobChange change{job, counts, digest};
    for (JobEvents* o : observers_) LIAISON_RETURN_IF_ERROR(o->OnJobChangeIn(db, change));
    return absl::OkStatus();
  };
}

absl::StatusOr<Job> Daemon::Transition(std::string_view id, JobState to, std::string_view error) {
  LIAISON_ASSIGN_OR_RETURN(Job job, store_->TransitionJob(id, to, error, ObserverHook()));
  Notify(job);
  return job;
}

void Daemon::Record(AuditKind kind, const Job& job, std::string_view actor,
                    const AuditContent* extra) {
  absl::StatusOr<AuditRecord> r = audit_.Append(JobAuditEvent(kind, job, actor, extra));
  if (!r.ok()) {
    Log(LogLevel::kError, StrCat("audit record for job ", job.id, " failed: ",
                                 r.status().ToString()));
  }
}

void Daemon::Finalize(const Job& job, JobState to, std::string_view error,
                      std::string_view actor, const AuditContent* extra) {
  absl::StatusOr<Job> done = Transition(job.id, to, error);
  if (!done.ok()) {
    Log(LogLevel::kWarning, StrCat("job ", job.id, ": ", done.status().ToString()));
    return;
  }
  Record(to == JobState::kRefused ? AuditKind::kJobRefused : AuditKind::kJobFailed, *done, actor,
         extra);
}

void Daemon::RecordRefusedSubmission(const JobRequest& r, std::string_view error) {
  // Nothing was created, so the job has no id; the refusal is still on the
  // record, and the observers (webhooks) hear of it as of a job refused at
  // once, in the same transaction as the audit record.
  absl::StatusOr<Job> would_be = JobFromRequest(r, clock().Now());
  if (!would_be.ok()) {
    Log(LogLevel::kError, StrCat("a refused job of ", r.actor, ": ", would_be.status().ToString()));
    return;
  }
  Job refused = *std::move(would_be);
  refused.state = JobState::kRefused;
  refused.error = std::string(error);
  const AuditEvent event = JobAuditEvent(AuditKind::kJobRefused, refused, r.actor);
  const JobChangeHook observers = ObserverHook();
  absl::Status written = store_->Write([&](internal::Db& db) -> absl::Status {
    LIAISON_RETURN_IF_ERROR(audit_.AppendIn(db, event).status());
    return observers ? observers(db, refused) : absl::OkStatus();
  });
  if (!written.ok()) {
    Log(LogLevel::kError, StrCat("the refusal of a job of ", r.actor, " could not be recorded: ",
                                 written.ToString()));
    return;
  }
  Notify(refused);
}


absl::Status Daemon::Runner::Persist(Daemon& d, const Job& job, const LoadedDataset& data,
                                     const RunOutcome& out) {
  LIAISON_ASSIGN_OR_RETURN(FinishedJob finished, FinishedJobOf(job, data, out));
  const AuditContent& extra = finished.audit;
  const bool aggregate = out.psi.aggregate.has_value();
  JobChangeHook observers = d.ObserverHook(extra.counts, extra.result_digest);
  JobChangeHook hook = observers;
  if (!aggregate && out.psi.received && out.psi.agreed.peer_receives) {
    // Both learned the intersection: what the peer learned of ours is
    // exactly it, so it replaces the worst case reserved in the item
    // budget (node/item_budget.h).
    hook = [&out, &data, observers](internal::Db& db, const Job& j) -> absl::Status {
      std::vector<const std::string*> keys;
      for (size_t k : out.psi.matched_keys) keys.push_back(&data.set.keys[k]);
      LIAISON_RETURN_IF_ERROR(RecordRevealedIn(db, j.id, keys));
      return observers ? observers(db, j) : absl::OkStatus();
    };
  }
  LIAISON_ASSIGN_OR_RETURN(Job done, d.store_->FinishJob(finished.result, hook));
  d.Notify(done);
  d.Record(AuditKind::kJobSucceeded, done, job.actor, &extra);
  AuditContent receipt;
  receipt.receipt = out.peer_receipt;
  receipt.transcript_hash = out.transcript_hash;
  receipt.result_digest = out.result_digest;
  receipt.peer_build = out.peer_build;
  d.Record(AuditKind::kReceipt, done, ActorForPeer(out.peer_receipt.peer_fingerprint),
           &receipt);
  return absl::OkStatus();
}

}  // namespace liaison::node
