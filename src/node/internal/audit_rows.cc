#include "node/internal/audit_rows.h"

#include <map>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "net/identity.h"

namespace liaison::node::internal {

using Json = nlohmann::json;

namespace {

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

}  // namespace

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

}  // namespace liaison::node::internal
