#include "node/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "node/internal/sqlite.h"
#include "node/internal/store_schema.h"
#include "node/internal/util.h"

namespace liaison::node {
namespace {

using internal::kMigrations;
using internal::Migration;

constexpr int kLatestMigration = kMigrations[std::size(kMigrations) - 1].version;
static_assert(kLatestMigration == kSchemaVersion);

constexpr std::string_view kTokenPrefix = "lsk_";
constexpr size_t kTokenRandomLen = 32;
constexpr size_t kMaxLabelLen = 200;
constexpr size_t kMaxIdempotencyKeyLen = 200;

// CanonicalObject parses a JSON object and returns it compact with sorted
// keys, so equal objects compare equal as text.
absl::StatusOr<std::string> CanonicalObject(std::string_view json, std::string_view what) {
  nlohmann::json v = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded() || !v.is_object()) {
    return absl::InvalidArgumentError(StrCat(what, " must be a JSON object"));
  }
  try {
    return v.dump();
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError(StrCat(what, " is not valid UTF-8"));
  }
}

constexpr char kJobColumns[] =
    "id, COALESCE(request_key, ''), state, alliance, peer, question, protocol, params, "
    "actor, created, updated, error, role";

absl::StatusOr<Job> JobFromRow(const internal::Stmt& s) {
  Job job;
  job.id = s.Text(0);
  job.idempotency_key = s.Text(1);
  LIAISON_ASSIGN_OR_RETURN(job.state, ParseJobState(s.Text(2)));
  job.alliance = s.Text(3);
  job.peer = s.Text(4);
  job.question = s.Text(5);
  job.protocol = s.Text(6);
  job.params_json = s.Text(7);
  job.actor = s.Text(8);
  job.created = s.Text(9);
  job.updated = s.Text(10);
  job.error = s.Text(11);
  job.role = s.Text(12) == "responder" ? JobRole::kResponder : JobRole::kInitiator;
  return job;
}

absl::StatusOr<std::optional<Job>> SelectJob(internal::Db& db, std::string_view where,
                                             std::string_view value) {
  LIAISON_ASSIGN_OR_RETURN(internal::Stmt s,
                           db.Prepare(StrCat("SELECT ", kJobColumns, " FROM jobs WHERE ", where)));
  s.Bind(1, value);
  LIAISON_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<Job>();
  LIAISON_ASSIGN_OR_RETURN(Job job, JobFromRow(s));
  return std::optional<Job>(std::move(job));
}

// SelectJobOf is SelectJob with two values to bind.
absl::StatusOr<std::optional<Job>> SelectJobOf(internal::Db& db, std::string_view where,
                                               std::string_view first, std::string_view second) {
  LIAISON_ASSIGN_OR_RETURN(internal::Stmt s,
                           db.Prepare(StrCat("SELECT ", kJobColumns, " FROM jobs WHERE ", where)));
  s.Bind(1, first).Bind(2, second);
  LIAISON_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<Job>();
  LIAISON_ASSIGN_OR_RETURN(Job job, JobFromRow(s));
  return std::optional<Job>(std::move(job));
}

absl::Status InsertJob(internal::Db& db, const Job& job) {
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt s,
      db.Prepare("INSERT INTO jobs (id, request_key, state, alliance, peer, question, "
                 "protocol, params, actor, created, updated, error, role) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  s.Bind(1, job.id);
  if (job.idempotency_key.empty()) {
    s.BindNull(2);
  } else {
    s.Bind(2, job.idempotency_key);
  }
  s.Bind(3, JobStateName(job.state))
      .Bind(4, job.alliance)
      .Bind(5, job.peer)
      .Bind(6, job.question)
      .Bind(7, job.protocol)
      .Bind(8, job.params_json)
      .Bind(9, job.actor)
      .Bind(10, job.created)
      .Bind(11, job.updated)
      .Bind(12, job.error)
      .Bind(13, JobRoleName(job.role));
  return s.Run();
}

ApiKey ApiKeyFromRow(const internal::Stmt& s) {
  ApiKey key;
  key.id = s.Text(0);
  key.scope = ParseApiScope(s.Text(1)).value_or(ApiScope::kAutomation);
  key.label = s.Text(2);
  key.created = s.Text(3);
  key.revoked = !s.IsNull(4);
  if (key.revoked) key.revoked_at = s.Text(4);
  if (!s.IsNull(5)) key.last_used = s.Text(5);
  return key;
}

constexpr char kApiKeyColumns[] = "id, scope, label, created, revoked, last_used";

// CreateFileExclusive makes an empty file with mode 0600 so that SQLite (and
// its -wal and -shm files, which copy the database's mode) never exist with
// wider permissions.
absl::Status CreatePrivateFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return absl::OkStatus();
    return absl::ErrnoToStatus(errno, StrCat("cannot create the store ", path));
  }
  ::fchmod(fd, 0600);
  ::close(fd);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Job> JobFromRequest(const JobRequest& request, Clock::TimePoint now) {
  for (auto [name, value] : {std::pair<std::string_view, const std::string*>{"alliance", &request.alliance},
                             {"peer", &request.peer},
                             {"question", &request.question},
                             {"protocol", &request.protocol},
                             {"actor", &request.actor}}) {
    if (value->empty()) return absl::InvalidArgumentError(StrCat("a job needs a ", name));
  }
  if (request.idempotency_key.size() > kMaxIdempotencyKeyLen) {
    return absl::InvalidArgumentError(
        StrCat("an idempotency key is at most ", kMaxIdempotencyKeyLen, " bytes"));
  }
  Job job;
  LIAISON_ASSIGN_OR_RETURN(job.params_json, CanonicalObject(request.params_json, "params"));
  job.idempotency_key = request.idempotency_key;
  job.state = JobState::kQueued;
  job.alliance = request.alliance;
  job.peer = request.peer;
  job.question = request.question;
  job.protocol = request.protocol;
  job.actor = request.actor;
  job.created = job.updated = internal::Rfc3339At(now);
  return job;
}

std::string_view ApiScopeName(ApiScope scope) {
  switch (scope) {
    case ApiScope::kAdmin: return "admin";
    case ApiScope::kAnalyst: return "analyst";
    case ApiScope::kAutomation: return "automation";
  }
  return "automation";
}

absl::StatusOr<ApiScope> ParseApiScope(std::string_view name) {
  for (ApiScope s : {ApiScope::kAdmin, ApiScope::kAnalyst, ApiScope::kAutomation}) {
    if (name == ApiScopeName(s)) return s;
  }
  return absl::InvalidArgumentError(
      StrCat("\"", name, "\" is not an API key scope (admin, analyst or automation)"));
}

bool ScopeAllows(ApiScope held, ApiScope needed) {
  switch (held) {
    case ApiScope::kAdmin: return true;
    case ApiScope::kAnalyst: return needed != ApiScope::kAdmin;
    case ApiScope::kAutomation: return needed == ApiScope::kAutomation;
  }
  return false;
}

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued: return "queued";
    case JobState::kAwaitingApproval: return "awaiting_approval";
    case JobState::kAwaitingPeer: return "awaiting_peer";
    case JobState::kRunning: return "running";
    case JobState::kSucceeded: return "succeeded";
    case JobState::kFailed: return "failed";
    case JobState::kRefused: return "refused";
    case JobState::kCancelled: return "cancelled";
  }
  return "failed";
}

