// The node's audit trail: an append-only log of what the node did (jobs
// offered, refused, run, failed; receipts; configuration loaded), kept in the
// store's audit_log table. Records hold who, which question, parameters and
// digests, never items.
//
// Each record's canonical body (AuditBody) is canonical JSON that includes
// the previous record's hash; the record's hash is SHA-256 of the body, and
// the node signs the hash with its Ed25519 identity key. docs/audit.md
// defines the bytes exactly so that anyone holding the log (or an export)
// and the node's public key can check it offline with other tools, and says
// what the chain proves and what it does not (truncation of the newest
// records needs an external anchor).
#ifndef LIAISON_NODE_AUDIT_H_
#define LIAISON_NODE_AUDIT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "net/identity.h"
#include "node/store.h"

namespace liaison::node {

// kAuditFormatVersion is the "v" of the records this build writes. Version
// 2 added "build" and "peer_build"; version-1 records (written before) have
// neither and still verify, so a log may hold both.
inline constexpr int kAuditFormatVersion = 2;
// kGenesisHash is the prev_hash of record 1: 64 zeros.
inline constexpr char kGenesisHash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

// AuditKind is what happened. Verification does not interpret kinds other
// than kReceipt, so a newer node may add kinds without breaking older
// verifiers.
enum class AuditKind {
  kNodeInitialized,
  kConfigLoaded,
  kJobOffered,
  kJobRefused,
  kJobStarted,
  kJobSucceeded,
  kJobFailed,
  kJobCancelled,
  kJobApproved,
  kReceipt,
  kApiKeyCreated,
  kApiKeyRevoked,
  kScheduleMissed,
  kWebhookFailed,
  kAuditOverride,
};
// AuditKindName returns the record's "kind": "node_initialized",
// "config_loaded", "job_offered", "job_refused", "job_started",
// "job_succeeded", "job_failed", "job_cancelled", "job_approved", "receipt",
// "api_key_created", "api_key_revoked", "schedule_missed",
// "webhook_failed", "audit_override".
std::string_view AuditKindName(AuditKind kind);

// Actors, as recorded: "cli" for the command line, "node" for what the
// node does on its own (jobs it fails when it restarts or stops, a webhook
// delivery it gives up), "schedule:<name>", a peer as "peer:sha256:<hex>",
// or an API key id ("key_<16 hex>").
inline constexpr char kActorCli[] = "cli";
inline constexpr char kActorNode[] = "node";
std::string ActorForSchedule(std::string_view schedule_name);
std::string ActorForPeer(std::string_view peer_fingerprint);
// IsValidActor reports whether `actor` has one of the forms above.
bool IsValidActor(std::string_view actor);

// Receipt is a peer's signature over the result of a job: the peer signs
// ReceiptMessage(job_id, params_digest, transcript_hash, result_digest) with
// its identity key. Digests are 64 lower-case hex digits.
struct Receipt {
  std::string job_id;
  std::string params_digest;
  std::string transcript_hash;
  std::string result_digest;
  std::string peer_fingerprint;  // canonical "sha256:..." of peer_public_key
  std::string peer_public_key;   // 64 hex digits, raw Ed25519
  std::string signature;         // 128 hex digits
};

// ReceiptMessage returns the bytes a receipt signs: "liaison-receipt-v1\n"
// followed by the canonical JSON object {"job_id", "params_digest",
// "result_digest", "transcript_hash"} (docs/audit.md).
std::string ReceiptMessage(std::string_view job_id, std::string_view params_digest,
                           std::string_view transcript_hash, std::string_view result_digest);

// ParamsDigest returns the hex SHA-256 of the canonical form of a JSON object
// of job parameters: the params_digest of a receipt. InvalidArgument if
// `params_json` is not a JSON object.
absl::StatusOr<std::string> ParamsDigest(std::string_view params_json);

// SignReceipt makes this node's receipt for a peer to store: fields from the
// arguments, peer_* set to `identity`'s key. Internal only if signing fails.
absl::StatusOr<Receipt> SignReceipt(const net::Identity& identity, std::string_view job_id,
                                    std::string_view params_digest,
                                    std::string_view transcript_hash,
                                    std::string_view result_digest);

// VerifyReceipt checks that the receipt's fingerprint is that of its public
// key and that the signature verifies. DataLoss naming the problem otherwise.
absl::Status VerifyReceipt(const Receipt& receipt);

// AuditContent is what a record says about an event, shared by what a
// caller appends (AuditEvent) and what is stored (AuditRecord).
struct AuditContent {
  std::string actor = kActorCli;
  std::string job_id;
  std::string alliance;
  std::string peer;
  std::string question;
  std::string protocol;
  // params_json is a JSON object without floating-point numbers (integers
  // and strings only, so that every implementation serialises it alike).
  // Stored records hold it canonical.
  std::string params_json = "{}";
  // dataset_digests, profile_digest, transcript_hash, result_digest: each
  // empty or 64 lower-case hex digits.
  std::vector<std::string> dataset_digests;
  std::string profile_digest;
  std::string transcript_hash;
  std::string result_digest;
  // counts are named non-negative numbers: set sizes, intersection size,
  // rejected records. Never items.
  std::map<std::string, int64_t> counts;
  // receipt is required for kReceipt and forbidden otherwise; its job_id
  // must equal `job_id`.
  std::optional<Receipt> receipt;
  // peer_build is the build digest the job's peer announced ("sha256:" and
  // 64 lower-case hex digits, base/build_info.h), once it has; "" otherwise.
  // A claim of the peer's, recorded as made (docs/trust.md).
  std::string peer_build;
};

// AuditEvent is what a caller appends; the log adds seq, time, prev_hash,
// hash and signature.
struct AuditEvent : AuditContent {
  AuditKind kind = AuditKind::kJobOffered;
};

// AuditRecord is one stored record.
struct AuditRecord : AuditContent {
  // v is the record's format version: 1, or 2 (kAuditFormatVersion) for
  // records that name builds.
  int v = kAuditFormatVersion;
  // build is the build digest of the liaison that wrote the record (the
  // log sets it), or "" if it could not compute it. Version 2 only; a
  // version-1 record has "" here and in peer_build.
  std::string build;
  uint64_t seq = 0;
  std::string time;  // RFC 3339 UTC with milliseconds
  std::string kind;  // AuditKindName, or a kind of a newer liaison
  std::string prev_hash;  // 64 hex
  std::string hash;       // 64 hex: SHA-256 of AuditBody(*this)
  std::string signature;  // 128 hex: Ed25519 over AuditSignedMessage(hash)
};

// AuditBody returns the canonical JSON body of `record`: every field above
// except hash and signature, keys sorted, no white space (docs/audit.md);
// a version-1 record's body has no "build" and "peer_build". InvalidArgument
// if params_json is not a JSON object, or a version-1 record names a build.
absl::StatusOr<std::string> AuditBody(const AuditRecord& record);

// AuditRecordJson returns the record as one line of an export: its body's
// fields plus "hash" and "signature" (docs/audit.md). InvalidArgument as for
// AuditBody.
absl::StatusOr<std::string> AuditRecordJson(const AuditRecord& record);

// ReceiptJson returns the receipt as a JSON object (the form stored in
// records); ParseReceiptJson reads it back, DataLoss for anything else. The
// parsed receipt is not verified (VerifyReceipt).
std::string ReceiptJson(const Receipt& receipt);
absl::StatusOr<Receipt> ParseReceiptJson(std::string_view json);

// AuditSignedMessage returns what the node signs for a record:
// "liaison-audit-record-v1\n" followed by the 64 hex digits of its hash.
std::string AuditSignedMessage(std::string_view hash_hex);

// AuditLog appends records to a store, signed with a node identity. Both must
// outlive it. Thread-safe: appends from several threads (or processes sharing
// the store) are serialised by the store's write transaction, which reads the
// last record's hash and inserts the next record, so the chain never forks.
//
// Before it signs a record onto the log, the log checks what it chains onto
// (docs/audit.md, "A broken log"). It remembers the head it last verified
// or wrote (with Append; a record written with AppendIn becomes the head at
// the next check, the caller's transaction not being known to commit) and
// verifies the records from there to the current last one: normally none,
// or a few another process appended. If the remembered head is gone or
// changed, it verifies the whole chain before deciding, and requires the
// head it verified to be still there as it was (the chain alone does not
// show the newest records deleted). A log that has never verified anything
// (a one-shot command) checks the last record's own hash and signature. A
// break found this way (one no audit_override record accepts, see
// ScanAuditLog) makes this append and every later one of this log fail with
// DataLoss naming the record: nothing is signed onto a log known altered.
class AuditLog {
 public:
  AuditLog(Store& store, const net::Identity& identity) : store_(store), identity_(identity) {}

