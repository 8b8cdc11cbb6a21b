// The node daemon (`liaison node run DIR`): one long-running process per
// organisation. It loads the home (config, identity, store), listens for
// peers on mutually authenticated TLS (only configured peers' keys are
// accepted), answers their job offers from its own policy
// (peer_protocol.h), and runs the jobs its users submit on a bounded pool
// of workers. Every job leaves audit records and, when it ran, a receipt
// from the peer (audit.h). The REST API (rest_api.h) and the schedules
// (schedule.h) drive it through SubmitJob; every final job state is sent
// to the configured webhooks (job_webhooks.h, webhook.h), the notification
// committed in the same transaction as the state change.
//
// Job life (store.h has the state machine):
//   initiator: queued -> awaiting_peer -> running -> succeeded | failed
//              (or refused, by us or the peer; cancelled while not running)
//   responder: the offer is recorded as queued (auto approval) or
//              awaiting_approval (manual) -> running -> succeeded | failed,
//              or refused straight away.
// Manual approval never holds a connection: the responder answers
// "pending", the initiator's job stays awaiting_peer and offers again every
// approval_poll_seconds until the analyst decides or
// approval_timeout_seconds pass (then both sides give up: failed on the
// initiator, refused "approval_expired" on the responder).
//
// Peer unreachable: an initiator makes one connection attempt per turn
// (at most [node] peer_connect_timeout_seconds; TlsConnect retries a
// refused connection within it). If it fails with Unavailable or
// DeadlineExceeded the job stays awaiting_peer, its error shows
// "peer unreachable (attempt i of N): ...", and it is queued again after a
// capped exponential back-off with jitter ([node] peer_retry_attempts,
// peer_retry_initial_seconds, peer_retry_max_seconds); no thread waits for
// it meanwhile. After the last attempt it fails with "peer unreachable
// after N attempts: <last error>" and a job_failed audit record. Any other
// connection error (a wrong key: PermissionDenied) fails it at once.
//
// Restart: on Start, jobs left running (either role) or awaiting_peer are
// marked failed ("node restarted") with an audit record, since their peer
// session is gone; queued initiator jobs are queued again. Budget rows of an
// older store get their peer's key and content (node/budget_keys.h). A result is only
// ever stored in the transaction that marks its job succeeded, so a crash
// never leaves half a result.
//
// Shutdown (SIGTERM): stop the scheduler, stop accepting peers and new
// jobs, let running jobs
// finish within shutdown_grace_seconds, then mark those still running failed
// ("node shutting down") with audit records, and last stop the webhook
// dispatcher (undelivered notifications stay in the outbox for the next
// start). Their threads may still be
// blocked on the network, so Shutdown reports them and the caller exits the
// process without destroying the daemon; the store is consistent either way
// (SQLite WAL, every write one transaction; a late result finds its job no
// longer running and is dropped).
//
// The code: daemon.cc (life cycle, cancelling, shutdown), policy.h (the one
// admission check of submissions, schedules and offers), initiator.cc
// (submissions and the jobs this node starts: offers, retries, polls),
// responder.cc (answering peers' offers, an analyst's decisions),
// runner.cc (the run both roles make once a job is agreed) and
// job_outcome.cc (state changes, results and audit records), sharing
// internal/daemon_internal.h.
#ifndef LIAISON_NODE_DAEMON_H_
#define LIAISON_NODE_DAEMON_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/identity.h"
#include "net/tls_channel.h"
#include "node/audit.h"
#include "node/clock.h"
#include "node/config.h"
#include "node/datasets.h"
#include "node/initiator.h"
#include "node/peer_protocol.h"
#include "node/policy.h"
#include "node/store.h"
#include "psi/private_aggregate.h"