absl::StatusOr<JobState> ParseJobState(std::string_view name) {
  for (JobState s : {JobState::kQueued, JobState::kAwaitingApproval, JobState::kAwaitingPeer,
                     JobState::kRunning, JobState::kSucceeded, JobState::kFailed,
                     JobState::kRefused, JobState::kCancelled}) {
    if (name == JobStateName(s)) return s;
  }
  return absl::InvalidArgumentError(StrCat("\"", name, "\" is not a job state"));
}

std::string_view JobRoleName(JobRole role) {
  return role == JobRole::kResponder ? "responder" : "initiator";
}

bool IsFinal(JobState state) {
  return state == JobState::kSucceeded || state == JobState::kFailed ||
         state == JobState::kRefused || state == JobState::kCancelled;
}

bool CanTransition(JobState from, JobState to) {
  using S = JobState;
  switch (from) {
    case S::kQueued:
      return to == S::kAwaitingApproval || to == S::kAwaitingPeer || to == S::kRunning ||
             to == S::kFailed || to == S::kRefused || to == S::kCancelled;
    case S::kAwaitingApproval:
      return to == S::kQueued || to == S::kAwaitingPeer || to == S::kRunning ||
             to == S::kFailed || to == S::kRefused || to == S::kCancelled;
    case S::kAwaitingPeer:
      return to == S::kRunning || to == S::kFailed || to == S::kRefused ||
             to == S::kCancelled;
    case S::kRunning:
      return to == S::kSucceeded || to == S::kFailed || to == S::kCancelled;
    default:
      return false;
  }
}

