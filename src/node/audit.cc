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
#include "node/internal/sqlite.h"
#include "node/internal/util.h"

namespace liaison::node {
namespace {

using Json = nlohmann::json;

constexpr char kRecordContext[] = "liaison-audit-record-v1\n";
constexpr char kReceiptContext[] = "liaison-receipt-v1\n";
constexpr char kExportFormat[] = "liaison-audit-export";
constexpr int kExportVersion = 1;
constexpr size_t kMaxExportLineLen = 1 << 20;

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

std::string HexSha256(std::string_view data) { return ToHex(crypto::Sha256(AsBytes(data))); }

Json ReceiptToJson(const Receipt& r) {
  return Json{{"job_id", r.job_id},
              {"params_digest", r.params_digest},
              {"transcript_hash", r.transcript_hash},
              {"result_digest", r.result_digest},
              {"peer_fingerprint", r.peer_fingerprint},
              {"peer_public_key", r.peer_public_key},
              {"signature", r.signature}};
}

// Field readers for records read back from the store or an export: anything
// unexpected is DataLoss, the record having been written by us.
absl::StatusOr<std::string> GetString(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) {
    return absl::DataLossError(StrCat("field \"", key, "\" is missing or not a string"));
  }
  return it->get<std::string>();
}

absl::Status ExpectKeys(const Json& obj, std::initializer_list<const char*> keys,
                        std::string_view what) {
  if (!obj.is_object()) return absl::DataLossError(StrCat(what, " is not a JSON object"));
  for (const auto& [k, v] : obj.items()) {
    // An init-capture, not [&]: clang before 16 cannot capture a structured binding.
    if (std::none_of(keys.begin(), keys.end(), [&key = k](const char* e) { return key == e; })) {
      return absl::DataLossError(StrCat(what, " has an unexpected field \"", k, "\""));
    }
  }
  for (const char* k : keys) {
    if (!obj.contains(k)) return absl::DataLossError(StrCat(what, " lacks the field \"", k, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<Receipt> ReceiptFromJson(const Json& v) {
  LIAISON_RETURN_IF_ERROR(ExpectKeys(v,
                                     {"job_id", "params_digest", "transcript_hash",
                                      "result_digest", "peer_fingerprint", "peer_public_key",
                                      "signature"},
                                     "the receipt"));
  Receipt r;
  LIAISON_ASSIGN_OR_RETURN(r.job_id, GetString(v, "job_id"));
  LIAISON_ASSIGN_OR_RETURN(r.params_digest, GetString(v, "params_digest"));
  LIAISON_ASSIGN_OR_RETURN(r.transcript_hash, GetString(v, "transcript_hash"));
  LIAISON_ASSIGN_OR_RETURN(r.result_digest, GetString(v, "result_digest"));
  LIAISON_ASSIGN_OR_RETURN(r.peer_fingerprint, GetString(v, "peer_fingerprint"));
  LIAISON_ASSIGN_OR_RETURN(r.peer_public_key, GetString(v, "peer_public_key"));
  LIAISON_ASSIGN_OR_RETURN(r.signature, GetString(v, "signature"));
  return r;
}

absl::StatusOr<std::vector<std::string>> DigestsFromJson(const Json& v) {
  if (!v.is_array()) return absl::DataLossError("dataset_digests is not an array");
  std::vector<std::string> out;
  for (const Json& e : v) {
    if (!e.is_string()) return absl::DataLossError("dataset_digests holds a non-string");
    out.push_back(e.get<std::string>());
  }
  return out;
}

absl::StatusOr<std::map<std::string, int64_t>> CountsFromJson(const Json& v) {
  if (!v.is_object()) return absl::DataLossError("counts is not an object");
  std::map<std::string, int64_t> out;
  for (const auto& [k, n] : v.items()) {
    if (!n.is_number_integer()) return absl::DataLossError("counts holds a non-integer");
    out[k] = n.get<int64_t>();
  }
  return out;
}

// kFirstFormatVersion is the oldest record format a log may hold.
constexpr int kFirstFormatVersion = 1;

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

// RecordFromExportLine parses one record line of an export.
absl::StatusOr<AuditRecord> RecordFromJson(const Json& v) {
  if (!v.is_object()) return absl::DataLossError("the record is not a JSON object");
  auto version = v.find("v");
  if (version == v.end() || !version->is_number_integer() ||
      version->get<int64_t>() < kFirstFormatVersion ||
      version->get<int64_t>() > kAuditFormatVersion) {
    return absl::DataLossError(
        StrCat("the record is not format version ", kFirstFormatVersion, " to ",
               kAuditFormatVersion));
  }
  AuditRecord r;
  r.v = static_cast<int>(version->get<int64_t>());
  if (r.v == 1) {
    LIAISON_RETURN_IF_ERROR(ExpectKeys(
        v,
        {"v", "seq", "time", "kind", "actor", "job_id", "alliance", "peer", "question",
         "protocol", "params", "dataset_digests", "profile_digest", "transcript_hash",
         "result_digest", "counts", "receipt", "prev_hash", "hash", "signature"},
        "the record"));
  } else {
    LIAISON_RETURN_IF_ERROR(ExpectKeys(
        v,
        {"v", "seq", "time", "kind", "actor", "job_id", "alliance", "peer", "question",
         "protocol", "params", "dataset_digests", "profile_digest", "transcript_hash",
         "result_digest", "counts", "receipt", "prev_hash", "hash", "signature", "build",
         "peer_build"},
        "the record"));
    LIAISON_ASSIGN_OR_RETURN(r.build, GetString(v, "build"));
    LIAISON_ASSIGN_OR_RETURN(r.peer_build, GetString(v, "peer_build"));
  }
  if (!v["seq"].is_number_unsigned()) return absl::DataLossError("seq is not a positive integer");
  r.seq = v["seq"].get<uint64_t>();
  LIAISON_ASSIGN_OR_RETURN(r.time, GetString(v, "time"));
  LIAISON_ASSIGN_OR_RETURN(r.kind, GetString(v, "kind"));
  LIAISON_ASSIGN_OR_RETURN(r.actor, GetString(v, "actor"));
  LIAISON_ASSIGN_OR_RETURN(r.job_id, GetString(v, "job_id"));
  LIAISON_ASSIGN_OR_RETURN(r.alliance, GetString(v, "alliance"));
  LIAISON_ASSIGN_OR_RETURN(r.peer, GetString(v, "peer"));
  LIAISON_ASSIGN_OR_RETURN(r.question, GetString(v, "question"));
  LIAISON_ASSIGN_OR_RETURN(r.protocol, GetString(v, "protocol"));
  if (!v["params"].is_object()) return absl::DataLossError("params is not an object");
  r.params_json = v["params"].dump();
  LIAISON_ASSIGN_OR_RETURN(r.dataset_digests, DigestsFromJson(v["dataset_digests"]));
  LIAISON_ASSIGN_OR_RETURN(r.profile_digest, GetString(v, "profile_digest"));
  LIAISON_ASSIGN_OR_RETURN(r.transcript_hash, GetString(v, "transcript_hash"));
  LIAISON_ASSIGN_OR_RETURN(r.result_digest, GetString(v, "result_digest"));
  LIAISON_ASSIGN_OR_RETURN(r.counts, CountsFromJson(v["counts"]));
  if (!v["receipt"].is_null()) {
    LIAISON_ASSIGN_OR_RETURN(Receipt receipt, ReceiptFromJson(v["receipt"]));
    r.receipt = std::move(receipt);
  }
  LIAISON_ASSIGN_OR_RETURN(r.prev_hash, GetString(v, "prev_hash"));
  LIAISON_ASSIGN_OR_RETURN(r.hash, GetString(v, "hash"));
  LIAISON_ASSIGN_OR_RETURN(r.signature, GetString(v, "signature"));
  return r;
}

// HeaderString and HeaderUint read an export header field, "" or 0 when it
// is missing or of another type (nlohmann's value() would throw).
std::string HeaderString(const Json& h, const char* key) {
  auto it = h.find(key);
  return it != h.end() && it->is_string() ? it->get<std::string>() : "";
}

uint64_t HeaderUint(const Json& h, const char* key) {
  auto it = h.find(key);
  return it != h.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

// build and peer_build are NULL in version-1 records (store.cc, migration 5).
constexpr char kRecordColumns[] =
    "seq, time, kind, actor, job_id, alliance, peer, question, protocol, params, "
    "dataset_digests, profile_digest, transcript_hash, result_digest, counts, receipt, "
    "prev_hash, hash, signature, build, peer_build";

absl::StatusOr<Json> ParseColumn(const internal::Stmt& s, int column, std::string_view name,
                                 uint64_t seq) {
  Json v = Json::parse(s.Text(column), nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) {
    return absl::DataLossError(
        StrCat("audit record ", seq, ": the ", name, " column is not valid JSON"));
  }
  return v;
}

absl::StatusOr<AuditRecord> RecordFromRow(const internal::Stmt& s) {
  AuditRecord r;
  int64_t seq = s.Int(0);
  r.seq = seq < 0 ? 0 : static_cast<uint64_t>(seq);
  r.time = s.Text(1);
  r.kind = s.Text(2);
  r.actor = s.Text(3);
  r.job_id = s.Text(4);
  r.alliance = s.Text(5);
  r.peer = s.Text(6);
  r.question = s.Text(7);
  r.protocol = s.Text(8);
  r.params_json = s.Text(9);
  auto in_record = [&](const absl::Status& st) {
    return absl::DataLossError(StrCat("audit record ", r.seq, ": ", std::string(st.message())));
  };
  LIAISON_ASSIGN_OR_RETURN(Json digests, ParseColumn(s, 10, "dataset_digests", r.seq));
  auto d = DigestsFromJson(digests);
  if (!d.ok()) return in_record(d.status());
  r.dataset_digests = std::move(*d);
  r.profile_digest = s.Text(11);
  r.transcript_hash = s.Text(12);
  r.result_digest = s.Text(13);
  LIAISON_ASSIGN_OR_RETURN(Json counts, ParseColumn(s, 14, "counts", r.seq));
  auto c = CountsFromJson(counts);
  if (!c.ok()) return in_record(c.status());
  r.counts = std::move(*c);
  if (!s.IsNull(15)) {
    LIAISON_ASSIGN_OR_RETURN(Json receipt, ParseColumn(s, 15, "receipt", r.seq));
    auto rc = ReceiptFromJson(receipt);
    if (!rc.ok()) return in_record(rc.status());
    r.receipt = std::move(*rc);
  }
  r.prev_hash = s.Text(16);
  r.hash = s.Text(17);
  r.signature = s.Text(18);
  if (s.IsNull(19)) {
    r.v = 1;
  } else {
    r.v = 2;
    r.build = s.Text(19);
    r.peer_build = s.IsNull(20) ? "" : s.Text(20);
  }
  return r;
}

absl::Status ForEachRecordIn(internal::Db& db,
                             const std::function<absl::Status(const AuditRecord&)>& fn) {
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt s, db.Prepare(StrCat("SELECT ", kRecordColumns, " FROM audit_log ORDER BY seq")));
  while (true) {
    LIAISON_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::OkStatus();
    LIAISON_ASSIGN_OR_RETURN(AuditRecord record, RecordFromRow(s));
    LIAISON_RETURN_IF_ERROR(fn(record));
  }
}

// UnreadableRow is a stored record whose columns cannot be parsed.
struct UnreadableRow {
  uint64_t seq = 0;
  std::string hash;    // its stored hash column
  std::string digest;  // hex SHA-256 of all its columns
  std::string what;    // the parse error, without "audit record N: "
};

// ScanRowsIn calls `fn` for each stored record with seq >= `from_seq`, in
// seq order, with the record or (if it cannot be parsed) the row's
// UnreadableRow; exactly one of the two is not null.
absl::Status ScanRowsIn(internal::Db& db, uint64_t from_seq,
                        const std::function<void(const AuditRecord*, const UnreadableRow*)>& fn) {
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt s, db.Prepare(StrCat("SELECT ", kRecordColumns,
                                          " FROM audit_log WHERE seq >= ? ORDER BY seq")));
  s.Bind(1, static_cast<int64_t>(from_seq));
  while (true) {
    LIAISON_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::OkStatus();
    absl::StatusOr<AuditRecord> record = RecordFromRow(s);
    if (record.ok()) {
      fn(&*record, nullptr);
      continue;
    }
    UnreadableRow bad;
    const int64_t seq = s.Int(0);
    bad.seq = seq < 0 ? 0 : static_cast<uint64_t>(seq);
    bad.hash = s.Text(17);
    std::string columns;
    for (int i = 0; i < 21; ++i) columns += StrCat(s.IsNull(i) ? "\x01" : s.Text(i), "\x1f");
    bad.digest = HexSha256(columns);
    bad.what = std::string(record.status().message());
    const std::string prefix = StrCat("audit record ", bad.seq, ": ");
    if (bad.what.rfind(prefix, 0) == 0) bad.what = bad.what.substr(prefix.size());
    fn(nullptr, &bad);
  }
}

// FeedIn gives the records of `db` from `from_seq` on to `verifier`.
absl::Status FeedIn(internal::Db& db, uint64_t from_seq, AuditChainVerifier& verifier) {
  return ScanRowsIn(db, from_seq, [&](const AuditRecord* r, const UnreadableRow* bad) {
    if (r != nullptr) {
      (void)verifier.Add(*r);  // the verifier keeps every problem
    } else {
      verifier.AddUnreadable(bad->seq, bad->hash, bad->digest, bad->what);
    }
  });
}

// RecordDigest is the AuditBreak::record_digest of `r`: the SHA-256 of its
// export line, or of its fields if it is too malformed for one.
std::string RecordDigest(const AuditRecord& r) {
  absl::StatusOr<std::string> line = AuditRecordJson(r);
  if (line.ok()) return HexSha256(*line);
  std::string fields = StrCat(r.v, "\x1f", r.seq, "\x1f", r.time, "\x1f", r.kind, "\x1f",
                              r.actor, "\x1f", r.job_id, "\x1f", r.alliance, "\x1f", r.peer,
                              "\x1f", r.question, "\x1f", r.protocol, "\x1f", r.params_json,
                              "\x1f", r.profile_digest, "\x1f", r.transcript_hash, "\x1f",
                              r.result_digest, "\x1f", r.prev_hash, "\x1f", r.hash, "\x1f",
                              r.signature, "\x1f", r.build, "\x1f", r.peer_build);
  for (const std::string& d : r.dataset_digests) fields += StrCat("\x1f", d);
  for (const auto& [k, n] : r.counts) fields += StrCat("\x1f", k, "=", n);
  if (r.receipt) fields += StrCat("\x1f", ReceiptToJson(*r.receipt).dump());
  return HexSha256(fields);
}

// OwnProblem checks a record by itself: its body hashes to its hash and the
// node signed that hash. "" if so, else what is wrong.
std::string OwnProblem(const AuditRecord& r, const net::Ed25519PublicKey& key) {
  absl::StatusOr<std::string> body = AuditBody(r);
  if (!body.ok()) return StrCat("malformed: ", std::string(body.status().message()));
  if (HexSha256(*body) != r.hash) {
    return "hash mismatch: the content is not what was hashed and signed (changed after it "
           "was written)";
  }
  absl::StatusOr<Bytes> sig = FromHex(r.signature);
  if (!sig.ok() || !net::Identity::Verify(key, AsBytes(AuditSignedMessage(r.hash)), *sig).ok()) {
    return "bad signature: not signed by this node's key (forged)";
  }
  return "";
}

// OverrideOf reads an audit_override record's params.
std::optional<AuditOverride> OverrideOf(const AuditRecord& r) {
  if (r.kind != AuditKindName(AuditKind::kAuditOverride)) return std::nullopt;
  Json p = Json::parse(r.params_json, nullptr, /*allow_exceptions=*/false);
  if (!p.is_object()) return std::nullopt;
  auto seq = p.find("bad_seq");
  auto problem = p.find("problem");
  auto digest = p.find("bad_record_digest");
  if (seq == p.end() || !seq->is_number_unsigned() || problem == p.end() ||
      !problem->is_string() || digest == p.end() || !digest->is_string()) {
    return std::nullopt;
  }
  AuditOverride o;
  o.seq = r.seq;
  o.time = r.time;
  o.accepted.seq = seq->get<uint64_t>();
  o.accepted.problem = problem->get<std::string>();
  o.accepted.record_digest = digest->get<std::string>();
  return o;
}

constexpr char kEmptyLogProblem[] =
    "missing: the log is empty, but node init writes record 1 (the records were deleted)";

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
    r.time = internal::Rfc3339Now();
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

absl::Status ForEachAuditRecord(Store& store,
                                const std::function<absl::Status(const AuditRecord&)>& fn) {
  return store.Read([&](internal::Db& db) { return ForEachRecordIn(db, fn); });
}

void AuditChainVerifier::Break(uint64_t seq, std::string problem, std::string digest) {
  if (status_.ok()) status_ = absl::DataLossError(StrCat("audit record ", seq, ": ", problem));
  breaks_.push_back({seq, std::move(problem), std::move(digest)});
}

absl::Status AuditChainVerifier::Add(const AuditRecord& r) {
  ++scanned_.num_records;
  scanned_.head_seq = r.seq;
  scanned_.head_hash = r.hash;
  std::string digest;
  auto fail = [&](uint64_t seq, std::string what) {
    if (digest.empty()) digest = RecordDigest(r);
    Break(seq, std::move(what), digest);
  };
  // A record out of sequence is checked by itself, but not against its
  // predecessor: the gap or the disorder is the problem named.
  bool in_sequence = true;
  if (r.seq > expected_seq_) {
    fail(expected_seq_, StrCat("missing: the log goes from record ", expected_seq_ - 1,
                               " to record ", r.seq, " (deleted, or records out of order)"));
    in_sequence = false;
  } else if (r.seq < expected_seq_) {
    fail(r.seq, StrCat("out of order: it comes after record ", expected_seq_ - 1,
                       " (reordered, renumbered or duplicated)"));
    in_sequence = false;
  }
  std::string own = OwnProblem(r, public_key_);
  if (!own.empty()) {
    fail(r.seq, std::move(own));
  } else {
    if (in_sequence && r.prev_hash != prev_hash_) {
      fail(r.seq, expected_seq_ == 1
                      ? std::string("chain broken: the first record does not start from the "
                                    "genesis hash")
                      : StrCat("chain broken: prev_hash is not the hash of record ",
                               expected_seq_ - 1,
                               " (a record was removed, replaced or reordered)"));
    }
    if (r.kind == AuditKindName(AuditKind::kReceipt) && !r.receipt) {
      fail(r.seq, "a receipt record without a receipt");
    }
    if (r.receipt) {
      absl::Status ok = r.receipt->job_id != r.job_id
                            ? absl::DataLossError("the receipt is for another job")
                            : VerifyReceipt(*r.receipt);
      if (ok.ok()) {
        ++scanned_.num_receipts;
      } else {
        fail(r.seq, std::string(ok.message()));
      }
    }
    // Only the node's key makes an override count, wherever it stands.
    if (std::optional<AuditOverride> o = OverrideOf(r)) overrides_.push_back(*std::move(o));
  }
  // Whatever was wrong, the next record must chain onto this one as stored.
  expected_seq_ = r.seq + 1;
  prev_hash_ = r.hash;
  if (status_.ok()) summary_ = scanned_;
  return status_;
}

void AuditChainVerifier::AddUnreadable(uint64_t seq, std::string hash, std::string digest,
                                       std::string_view what) {
  ++scanned_.num_records;
  scanned_.head_seq = seq;
  scanned_.head_hash = hash;
  Break(seq, StrCat("malformed: ", what), std::move(digest));
  expected_seq_ = seq + 1;
  prev_hash_ = std::move(hash);
}

std::vector<AuditBreak> AuditChainVerifier::Breaks() const {
  std::vector<AuditBreak> out = breaks_;
  if (from_genesis_ && scanned_.num_records == 0) out.push_back({1, kEmptyLogProblem, ""});
  return out;
}

absl::StatusOr<AuditSummary> AuditChainVerifier::Finish() const {
  std::string overrides;
  for (const AuditOverride& o : overrides_) {
    overrides += StrCat(overrides.empty() ? "" : ", ", "audit_override record ", o.seq, " (",
                        o.time, ", over record ", o.accepted.seq, ")");
  }
  std::vector<AuditBreak> breaks = Breaks();
  if (!breaks.empty()) {
    std::string more;
    if (breaks.size() > 1) {
      more = StrCat("; ", breaks.size() - 1, " more problem(s) after it, the next at record ",
                    breaks[1].seq);
    }
    if (!overrides.empty()) {
      more += StrCat("; the node was started over a broken log with --accept-broken-audit: ",
                     overrides);
    }
    return absl::DataLossError(
        StrCat("audit record ", breaks[0].seq, ": ", breaks[0].problem, more));
  }
  if (!overrides_.empty()) {
    const AuditOverride& o = overrides_.front();
    return absl::DataLossError(StrCat(
        "audit record ", o.seq, ": audit_override: the node was started with "
        "--accept-broken-audit over a broken log (record ", o.accepted.seq, ": ",
        o.accepted.problem, "); that break is no longer in the log, but the log is not whole: ",
        overrides));
  }
  return summary_;
}

std::vector<AuditBreak> AuditScan::Unaccepted() const {
  std::vector<AuditBreak> out;
  for (const AuditBreak& b : breaks) {
    const bool accepted = std::any_of(overrides.begin(), overrides.end(), [&](const AuditOverride& o) {
      return o.accepted.seq == b.seq && o.accepted.problem == b.problem &&
             o.accepted.record_digest == b.record_digest;
    });
    if (!accepted) out.push_back(b);
  }
  return out;
}

absl::StatusOr<AuditScan> ScanAuditLogIn(internal::Db& db,
                                         const net::Ed25519PublicKey& node_public_key) {
  AuditChainVerifier verifier(node_public_key);
  LIAISON_RETURN_IF_ERROR(FeedIn(db, 0, verifier));
  return AuditScan{verifier.Scanned(), verifier.Breaks(), verifier.Overrides()};
}

absl::StatusOr<AuditScan> ScanAuditLog(Store& store,
                                       const net::Ed25519PublicKey& node_public_key) {
  AuditScan scan;
  LIAISON_RETURN_IF_ERROR(store.Read([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(scan, ScanAuditLogIn(db, node_public_key));
    return absl::OkStatus();
  }));
  return scan;
}

absl::Status BrokenAuditLogError(const std::vector<AuditBreak>& unaccepted,
                                 std::string_view what_next) {
  const AuditBreak& first = unaccepted.front();
  std::string more;
  if (unaccepted.size() > 1) {
    more = StrCat(" (and ", unaccepted.size() - 1, " more problem(s) after it, the next at record ",
                  unaccepted[1].seq, ")");
  }
  return absl::DataLossError(StrCat("the audit log is broken: audit record ", first.seq, ": ",
                                    first.problem, more, "; ", what_next));
}

AuditEvent AuditOverrideEvent(const AuditBreak& broken) {
  AuditEvent e;
  e.kind = AuditKind::kAuditOverride;
  e.actor = kActorCli;
  e.params_json = Json{{"bad_seq", broken.seq},
                       {"problem", broken.problem},
                       {"bad_record_digest", broken.record_digest}}
                      .dump(-1, ' ', false, Json::error_handler_t::replace);
  return e;
}

absl::StatusOr<AuditSummary> VerifyAuditLog(Store& store,
                                            const net::Ed25519PublicKey& node_public_key) {
  AuditChainVerifier verifier(node_public_key);
  LIAISON_RETURN_IF_ERROR(
      store.Read([&](internal::Db& db) { return FeedIn(db, 0, verifier); }));
  return verifier.Finish();
}

absl::StatusOr<AuditSummary> ExportAuditLog(Store& store,
                                            const net::Ed25519PublicKey& node_public_key,
                                            const std::string& path) {
  LIAISON_ASSIGN_OR_RETURN(std::string fingerprint, net::PublicKeyFingerprint(node_public_key));
  LIAISON_ASSIGN_OR_RETURN(std::unique_ptr<AtomicFile> file, AtomicFile::Create(path, 0600));
  AuditSummary summary;
  // Both passes run in one read snapshot: records appended meanwhile by a
  // running node are simply not part of this export.
  LIAISON_RETURN_IF_ERROR(store.Read([&](internal::Db& db) -> absl::Status {
    AuditChainVerifier verifier(node_public_key);
    LIAISON_RETURN_IF_ERROR(FeedIn(db, 0, verifier));
    // A break the node was started over is exported with its override, for
    // the verifier of the export to report; any other is refused.
    AuditScan scan{verifier.Scanned(), verifier.Breaks(), verifier.Overrides()};
    if (!scan.Unaccepted().empty()) return verifier.Finish().status();
    summary = verifier.Scanned();
    Json header{{"format", kExportFormat},
                {"version", kExportVersion},
                {"node_fingerprint", fingerprint},
                {"node_public_key", ToHex(node_public_key)},
                {"exported", internal::Rfc3339Now()},
                {"num_records", summary.num_records},
                {"head_seq", summary.head_seq},
                {"head_hash", summary.head_hash}};
    LIAISON_RETURN_IF_ERROR(file->Write(StrCat(header.dump(), "\n")));
    return ForEachRecordIn(db, [&](const AuditRecord& r) -> absl::Status {
      LIAISON_ASSIGN_OR_RETURN(std::string line, AuditRecordJson(r));
      return file->Write(StrCat(line, "\n"));
    });
  }));
  LIAISON_RETURN_IF_ERROR(file->Commit());
  return summary;
}

absl::StatusOr<VerifiedExport> VerifyAuditExport(const std::string& path,
                                                 std::string_view expected_fingerprint) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("cannot open the export ", path));
  std::string line;
  uint64_t line_no = 0;
  auto bad_line = [&](std::string_view what) {
    return absl::DataLossError(StrCat(path, ":", line_no, ": ", what));
  };

  if (!std::getline(in, line)) return absl::DataLossError(StrCat(path, " is empty"));
  line_no = 1;
  Json header = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object() ||
      HeaderString(header, "format") != kExportFormat ||
      HeaderUint(header, "version") != kExportVersion) {
    return bad_line("not a liaison audit export (version 1) header");
  }
  absl::StatusOr<Bytes> key_bytes = FromHex(HeaderString(header, "node_public_key"));
  if (!key_bytes.ok() || key_bytes->size() != net::kEd25519PublicKeyLen) {
    return bad_line("the header's node_public_key is not 32 bytes of hex");
  }
  net::Ed25519PublicKey key;
  std::copy(key_bytes->begin(), key_bytes->end(), key.begin());
  LIAISON_ASSIGN_OR_RETURN(std::string fingerprint, net::PublicKeyFingerprint(key));
  if (HeaderString(header, "node_fingerprint") != fingerprint) {
    return bad_line("the header's node_fingerprint is not that of its node_public_key");
  }
  if (!expected_fingerprint.empty()) {
    LIAISON_ASSIGN_OR_RETURN(std::string expected, net::NormalizeFingerprint(expected_fingerprint));
    if (expected != fingerprint) {
      return absl::PermissionDeniedError(StrCat("the export is of node ", fingerprint,
                                                ", not of the expected ", expected));
    }
  }

  AuditChainVerifier verifier(key);
  while (std::getline(in, line)) {
    ++line_no;
    if (line.size() > kMaxExportLineLen) return bad_line("line too long for an audit record");
    if (line.empty()) continue;
    Json v = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (v.is_discarded()) return bad_line("not valid JSON");
    absl::StatusOr<AuditRecord> record = RecordFromJson(v);
    if (!record.ok()) return bad_line(std::string(record.status().message()));
    (void)verifier.Add(*record);  // Finish reports every problem
  }
  if (in.bad()) return absl::InternalError(StrCat("cannot read ", path));
  LIAISON_ASSIGN_OR_RETURN(AuditSummary summary, verifier.Finish());
  if (HeaderUint(header, "num_records") != summary.num_records ||
      HeaderUint(header, "head_seq") != summary.head_seq ||
      HeaderString(header, "head_hash") != summary.head_hash) {
    return absl::DataLossError(StrCat(
        path, ": the header says ", HeaderUint(header, "num_records"),
        " records ending at record ", HeaderUint(header, "head_seq"),
        ", but the file holds ", summary.num_records, " ending at record ", summary.head_seq,
        " (truncated or extended)"));
  }
  return VerifiedExport{summary, fingerprint};
}

}  // namespace liaison::node
