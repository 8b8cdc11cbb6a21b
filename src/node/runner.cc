// The run both roles make once a job has been agreed (Daemon::Runner):
// the session handshake and PSI over the transcript channel, the salted
// commitments, the receipts, and the store's record of the outcome.
#include <nlohmann/json.hpp>
#include <utility>

#include "base/build_info.h"
#include "base/bytes.h"
#include "base/status.h"
#include "crypto/prng.h"
#include "node/dp_jobs.h"
#include "node/internal/daemon_internal.h"
#include "node/internal/util.h"
#include "node/item_budget.h"
#include "session/dp_result.h"

namespace liaison::node {

using Json = nlohmann::json;
using internal::MatchedContent;
using internal::NodeProfile;
using internal::RunOutcome;

absl::StatusOr<RunOutcome> Daemon::Runner::Run(Daemon& d, TranscriptChannel& channel,
                                                const JobOffer& offer, bool initiator,
                                                uint64_t responder_set_size,
                                                const AllianceConfig& alliance,
                                                const session::RecordSet& set,
                                                const std::string& peer_fingerprint,
                                                const std::string& peer_build,
                                                psi::AggregateNoise noise) {
  session::PsiJobParams params;
  params.protocol = SessionProtocol(offer.protocol);
  params.output = psi::PsiOutput::kIntersection;
  const bool both = offer.result_to == OfferResultTo::kBoth;
  const bool initiator_receives = offer.result_to == OfferResultTo::kInitiator;
  params.result_to = both ? session::ResultTo::kBoth
                     : (initiator_receives == initiator) ? session::ResultTo::kMe
                                                         : session::ResultTo::kPeer;
  params.max_peer_set_size = alliance.max_set_size;
  params.security = offer.security;
  // The peer must bring exactly the set it announced — the responder's in
  // its verdict, the initiator's in the admitted offer — since our policy
  // and budgets were checked and charged on that size.
  params.expected_peer_set_size = initiator ? responder_set_size : offer.set_size;
  // The session handshake must announce the build the offer or verdict
  // did (checked against the alliance's require_build already).
  if (!peer_build.empty()) params.require_build = {peer_build};
  params.profile = &NodeProfile();
  // A sum's values come from the side whose dataset names a value column
  // or field; the offer says which (node/dp_jobs.h).
  absl::Span<const int64_t> values;
  if (offer.dp) {
    LIAISON_ASSIGN_OR_RETURN(params.dp, DpSpecOf(offer.question, *offer.dp));
    params.dp->malicious = offer.security == session::Security::kMalicious;
    if (offer.dp->values == (initiator ? "initiator" : "responder")) {
      if (set.key_values.size() != set.keys.size()) {
        return absl::FailedPreconditionError("our dataset was read without its values");
      }
      values = set.key_values;
    }
  }
  crypto::Prng prng = crypto::Prng::FromOsEntropy();
  RunOutcome out;
  out.peer_build = peer_build;
  // The noise was drawn before this channel was opened (DrawJobNoise).
  LIAISON_ASSIGN_OR_RETURN(out.psi, session::RunPsiJob(channel, params, set.keys, prng, values,
                                                       std::move(noise)));
  out.transcript_hash = channel.Seal();

  LIAISON_ASSIGN_OR_RETURN(out.salt_hex, internal::RandomHex(32));
  LIAISON_ASSIGN_OR_RETURN(Bytes salt, FromHex(out.salt_hex));
  if (!out.psi.received) {
    out.content = "none";
  } else if (offer.dp) {
    if (!out.psi.aggregate) return absl::InternalError("a DP job received no aggregate");
    // The canonical content of a DP result is its JSON (no items).
    out.content = session::AggregateJson(*out.psi.aggregate, offer.question).dump();
  } else {
    out.content = MatchedContent(set, out.psi.matched_keys);
  }
  out.commitment = ResultCommitment(salt, out.content);
  LIAISON_ASSIGN_OR_RETURN(std::string theirs, ExchangeCommitments(channel, out.commitment));
  out.result_digest = initiator ? ResultDigest(out.commitment, theirs)
                                : ResultDigest(theirs, out.commitment);
  const std::string& me = d.identity_.fingerprint();
  const std::string params_json =
      OfferParamsJson(offer, responder_set_size, initiator ? me : peer_fingerprint,
                      initiator ? peer_fingerprint : me,
                      initiator ? peer_build : BuildDigestOrEmpty());
  LIAISON_ASSIGN_OR_RETURN(out.params_digest, ParamsDigest(params_json));
  LIAISON_ASSIGN_OR_RETURN(
      out.peer_receipt,
      ExchangeReceipts(channel, d.identity_, peer_fingerprint, offer.job_id, out.params_digest,
                       out.transcript_hash, out.result_digest));
  return out;
}

absl::Status Daemon::Runner::Persist(Daemon& d, const Job& job, const LoadedDataset& data,
                                     const RunOutcome& out) {
  JobResult result;
  result.job_id = job.id;
  std::vector<size_t> rows;
  const bool aggregate = out.psi.aggregate.has_value();
  if (out.psi.received && aggregate) {
    Json body = Json::parse(out.content, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) return absl::InternalError("the aggregate result is not a JSON object");
    body["job_id"] = job.id;
    body["kind"] = "dp-aggregate-v1";
    body["dataset"] = data.info.name;
    body["commitment"] = Json{{"digest", out.commitment}, {"salt", out.salt_hex}};
    body["result_digest"] = out.result_digest;
    result.kind = "dp-aggregate-v1";
    result.body = body.dump();
    result.digest = out.result_digest;
  } else if (out.psi.received) {
    rows = data.set.RecordsOfKeys(out.psi.matched_keys);
    Json items = Json::array();
    for (size_t i : rows) {
      const data::Record& r = data.set.records[i];
      items.push_back(Json{{"line", r.line},
                           {"type", data::TypeName(r.item.type)},
                           {"value", r.item.value}});
    }
    Json body{{"job_id", job.id},
              {"kind", "match-v1"},
              {"dataset", data.info.name},
              {"intersection_size", out.psi.intersection_size},
              {"num_rows", rows.size()},
              {"rows", std::move(items)},
              {"commitment", Json{{"digest", out.commitment}, {"salt", out.salt_hex}}},
              {"result_digest", out.result_digest}};
    result.kind = "match-v1";
    result.body = body.dump();
    result.digest = out.result_digest;
    result.num_rows = static_cast<int64_t>(rows.size());
  }
  AuditContent extra;
  extra.dataset_digests = {data.info.digest};
  extra.profile_digest = NodeProfile().digest();
  extra.transcript_hash = out.transcript_hash;
  extra.result_digest = out.result_digest;
  extra.peer_build = out.peer_build;
  extra.counts = {{"items", static_cast<int64_t>(data.info.num_distinct)},
                  {"peer_items", static_cast<int64_t>(out.psi.agreed.peer.set_size)},
                  {"bytes_sent", static_cast<int64_t>(out.psi.bytes_sent)},
                  {"bytes_received", static_cast<int64_t>(out.psi.bytes_received)}};
  if (out.psi.received && !aggregate) {
    extra.counts["intersection"] = static_cast<int64_t>(out.psi.intersection_size);
    extra.counts["matched_rows"] = static_cast<int64_t>(rows.size());
  }
  JobChangeHook observers = d.ObserverHook(extra.counts, extra.result_digest);
  JobChangeHook hook = observers;
  if (!aggregate && out.psi.received && out.psi.agreed.peer_receives) {
    // Both learned the intersection: what the peer learned of ours is
    // exactly it, so it replaces the worst case reserved in the item
    // budget (node/item_budget.h).
    hook = [&out, &data, observers](internal::Db& db, const Job& j) -> absl::Status {
      std::vector<const std::string*> keys;
      for (size_t k : out.psi.matched_keys) keys.push_back(&data.set.keys[k]);
      LIAISON_RETURN_IF_ERROR(RecordRevealedIn(db, j.id, keys));
      return observers ? observers(db, j) : absl::OkStatus();
    };
  }
  LIAISON_ASSIGN_OR_RETURN(Job done, d.store_->FinishJob(result, hook));
  d.Notify(done);
  d.Record(AuditKind::kJobSucceeded, done, job.actor, &extra);
  AuditContent receipt;
  receipt.receipt = out.peer_receipt;
  receipt.transcript_hash = out.transcript_hash;
  receipt.result_digest = out.result_digest;
  receipt.peer_build = out.peer_build;
  d.Record(AuditKind::kReceipt, done, ActorForPeer(out.peer_receipt.peer_fingerprint),
           &receipt);
  return absl::OkStatus();
}

}  // namespace liaison::node
