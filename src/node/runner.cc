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
  // The offer speaks from the initiator's view.
  params.result_to = initiator ? offer.result_to : session::ForPeer(offer.result_to);
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

}  // namespace liaison::node