Store::Store(std::unique_ptr<internal::Db> db, bool read_only)
    : db_(std::move(db)), read_only_(read_only) {}

Store::~Store() = default;

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                   const Options& options) {
  if (options.create && !options.read_only) {
    LIAISON_RETURN_IF_ERROR(CreatePrivateFile(path));
  } else if (::access(path.c_str(), F_OK) != 0) {
    return absl::NotFoundError(StrCat("no store at ", path));
  }
  LIAISON_ASSIGN_OR_RETURN(
      internal::Db db,
      internal::Db::Open(path, options.read_only, options.create, options.busy_timeout_ms));
  if (options.clock != nullptr) db.set_clock(*options.clock);
  std::unique_ptr<Store> store(
      new Store(std::make_unique<internal::Db>(std::move(db)), options.read_only));
  LIAISON_RETURN_IF_ERROR(store->Migrate(options.read_only));
  return store;
}

absl::Status Store::Migrate(bool read_only) {
  internal::Db& db = *db_;
  LIAISON_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys=ON"));
  if (!read_only) {
    // journal_mode cannot change inside a transaction; it is persistent.
    LIAISON_ASSIGN_OR_RETURN(internal::Stmt wal, db.Prepare("PRAGMA journal_mode=WAL"));
    LIAISON_ASSIGN_OR_RETURN(bool row, wal.Step());
    if (!row || wal.Text(0) != "wal") {
      return absl::FailedPreconditionError("the store cannot use write-ahead logging");
    }
    LIAISON_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=FULL"));
  }
  return InTransaction(read_only ? "BEGIN" : "BEGIN IMMEDIATE", [&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt exists,
        db.Prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                   "name = 'schema_version'"));
    LIAISON_ASSIGN_OR_RETURN(bool row, exists.Step());
    const bool has_schema_version = row && exists.Int(0) == 1;
    // An unfinished read would lock the tables a migration drops.
    exists.Reset();
    int version = 0;
    if (has_schema_version) {
      LIAISON_ASSIGN_OR_RETURN(internal::Stmt s,
                               db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
      LIAISON_ASSIGN_OR_RETURN(bool got, s.Step());
      if (got) version = static_cast<int>(s.Int(0));
    }
    if (version > kSchemaVersion) {
      return absl::FailedPreconditionError(
          StrCat("the store has schema version ", version, ", newer than this liaison's (",
                 kSchemaVersion, "); use a newer liaison"));
    }
    if (read_only) {
      if (version != kSchemaVersion) {
        return absl::FailedPreconditionError(
            StrCat("the store has schema version ", version, " but this liaison reads ",
                   kSchemaVersion, "; open it read-write once (e.g. start the node) to migrate"));
      }
      schema_version_ = version;
      return absl::OkStatus();
    }
    if (version == 0) {
      // A file with tables but no schema_version is not ours.
      LIAISON_ASSIGN_OR_RETURN(internal::Stmt any,
                               db.Prepare("SELECT count(*) FROM sqlite_schema"));
      LIAISON_ASSIGN_OR_RETURN(bool got, any.Step());
      if (got && any.Int(0) != 0 && !has_schema_version) {
        return absl::FailedPreconditionError("the file is a SQLite database but not a liaison store");
      }
      LIAISON_RETURN_IF_ERROR(db.Exec(
          "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
          "applied TEXT NOT NULL)"));
    }
    for (const Migration& m : kMigrations) {
      if (m.version <= version) continue;
      LIAISON_RETURN_IF_ERROR(db.Exec(m.sql));
      LIAISON_ASSIGN_OR_RETURN(
          internal::Stmt ins, db.Prepare("INSERT INTO schema_version (version, applied) VALUES (?, ?)"));
      ins.Bind(1, static_cast<int64_t>(m.version)).Bind(2, db.NowRfc3339());
      LIAISON_RETURN_IF_ERROR(ins.Run());
    }
    schema_version_ = kSchemaVersion;
    return absl::OkStatus();
  });
}

absl::Status Store::InTransaction(std::string_view begin,
                                  const std::function<absl::Status(internal::Db&)>& fn) {
  LIAISON_RETURN_IF_ERROR(db_->Exec(begin));
  absl::Status status = fn(*db_);
  if (status.ok()) status = db_->Exec("COMMIT");
  if (!status.ok()) {
    // ROLLBACK fails only if SQLite already rolled back (e.g. after an I/O
    // error); either way nothing of `fn` remains.
    (void)db_->Exec("ROLLBACK");
  }
  return status;
}

