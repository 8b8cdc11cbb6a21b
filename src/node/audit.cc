#include "node/audit.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/atomic_file.h"
#include "base/build_info.h"
#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "node/config.h"
#include "node/internal/audit_rows.h"
#include "node/internal/sqlite.h"
#include "node/internal/util.h"


namespace liaison::node {
namespace {

using Json = nlohmann::json;
using internal::HexSha256;
using internal::kFirstFormatVersion;
using internal::kRecordColumns;
using internal::OwnProblem;
using internal::ReceiptFromJson;
using internal::ReceiptToJson;
using internal::ScanRowsIn;
using internal::UnreadableRow;

constexpr char kRecordContext[] = "liaison-audit-record-v1\n";
constexpr char kReceiptContext[] = "liaison-receipt-v1\n";

// Dump serialises canonically: nlohmann's objects are std::maps, so keys come
// out sorted by their UTF-8 bytes, with no white space. It throws on invalid
// UTF-8, which Dump turns into InvalidArgument.
absl::StatusOr<std::string> Dump(const Json& v, std::string_view what) {
  try {
    return v.dump();
  } catch (const Json::exception&) {
    return absl::InvalidArgumentError(StrCat(what, " is not valid UTF-8"));
  }
}

bool HasFloat(const Json& v) {
  if (v.is_number_float()) return true;
  if (v.is_array() || v.is_object()) {
    for (const Json& e : v) {
      if (HasFloat(e)) return true;
    }
  }
  return false;
}

absl::StatusOr<Json> ParseParams(std::string_view params_json) {
  Json v = Json::parse(params_json, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded() || !v.is_object()) {
    return absl::InvalidArgumentError("params must be a JSON object");
  }
  if (HasFloat(v)) {
    return absl::InvalidArgumentError(
        "params must not hold floating-point numbers (write decimals as strings)");
  }
  return v;
}

// BodyJson is the canonical body of `r` as a JSON value.
absl::StatusOr<Json> BodyJson(const AuditRecord& r) {
  LIAISON_ASSIGN_OR_RETURN(Json params, ParseParams(r.params_json));
  Json counts = Json::object();
  for (const auto& [k, v] : r.counts) counts[k] = v;
  if (r.v < kFirstFormatVersion || r.v > kAuditFormatVersion) {
    return absl::InvalidArgumentError(StrCat("format version ", r.v, " is not 1 or 2"));
  }
  if (r.v == 1) {
    if (!r.build.empty() || !r.peer_build.empty()) {
      return absl::InvalidArgumentError("a version-1 record names no build");
    }
  }
  Json body{{"v", r.v},
              {"seq", r.seq},
              {"time", r.time},
              {"kind", r.kind},
              {"actor", r.actor},
              {"job_id", r.job_id},
              {"alliance", r.alliance},
              {"peer", r.peer},
              {"question", r.question},
              {"protocol", r.protocol},
              {"params", std::move(params)},
              {"dataset_digests", r.dataset_digests},
              {"profile_digest", r.profile_digest},
              {"transcript_hash", r.transcript_hash},
              {"result_digest", r.result_digest},
              {"counts", std::move(counts)},
              {"receipt", r.receipt ? ReceiptToJson(*r.receipt) : Json(nullptr)},
              {"prev_hash", r.prev_hash}};
  if (r.v >= 2) {
    body["build"] = r.build;
    body["peer_build"] = r.peer_build;
  }
  return body;
}

absl::Status CheckDigest(std::string_view value, std::string_view field) {
  if (value.empty() || internal::IsLowerHex(value, 64)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      StrCat(field, " must be empty or 64 lower-case hex digits (a SHA-256)"));
}

absl::Status ValidateEvent(const AuditEvent& e) {
  if (!IsValidActor(e.actor)) {
    return absl::InvalidArgumentError(StrCat(
        "actor \"", e.actor, "\" is not \"cli\", \"schedule:<name>\", \"peer:<fingerprint>\" "
        "or an API key id"));
  }
  for (const std::string& d : e.dataset_digests) {
    if (!internal::IsLowerHex(d, 64)) {
      return absl::InvalidArgumentError("dataset_digests must be 64 lower-case hex digits each");
    }
  }
  LIAISON_RETURN_IF_ERROR(CheckDigest(e.profile_digest, "profile_digest"));
  LIAISON_RETURN_IF_ERROR(CheckDigest(e.transcript_hash, "transcript_hash"));
  LIAISON_RETURN_IF_ERROR(CheckDigest(e.result_digest, "result_digest"));
  if (!e.peer_build.empty() && !IsBuildDigest(e.peer_build)) {
    return absl::InvalidArgumentError(
        "peer_build must be empty or sha256: and 64 lower-case hex digits");
  }
  for (const auto& [name, n] : e.counts) {
    if (name.empty() || n < 0) {
      return absl::InvalidArgumentError("counts must have names and non-negative values");
    }
  }
  if ((e.kind == AuditKind::kReceipt) != e.receipt.has_value()) {
    return absl::InvalidArgumentError(
        "a receipt record needs a receipt, and only a receipt record may hold one");
  }
  if (e.receipt) {
    if (e.receipt->job_id != e.job_id) {
      return absl::InvalidArgumentError("the receipt is for another job than the record");
    }
    LIAISON_RETURN_IF_ERROR(VerifyReceipt(*e.receipt));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view AuditKindName(AuditKind kind) {
  switch (kind) {
    case AuditKind::kNodeInitialized: return "node_initialized";
    case AuditKind::kConfigLoaded: return "config_loaded";
    case AuditKind::kJobOffered: return "job_offered";
    case AuditKind::kJobRefused: return "job_refused";
    case AuditKind::kJobStarted: return "job_started";
    case AuditKind::kJobSucceeded: return "job_succeeded";
    case AuditKind::kJobFailed: return "job_failed";
    case AuditKind::kJobCancelled: return "job_cancelled";
    case AuditKind::kJobApproved: return "job_approved";
    case AuditKind::kReceipt: return "receipt";
    case AuditKind::kApiKeyCreated: return "api_key_created";
    case AuditKind::kApiKeyRevoked: return "api_key_revoked";
    case AuditKind::kScheduleMissed: return "schedule_missed";
    case AuditKind::kWebhookFailed: return "webhook_failed";
    case AuditKind::kAuditOverride: return "audit_override";
  }
  return "unknown";
}

std::string ActorForSchedule(std::string_view schedule_name) {
  return StrCat("schedule:", schedule_name);
}

std::string ActorForPeer(std::string_view peer_fingerprint) {
  return StrCat("peer:", peer_fingerprint);
}

bool IsValidActor(std::string_view actor) {
  if (actor == kActorCli || actor == kActorNode) return true;
  if (actor.rfind("schedule:", 0) == 0) return IsValidName(actor.substr(9));
  if (actor.rfind("peer:", 0) == 0) {
    std::string_view fp = actor.substr(5);
    return fp.rfind(net::kFingerprintPrefix, 0) == 0 &&
           internal::IsLowerHex(fp.substr(7), 64);
  }
  if (actor.rfind("key_", 0) == 0) return internal::IsLowerHex(actor.substr(4), 16);
  return false;
}

std::string ReceiptMessage(std::string_view job_id, std::string_view params_digest,
                           std::string_view transcript_hash, std::string_view result_digest) {
  Json body{{"job_id", job_id},
            {"params_digest", params_digest},
            {"transcript_hash", transcript_hash},
            {"result_digest", result_digest}};
  // error_handler replace: a job id that is not UTF-8 cannot be signed
  // ambiguously, and never verifies against a receipt made from valid text.
  return StrCat(kReceiptContext, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

absl::StatusOr<std::string> ParamsDigest(std::string_view params_json) {
  LIAISON_ASSIGN_OR_RETURN(Json params, ParseParams(params_json));
  LIAISON_ASSIGN_OR_RETURN(std::string canonical, Dump(params, "params"));
  return HexSha256(canonical);
}

absl::StatusOr<Receipt> SignReceipt(const net::Identity& identity, std::string_view job_id,
                                    std::string_view params_digest,
                                    std::string_view transcript_hash,
                                    std::string_view result_digest) {
  Receipt r;
  r.job_id = std::string(job_id);
  r.params_digest = std::string(params_digest);
  r.transcript_hash = std::string(transcript_hash);
  r.result_digest = std::string(result_digest);
  r.peer_fingerprint = identity.fingerprint();
  r.peer_public_key = ToHex(identity.public_key());
  LIAISON_ASSIGN_OR_RETURN(
      net::Ed25519Signature sig,
      identity.Sign(AsBytes(ReceiptMessage(job_id, params_digest, transcript_hash, result_digest))));
  r.signature = ToHex(sig);
  return r;
}

absl::Status VerifyReceipt(const Receipt& r) {
  for (auto [name, value] : {std::pair<std::string_view, const std::string*>{"params_digest", &r.params_digest},
                             {"transcript_hash", &r.transcript_hash},
                             {"result_digest", &r.result_digest}}) {
    if (!internal::IsLowerHex(*value, 64)) {
      return absl::DataLossError(StrCat("the receipt's ", name, " is not 64 hex digits"));
    }
  }
  absl::StatusOr<Bytes> key = FromHex(r.peer_public_key);
  if (!key.ok() || key->size() != net::kEd25519PublicKeyLen) {
    return absl::DataLossError("the receipt's peer_public_key is not 32 bytes of hex");
  }
  LIAISON_ASSIGN_OR_RETURN(std::string fp, net::PublicKeyFingerprint(*key));
  if (fp != r.peer_fingerprint) {
    return absl::DataLossError("the receipt's peer_fingerprint is not that of its public key");
  }
  absl::StatusOr<Bytes> sig = FromHex(r.signature);
  if (!sig.ok()) return absl::DataLossError("the receipt's signature is not hex");
  absl::Status ok = net::Identity::Verify(
      *key, AsBytes(ReceiptMessage(r.job_id, r.params_digest, r.transcript_hash, r.result_digest)),
      *sig);
  if (!ok.ok()) {
    return absl::DataLossError(
        StrCat("the receipt's signature by ", r.peer_fingerprint, " does not verify"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> AuditBody(const AuditRecord& record) {
  LIAISON_ASSIGN_OR_RETURN(Json body, BodyJson(record));
  return Dump(body, "the record");
}

absl::StatusOr<std::string> AuditRecordJson(const AuditRecord& record) {
  LIAISON_ASSIGN_OR_RETURN(Json line, BodyJson(record));
  line["hash"] = record.hash;
  line["signature"] = record.signature;
  return Dump(line, "the record");
}

std::string ReceiptJson(const Receipt& receipt) { return ReceiptToJson(receipt).dump(); }

absl::StatusOr<Receipt> ParseReceiptJson(std::string_view json) {
  Json v = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return absl::DataLossError("the receipt is not JSON");
  return ReceiptFromJson(v);
}

std::string AuditSignedMessage(std::string_view hash_hex) {
  return StrCat(kRecordContext, hash_hex);
}

absl::StatusOr<AuditRecord> AuditLog::Append(const AuditEvent& event) {
  AuditRecord record;
  LIAISON_RETURN_IF_ERROR(store_.Write([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(record, AppendIn(db, event));
    return absl::OkStatus();
  }));
  // Committed: the next append must find this record as it was written.
  std::lock_guard<std::mutex> lock(mu_);
  if (broken_.ok() && (!has_head_ || record.seq > head_seq_)) {
    has_head_ = true;
    head_seq_ = record.seq;
    head_hash_ = record.hash;
  }
  return record;
}

absl::StatusOr<AuditRecord> AuditLog::AppendIn(internal::Db& db, const AuditEvent& event) {
  LIAISON_RETURN_IF_ERROR(ValidateEvent(event));
  LIAISON_RETURN_IF_ERROR(CheckChainIn(db));
  return AppendUncheckedIn(db, event);
}

absl::Status AuditLog::Check() {
  return store_.Read([&](internal::Db& db) { return CheckChainIn(db); });
}

void AuditLog::SetVerifiedHead(uint64_t seq, std::string hash) {
  std::lock_guard<std::mutex> lock(mu_);
  has_head_ = seq > 0;
  head_seq_ = seq;
  head_hash_ = std::move(hash);
}

absl::Status AuditLog::CheckChainIn(internal::Db& db) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!broken_.ok()) return broken_;
  const net::Ed25519PublicKey& key = identity_.public_key();
  // The quick check: from the remembered head (or, never having verified
  // anything, the last record by itself) to the last record.
  bool quick_ok = true;
  uint64_t last_seq = 0;
  std::string last_hash;
  if (!has_head_) {
    LIAISON_ASSIGN_OR_RETURN(internal::Stmt last,
                             db.Prepare("SELECT MAX(seq) FROM audit_log"));
    LIAISON_ASSIGN_OR_RETURN(bool row, last.Step());
    // An empty log: node init is writing record 1 (a node's start scan is
    // what notices a log that was emptied).
    if (!row || last.IsNull(0)) return absl::OkStatus();
    const uint64_t from = static_cast<uint64_t>(std::max<int64_t>(last.Int(0), 0));
    LIAISON_RETURN_IF_ERROR(ScanRowsIn(db, from, [&](const AuditRecord* r, const UnreadableRow*) {
      quick_ok = quick_ok && r != nullptr && OwnProblem(*r, key).empty();
      if (r != nullptr) {
        last_seq = r->seq;
        last_hash = r->hash;
      }
    }));
  } else {
    AuditChainVerifier verifier(key);
    bool first = true;
    LIAISON_RETURN_IF_ERROR(
        ScanRowsIn(db, head_seq_, [&](const AuditRecord* r, const UnreadableRow*) {
          const bool head = first;
          first = false;
          if (r == nullptr) {
            quick_ok = false;  // unreadable
            return;
          }
          if (head) {
            // The remembered head itself, as it was: its content still
            // hashes to the hash verified then.
            absl::StatusOr<std::string> body = AuditBody(*r);
            quick_ok = r->seq == head_seq_ && r->hash == head_hash_ && body.ok() &&
                       HexSha256(*body) == head_hash_;
            verifier = AuditChainVerifier(key, head_seq_, head_hash_);
          } else {
            quick_ok = quick_ok && verifier.Add(*r).ok();
          }
          last_seq = r->seq;
          last_hash = r->hash;
        }));
    if (first) quick_ok = false;  // the head and all after it are gone
  }
  if (quick_ok) {
    has_head_ = last_seq > 0;
    head_seq_ = last_seq;
    head_hash_ = last_hash;
    return absl::OkStatus();
  }
  // Something is not as this log left it. The whole chain decides, and the
  // head this process verified must still be there as it was: the chain
  // alone does not show the newest records deleted (a remembered head is
  // always a committed record, AppendIn being once per transaction).
  LIAISON_ASSIGN_OR_RETURN(AuditScan scan, ScanAuditLogIn(db, key));
  std::vector<AuditBreak> unaccepted = scan.Unaccepted();
  if (unaccepted.empty() && has_head_) {
    LIAISON_ASSIGN_OR_RETURN(internal::Stmt head,
                             db.Prepare("SELECT hash FROM audit_log WHERE seq = ?"));
    head.Bind(1, static_cast<int64_t>(head_seq_));
    LIAISON_ASSIGN_OR_RETURN(bool row, head.Step());
    if (!row) {
      unaccepted.push_back(
          {head_seq_,
           StrCat("missing: this process verified the log up to record ", head_seq_,
                  ", which is gone (the newest records were deleted)"),
           ""});
    } else if (head.Text(0) != head_hash_) {
      unaccepted.push_back(
          {head_seq_,
           "replaced: not the record this process verified (deleted, and others written in "
           "its place)",
           ""});
    }
  }
  if (unaccepted.empty()) {
    has_head_ = scan.scanned.head_seq > 0;
    head_seq_ = scan.scanned.head_seq;
    head_hash_ = scan.scanned.head_hash;
    return absl::OkStatus();
  }
  broken_ = BrokenAuditLogError(
      unaccepted,
      "it was altered under this process, which signs no more audit records (restart the "
      "node: it refuses to start on this log unless run with --accept-broken-audit; "
      "docs/audit.md)");
  Log(LogLevel::kError, std::string(broken_.message()));
  return broken_;
}

absl::StatusOr<std::vector<AuditRecord>> AuditLog::AcceptBreaks() {
  std::vector<AuditRecord> written;
  uint64_t head_seq = 0;
  std::string head_hash;
  LIAISON_RETURN_IF_ERROR(store_.Write([&](internal::Db& db) -> absl::Status {
    written.clear();
    LIAISON_ASSIGN_OR_RETURN(AuditScan scan, ScanAuditLogIn(db, identity_.public_key()));
    head_seq = scan.scanned.head_seq;
    head_hash = scan.scanned.head_hash;
    for (const AuditBreak& b : scan.Unaccepted()) {
      LIAISON_ASSIGN_OR_RETURN(AuditRecord r, AppendUncheckedIn(db, AuditOverrideEvent(b)));
      head_seq = r.seq;
      head_hash = r.hash;
      written.push_back(std::move(r));
    }
    return absl::OkStatus();
  }));
  SetVerifiedHead(head_seq, std::move(head_hash));
  return written;
}

absl::StatusOr<AuditRecord> AuditLog::AppendUncheckedIn(internal::Db& db,
                                                        const AuditEvent& event) {
  AuditRecord r;
  static_cast<AuditContent&>(r) = event;
  r.kind = std::string(AuditKindName(event.kind));
  r.v = kAuditFormatVersion;
  r.build = BuildDigestOrEmpty();
  {
    LIAISON_ASSIGN_OR_RETURN(Json params, ParseParams(event.params_json));
    LIAISON_ASSIGN_OR_RETURN(r.params_json, Dump(params, "params"));
  }

  Json counts = Json::object();
  for (const auto& [k, v] : r.counts) counts[k] = v;
  LIAISON_ASSIGN_OR_RETURN(std::string counts_json, Dump(counts, "counts"));
  LIAISON_ASSIGN_OR_RETURN(std::string digests_json, Dump(Json(r.dataset_digests), "digests"));
  std::optional<std::string> receipt_json;
  if (r.receipt) {
    LIAISON_ASSIGN_OR_RETURN(receipt_json, Dump(ReceiptToJson(*r.receipt), "the receipt"));
  }

  {
    // The last record is read inside the write transaction, so no other
    // appender can insert between this read and the insert below.
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt last, db.Prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"));
    LIAISON_ASSIGN_OR_RETURN(bool row, last.Step());
    r.seq = row ? static_cast<uint64_t>(last.Int(0)) + 1 : 1;
    r.prev_hash = row ? last.Text(1) : kGenesisHash;
    r.time = db.NowRfc3339();
    LIAISON_ASSIGN_OR_RETURN(std::string body, AuditBody(r));
    r.hash = HexSha256(body);
    LIAISON_ASSIGN_OR_RETURN(net::Ed25519Signature sig,
                             identity_.Sign(AsBytes(AuditSignedMessage(r.hash))));
    r.signature = ToHex(sig);
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt ins,
        db.Prepare(StrCat("INSERT INTO audit_log (", kRecordColumns,
                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                          "?)")));
    ins.Bind(1, static_cast<int64_t>(r.seq))
        .Bind(2, r.time)
        .Bind(3, r.kind)
        .Bind(4, r.actor)
        .Bind(5, r.job_id)
        .Bind(6, r.alliance)
        .Bind(7, r.peer)
        .Bind(8, r.question)
        .Bind(9, r.protocol)
        .Bind(10, r.params_json)
        .Bind(11, digests_json)
        .Bind(12, r.profile_digest)
        .Bind(13, r.transcript_hash)
        .Bind(14, r.result_digest)
        .Bind(15, counts_json);
    if (receipt_json) {
      ins.Bind(16, *receipt_json);
    } else {
      ins.BindNull(16);
    }
    ins.Bind(17, r.prev_hash).Bind(18, r.hash).Bind(19, r.signature);
    ins.Bind(20, r.build).Bind(21, r.peer_build);
    LIAISON_RETURN_IF_ERROR(ins.Run());
  }
  return r;
}


}  // namespace liaison::node
