// The jobs this node starts (initiator.h): submissions checked against our
// policy, the executor's workers, and the initiator's side of a job — the
// offer, retries of an unreachable peer, polls for an approval, the go or
// abort and the run.
#include "node/initiator.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"
#include "net/host_port.h"
#include "node/budget_keys.h"
#include "node/daemon.h"
#include "node/dp_jobs.h"
#include "node/internal/daemon_internal.h"
#include "node/item_budget.h"
#include "node/job_outcome.h"
#include "node/peer_protocol.h"
#include "node/policy.h"
#include "node/privacy_ledger.h"

namespace liaison::node {
namespace {

using Json = nlohmann::json;
using internal::JobParamsRecord;
using internal::JobParamsRecordJson;
using internal::ParseJobParamsRecord;
using internal::NodeProfile;
using internal::ParseRfc3339;

}  // namespace

JobSubmission ScheduledSubmission(const JobTemplate& job, std::string_view idempotency_key) {
  JobSubmission s;
  s.alliance = job.alliance;
  s.peer = job.peer;
  s.question = std::string(QuestionName(job.question));
  s.protocol = job.protocol;
  s.dataset = job.dataset;
  s.result_to = job.result_to;
  s.dp = job.dp;
  s.participants = job.participants;
  s.threshold = job.threshold;
  s.hide_count = job.hide_count;
  s.idempotency_key = std::string(idempotency_key);
  return s;
}

// --- submitting -------------------------------------------------------------

absl::StatusOr<CreateJobResult> Daemon::SubmitJob(const JobSubmission& s,
                                                  std::string_view actor) {
  if (s.question == "quorum") return SubmitQuorumJob(s, actor);
  if (!s.participants.empty() || s.threshold != 0 || s.hide_count) {
    return absl::InvalidArgumentError(
        "participants, threshold and hide_count belong to quorum jobs");
  }
  // Our own policy first: the same admission check as a schedule's and a
  // peer's offer (node/policy.h).
  const JobPolicyQuery query{s.alliance, s.peer, s.question, s.protocol, s.dataset};
  const JobAdmission admission = CheckJobPolicy(config_, query);
  // The security model our policy gives the job (the peer must offer the
  // same from its own) is refused after the job's own fields are checked.
  const PolicyFinding* no_security = nullptr;
  for (const PolicyFinding& f : admission.findings) {
    if (f.rule != PolicyRule::kSecurityUnavailable) return PolicyStatus(query, f);
    no_security = &f;
  }
  if (!s.peer_dataset.empty() && !IsValidName(s.peer_dataset)) {
    return absl::InvalidArgumentError("peer_dataset is not a valid name");
  }
  absl::StatusOr<session::ResultTo> result_to = session::ParseResultTo(s.result_to);
  if (!result_to.ok()) return result_to.status();
  if (no_security != nullptr) return PolicyStatus(query, *no_security);
  const session::Security security = admission.security;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::UnavailableError("the node is shutting down");
  }
  // No job is taken on that could not be audited.
  LIAISON_RETURN_IF_ERROR(audit_.Check());
  JobParamsRecord params;
  params.dataset = s.dataset;
  params.peer_dataset = s.peer_dataset;
  params.result_to = *result_to;
  params.security = security;
  JobChangeHook reserve;
  LIAISON_ASSIGN_OR_RETURN(
      std::optional<JobDp> dp,
      JobDpOf(s.question, s.protocol, s.result_to, security, config_.datasets.at(s.dataset),
              s.dp));
  if (dp) {
    const PrivacyAmount charge = PrivacyChargeOf(dp->spec, *result_to != session::ResultTo::kMe);
    params.dp = dp->offer;
    params.privacy_charge = charge;
    if (charge.epsilon > 0) {
      // The charge counts in every ledger of the data: the peer's of the
      // dataset's name and of its content, over all alliances, and the
      // dataset's global ones (node/privacy_ledger.h). The content is the
      // file's now; if it cannot be read, the job will fail, and its charge
      // is settled on the content it finds if it runs (SettleContentIn).
      LIAISON_ASSIGN_OR_RETURN(PrivacyBudgets budgets,
                               PrivacyBudgetsFor(config_, s.peer, s.dataset));
      absl::StatusOr<LoadedDataset> data =
          LoadDataset(config_.datasets.at(s.dataset), NodeProfile(), clock().Now());
      if (data.ok()) catalog_.Remember(data->info);
      LIAISON_ASSIGN_OR_RETURN(
          BudgetKey key, BudgetKeyOf(config_, s.peer, s.alliance, s.dataset,
                                     data.ok() ? data->info.digest : std::string()));
      reserve = [key = std::move(key), charge, budgets](internal::Db& db,
                                                        const Job& job) -> absl::Status {
        return ReserveIn(db, key, job.id, charge, budgets).status();
      };
    }
  }
  JobRequest r;
  r.idempotency_key = s.idempotency_key;
  r.alliance = s.alliance;
  r.peer = s.peer;
  r.question = s.question;
  r.protocol = s.protocol;
  r.params_json = JobParamsRecordJson(params, JobRole::kInitiator);
  r.actor = std::string(actor);
  absl::StatusOr<CreateJobResult> attempt = store_->CreateJob(r, reserve);
  if (absl::IsResourceExhausted(attempt.status())) {
    RecordRefusedSubmission(
        r, RefusalText(kRefusePrivacyBudget, std::string(attempt.status().message())));
  }
  LIAISON_ASSIGN_OR_RETURN(CreateJobResult created, std::move(attempt));
  if (created.created) {
    Notify(created.job);
    Record(AuditKind::kJobOffered, created.job, actor);
    Enqueue(created.job.id, ClockNow());
  }
  return created;
}