absl::Status Store::Write(const std::function<absl::Status(internal::Db&)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (read_only_) return absl::FailedPreconditionError("the store was opened read-only");
  return InTransaction("BEGIN IMMEDIATE", fn);
}

absl::Status Store::Read(const std::function<absl::Status(internal::Db&)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  return InTransaction("BEGIN", fn);
}

absl::StatusOr<NewApiKey> Store::CreateApiKey(ApiScope scope, std::string_view label) {
  if (label.size() > kMaxLabelLen) {
    return absl::InvalidArgumentError(StrCat("an API key label is at most ", kMaxLabelLen,
                                             " bytes"));
  }
  NewApiKey out;
  LIAISON_ASSIGN_OR_RETURN(std::string id_hex, internal::RandomHex(8));
  out.key.id = StrCat("key_", id_hex);
  out.key.scope = scope;
  out.key.label = std::string(label);
  out.key.created = db_->NowRfc3339();
  {
    LIAISON_ASSIGN_OR_RETURN(std::string secret_hex, internal::RandomHex(kTokenRandomLen));
    std::string token = StrCat(kTokenPrefix, secret_hex);
    out.token = SecretBytes(AsBytes(token));
    SecureWipe(secret_hex.data(), secret_hex.size());
    SecureWipe(token.data(), token.size());
  }
  crypto::Digest256 hash = crypto::Sha256(out.token.span());
  LIAISON_RETURN_IF_ERROR(Write([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare("INSERT INTO api_keys (id, key_hash, scope, label, created) "
                   "VALUES (?, ?, ?, ?, ?)"));
    s.Bind(1, out.key.id)
        .BindBlob(2, hash)
        .Bind(3, ApiScopeName(scope))
        .Bind(4, label)
        .Bind(5, out.key.created);
    return s.Run();
  }));
  return out;
}

absl::StatusOr<ApiKey> Store::AuthenticateApiKey(std::string_view token) {
  const absl::Status denied = absl::UnauthenticatedError("invalid or revoked API key");
  if (token.size() != kTokenPrefix.size() + 2 * kTokenRandomLen ||
      token.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return denied;
  }
  // The lookup is by the hash of a 256-bit random token, so its timing tells
  // an attacker nothing about any stored key.
  crypto::Digest256 hash = crypto::Sha256(AsBytes(token));
  std::optional<ApiKey> key;
  LIAISON_RETURN_IF_ERROR(Read([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare(StrCat("SELECT ", kApiKeyColumns, " FROM api_keys WHERE key_hash = ?")));
    s.BindBlob(1, hash);
    LIAISON_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) key = ApiKeyFromRow(s);
    return absl::OkStatus();
  }));
  if (!key || key->revoked) return denied;
  // last_used, to the minute: one write a minute per key at most, not one
  // per request. A failure to note it does not fail the request.
  const std::string minute = db_->NowRfc3339().substr(0, 16);  // "YYYY-MM-DDTHH:MM"
  if (key->last_used.compare(0, 16, minute) != 0) {
    const std::string stamp = StrCat(minute, ":00Z");
    absl::Status noted = Write([&](internal::Db& db) -> absl::Status {
      LIAISON_ASSIGN_OR_RETURN(internal::Stmt u,
                               db.Prepare("UPDATE api_keys SET last_used = ? WHERE id = ?"));
      u.Bind(1, stamp).Bind(2, key->id);
      return u.Run();
    });
    if (noted.ok()) key->last_used = stamp;
  }
  return *key;
}

