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


// The audit log's export (one JSON line a record, after a header) and the
// offline check of an export.
namespace liaison::node {
namespace {

using Json = nlohmann::json;
using internal::ExpectKeys;
using internal::FeedIn;
using internal::ForEachRecordIn;
using internal::GetString;
using internal::CountsFromJson;
using internal::DigestsFromJson;
using internal::kFirstFormatVersion;
using internal::ReceiptFromJson;

constexpr char kExportFormat[] = "liaison-audit-export";
constexpr int kExportVersion = 1;
constexpr size_t kMaxExportLineLen = 1 << 20;

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

}  // namespace

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
                {"exported", db.NowRfc3339()},
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