  // Append validates `event` (InvalidArgument naming the field: bad actor,
  // digest, params, missing or stray receipt, a receipt that does not verify),
  // checks the chain as above (DataLoss), then appends it as the next record
  // and returns it.
  absl::StatusOr<AuditRecord> Append(const AuditEvent& event);

  // AppendIn is Append inside the caller's write transaction `db` (from
  // Store::Write on this log's store), so that the record commits together
  // with the change it records, or not at all. At most once per
  // transaction: after two appends rolled back together, the next append
  // would find the head it had verified gone, and report it deleted.
  absl::StatusOr<AuditRecord> AppendIn(internal::Db& db, const AuditEvent& event);

  // Check verifies, in a read snapshot, what the next append would check,
  // without appending: OK, or the DataLoss the next append would return.
  // The daemon calls it before it takes on a job.
  absl::Status Check();

  // SetVerifiedHead tells the log that the chain up to and including record
  // `seq` with `hash` was verified (Daemon::Start after ScanAuditLog).
  void SetVerifiedHead(uint64_t seq, std::string hash);

  // AcceptBreaks is --accept-broken-audit: in one write transaction it scans
  // the whole log again and appends, onto the current last record, one
  // audit_override record (AuditOverrideEvent) for each break no override
  // accepts yet, and returns them. The log then trusts its new head; the
  // breaks stay where they are, and verification keeps reporting them.
  absl::StatusOr<std::vector<AuditRecord>> AcceptBreaks();