namespace liaison::node {

class Scheduler;
class WebhookDispatcher;
class JobWebhooks;

// JobChange is a job state change as the daemon reports it to JobEvents.
struct JobChange {
  // job is the job after the change.
  const Job& job;
  // counts and result_digest are those of the job's audit record for a
  // succeeded job (set sizes, intersection size, matched rows; a 64-hex
  // digest); empty otherwise. Never items.
  std::map<std::string, int64_t> counts;
  std::string result_digest;
};

// JobEvents is told about job state changes, for webhooks and the like.
//
// OnJobChangeIn is called inside the store's write transaction that makes
// the change, after the job's row is written (Store::JobChangeHook): what
// it writes through `db` is committed together with the change, or not at
// all. It may only use `db` (the store's mutex is held); an error rolls the
// change back, so it should fail only when the store does.
//
// OnJobChanged is called after the change is committed. Both are called
// from the thread that made the change (a worker, a peer connection or a
// REST handler); they must return quickly and must not call back into the
// daemon's job methods.
class JobEvents {
 public:
  virtual ~JobEvents() = default;
  virtual absl::Status OnJobChangeIn(internal::Db& db, const JobChange& change) {
    (void)db;
    (void)change;
    return absl::OkStatus();
  }
  virtual void OnJobChanged(const Job& job) = 0;
};

struct DaemonOptions {
  // home is the node's directory (home.h).
  std::string home;
  // observers are told about job changes; they must outlive the daemon.
  std::vector<JobEvents*> observers;
  // peer_io_timeout bounds each wait for a peer's message.
  absl::Duration peer_io_timeout = absl::Seconds(60);
  // clock drives the scheduler, the webhook dispatcher, approval deadlines
  // and the executor's due times (retries of an unreachable or busy peer,
  // polls for an approval); null is SystemClock(). Tests pass a fake to
  // fire schedules without waiting. It must outlive the daemon.
  Clock* clock = nullptr;
  // accept_broken_audit is `liaison node run --accept-broken-audit`: start
  // even though the audit log is broken, recording each break in a signed
  // audit_override record (docs/audit.md).
  bool accept_broken_audit = false;
};

class Daemon {
 public:
  // Start loads DIR's config, identity and store, verifies the whole audit
  // log (DataLoss naming the first bad record if it has a break no
  // audit_override record accepts, unless options.accept_broken_audit:
  // then it appends those records and goes on), creates the webhook
  // dispatcher (loading every webhook's secret), recovers jobs a previous
  // run left unfinished (see above; their failures are notified too),
  // appends a config_loaded record, starts the dispatcher, the peer
  // listener, the workers and last the scheduler (whose catch-up reports
  // runs missed while the node was down). Errors: those of LoadConfig,
  // Identity::Load, Store::Open, WebhookDispatcher::Create and
  // Scheduler::Start; Unavailable if the peer address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(const DaemonOptions& options);

  // ~Daemon shuts down if Shutdown was not called, and joins its threads.
  // Do not destroy a daemon whose Shutdown returned a non-zero count.
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  const Config& config() const { return config_; }
  const net::Identity& identity() const { return identity_; }
  Store& store() { return *store_; }
  DatasetCatalog& datasets() { return catalog_; }
  const std::string& home() const { return options_.home; }
  // peer_port is the port the peer listener is bound to (0 if no peers are
  // configured and nothing listens).
  uint16_t peer_port() const { return peer_port_; }

  // SubmitJob checks the submission against our own policy (the alliance
  // exists and has the peer as member, the question, protocol and dataset
  // are allowed, and the alliance's security model exists for the job;
  // PermissionDenied otherwise, InvalidArgument for malformed fields,
  // NotFound for an unknown alliance, peer or dataset; DataLoss if the
  // audit log was found altered under the running node), creates the job
  // (idempotent on the key; AlreadyExists if the key was used for another
  // request), records job_offered and queues it. The job's params record the
  // security model it runs in. A count or sum job whose peer receives reads
  // the dataset and reserves its privacy cost in every ledger of the data in
  // the job's creating transaction, before any message to the peer
  // (node/dp_jobs.h, node/privacy_ledger.h); ResourceExhausted (nothing
  // created; RecordRefusedSubmission) when it would overspend one of them.
  // The DP parameters are checked by JobDpOf, as a schedule's are when the
  // config is loaded. Thread-safe.
  absl::StatusOr<CreateJobResult> SubmitJob(const JobSubmission& submission,
                                            std::string_view actor);

  // CancelJob cancels a job that is not running and not final (a running
  // job cannot be stopped safely mid-protocol: FailedPrecondition; NotFound
  // for no such job). The initiator's next offer is not sent; a cancelled
  // responder offer is refused when the initiator asks again.
  absl::StatusOr<Job> CancelJob(std::string_view id, std::string_view actor);

  // ListOffers returns the peers' offers awaiting an analyst's decision,
  // after expiring those older than approval_timeout_seconds.
  absl::StatusOr<std::vector<Job>> ListOffers();

