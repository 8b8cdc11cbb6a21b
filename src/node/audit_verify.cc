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


// The audit log's verification: the chain verifier, the scan at start, the
// error that refuses a broken log and the override that accepts a break.
namespace liaison::node {

using Json = nlohmann::json;
using internal::FeedIn;
using internal::ForEachRecordIn;
using internal::kEmptyLogProblem;
using internal::OverrideOf;
using internal::OwnProblem;
using internal::RecordDigest;

namespace {

// CheckQuorumSigner: a receipt of a quorum job (its record's params list the
// participants) must be signed by one of them; DataLoss otherwise.
absl::Status CheckQuorumSigner(const AuditRecord& r) {
  Json params = Json::parse(r.params_json, nullptr, /*allow_exceptions=*/false);
  if (!params.is_object()) return absl::OkStatus();
  auto members = params.find("participants");
  if (members == params.end() || !members->is_array()) return absl::OkStatus();
  for (const Json& m : *members) {
    if (m.is_object() && m.value("fingerprint", "") == r.receipt->peer_fingerprint) {
      return absl::OkStatus();
    }
  }
  return absl::DataLossError("the receipt is signed by a key that is not a participant's");
}

}  // namespace

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
      if (ok.ok()) ok = CheckQuorumSigner(r);
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


}  // namespace liaison::node
