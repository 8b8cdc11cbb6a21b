#include "node/daemon.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/build_info.h"
#include "base/bytes.h"
#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"
#include "net/host_port.h"
#include "node/api_keys.h"
#include "node/budget_keys.h"
#include "node/dp_jobs.h"
#include "node/home.h"
#include "node/internal/daemon_internal.h"
#include "node/item_budget.h"
#include "node/job_webhooks.h"
#include "node/peer_protocol.h"
#include "node/privacy_ledger.h"
#include "node/schedule.h"
#include "node/webhook.h"

namespace liaison::node {
namespace {

using Json = nlohmann::json;
using internal::ChargeJson;
using internal::Contains;
using internal::DpOfParams;
using internal::DpParamsJson;
using internal::kMaxListedJobs;
using internal::NodeProfile;
using internal::ParamString;
using internal::ParseRfc3339;
using internal::RefusalText;
using internal::RunOutcome;

}  // namespace

Daemon::Daemon(const DaemonOptions& options, Config config, net::Identity identity,
               std::unique_ptr<Store> store)
    : options_(options),
      config_(std::move(config)),
      identity_(std::move(identity)),
      store_(std::move(store)),
      audit_(*store_, identity_),
      observers_(options_.observers),
      retry_jitter_(std::random_device{}()) {}

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(const DaemonOptions& options) {
  LIAISON_ASSIGN_OR_RETURN(Config config, LoadConfig(HomePath(options.home, kConfigFile)));
  LIAISON_ASSIGN_OR_RETURN(net::Identity identity, net::Identity::Load(options.home));
  LIAISON_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                           Store::Open(HomePath(options.home, kStoreFile), {}));
  std::unique_ptr<Daemon> d(
      new Daemon(options, std::move(config), std::move(identity), std::move(store)));
  // Before anything is signed onto the log.
  LIAISON_RETURN_IF_ERROR(d->CheckAuditLog());
  // The dispatcher exists before the recovery so that the jobs it fails are
  // notified; it starts delivering once the node is up.
  if (!d->config_.webhooks.empty()) {
    WebhookDispatcher::Options wo;
    wo.node_name = d->config_.node.name;
    LIAISON_ASSIGN_OR_RETURN(d->webhooks_,
                             WebhookDispatcher::Create(*d->store_, d->audit_, d->config_.webhooks,
                                                       d->clock(), wo));
    d->job_webhooks_ = std::make_unique<JobWebhooks>(*d->webhooks_);
    d->observers_.push_back(d->job_webhooks_.get());
  }
  LIAISON_RETURN_IF_ERROR(d->Recover());
  // Ledger rows of an older store get their peer's key and content now
  // (node/budget_keys.h).
  LIAISON_ASSIGN_OR_RETURN(
      int completed,
      CompleteBudgetKeys(*d->store_, d->config_,
                         [](const DatasetConfig& ds) -> absl::StatusOr<std::string> {
                           LIAISON_ASSIGN_OR_RETURN(LoadedDataset data,
                                                    LoadDataset(ds, NodeProfile()));
                           return data.info.digest;
                         }));
  if (completed > 0) {
    Log(LogLevel::kInfo, StrCat("completed ", completed,
                                " fields of privacy and item budget rows of an older store"));
  }

  AuditEvent loaded;
  loaded.kind = AuditKind::kConfigLoaded;
  loaded.actor = kActorNode;
  loaded.params_json =
      Json{{"node", d->config_.node.name},
           {"software_version", kVersion},
           {"peers", static_cast<int64_t>(d->config_.peers.size())},
           {"alliances", static_cast<int64_t>(d->config_.alliances.size())},
           {"datasets", static_cast<int64_t>(d->config_.datasets.size())}}
          .dump();
  LIAISON_RETURN_IF_ERROR(d->audit_.Append(loaded).status());