 private:
  // CheckChainIn is the check described above, in `db`; it remembers the
  // new head, or the failure for good.
  absl::Status CheckChainIn(internal::Db& db);
  absl::StatusOr<AuditRecord> AppendUncheckedIn(internal::Db& db, const AuditEvent& event);

  Store& store_;
  const net::Identity& identity_;
  std::mutex mu_;  // guards the three below
  bool has_head_ = false;
  uint64_t head_seq_ = 0;
  std::string head_hash_;
  absl::Status broken_;
};

// ForEachAuditRecord calls `fn` for every record of the store in seq order,
// inside one read snapshot, stopping at the first error `fn` returns.
// DataLoss if a stored JSON column cannot be parsed.
absl::Status ForEachAuditRecord(Store& store,
                                const std::function<absl::Status(const AuditRecord&)>& fn);

// AuditSummary is what a successful verification established.
struct AuditSummary {
  uint64_t num_records = 0;
  uint64_t num_receipts = 0;
  uint64_t head_seq = 0;
  std::string head_hash;  // kGenesisHash when there are no records
};

// AuditBreak is one place where the chain does not verify.
struct AuditBreak {
  // seq is the first bad record (for records missing, the first missing).
  uint64_t seq = 0;
  // problem is what is wrong, as in the verifier's message after
  // "audit record <seq>: ": "hash mismatch: ...", "missing: ...", ...
  std::string problem;
  // record_digest is the hex SHA-256 of the stored record at which the break
  // was found (for records missing, the record after the gap), "" if there
  // is none (an emptied log): an override accepts the break as it is, not
  // a later different alteration of the same record.
  std::string record_digest;
};

// AuditOverride is an audit_override record: the node was started with
// --accept-broken-audit over the break it names. Its params are
// {"bad_seq": <seq>, "problem": <problem>, "bad_record_digest": <hex or "">}
// of that AuditBreak.
struct AuditOverride {
  uint64_t seq = 0;  // the audit_override record's own seq
  std::string time;
  AuditBreak accepted;
};

// AuditChainVerifier checks records one at a time, in the order they are
// given, against the node's public key. The first problem is returned as
// DataLoss "audit record <seq>: <what>", where what is one of: the sequence
// skips records (deleted) or goes backwards (reordered or renumbered); the
// hash does not match the content (changed); the signature does not verify
// (forged); prev_hash is not the previous record's hash (reordered or
// removed); the receipt does not verify. Later calls return the same error,
// but the verifier keeps reading: after a break it resumes from the record
// it found it at (the next record must chain onto that record's stored
// hash), so that later breaks and the audit_override records (whose own
// hash and signature verify) are found too.
class AuditChainVerifier {
 public:
  explicit AuditChainVerifier(const net::Ed25519PublicKey& node_public_key)
      : public_key_(node_public_key) {
    summary_.head_hash = kGenesisHash;
  }
  // This constructor verifies a continuation: the records after record
  // `after_seq`, the first of them chaining onto `after_hash`.
  AuditChainVerifier(const net::Ed25519PublicKey& node_public_key, uint64_t after_seq,
                     std::string after_hash)
      : public_key_(node_public_key),
        expected_seq_(after_seq + 1),
        prev_hash_(std::move(after_hash)),
        from_genesis_(false) {
    summary_.head_hash = kGenesisHash;
  }

  absl::Status Add(const AuditRecord& record);
  // AddUnreadable counts a stored record whose columns cannot be parsed
  // (its seq, its stored hash and a digest of its columns) as a break.
  void AddUnreadable(uint64_t seq, std::string hash, std::string digest, std::string_view what);

