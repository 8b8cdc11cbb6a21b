// Store: the node's embedded SQLite database (node.db in the node's home).
// It holds the audit log, API keys, jobs, results and the privacy ledger.
// Only node/ knows SQL; everything above uses the typed accessors here.
//
// Durability and consistency: WAL mode, synchronous=FULL, foreign keys on.
// Every write is one transaction (BEGIN IMMEDIATE ... COMMIT), so a crash at
// any point leaves either all of an operation or none of it. The schema is
// versioned in the `schema_version` table; Open applies the missing forward
// migrations in one transaction, so reopening is idempotent and a crash
// during a migration leaves the old schema intact. The schema itself is
// documented in internal/store_schema.h, in the SQL of the migrations.
//
// Thread-safety: a Store owns one connection guarded by a mutex; every method
// may be called from any thread, and calls are serialised. Other processes
// (`liaison audit verify` while the node runs) may open the same file: WAL
// lets readers proceed during a write, and writers wait up to the busy
// timeout (Unavailable after that).
#ifndef LIAISON_NODE_STORE_H_
#define LIAISON_NODE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/clock.h"
#include "base/secret.h"

namespace liaison::node {

inline constexpr char kStoreFile[] = "node.db";

// kSchemaVersion is the schema this build writes; Open migrates older stores
// up to it and refuses newer ones.
inline constexpr int kSchemaVersion = 7;

namespace internal {
class Db;
}  // namespace internal

// ApiScope is what an API key may do. An admin key may do everything; an
// analyst key what analysts and automation may; an automation key only
// what automation may (post jobs, read their results). The REST API decides
// which scope each endpoint needs.
enum class ApiScope { kAdmin, kAnalyst, kAutomation };
std::string_view ApiScopeName(ApiScope scope);  // "admin", "analyst", "automation"
absl::StatusOr<ApiScope> ParseApiScope(std::string_view name);
// ScopeAllows reports whether a key of scope `held` may do what needs `needed`.
bool ScopeAllows(ApiScope held, ApiScope needed);

// ApiKey describes a key; the secret itself is never stored, only its hash.
struct ApiKey {
  std::string id;  // "key_" and 16 hex digits; public, appears in the audit log
  ApiScope scope = ApiScope::kAutomation;
  std::string label;
  std::string created;  // RFC 3339 UTC
  bool revoked = false;
  std::string revoked_at;  // RFC 3339 UTC, empty unless revoked
  // last_used is when the key last authenticated a request (RFC 3339 UTC,
  // kept to the minute); empty if never.
  std::string last_used;
};

// NewApiKey is a freshly created key and its secret token, shown once to
// the administrator. The token is "lsk_" and 64 hex digits (32 random
// bytes); the store keeps SHA-256(token) only.
struct NewApiKey {
  ApiKey key;
  SecretBytes token;
};

// JobState is where a job is in its life. The allowed transitions are
//   queued            -> awaiting_approval | awaiting_peer | running |
//                        failed | refused | cancelled
//   awaiting_approval -> queued | awaiting_peer | running | failed |
//                        refused | cancelled
//   awaiting_peer     -> running | failed | refused | cancelled
//   running           -> succeeded | failed | cancelled
// succeeded, failed, refused and cancelled are final.
enum class JobState {
  kQueued,
  kAwaitingApproval,
  kAwaitingPeer,
  kRunning,
  kSucceeded,
  kFailed,
  kRefused,
  kCancelled,
};
std::string_view JobStateName(JobState state);  // "queued", "awaiting_approval", ...
absl::StatusOr<JobState> ParseJobState(std::string_view name);
bool IsFinal(JobState state);
bool CanTransition(JobState from, JobState to);

// JobRole says which side of a two-node job a row describes: the node that
// asked (initiator) or the node that answered an offer (responder). Both
// rows carry the same job id.
enum class JobRole { kInitiator, kResponder };
std::string_view JobRoleName(JobRole role);  // "initiator", "responder"

// JobRequest is what a caller asks for when creating a job.
struct JobRequest {
  // idempotency_key makes creation safe to retry: a second request with the
  // same key from the same actor returns the first job (another actor's
  // key of the same text is another key). Empty means "no key" (every request
  // creates a job); otherwise at most 200 bytes.
  std::string idempotency_key;
  std::string alliance;
  std::string peer;
  std::string question;
  std::string protocol;
  // params_json is a JSON object; it is stored as given.
  std::string params_json = "{}";
  // actor is who asked, in audit actor form (audit.h).
  std::string actor;
};

struct Job {
  std::string id;  // "job_" and 32 hex digits
  JobRole role = JobRole::kInitiator;
  std::string idempotency_key;
  JobState state = JobState::kQueued;
  std::string alliance;
  std::string peer;
  std::string question;
  std::string protocol;
  std::string params_json;
  std::string actor;
  std::string created;  // RFC 3339 UTC
  std::string updated;  // RFC 3339 UTC
  std::string error;    // why it failed or was refused; empty otherwise
};

// JobFromRequest returns the job CreateJob would insert for `request`:
// queued, created at `now`, with canonical params_json, but without an id
// (one is drawn when it is inserted) and not stored. InvalidArgument as for
// CreateJob. The daemon uses it to describe a request it refused before
// creating anything.
absl::StatusOr<Job> JobFromRequest(const JobRequest& request, Clock::TimePoint now);

// JobResult is the stored result of a succeeded job, written in the same
// transaction that marks the job succeeded.
struct JobResult {
  std::string job_id;
  // kind names the body's format ("match-v1").
  std::string kind;
  // body is the result as served (JSON); it holds this node's own matching
  // records, nothing of the peer's.
  std::string body;
  std::string digest;  // 64 hex digits
  int64_t num_rows = 0;
  std::string created;
};

// PeerJobAdmission is what AdmitPeerJob decided.
struct PeerJobAdmission {
  Job job;
  // rate_limited is true when the job was refused because the peer had used
  // up its jobs for the hour.
  bool rate_limited = false;
};

// JobChangeHook runs inside the write transaction of a job state change,
// after the job's row is written, with the job as it now is. It may only use
// `db` (the Store's mutex is held); an error rolls the change back and is
// returned. The daemon uses it to commit webhook notifications with the
// change they report (webhook.h, EnqueueIn).
using JobChangeHook = std::function<absl::Status(internal::Db& db, const Job& job)>;

struct CreateJobResult {
  Job job;
  // created is false when the idempotency key had been used and `job` is
  // the job created then.
  bool created = false;
};

class Store {
 public:
  struct Options {
    // read_only opens without writing anything: no migration (an older
    // schema is FailedPrecondition), for auditors and verification.
    bool read_only = false;
    // create makes the file if it does not exist (mode 0600).
    bool create = false;
    int busy_timeout_ms = 5000;
    // clock stamps the rows the store writes (jobs' created and updated
    // times, API keys, budget reservations, audit records) and measures its
    // windows (the hourly job rate limit, the daily item budget); null is
    // SystemClock(). It must outlive the store.
    Clock* clock = nullptr;
  };