  if (!d->config_.peers.empty()) {
    LIAISON_ASSIGN_OR_RETURN(net::HostPort hp, net::ParseHostPort(d->config_.node.peer_listen));
    net::TlsOptions tls;
    tls.identity = &d->identity_;
    for (const auto& [name, peer] : d->config_.peers) tls.peer_fingerprints.push_back(peer.fingerprint);
    tls.io_timeout = options.peer_io_timeout;
    LIAISON_ASSIGN_OR_RETURN(d->listener_, net::TlsListener::Listen(hp.host, hp.port, tls));
    d->peer_port_ = d->listener_->port();
    d->listen_thread_ = std::thread([p = d.get()] { p->ListenLoop(); });
  }
  for (uint32_t i = 0; i < d->config_.node.max_concurrent_jobs; ++i) {
    d->workers_.emplace_back([p = d.get()] { p->WorkerLoop(); });
  }
  if (d->webhooks_ != nullptr) LIAISON_RETURN_IF_ERROR(d->webhooks_->Start());
  LIAISON_RETURN_IF_ERROR(d->StartSchedules());
  return d;
}

JobSubmission ScheduledSubmission(const JobTemplate& job, std::string_view idempotency_key) {
  JobSubmission s;
  s.alliance = job.alliance;
  s.peer = job.peer;
  s.question = std::string(QuestionName(job.question));
  s.protocol = job.protocol;
  s.dataset = job.dataset;
  s.result_to = job.result_to;
  s.dp = job.dp;
  s.idempotency_key = std::string(idempotency_key);
  return s;
}

absl::Status Daemon::StartSchedules() {
  if (config_.schedules.empty()) return absl::OkStatus();
  std::vector<ScheduleConfig> schedules;
  for (const auto& [name, s] : config_.schedules) schedules.push_back(s);
  SubmitJobFn submit = [this](const JobTemplate& t, std::string_view idempotency_key,
                              std::string_view actor) -> absl::StatusOr<std::string> {
    LIAISON_ASSIGN_OR_RETURN(CreateJobResult created,
                             SubmitJob(ScheduledSubmission(t, idempotency_key), actor));
    return created.job.id;
  };
  scheduler_ = std::make_unique<Scheduler>(*store_, audit_, std::move(schedules),
                                           std::move(submit), clock(), webhooks_.get());
  return scheduler_->Start();
}