  // RevokeApiKey revokes an API key for `actor` (RevokeApiKeyAudited).
  absl::StatusOr<ApiKey> RevokeApiKey(std::string_view id, std::string_view actor);

  // DecideOffer approves (the job becomes queued and runs when the
  // initiator next asks) or refuses (refused_by_analyst, with `reason`) an
  // offer awaiting approval. NotFound if there is no such job,
  // FailedPrecondition if it is not a responder job awaiting approval.
  absl::StatusOr<Job> DecideOffer(std::string_view id, bool approve, std::string_view reason,
                                  std::string_view actor);

  // RereadDataset reads a dataset's file again and returns its digest and
  // counts. NotFound for an unknown dataset; the reader's errors otherwise.
  absl::StatusOr<DatasetInfo> RereadDataset(const std::string& name);

  // Shutdown stops the scheduler, stops accepting peer connections and
  // starting jobs, waits up to shutdown_grace_seconds for running jobs, fails
  // the rest, stops the webhook dispatcher and returns how many jobs it
  // failed. Idempotent.
  int Shutdown();

 private:
  struct Task {
    absl::Time not_before;
    std::string job_id;
    // connect_attempts is how many connection attempts to the peer failed.
    uint32_t connect_attempts = 0;
  };
  class Runner;

  explicit Daemon(const DaemonOptions& options, Config config, net::Identity identity,
                  std::unique_ptr<Store> store);

  Clock& clock() const { return options_.clock != nullptr ? *options_.clock : SystemClock(); }
  // ClockNow is clock().Now(): the executor's due times follow the clock.
  absl::Time ClockNow() const { return absl::FromChrono(clock().Now()); }
  // CheckAuditLog is Start's verification of the audit log.
  absl::Status CheckAuditLog();
  absl::Status Recover();
  absl::Status StartSchedules();
  void Enqueue(std::string job_id, absl::Time not_before, uint32_t connect_attempts = 0);
  void WorkerLoop();
  void ListenLoop();
  // AdmitHandshakeLocked makes room for a connection from `host` among
  // those in their handshake (config's max_handshakes and
  // max_handshakes_per_address), displacing the oldest, and registers it;
  // it returns the key to UnregisterHandshakeLocked. Needs mu_.
  uint64_t AdmitHandshakeLocked(const std::string& host,
                                std::shared_ptr<net::PendingTls::Abort> abort);
  void Handshake(uint64_t key, net::PendingTls pending);
  void ServeConnection(std::unique_ptr<net::Channel> channel, std::string peer_fingerprint);
  // A PeerSlot holds one of a peer's connections (max_connections_per_peer)
  // and, once Serve()d, one of the node's job slots (max_concurrent_jobs).
  class PeerSlot;
  void RunInitiator(const Task& task);
  // Quorum jobs (quorum_jobs.cc; node/quorum_protocol.h). SubmitQuorumJob
  // is SubmitJob's for the question quorum; RunQuorumInitiator the
  // initiator's side of a queued one; ServeQuorumOffer a participant's
  // answer to an offer, ServeJoin an incoming channel of a job's mesh.
  class QuorumRun;
  struct MeshSlot;
  absl::StatusOr<CreateJobResult> SubmitQuorumJob(const JobSubmission& submission,
                                                  std::string_view actor);
  void RunQuorumInitiator(const Task& task, Job job);
  void ServeQuorumOffer(TranscriptChannel& channel, const PeerConfig& peer, ByteSpan first);
  void ServeJoin(TranscriptChannel& channel, const PeerConfig& peer, ByteSpan first);
  void ServeQuorumAbort(const PeerConfig& peer, ByteSpan first);
  // RetryDelay is the back-off before connection attempt `attempts` + 1.
  absl::Duration RetryDelay(uint32_t attempts);
  // RequeueUnreachable handles a failed connection of `job` to `who`
  // ("peer", "participant") `name`: a transient error below
  // peer_retry_attempts is noted on the job and the next attempt queued
  // after RetryDelay (it returns ""); otherwise it returns the error the job
  // fails with.
  std::string RequeueUnreachable(const Job& job, const Task& task, std::string_view who,
                                 std::string_view name, const absl::Status& error);

