// The audit log's rows and their checks, shared by the log (audit.cc), its
// verification (audit_verify.cc) and its export (audit_export.cc). Not an
// interface: node/audit.h is.
#ifndef LIAISON_NODE_INTERNAL_AUDIT_ROWS_H_
#define LIAISON_NODE_INTERNAL_AUDIT_ROWS_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/audit.h"
#include "node/internal/sqlite.h"

namespace liaison::node::internal {

// build and peer_build are NULL in version-1 records (store.cc, migration 5).
inline constexpr char kRecordColumns[] =
    "seq, time, kind, actor, job_id, alliance, peer, question, protocol, params, "
    "dataset_digests, profile_digest, transcript_hash, result_digest, counts, receipt, "
    "prev_hash, hash, signature, build, peer_build";

// kFirstFormatVersion is the oldest record format a log may hold.
inline constexpr int kFirstFormatVersion = 1;

inline constexpr char kEmptyLogProblem[] =
    "missing: the log is empty, but node init writes record 1 (the records were deleted)";

// UnreadableRow is a stored record whose columns cannot be parsed.
struct UnreadableRow {
  uint64_t seq = 0;
  std::string hash;    // its stored hash column
  std::string digest;  // hex SHA-256 of all its columns
  std::string what;    // the parse error, without "audit record N: "
};

// HexSha256 is the lower-case hex SHA-256 of `data`.
std::string HexSha256(std::string_view data);

// ReceiptToJson and ReceiptFromJson convert a receipt to and from its JSON.
nlohmann::json ReceiptToJson(const Receipt& r);

// Field readers for records read back from the store or an export: anything
// unexpected is DataLoss, the record having been written by us.
absl::StatusOr<std::string> GetString(const nlohmann::json& obj, const char* key);

absl::Status ExpectKeys(const nlohmann::json& obj, std::initializer_list<const char*> keys,
                        std::string_view what);

absl::StatusOr<Receipt> ReceiptFromJson(const nlohmann::json& v);

// DigestsFromJson and CountsFromJson read a record's dataset digests and
// counts.
absl::StatusOr<std::vector<std::string>> DigestsFromJson(const nlohmann::json& v);
absl::StatusOr<std::map<std::string, int64_t>> CountsFromJson(const nlohmann::json& v);

// ForEachRecordIn calls `fn` for every stored record in seq order; a row
// that cannot be parsed is DataLoss.
absl::Status ForEachRecordIn(Db& db,
                             const std::function<absl::Status(const AuditRecord&)>& fn);

// ScanRowsIn calls `fn` for each stored record with seq >= `from_seq`, in
// seq order, with the record or (if it cannot be parsed) the row's
// UnreadableRow; exactly one of the two is not null.
absl::Status ScanRowsIn(Db& db, uint64_t from_seq,
                        const std::function<void(const AuditRecord*, const UnreadableRow*)>& fn);

// FeedIn gives the records of `db` from `from_seq` on to `verifier`.
absl::Status FeedIn(Db& db, uint64_t from_seq, AuditChainVerifier& verifier);

// RecordDigest is the AuditBreak::record_digest of `r`: the SHA-256 of its
// export line, or of its fields if it is too malformed for one.
std::string RecordDigest(const AuditRecord& r);

// OwnProblem checks a record by itself: its body hashes to its hash and the
// node signed that hash. "" if so, else what is wrong.
std::string OwnProblem(const AuditRecord& r, const net::Ed25519PublicKey& key);

// OverrideOf reads an audit_override record's params.
std::optional<AuditOverride> OverrideOf(const AuditRecord& r);

}  // namespace liaison::node::internal

#endif  // LIAISON_NODE_INTERNAL_AUDIT_ROWS_H_