void Daemon::Enqueue(std::string job_id, absl::Time not_before, uint32_t connect_attempts) {
  std::lock_guard<std::mutex> lock(mu_);
  tasks_.push_back({not_before, std::move(job_id), connect_attempts});
  cv_.notify_all();
}

absl::Duration PeerRetryCeiling(const NodeSection& n, uint32_t attempts) {
  // initial * 2^(attempts-1), capped; the shift is bounded so it cannot
  // overflow (2^20 s is past any cap).
  const uint32_t doublings = std::min<uint32_t>(attempts > 0 ? attempts - 1 : 0, 20);
  return absl::Seconds(std::min<int64_t>(int64_t{n.peer_retry_initial_seconds} << doublings,
                                         n.peer_retry_max_seconds));
}

absl::Duration Daemon::RetryDelay(uint32_t attempts) {
  const int64_t ceiling_ms =
      absl::ToInt64Milliseconds(PeerRetryCeiling(config_.node, attempts));
  std::lock_guard<std::mutex> lock(mu_);
  std::uniform_int_distribution<int64_t> jitter(ceiling_ms / 2, ceiling_ms);
  return absl::Milliseconds(jitter(retry_jitter_));
}

void Daemon::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stopping_) return;
    auto due = std::min_element(tasks_.begin(), tasks_.end(), [](const Task& a, const Task& b) {
      return a.not_before < b.not_before;
    });
    if (due == tasks_.end()) {
      cv_.wait(lock);
      continue;
    }
    if (due->not_before > ClockNow()) {
      // The injected clock's wait: a fake clock's Advance wakes it, the
      // system clock's at least once a minute.
      clock().WaitUntil(cv_, lock, absl::ToChronoTime(due->not_before));
      continue;
    }
    Task task = *due;
    tasks_.erase(due);
    if (!active_.insert(task.job_id).second) continue;
    lock.unlock();
    RunInitiator(task);
    lock.lock();
    active_.erase(task.job_id);
    cv_.notify_all();
  }
}

std::string Daemon::RequeueUnreachable(const Job& job, const Task& task, std::string_view who,
                                       std::string_view name, const absl::Status& error) {
  const std::string why(error.message());
  const bool transient = absl::IsUnavailable(error) || absl::IsDeadlineExceeded(error);
  if (!transient) return StrCat(who, " connection failed: ", why);
  const uint32_t attempts = task.connect_attempts + 1;
  const uint32_t limit = config_.node.peer_retry_attempts;
  if (attempts >= limit) {
    return StrCat(who, " unreachable after ", attempts, " attempts: ", why);
  }
  const absl::Duration delay = RetryDelay(attempts);
  absl::StatusOr<Job> noted = store_->NoteJobError(
      job.id, StrCat(who, " unreachable (attempt ", attempts, " of ", limit, "): ", why,
                     "; next attempt in ",
                     absl::ToInt64Seconds(absl::Ceil(delay, absl::Seconds(1))), " s"));
  if (!noted.ok()) return "";  // cancelled meanwhile
  Notify(*noted);
  Log(LogLevel::kInfo, StrCat("job ", job.id, ": ", who, " ", name, " unreachable (attempt ",
                              attempts, " of ", limit, ")"));
  Enqueue(job.id, ClockNow() + delay, attempts);
  return "";
}