  // Transition moves a job and tells the observers (in the transaction and
  // after it); it returns the job or the store's error (a job cancelled
  // meanwhile gives FailedPrecondition).
  absl::StatusOr<Job> Transition(std::string_view id, JobState to, std::string_view error);
  // ObserverHook is the Store::JobChangeHook that calls every observer's
  // OnJobChangeIn with `counts` and `result_digest`.
  JobChangeHook ObserverHook(std::map<std::string, int64_t> counts = {},
                             std::string result_digest = "");
  void Notify(const Job& job);
  // Record appends the audit record of `kind` about `job` (JobAuditEvent),
  // logging a failure.
  void Record(AuditKind kind, const Job& job, std::string_view actor,
              const AuditContent* extra = nullptr);
  // RecordRefusedSubmission records a submission refused before its job
  // was created (an overspent privacy budget): a job_refused audit record
  // without a job id and, in the same transaction, the observers' view of
  // a job refused at once (a job_refused webhook). Errors are logged.
  void RecordRefusedSubmission(const JobRequest& request, std::string_view error);
  // Fail moves a job to failed or refused with a record (with `extra`, as
  // in Record); errors are logged.
  void Finalize(const Job& job, JobState to, std::string_view error, std::string_view actor,
                const AuditContent* extra = nullptr);
  const PeerConfig* PeerByName(std::string_view name) const;
  const PeerConfig* PeerByFingerprint(std::string_view fingerprint) const;

  // RepeatedOfferRefusal is the answer to an offer repeated for `job` (a
  // responder job admitted before) when the job cannot take it: its
  // refusal, a cancellation, an approval that expired (the job is refused
  // now, with `extra` in the record), or a state past waiting; nullopt
  // while the job awaits approval or is queued.
  std::optional<Refusal> RepeatedOfferRefusal(const Job& job, const AuditContent* extra);

  bool BeginActive(const std::string& job_id);
  void EndActive(const std::string& job_id);

  // Noise of the noised jobs this node answers, drawn between two of the
  // initiator's connections (responder.cc): PrepareJobNoise draws it
  // (DrawJobNoise) and keeps it in memory only, HasJobNoise asks, and
  // TakeJobNoise hands it to the run, once. A restart forgets it; it is
  // drawn again on the next offer, never used twice.
  absl::Status PrepareJobNoise(const std::string& job_id, const std::optional<OfferDp>& dp,
                               std::string_view question, session::Security security);
  bool HasJobNoise(const std::string& job_id);
  psi::AggregateNoise TakeJobNoise(const std::string& job_id);

  DaemonOptions options_;
  Config config_;
  net::Identity identity_;
  std::unique_ptr<Store> store_;
  AuditLog audit_;
  DatasetCatalog catalog_;
  // observers_ are the options' observers and job_webhooks_.
  std::vector<JobEvents*> observers_;
  std::unique_ptr<WebhookDispatcher> webhooks_;  // null without [webhooks.*]
  std::unique_ptr<JobWebhooks> job_webhooks_;
  std::unique_ptr<Scheduler> scheduler_;         // null without [schedules.*]

  std::unique_ptr<net::TlsListener> listener_;
  uint16_t peer_port_ = 0;
  std::thread listen_thread_;
  std::vector<std::thread> workers_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Task> tasks_;           // guarded by mu_
  std::set<std::string> active_;      // jobs being worked on, guarded by mu_
  std::map<std::string, psi::AggregateNoise> job_noise_;  // guarded by mu_
  int connections_ = 0;               // peer connections being served, guarded by mu_
  // meshes_ are the quorum jobs waiting for, or running on, their mesh:
  // where ServeJoin hands an incoming channel (guarded by mu_).
  std::map<std::string, std::shared_ptr<MeshSlot>> meshes_;
  struct HalfOpen {
    std::string host;
    std::shared_ptr<net::PendingTls::Abort> abort;
  };
  // handshakes_ are the peer port's connections in their TLS handshake, by
  // age (oldest first); guarded by mu_.
  std::map<uint64_t, HalfOpen> handshakes_;
  uint64_t next_handshake_ = 0;              // guarded by mu_
  std::map<std::string, uint32_t> peer_connections_;  // by fingerprint, guarded by mu_
  uint32_t serving_ = 0;  // offers holding a job slot, guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  bool shut_down_ = false;            // guarded by mu_
  int abandoned_ = 0;                 // guarded by mu_
  std::mt19937_64 retry_jitter_;      // not secret: spreads retries; guarded by mu_
};

}  // namespace liaison::node

#endif  // LIAISON_NODE_DAEMON_H_