  // Finish returns the summary, or DataLoss: the first break (with how many
  // more follow and the audit_override records that accepted breaks), the
  // first audit_override record if the log holds one but no break (the
  // log was broken once; it is not whole), or "empty" if no record was seen
  // (node init writes record 1, so an empty log has been emptied). An
  // audit_override never makes a log verify.
  absl::StatusOr<AuditSummary> Finish() const;

  // Scanned is what was read: num_records counts every record, head_seq
  // and head_hash are those of the last one, whatever its state.
  const AuditSummary& Scanned() const { return scanned_; }
  // Breaks returns every break found, in order (the emptied log as a break
  // of record 1); Overrides the audit_override records.
  std::vector<AuditBreak> Breaks() const;
  const std::vector<AuditOverride>& Overrides() const { return overrides_; }

 private:
  void Break(uint64_t seq, std::string problem, std::string digest);

  net::Ed25519PublicKey public_key_;
  AuditSummary summary_;  // the verified part, up to the first break
  AuditSummary scanned_;
  uint64_t expected_seq_ = 1;
  std::string prev_hash_ = kGenesisHash;
  bool from_genesis_ = true;
  std::vector<AuditBreak> breaks_;
  std::vector<AuditOverride> overrides_;
  absl::Status status_;
};

// AuditScan is a whole log read with AuditChainVerifier.
struct AuditScan {
  AuditSummary scanned;  // as AuditChainVerifier::Scanned
  std::vector<AuditBreak> breaks;
  std::vector<AuditOverride> overrides;
  // Unaccepted returns the breaks that no audit_override accepts: one that
  // names the same seq, problem and record digest.
  std::vector<AuditBreak> Unaccepted() const;
};

// ScanAuditLog reads every record of `store` (ScanAuditLogIn: inside the
// caller's transaction) and returns all it found; errors only if the store
// cannot be read.
absl::StatusOr<AuditScan> ScanAuditLog(Store& store, const net::Ed25519PublicKey& node_public_key);
absl::StatusOr<AuditScan> ScanAuditLogIn(internal::Db& db,
                                         const net::Ed25519PublicKey& node_public_key);

// BrokenAuditLogError is the DataLoss a node gives for `unaccepted` breaks
// (not empty): the first one's seq and problem, how many others there are,
// and `what_next`.
absl::Status BrokenAuditLogError(const std::vector<AuditBreak>& unaccepted,
                                 std::string_view what_next);

// AuditOverrideEvent is the audit_override record accepting `broken`.
AuditEvent AuditOverrideEvent(const AuditBreak& broken);

// VerifyAuditLog verifies every record of `store` against `node_public_key`:
// the summary, or Finish's DataLoss (DataLoss too if a stored record cannot
// be read).
absl::StatusOr<AuditSummary> VerifyAuditLog(Store& store,
                                            const net::Ed25519PublicKey& node_public_key);

// ExportAuditLog writes the store's log to `path` as JSON lines (atomically:
// the file appears complete or not at all). Line 1 is the header
//   {"format":"liaison-audit-export","version":1,"node_fingerprint":...,
//    "node_public_key":<hex>,"exported":<RFC 3339>,"num_records":N,
//    "head_seq":N,"head_hash":<hex>}
// and each further line one record: its body's fields plus "hash" and
// "signature"; the counts and the head are those of every record
// (AuditChainVerifier::Scanned). The log is verified while it is exported;
// DataLoss if it has a break that no audit_override record accepts
// (nothing is written then). A log the node was started over with
// --accept-broken-audit is exported, break and override included, for
// VerifyAuditExport to report.
absl::StatusOr<AuditSummary> ExportAuditLog(Store& store,
                                            const net::Ed25519PublicKey& node_public_key,
                                            const std::string& path);

// VerifiedExport is the result of checking an export file.
struct VerifiedExport {
  AuditSummary summary;
  // node_fingerprint is the fingerprint of the key the records were checked
  // against. When the caller gave no expected fingerprint it comes from the
  // file itself, and only proves the log is consistent with that key.
  std::string node_fingerprint;
};

// VerifyAuditExport checks an export offline. If `expected_fingerprint` is
// not empty, the export's key must have that fingerprint (PermissionDenied
// otherwise). DataLoss for a malformed line, a log that fails as in
// AuditChainVerifier::Finish (a break is reported with the audit_override
// records that accepted it, if any), or a header whose counts or head do not match the
// records (a truncated file). NotFound if the file is missing.
absl::StatusOr<VerifiedExport> VerifyAuditExport(const std::string& path,
                                                 std::string_view expected_fingerprint);

}  // namespace liaison::node

#endif  // LIAISON_NODE_AUDIT_H_