  // Open opens the store at `path`, sets WAL mode and the pragmas above and
  // applies missing migrations. NotFound if the file is missing and
  // !create; FailedPrecondition if the store's schema is newer than this
  // build's (or older, when read_only); DataLoss if the file is not a
  // SQLite database; Unavailable if another process holds a write lock past
  // the busy timeout.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     const Options& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // schema_version returns the schema version of the open store.
  int schema_version() const { return schema_version_; }

  // --- API keys ---

  // CreateApiKey makes a new random key of `scope`. `label` (at most 200
  // bytes) is for people ("SOAR playbook 3").
  absl::StatusOr<NewApiKey> CreateApiKey(ApiScope scope, std::string_view label);
  // AuthenticateApiKey returns the key whose token is `token`, or
  // Unauthenticated (unknown, malformed or revoked: the message does not say
  // which, nor echo the token).
  absl::StatusOr<ApiKey> AuthenticateApiKey(std::string_view token);
  // RevokeApiKey marks the key revoked; NotFound if there is no such key.
  absl::Status RevokeApiKey(std::string_view id);
  // ListApiKeys returns every key, revoked ones included, oldest first.
  absl::StatusOr<std::vector<ApiKey>> ListApiKeys();

  // --- jobs ---

  // CreateJob inserts a queued job, or returns the existing one if
  // `request.idempotency_key` was used before with the same alliance, peer,
  // question, protocol and parameters. The same key with a different request
  // is AlreadyExists (the key names the other job). InvalidArgument if a
  // field is empty or params_json is not a JSON object. `hook`, if set,
  // runs in the same transaction right after a new job is inserted (not for
  // an existing one); its error rolls the creation back and is returned
  // (the daemon reserves an initiator's privacy cost there).
  absl::StatusOr<CreateJobResult> CreateJob(const JobRequest& request,
                                            const JobChangeHook& hook = nullptr);
  // GetJob returns the job, NotFound if there is none.
  absl::StatusOr<Job> GetJob(std::string_view id);
  // TransitionJob moves the job to `to` (recording `error`, which is kept
  // only for failed and refused) and returns it updated. NotFound if there
  // is no such job, FailedPrecondition if the transition is not allowed
  // (from a final state, or backwards). `hook`, if set, runs in the same
  // transaction (JobChangeHook).
  absl::StatusOr<Job> TransitionJob(std::string_view id, JobState to, std::string_view error,
                                    const JobChangeHook& hook = nullptr);
  // NoteJobError records `error` on a job that is not final without moving
  // it (an initiator waiting to retry an unreachable peer shows why), and
  // returns the job. NotFound if there is no such job, FailedPrecondition
  // if it is final. The next transition clears the note (TransitionJob
  // keeps errors only for failed and refused).
  absl::StatusOr<Job> NoteJobError(std::string_view id, std::string_view error);