absl::Status Store::RevokeApiKey(std::string_view id) {
  return Write([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare("UPDATE api_keys SET revoked = COALESCE(revoked, ?) WHERE id = ?"));
    s.Bind(1, db.NowRfc3339()).Bind(2, id);
    LIAISON_RETURN_IF_ERROR(s.Run());
    if (db.Changes() == 0) return absl::NotFoundError(StrCat("no API key ", id));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ApiKey>> Store::ListApiKeys() {
  std::vector<ApiKey> keys;
  LIAISON_RETURN_IF_ERROR(Read([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare(StrCat("SELECT ", kApiKeyColumns, " FROM api_keys ORDER BY created, id")));
    while (true) {
      LIAISON_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      keys.push_back(ApiKeyFromRow(s));
    }
    return absl::OkStatus();
  }));
  return keys;
}

absl::StatusOr<CreateJobResult> Store::CreateJob(const JobRequest& request,
                                                 const JobChangeHook& hook) {
  LIAISON_ASSIGN_OR_RETURN(Job job, JobFromRequest(request, db_->clock().Now()));
  LIAISON_ASSIGN_OR_RETURN(std::string id_hex, internal::RandomHex(16));
  job.id = StrCat("job_", id_hex);

  CreateJobResult result;
  LIAISON_RETURN_IF_ERROR(Write([&](internal::Db& db) -> absl::Status {
    if (!job.idempotency_key.empty()) {
      LIAISON_ASSIGN_OR_RETURN(std::optional<Job> existing,
                               SelectJobOf(db, "actor = ? AND request_key = ?", job.actor,
                                           job.idempotency_key));
      if (existing) {
        if (existing->alliance != job.alliance || existing->peer != job.peer ||
            existing->question != job.question || existing->protocol != job.protocol ||
            existing->params_json != job.params_json) {
          return absl::AlreadyExistsError(
              StrCat("the idempotency key was already used for a different request (job ",
                     existing->id, ")"));
        }
        result.job = std::move(*existing);
        result.created = false;
        return absl::OkStatus();
      }
    }
    LIAISON_RETURN_IF_ERROR(InsertJob(db, job));
    if (hook) LIAISON_RETURN_IF_ERROR(hook(db, job));
    result.job = job;
    result.created = true;
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<PeerJobAdmission> Store::AdmitPeerJob(const JobRequest& request,
                                                     std::string_view id,
                                                     uint32_t jobs_per_hour, JobState state,
                                                     std::string_view refusal,
                                                     const JobChangeHook& hook) {
  LIAISON_ASSIGN_OR_RETURN(Job job, JobFromRequest(request, db_->clock().Now()));
  job.id = std::string(id);
  job.role = JobRole::kResponder;
  job.idempotency_key.clear();
  PeerJobAdmission out;
  LIAISON_RETURN_IF_ERROR(Write([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(std::optional<Job> existing, SelectJob(db, "id = ?", id));
    if (existing) return absl::AlreadyExistsError(StrCat("job ", id, " already exists"));
    if (!refusal.empty()) {
      job.state = JobState::kRefused;
      job.error = std::string(refusal);
    } else {
      const std::string since =
          internal::Rfc3339At(db.clock().Now() - std::chrono::hours(1));
      LIAISON_ASSIGN_OR_RETURN(
          internal::Stmt count,
          db.Prepare("SELECT count(*) FROM jobs WHERE role = 'responder' AND peer = ? AND "
                     "alliance = ? AND created >= ? AND state != 'refused'"));
      count.Bind(1, job.peer).Bind(2, job.alliance).Bind(3, since);
      LIAISON_ASSIGN_OR_RETURN(bool row, count.Step());
      const int64_t used = row ? count.Int(0) : 0;
      if (used >= static_cast<int64_t>(jobs_per_hour)) {
        job.state = JobState::kRefused;
        job.error = StrCat("rate_limited: ", job.peer, " has used its ", jobs_per_hour,
                           " jobs per hour in alliance ", job.alliance);
        out.rate_limited = true;
      } else {
        job.state = state;
      }
    }
    LIAISON_RETURN_IF_ERROR(InsertJob(db, job));
    out.job = job;
    return hook ? hook(db, job) : absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<Job>> Store::ListJobs(size_t limit, std::optional<JobState> state) {
  std::vector<Job> jobs;
  LIAISON_RETURN_IF_ERROR(Read([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare(StrCat("SELECT ", kJobColumns, " FROM jobs",
                          state ? " WHERE state = ?" : "",
                          " ORDER BY created DESC, id LIMIT ", static_cast<int64_t>(limit))));
    if (state) s.Bind(1, JobStateName(*state));
    while (true) {
      LIAISON_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      LIAISON_ASSIGN_OR_RETURN(Job job, JobFromRow(s));
      jobs.push_back(std::move(job));
    }
    return absl::OkStatus();
  }));
  return jobs;
}

absl::StatusOr<Job> Store::FinishJob(const JobResult& result, const JobChangeHook& hook) {
  Job job;
  LIAISON_RETURN_IF_ERROR(Write([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(std::optional<Job> current, SelectJob(db, "id = ?", result.job_id));
    if (!current) return absl::NotFoundError(StrCat("no job ", result.job_id));
    if (current->state != JobState::kRunning) {
      return absl::FailedPreconditionError(StrCat("job ", result.job_id, " is ",
                                                  JobStateName(current->state),
                                                  ", not running; its result is dropped"));
    }
    job = std::move(*current);
    job.state = JobState::kSucceeded;
    job.updated = db.NowRfc3339();
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt u, db.Prepare("UPDATE jobs SET state = ?, updated = ? WHERE id = ?"));
    u.Bind(1, JobStateName(job.state)).Bind(2, job.updated).Bind(3, job.id);
    LIAISON_RETURN_IF_ERROR(u.Run());
    if (hook) LIAISON_RETURN_IF_ERROR(hook(db, job));
    if (result.kind.empty()) return absl::OkStatus();  // this side learned nothing
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare("INSERT INTO results (job_id, kind, body, digest, num_rows, created) "
                   "VALUES (?, ?, ?, ?, ?, ?)"));
    s.Bind(1, result.job_id)
        .Bind(2, result.kind)
        .BindBlob(3, AsBytes(result.body))
        .Bind(4, result.digest)
        .Bind(5, result.num_rows)
        .Bind(6, job.updated);
    return s.Run();
  }));
  return job;
}

absl::StatusOr<JobResult> Store::GetResult(std::string_view job_id) {
  std::optional<JobResult> out;
  LIAISON_RETURN_IF_ERROR(Read([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare("SELECT job_id, kind, body, digest, num_rows, created FROM results "
                   "WHERE job_id = ?"));
    s.Bind(1, job_id);
    LIAISON_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::OkStatus();
    JobResult r;
    r.job_id = s.Text(0);
    r.kind = s.Text(1);
    Bytes body = s.Blob(2);
    r.body.assign(body.begin(), body.end());
    r.digest = s.Text(3);
    r.num_rows = s.Int(4);
    r.created = s.Text(5);
    out = std::move(r);
    return absl::OkStatus();
  }));
  if (!out) return absl::NotFoundError(StrCat("job ", job_id, " has no result"));
  return std::move(*out);
}

absl::StatusOr<Job> Store::GetJob(std::string_view id) {
  std::optional<Job> job;
  LIAISON_RETURN_IF_ERROR(Read([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(job, SelectJob(db, "id = ?", id));
    return absl::OkStatus();
  }));
  if (!job) return absl::NotFoundError(StrCat("no job ", id));
  return std::move(*job);
}

absl::StatusOr<Job> Store::TransitionJob(std::string_view id, JobState to,
                                         std::string_view error, const JobChangeHook& hook) {
  Job job;
  LIAISON_RETURN_IF_ERROR(Write([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(std::optional<Job> current, SelectJob(db, "id = ?", id));
    if (!current) return absl::NotFoundError(StrCat("no job ", id));
    if (!CanTransition(current->state, to)) {
      return absl::FailedPreconditionError(StrCat("job ", id, " is ",
                                                  JobStateName(current->state), "; it cannot become ",
                                                  JobStateName(to)));
    }
    job = std::move(*current);
    job.state = to;
    job.updated = db.NowRfc3339();
    job.error = (to == JobState::kFailed || to == JobState::kRefused) ? std::string(error) : "";
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare("UPDATE jobs SET state = ?, updated = ?, error = ? WHERE id = ?"));
    s.Bind(1, JobStateName(to)).Bind(2, job.updated).Bind(3, job.error).Bind(4, id);
    LIAISON_RETURN_IF_ERROR(s.Run());
    return hook ? hook(db, job) : absl::OkStatus();
  }));
  return job;
}

absl::StatusOr<Job> Store::NoteJobError(std::string_view id, std::string_view error) {
  Job job;
  LIAISON_RETURN_IF_ERROR(Write([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(std::optional<Job> current, SelectJob(db, "id = ?", id));
    if (!current) return absl::NotFoundError(StrCat("no job ", id));
    if (IsFinal(current->state)) {
      return absl::FailedPreconditionError(
          StrCat("job ", id, " is ", JobStateName(current->state), "; it takes no more notes"));
    }
    job = std::move(*current);
    job.updated = db.NowRfc3339();
    job.error = std::string(error);
    LIAISON_ASSIGN_OR_RETURN(internal::Stmt s,
                             db.Prepare("UPDATE jobs SET updated = ?, error = ? WHERE id = ?"));
    s.Bind(1, job.updated).Bind(2, job.error).Bind(3, id);
    return s.Run();
  }));
  return job;
}

}  // namespace liaison::node
