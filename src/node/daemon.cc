#include "node/daemon.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"
#include "net/host_port.h"
#include "node/api_keys.h"
#include "node/budget_keys.h"
#include "node/home.h"
#include "node/internal/daemon_internal.h"
#include "node/job_webhooks.h"
#include "node/peer_protocol.h"
#include "node/schedule.h"
#include "node/webhook.h"

namespace liaison::node {
namespace {

using Json = nlohmann::json;
using internal::kMaxListedJobs;
using internal::NodeProfile;

// StoreOptionsFor opens the store with the daemon's clock, so that every
// row it stamps and every window it measures follows that clock.
Store::Options StoreOptionsFor(const DaemonOptions& options) {
  Store::Options o;
  o.clock = options.clock;
  return o;
}

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
                           Store::Open(HomePath(options.home, kStoreFile), StoreOptionsFor(options)));
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
                         [p = d.get()](const DatasetConfig& ds) -> absl::StatusOr<std::string> {
                           LIAISON_ASSIGN_OR_RETURN(
                               LoadedDataset data,
                               LoadDataset(ds, NodeProfile(), p->clock().Now()));
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

bool Daemon::BeginActive(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.insert(job_id).second;
}

void Daemon::EndActive(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  active_.erase(job_id);
  cv_.notify_all();
}

// --- cancelling --------------------------------------------------------------

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

absl::StatusOr<DatasetInfo> Daemon::RereadDataset(const std::string& name) {
  auto it = config_.datasets.find(name);
  if (it == config_.datasets.end()) return absl::NotFoundError(StrCat("no dataset \"", name, "\""));
  LIAISON_ASSIGN_OR_RETURN(LoadedDataset data,
                           LoadDataset(it->second, NodeProfile(), clock().Now()));
  catalog_.Remember(data.info);
  return data.info;
}

// --- the executor ------------------------------------------------------------

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