  // AdmitPeerJob records a peer's offer as a responder job with the
  // initiator's id `id`, in one write transaction:
  //  - if `refusal` is not empty, the job is inserted refused with it;
  //  - otherwise, if the peer already has `jobs_per_hour` responder jobs in
  //    this alliance created in the last hour (refused ones not counted), it
  //    is inserted refused with a rate-limit reason and rate_limited is set;
  //  - otherwise it is inserted in `state`.
  // Because the count and the insert share the transaction, concurrent
  // offers cannot together exceed the limit. AlreadyExists if a job with
  // `id` exists; InvalidArgument as for CreateJob. `hook`, if set, runs in
  // the same transaction with the inserted job.
  absl::StatusOr<PeerJobAdmission> AdmitPeerJob(const JobRequest& request, std::string_view id,
                                                uint32_t jobs_per_hour, JobState state,
                                                std::string_view refusal,
                                                const JobChangeHook& hook = nullptr);
  // ListJobs returns up to `limit` jobs, newest first; with `state`, only
  // jobs in that state.
  absl::StatusOr<std::vector<Job>> ListJobs(size_t limit, std::optional<JobState> state);
  // FinishJob marks a running job succeeded and stores its result, in one
  // transaction: afterwards both are there, or neither. A result with an
  // empty kind is not stored (the side that received nothing). FailedPrecondition
  // (nothing stored) if the job is no longer running (cancelled or failed
  // meanwhile, e.g. by a shutdown). `hook`, if set, runs in the same
  // transaction.
  absl::StatusOr<Job> FinishJob(const JobResult& result, const JobChangeHook& hook = nullptr);
  // GetResult returns a job's result; NotFound if it has none.
  absl::StatusOr<JobResult> GetResult(std::string_view job_id);

  // --- building blocks for node/ ---

  // Write runs `fn` in a write transaction (BEGIN IMMEDIATE) holding the
  // store's mutex: if `fn` returns OK the transaction commits, otherwise it
  // rolls back and `fn`'s status is returned. `fn` must not call other Store
  // methods (the mutex is not recursive). For node/ code only.
  absl::Status Write(const std::function<absl::Status(internal::Db&)>& fn);
  // Read runs `fn` in a read transaction: one consistent snapshot.
  absl::Status Read(const std::function<absl::Status(internal::Db&)>& fn);

 private:
  Store(std::unique_ptr<internal::Db> db, bool read_only);
  absl::Status Migrate(bool read_only);
  absl::Status InTransaction(std::string_view begin,
                             const std::function<absl::Status(internal::Db&)>& fn);

  std::mutex mu_;
  std::unique_ptr<internal::Db> db_;
  bool read_only_;
  int schema_version_ = 0;
};

}  // namespace liaison::node

#endif  // LIAISON_NODE_STORE_H_
