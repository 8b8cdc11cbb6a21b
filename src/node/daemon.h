// The node daemon (`liaison node run DIR`): one long-running process per
// organisation. It loads the home (config, identity, store), listens for
// peers on mutually authenticated TLS (only configured peers' keys are
// accepted), answers their job offers from its own policy
// (peer_protocol.h), and runs the jobs its users submit on a bounded pool
// of workers. Every job leaves audit records and, when it ran, a receipt
// from the peer (audit.h). The REST API (rest_api.h) and, later, schedules
// and webhooks drive it through the entry points below.
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
// Restart: on Start, jobs left running (either role) or awaiting_peer are
// marked failed ("node restarted") with an audit record, since their peer
// session is gone; queued initiator jobs are queued again. A result is only
// ever stored in the transaction that marks its job succeeded, so a crash
// never leaves half a result.
//
// Shutdown (SIGTERM): stop accepting peers and new jobs, let running jobs
// finish within shutdown_grace_seconds, then mark those still running failed
// ("node shutting down") with audit records. Their threads may still be
// blocked on the network, so Shutdown reports them and the caller exits the
// process without destroying the daemon; the store is consistent either way
// (SQLite WAL, every write one transaction; a late result finds its job no
// longer running and is dropped).
#ifndef LIAISON_NODE_DAEMON_H_
#define LIAISON_NODE_DAEMON_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/identity.h"
#include "net/tls_channel.h"
#include "node/audit.h"
#include "node/config.h"
#include "node/datasets.h"
#include "node/store.h"

namespace liaison::node {

// JobEvents is told about job state changes, for webhooks and the like. The
// daemon calls OnJobChanged after the change is committed, from the thread
// that made it (a worker, a peer connection or a REST handler); it must
// return quickly and must not call back into the daemon's job methods.
class JobEvents {
 public:
  virtual ~JobEvents() = default;
  virtual void OnJobChanged(const Job& job) = 0;
};

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
  std::string result_to = "me";
  std::string idempotency_key;
};

struct DaemonOptions {
  // home is the node's directory (home.h).
  std::string home;
  // observers are told about job changes; they must outlive the daemon.
  std::vector<JobEvents*> observers;
  // peer_connect_timeout bounds how long an initiator keeps trying to
  // reach a peer (TlsConnect backs off between attempts) before the job
  // fails with "peer unreachable".
  absl::Duration peer_connect_timeout = absl::Seconds(20);
  // peer_io_timeout bounds each wait for a peer's message.
  absl::Duration peer_io_timeout = absl::Seconds(60);
};

class Daemon {
 public:
  // Start loads DIR's config, identity and store, recovers jobs a previous
  // run left unfinished (see above), appends a config_loaded record and
  // starts the peer listener and the workers. Errors: those of LoadConfig,
  // Identity::Load and Store::Open; Unavailable if the peer address cannot
  // be bound.
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
  // are allowed; PermissionDenied otherwise, InvalidArgument for malformed
  // fields, NotFound for an unknown alliance, peer or dataset), creates the
  // job (idempotent on the key; AlreadyExists if the key was used for another
  // request), records job_offered and queues it. Thread-safe.
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

  // DecideOffer approves (the job becomes queued and runs when the
  // initiator next asks) or refuses (refused_by_analyst, with `reason`) an
  // offer awaiting approval. NotFound if there is no such job,
  // FailedPrecondition if it is not a responder job awaiting approval.
  absl::StatusOr<Job> DecideOffer(std::string_view id, bool approve, std::string_view reason,
                                  std::string_view actor);

  // RereadDataset reads a dataset's file again and returns its digest and
  // counts. NotFound for an unknown dataset; the reader's errors otherwise.
  absl::StatusOr<DatasetInfo> RereadDataset(const std::string& name);

  // Shutdown stops accepting peer connections and starting jobs, waits up
  // to shutdown_grace_seconds for running jobs, fails the rest and returns
  // how many it failed. Idempotent.
  int Shutdown();

 private:
  struct Task {
    absl::Time not_before;
    std::string job_id;
  };
  class Runner;

  explicit Daemon(const DaemonOptions& options, Config config, net::Identity identity,
                  std::unique_ptr<Store> store);

  absl::Status Recover();
  void Enqueue(std::string job_id, absl::Time not_before);
  void WorkerLoop();
  void ListenLoop();
  void ServeConnection(std::unique_ptr<net::Channel> channel, std::string peer_fingerprint);
  void RunInitiator(const std::string& job_id);

  // Transition moves a job and tells the observers; it returns the job or
  // the store's error (a job cancelled meanwhile gives FailedPrecondition).
  absl::StatusOr<Job> Transition(std::string_view id, JobState to, std::string_view error);
  void Notify(const Job& job);
  // Record appends an audit record about `job`; a failure is logged.
  void Record(AuditKind kind, const Job& job, std::string_view actor,
              const AuditContent* extra = nullptr);
  // Fail moves a job to failed or refused with a record; errors are logged.
  void Finalize(const Job& job, JobState to, std::string_view error, std::string_view actor);
  const PeerConfig* PeerByName(std::string_view name) const;
  const PeerConfig* PeerByFingerprint(std::string_view fingerprint) const;

  bool BeginActive(const std::string& job_id);
  void EndActive(const std::string& job_id);

  DaemonOptions options_;
  Config config_;
  net::Identity identity_;
  std::unique_ptr<Store> store_;
  AuditLog audit_;
  DatasetCatalog catalog_;

  std::unique_ptr<net::TlsListener> listener_;
  uint16_t peer_port_ = 0;
  std::thread listen_thread_;
  std::vector<std::thread> workers_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Task> tasks_;           // guarded by mu_
  std::set<std::string> active_;      // jobs being worked on, guarded by mu_
  int connections_ = 0;               // peer connections being served, guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  bool shut_down_ = false;            // guarded by mu_
  int abandoned_ = 0;                 // guarded by mu_
};

}  // namespace liaison::node

#endif  // LIAISON_NODE_DAEMON_H_