void Daemon::RunInitiator(const Task& task) {
  absl::StatusOr<Job> got = store_->GetJob(task.job_id);
  if (!got.ok()) return;
  Job job = *std::move(got);
  if (job.state != JobState::kQueued && job.state != JobState::kAwaitingPeer) return;
  if (job.question == "quorum") return RunQuorumInitiator(task, std::move(job));
  const JobParamsRecord params = ParseJobParamsRecord(job);
  const std::string& dataset_name = params.dataset;
  // peer_audit names the responder's build in our records once its verdict
  // announced it.
  AuditContent peer_audit;
  auto fail = [&](JobState to, std::string_view error) {
    Finalize(job, to, error, job.actor, &peer_audit);
  };
  auto a = config_.alliances.find(job.alliance);
  const PeerConfig* peer = PeerByName(job.peer);
  auto ds = config_.datasets.find(dataset_name);
  if (a == config_.alliances.end() || peer == nullptr || ds == config_.datasets.end()) {
    return fail(JobState::kFailed, "the alliance, peer or dataset is no longer configured");
  }
  const AllianceConfig& alliance = a->second;
  absl::StatusOr<LoadedDataset> data =
      LoadDataset(ds->second, NodeProfile(), clock().Now());
  if (!data.ok()) {
    return fail(JobState::kFailed,
                RefusalText(kRefuseDatasetUnavailable, std::string(data.status().message())));
  }
  catalog_.Remember(data->info);
  std::string size = SetSizeRefusal(alliance, data->info.num_distinct, "our");
  if (!size.empty()) return fail(JobState::kRefused, RefusalText(kRefuseSetSize, size));
  if (params.dp) {
    // The charge was reserved on the dataset's content when the job was
    // created; it must count against the content the job now uses.
    absl::StatusOr<PrivacyBudgets> budgets =
        PrivacyBudgetsFor(config_, job.peer, dataset_name);
    absl::Status settled =
        budgets.ok() ? store_->Write([&](internal::Db& db) {
          return SettleContentIn(db, job.id, data->info.digest, *budgets);
        })
                     : budgets.status();
    if (absl::IsResourceExhausted(settled)) {
      return fail(JobState::kRefused,
                  RefusalText(kRefusePrivacyBudget, std::string(settled.message())));
    }
    if (!settled.ok()) return fail(JobState::kFailed, settled.ToString());
  }
  // The security model the job was created with (a job of an older node
  // has none recorded: our policy's).
  absl::StatusOr<session::Security> security =
      params.security ? absl::StatusOr<session::Security>(*params.security)
                      : SecurityFor(alliance, job.protocol, job.question);
  if (!security.ok()) {
    return fail(JobState::kRefused, RefusalText(kRefuseSecurityUnavailable,
                                                std::string(security.status().message())));
  }

  if (job.state == JobState::kQueued) {
    absl::StatusOr<Job> waiting = Transition(job.id, JobState::kAwaitingPeer, "");
    if (!waiting.ok()) return;  // cancelled meanwhile
    job = *std::move(waiting);
  }
  if (ParseRfc3339(job.created) + absl::Seconds(config_.node.approval_timeout_seconds) <
      absl::FromChrono(clock().Now())) {
    return fail(JobState::kFailed, "the peer did not approve the job in time");
  }

  absl::StatusOr<net::HostPort> hp = net::ParseHostPort(peer->address);
  if (!hp.ok()) return fail(JobState::kFailed, std::string(hp.status().message()));
  net::TlsOptions tls;
  tls.identity = &identity_;
  tls.peer_fingerprint = peer->fingerprint;
  tls.connect_timeout = absl::Seconds(config_.node.peer_connect_timeout_seconds);
  tls.io_timeout = options_.peer_io_timeout;
  // A noised job's noise is drawn before the channel exists: the samplers'
  // time depends on the value drawn, and nothing the peer can time may
  // follow the draw (psi/private_aggregate.h).
  absl::StatusOr<psi::AggregateNoise> noise = DrawJobNoise(params.dp, job.question, *security);
  if (!noise.ok()) return fail(JobState::kFailed, noise.status().ToString());
  absl::StatusOr<std::unique_ptr<net::Channel>> ch = net::TlsConnect(hp->host, hp->port, tls);
  if (!ch.ok()) {
    const std::string failed = RequeueUnreachable(job, task, "peer", peer->name, ch.status());
    if (!failed.empty()) fail(JobState::kFailed, failed);
    return;
  }
  TranscriptChannel channel(**ch, /*initiator=*/true);

  JobOffer offer;
  offer.job_id = job.id;
  offer.alliance = job.alliance;
  offer.question = job.question;
  offer.protocol = job.protocol;
  offer.result_to = params.result_to;
  offer.set_size = data->info.num_distinct;
  offer.peer_dataset = params.peer_dataset;
  offer.profile_name = std::string(NodeProfile().name());
  offer.profile_version = static_cast<uint32_t>(NodeProfile().version());
  offer.profile_digest = NodeProfile().digest();
  offer.software_version = kVersion;
  offer.dp = params.dp;
  offer.security = *security;

  absl::Status sent = SendOffer(channel, offer);
  absl::StatusOr<Verdict> verdict =
      sent.ok() ? RecvVerdict(channel) : absl::StatusOr<Verdict>(sent);
  if (!verdict.ok()) {
    return fail(JobState::kFailed, StrCat("offer failed: ", std::string(verdict.status().message())));
  }
  peer_audit.peer_build = verdict->build;
  if (verdict->kind == VerdictKind::kRefuse) {
    return fail(JobState::kRefused, RefusalText(verdict->code, verdict->reason));
  }
  if (verdict->kind == VerdictKind::kPending) {
    channel.Close();
    const bool soon = verdict->code == "busy" || verdict->code == kPendingPreparing;
    uint32_t wait = soon ? std::max<uint32_t>(1, verdict->retry_after_seconds)
                         : config_.node.approval_poll_seconds;
    Enqueue(job.id, ClockNow() + absl::Seconds(wait));
    return;
  }
  // Accepted: the responder's set size must be within our bounds too.
  size = SetSizeRefusal(alliance, verdict->set_size, "the responder's");
  if (!size.empty()) {
    Go abort{false, kRefuseSetSize, size};
    (void)SendGo(channel, abort);
    channel.Close();
    return fail(JobState::kRefused, RefusalText(kRefuseSetSize, size));
  }
  // And its build must be one our alliance requires, before anything is
  // reserved or any protocol message sent.
  std::string build = BuildRefusal(alliance, verdict->build, "the responder's");
  if (!build.empty()) {
    Go abort{false, kRefuseBuildNotAllowed, build};
    (void)SendGo(channel, abort);
    channel.Close();
    return fail(JobState::kRefused, RefusalText(kRefuseBuildNotAllowed, build));
  }
  const ItemLimits item_limits = ItemLimitsFor(config_, peer->name, dataset_name);
  if (job.question == "match" && ItemBudgetApplies(item_limits)) {
    // Our item budget, now that the responder's set size is known and
    // before any protocol message (node/item_budget.h).
    const uint64_t revealed_worst =
        params.result_to == session::ResultTo::kMe ? 0 : std::min<uint64_t>(data->info.num_distinct, verdict->set_size);
    const BudgetKey key{peer->fingerprint, peer->name, job.alliance, dataset_name,
                        data->info.digest};
    absl::Status reserved = store_->Write([&](internal::Db& db) {
      return ReserveItemsIn(db, item_limits, key, job.id, verdict->set_size, revealed_worst);
    });
    if (!reserved.ok()) {
      const std::string why(reserved.message());
      const bool exhausted = absl::IsResourceExhausted(reserved);
      Go abort{false, exhausted ? kRefuseItemBudget : "failed",
               exhausted ? why : "the initiator could not record the job"};
      (void)SendGo(channel, abort);
      channel.Close();
      return exhausted ? fail(JobState::kRefused, RefusalText(kRefuseItemBudget, why))
                       : fail(JobState::kFailed, reserved.ToString());
    }
  }
  absl::StatusOr<Job> running = Transition(job.id, JobState::kRunning, "");
  if (!running.ok()) {
    Go abort{false, "cancelled", "the initiator cancelled the job"};
    (void)SendGo(channel, abort);
    channel.Close();
    return;
  }
  job = *std::move(running);
  absl::Status go = SendGo(channel, Go{});
  const AuditContent started =
      StartedAudit(data->info, NodeProfile().digest(), verdict->set_size, verdict->build);
  Record(AuditKind::kJobStarted, job, job.actor, &started);
  absl::StatusOr<RunOutcome> out =
      go.ok() ? Runner::Run(*this, channel, offer, /*initiator=*/true, verdict->set_size,
                            alliance, data->set, peer->fingerprint, verdict->build,
                            *std::move(noise))
              : absl::StatusOr<RunOutcome>(go);
  channel.Close();
  absl::Status stored = out.ok() ? Runner::Persist(*this, job, *data, *out) : out.status();
  if (!stored.ok()) {
    fail(JobState::kFailed, stored.ToString());
  }
}


}  // namespace liaison::node