Daemon::~Daemon() {
  Shutdown();
  if (listen_thread_.joinable()) listen_thread_.join();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

absl::Status Daemon::CheckAuditLog() {
  LIAISON_ASSIGN_OR_RETURN(AuditScan scan, ScanAuditLog(*store_, identity_.public_key()));
  const std::vector<AuditBreak> unaccepted = scan.Unaccepted();
  if (unaccepted.empty()) {
    audit_.SetVerifiedHead(scan.scanned.head_seq, scan.scanned.head_hash);
    if (!scan.breaks.empty()) {
      Log(LogLevel::kWarning,
          StrCat("the audit log has ", scan.breaks.size(),
                 " break(s), the first at record ", scan.breaks.front().seq,
                 ", accepted by audit_override records (liaison audit verify reports them)"));
    }
    return absl::OkStatus();
  }
  if (!options_.accept_broken_audit) {
    return BrokenAuditLogError(
        unaccepted,
        StrCat("the node does not start on an altered audit log. See what happened with "
               "`liaison audit verify ", options_.home,
               "`; restore node.db from a backup, or start with `liaison node run ",
               options_.home,
               " --accept-broken-audit` to record the break in a signed audit_override "
               "record and run on (docs/audit.md)"));
  }
  LIAISON_ASSIGN_OR_RETURN(std::vector<AuditRecord> overrides, audit_.AcceptBreaks());
  for (const AuditRecord& r : overrides) {
    Log(LogLevel::kWarning,
        StrCat("--accept-broken-audit: audit_override record ", r.seq, " accepts ",
               std::string(r.params_json)));
  }
  return absl::OkStatus();
}

absl::Status Daemon::Recover() {
  LIAISON_ASSIGN_OR_RETURN(std::vector<Job> jobs, store_->ListJobs(kMaxListedJobs, std::nullopt));
  std::reverse(jobs.begin(), jobs.end());  // oldest first
  for (const Job& job : jobs) {
    const bool ours = job.role == JobRole::kInitiator;
    if (ours && (job.state == JobState::kQueued || job.state == JobState::kAwaitingPeer)) {
      // Not running yet: no protocol message had been exchanged, so the job
      // resumes: its offer goes out again (a peer that had admitted it sees
      // the same offer repeated, docs/wire/node-peer.md), with fresh
      // connection attempts.
      tasks_.push_back({ClockNow(), job.id});
    } else if (job.state == JobState::kRunning || job.state == JobState::kAwaitingPeer) {
      Finalize(job, JobState::kFailed, "node restarted while the job was in progress",
               kActorNode);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ApiKey> Daemon::RevokeApiKey(std::string_view id, std::string_view actor) {
  return RevokeApiKeyAudited(*store_, audit_, id, actor);
}

const PeerConfig* Daemon::PeerByName(std::string_view name) const {
  auto it = config_.peers.find(std::string(name));
  return it == config_.peers.end() ? nullptr : &it->second;
}

const PeerConfig* Daemon::PeerByFingerprint(std::string_view fingerprint) const {
  for (const auto& [name, peer] : config_.peers) {
    if (peer.fingerprint == fingerprint) return &peer;
  }
  return nullptr;
}

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

AuditEvent Daemon::AuditEventOf(AuditKind kind, const Job& job, std::string_view actor,
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

void Daemon::Record(AuditKind kind, const Job& job, std::string_view actor,
                    const AuditContent* extra) {
  absl::StatusOr<AuditRecord> r = audit_.Append(AuditEventOf(kind, job, actor, extra));
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

bool Daemon::BeginActive(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.insert(job_id).second;
}

void Daemon::EndActive(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  active_.erase(job_id);
  cv_.notify_all();
}

// --- submitting and deciding -------------------------------------------------

absl::StatusOr<CreateJobResult> Daemon::SubmitJob(const JobSubmission& s,
                                                  std::string_view actor) {
  auto a = config_.alliances.find(s.alliance);
  if (a == config_.alliances.end()) {
    return absl::NotFoundError(StrCat("no alliance ", s.alliance));
  }
  const AllianceConfig& alliance = a->second;
  if (PeerByName(s.peer) == nullptr) return absl::NotFoundError(StrCat("no peer ", s.peer));
  if (!Contains(alliance.members, s.peer)) {
    return absl::PermissionDeniedError(
        StrCat(s.peer, " is not a member of alliance ", s.alliance));
  }
  if (s.question != "match") {
    bool allowed = false;
    for (Question q : alliance.questions) allowed |= QuestionName(q) == s.question;
    if (!allowed && (s.question == "count" || s.question == "sum")) {
      return absl::PermissionDeniedError(
          StrCat("alliance ", s.alliance, " does not allow the question ", s.question));
    }
    if (!allowed) return absl::InvalidArgumentError(StrCat("unknown question ", s.question));
  } else {
    bool allowed = false;
    for (Question q : alliance.questions) allowed |= q == Question::kMatch;
    if (!allowed) {
      return absl::PermissionDeniedError(
          StrCat("alliance ", s.alliance, " does not allow the question match"));
    }
  }
  if (s.protocol != "rr22" && s.protocol != "ecdh") {
    return absl::InvalidArgumentError(
        StrCat("unknown protocol \"", s.protocol, "\" (rr22 or ecdh)"));
  }
  if (!Contains(alliance.protocols, s.protocol)) {
    return absl::PermissionDeniedError(
        StrCat("alliance ", s.alliance, " does not allow the protocol ", s.protocol));
  }
  if (config_.datasets.count(s.dataset) == 0) {
    return absl::NotFoundError(StrCat("no dataset \"", s.dataset, "\""));
  }
  auto mapped = alliance.datasets.find(s.peer);
  if (mapped == alliance.datasets.end() || !Contains(mapped->second, s.dataset)) {
    return absl::PermissionDeniedError(StrCat("alliance ", s.alliance, " does not allow dataset ",
                                              s.dataset, " in jobs with ", s.peer));
  }
  if (!s.peer_dataset.empty() && !IsValidName(s.peer_dataset)) {
    return absl::InvalidArgumentError("peer_dataset is not a valid name");
  }
  if (s.result_to != "me" && s.result_to != "peer" && s.result_to != "both") {
    return absl::InvalidArgumentError("result_to must be me, peer or both");
  }
  // The security model our policy gives the job; the peer must offer the
  // same from its own (PermissionDenied if the alliance asks for malicious
  // and the job has no malicious variant).
  LIAISON_ASSIGN_OR_RETURN(session::Security security,
                           SecurityFor(alliance, s.protocol, s.question));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::UnavailableError("the node is shutting down");
  }
  // No job is taken on that could not be audited.
  LIAISON_RETURN_IF_ERROR(audit_.Check());
  Json params{{"dataset", s.dataset},
              {"peer_dataset", s.peer_dataset},
              {"result_to", s.result_to},
              {"security", session::SecurityName(security)}};
  JobChangeHook reserve;
  LIAISON_ASSIGN_OR_RETURN(
      std::optional<JobDp> dp,
      JobDpOf(s.question, s.protocol, s.result_to, security, config_.datasets.at(s.dataset),
              s.dp));
  if (dp) {
    const PrivacyAmount charge = PrivacyChargeOf(dp->spec, s.result_to != "me");
    params["dp"] = DpParamsJson(dp->offer);
    params["privacy_charge"] = ChargeJson(charge);
    if (charge.epsilon > 0) {
      // The charge counts in every ledger of the data: the peer's of the
      // dataset's name and of its content, over all alliances, and the
      // dataset's global ones (node/privacy_ledger.h). The content is the
      // file's now; if it cannot be read, the job will fail, and its charge
      // is settled on the content it finds if it runs (SettleContentIn).
      LIAISON_ASSIGN_OR_RETURN(PrivacyBudgets budgets,
                               PrivacyBudgetsFor(config_, s.peer, s.dataset));
      absl::StatusOr<LoadedDataset> data =
          LoadDataset(config_.datasets.at(s.dataset), NodeProfile());
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
  r.params_json = params.dump();
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

void Daemon::RecordRefusedSubmission(const JobRequest& r, std::string_view error) {
  // Nothing was created, so the job has no id; the refusal is still on the
  // record, and the observers (webhooks) hear of it as of a job refused at
  // once, in the same transaction as the audit record.
  absl::StatusOr<Job> would_be = JobFromRequest(r);
  if (!would_be.ok()) {
    Log(LogLevel::kError, StrCat("a refused job of ", r.actor, ": ", would_be.status().ToString()));
    return;
  }
  Job refused = *std::move(would_be);
  refused.state = JobState::kRefused;
  refused.error = std::string(error);
  const AuditEvent event = AuditEventOf(AuditKind::kJobRefused, refused, r.actor);
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

absl::StatusOr<Job> Daemon::CancelJob(std::string_view id, std::string_view actor) {
  LIAISON_ASSIGN_OR_RETURN(Job job, store_->GetJob(id));
  if (job.state == JobState::kRunning) {
    return absl::FailedPreconditionError(
        StrCat("job ", id, " is running; a running job cannot be cancelled"));
  }
  LIAISON_ASSIGN_OR_RETURN(Job done, Transition(id, JobState::kCancelled, ""));
  Record(AuditKind::kJobCancelled, done, actor);
  return done;
}

absl::StatusOr<std::vector<Job>> Daemon::ListOffers() {
  LIAISON_ASSIGN_OR_RETURN(std::vector<Job> jobs,
                           store_->ListJobs(kMaxListedJobs, JobState::kAwaitingApproval));
  std::vector<Job> out;
  const absl::Duration timeout = absl::Seconds(config_.node.approval_timeout_seconds);
  for (Job& job : jobs) {
    if (job.role != JobRole::kResponder) continue;
    if (ParseRfc3339(job.created) + timeout < absl::FromChrono(clock().Now())) {
      Finalize(job, JobState::kRefused,
               RefusalText(kRefuseApprovalExpired, "no analyst decided in time"), kActorNode);
      continue;
    }
    out.push_back(std::move(job));
  }
  return out;
}

absl::StatusOr<Job> Daemon::DecideOffer(std::string_view id, bool approve,
                                        std::string_view reason, std::string_view actor) {
  LIAISON_ASSIGN_OR_RETURN(Job job, store_->GetJob(id));
  if (job.role != JobRole::kResponder || job.state != JobState::kAwaitingApproval) {
    return absl::FailedPreconditionError(
        StrCat("job ", id, " is not a peer's offer awaiting approval (it is ",
               JobStateName(job.state), ")"));
  }
  if (approve) {
    LIAISON_ASSIGN_OR_RETURN(Job done, Transition(id, JobState::kQueued, ""));
    Record(AuditKind::kJobApproved, done, actor);
    return done;
  }
  LIAISON_ASSIGN_OR_RETURN(
      Job done,
      Transition(id, JobState::kRefused,
                 RefusalText(kRefuseByAnalyst, reason.empty() ? "refused by an analyst" : reason)));
  Record(AuditKind::kJobRefused, done, actor);
  return done;
}

absl::StatusOr<DatasetInfo> Daemon::RereadDataset(const std::string& name) {
  auto it = config_.datasets.find(name);
  if (it == config_.datasets.end()) return absl::NotFoundError(StrCat("no dataset \"", name, "\""));
  LIAISON_ASSIGN_OR_RETURN(LoadedDataset data, LoadDataset(it->second, NodeProfile()));
  catalog_.Remember(data.info);
  return data.info;
}

// --- the executor ------------------------------------------------------------

void Daemon::Enqueue(std::string job_id, absl::Time not_before, uint32_t connect_attempts) {
  std::lock_guard<std::mutex> lock(mu_);
  tasks_.push_back({not_before, std::move(job_id), connect_attempts});
  cv_.notify_all();
}

absl::Duration Daemon::RetryDelay(uint32_t attempts) {
  const NodeSection& n = config_.node;
  // initial * 2^(attempts-1), capped; the shift is bounded so it cannot
  // overflow (2^20 s is past any cap).
  const uint32_t doublings = std::min<uint32_t>(attempts > 0 ? attempts - 1 : 0, 20);
  const int64_t ceiling_ms =
      std::min<int64_t>(int64_t{n.peer_retry_initial_seconds} << doublings,
                        n.peer_retry_max_seconds) *
      1000;
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

void Daemon::RunInitiator(const Task& task) {
  absl::StatusOr<Job> got = store_->GetJob(task.job_id);
  if (!got.ok()) return;
  Job job = *std::move(got);
  if (job.state != JobState::kQueued && job.state != JobState::kAwaitingPeer) return;
  const std::string dataset_name = ParamString(job, "dataset");
  const std::string result_to = ParamString(job, "result_to");
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
  absl::StatusOr<LoadedDataset> data = LoadDataset(ds->second, NodeProfile());
  if (!data.ok()) {
    return fail(JobState::kFailed,
                RefusalText(kRefuseDatasetUnavailable, std::string(data.status().message())));
  }
  catalog_.Remember(data->info);
  std::string size = SetSizeRefusal(alliance, data->info.num_distinct, "our");
  if (!size.empty()) return fail(JobState::kRefused, RefusalText(kRefuseSetSize, size));
  if (DpOfParams(job)) {
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
  const std::string security_name = ParamString(job, "security");
  absl::StatusOr<session::Security> security =
      security_name.empty() ? SecurityFor(alliance, job.protocol, job.question)
                            : session::ParseSecurity(security_name);
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
  absl::StatusOr<psi::AggregateNoise> noise = DrawJobNoise(DpOfParams(job), job.question, *security);
  if (!noise.ok()) return fail(JobState::kFailed, noise.status().ToString());
  absl::StatusOr<std::unique_ptr<net::Channel>> ch = net::TlsConnect(hp->host, hp->port, tls);
  if (!ch.ok()) {
    const std::string why(ch.status().message());
    const bool transient = absl::IsUnavailable(ch.status()) ||
                           absl::IsDeadlineExceeded(ch.status());
    if (!transient) return fail(JobState::kFailed, StrCat("peer connection failed: ", why));
    const uint32_t attempts = task.connect_attempts + 1;
    const uint32_t limit = config_.node.peer_retry_attempts;
    if (attempts >= limit) {
      return fail(JobState::kFailed,
                  StrCat("peer unreachable after ", attempts, " attempts: ", why));
    }
    const absl::Duration delay = RetryDelay(attempts);
    absl::StatusOr<Job> noted = store_->NoteJobError(
        job.id, StrCat("peer unreachable (attempt ", attempts, " of ", limit, "): ", why,
                       "; next attempt in ",
                       absl::ToInt64Seconds(absl::Ceil(delay, absl::Seconds(1))), " s"));
    if (!noted.ok()) return;  // cancelled meanwhile
    Notify(*noted);
    Log(LogLevel::kInfo, StrCat("job ", job.id, ": peer ", peer->name, " unreachable (attempt ",
                                attempts, " of ", limit, ")"));
    return Enqueue(job.id, ClockNow() + delay, attempts);
  }
  TranscriptChannel channel(**ch, /*initiator=*/true);

  JobOffer offer;
  offer.job_id = job.id;
  offer.alliance = job.alliance;
  offer.question = job.question;
  offer.protocol = job.protocol;
  offer.result_to = result_to == "peer"   ? OfferResultTo::kResponder
                    : result_to == "both" ? OfferResultTo::kBoth
                                          : OfferResultTo::kInitiator;
  offer.set_size = data->info.num_distinct;
  offer.peer_dataset = ParamString(job, "peer_dataset");
  offer.profile_name = std::string(NodeProfile().name());
  offer.profile_version = static_cast<uint32_t>(NodeProfile().version());
  offer.profile_digest = NodeProfile().digest();
  offer.software_version = kVersion;
  offer.dp = DpOfParams(job);
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
        result_to == "me" ? 0 : std::min<uint64_t>(data->info.num_distinct, verdict->set_size);
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
  AuditContent started;
  started.dataset_digests = {data->info.digest};
  started.profile_digest = NodeProfile().digest();
  started.counts = {{"items", static_cast<int64_t>(data->info.num_distinct)},
                    {"peer_items", static_cast<int64_t>(verdict->set_size)}};
  started.peer_build = verdict->build;
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

// --- shutdown ------------------------------------------------------------------

int Daemon::Shutdown() {
  // The scheduler first, so that no run is submitted into a stopping node
  // (which would report it missed with submit_failed).
  if (scheduler_ != nullptr) scheduler_->Stop();
  std::unique_lock<std::mutex> lock(mu_);
  if (shut_down_) return abandoned_;
  shut_down_ = true;
  stopping_ = true;
  // Connections still in their handshake have no job to finish.
  for (auto& entry : handshakes_) entry.second.abort->Now();
  cv_.notify_all();
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::seconds(config_.node.shutdown_grace_seconds);
  cv_.wait_until(lock, deadline, [&] { return active_.empty() && connections_ == 0; });
  std::vector<std::string> left(active_.begin(), active_.end());
  abandoned_ = static_cast<int>(left.size()) + connections_;
  lock.unlock();
  for (const std::string& id : left) {
    absl::StatusOr<Job> job = store_->GetJob(id);
    if (job.ok() && !IsFinal(job->state)) {
      Finalize(*job, JobState::kFailed, "node shutting down", kActorNode);
    }
  }
  if (listen_thread_.joinable()) listen_thread_.join();
  if (abandoned_ == 0) {
    for (std::thread& t : workers_) {
      if (t.joinable()) t.join();
    }
  }
  // Last, so that the failures above are enqueued (and, if the receiver is
  // quick, delivered); what is left waits in the outbox for the next start.
  if (webhooks_ != nullptr) webhooks_->Stop();
  return abandoned_;
}

}  // namespace liaison::node
