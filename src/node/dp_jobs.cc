#include "node/dp_jobs.h"

#include "crypto/prng.h"

#include "base/status.h"
#include "base/strings.h"
#include "dp/mechanism.h"
#include "dp/rational.h"
#include "session/dp_result.h"
#include "session/job_params.h"

namespace liaison::node {
namespace {

// Blame returns `status` after setting *field (if asked for) to `name`.
absl::Status Blame(std::string* field, std::string_view name, absl::Status status) {
  if (field != nullptr) *field = std::string(name);
  return status;
}

}  // namespace

absl::StatusOr<psi::DpAggregateSpec> DpSpecOf(std::string_view question, const OfferDp& dp,
                                              std::string* field) {
  absl::StatusOr<session::Question> q = session::ParseQuestion(question);
  if (!q.ok()) {
    return Blame(field, "question",
                 absl::InvalidArgumentError(StrCat(
                     "differential privacy is for count and sum jobs, not ", question)));
  }
  if (*q == session::Question::kCount && dp.bounds.empty() && dp.count_epsilon.empty() &&
      !dp.values.empty()) {
    return Blame(field, "values",
                 absl::InvalidArgumentError("bounds, count_epsilon and values are for sum jobs"));
  }
  // The parameters themselves are checked by the job vocabulary's one check.
  return session::DpSpecOf(*q, session::DpParams{dp.epsilon, dp.delta, dp.count_epsilon, dp.bounds},
                           field);
}

absl::StatusOr<std::optional<JobDp>> JobDpOf(std::string_view question,
                                             std::string_view protocol,
                                             std::string_view result_to,
                                             session::Security security,
                                             const DatasetConfig& dataset,
                                             const DpJobParams& params, std::string* field) {
  if (question == "match") {
    for (const auto& [name, value] :
         {std::pair<std::string_view, const std::string*>{"epsilon", &params.epsilon},
          {"delta", &params.delta},
          {"count_epsilon", &params.count_epsilon},
          {"bounds", &params.bounds}}) {
      if (value->empty()) continue;
      return Blame(field, name,
                   absl::InvalidArgumentError(
                       "epsilon, delta, count_epsilon and bounds are for count and sum jobs: "
                       "differential privacy cannot hide an exact match list"));
    }
    return std::nullopt;
  }
  if ((question == "count" || question == "sum") && protocol != "rr22") {
    return Blame(field, "protocol",
                 absl::InvalidArgumentError("count and sum jobs run on the rr22 protocol only"));
  }
  const bool malicious = security == session::Security::kMalicious;
  if (malicious && result_to == "both") {
    return Blame(field, "result_to",
                 absl::InvalidArgumentError(StrCat(
                     "a ", question, " job that runs malicious gives its result to one side "
                     "only: result_to me or peer, not both (or the alliance's security = "
                     "\"semi-honest\")")));
  }
  JobDp dp;
  dp.offer = OfferDp{params.epsilon, params.delta, params.count_epsilon, params.bounds, ""};
  if (question == "sum") {
    const bool we_bring = DatasetHasValues(dataset);
    dp.offer.values = we_bring ? "initiator" : "responder";
    if (we_bring && result_to == "me") {
      return Blame(field, "result_to",
                   absl::InvalidArgumentError(StrCat(
                       "dataset ", dataset.name, " brings the values of the sum, so the sum must "
                       "go to the peer or to both (result_to peer or both)")));
    }
  }
  LIAISON_ASSIGN_OR_RETURN(dp.spec, DpSpecOf(question, dp.offer, field));
  dp.spec.malicious = malicious;
  return dp;
}

bool DatasetHasValues(const DatasetConfig& dataset) {
  return !dataset.value_column.empty() || !dataset.value_field.empty();
}

PrivacyAmount PrivacyChargeOf(const psi::DpAggregateSpec& spec, bool peer_receives) {
  PrivacyAmount a;
  if (!peer_receives) return a;
  a.epsilon = spec.epsilon + spec.count_epsilon.value_or(0);
  if (spec.delta) a.delta = *spec.delta * (spec.count_epsilon ? 2 : 1);
  return a;
}

absl::StatusOr<psi::AggregateNoise> DrawJobNoise(const std::optional<OfferDp>& dp,
                                                 std::string_view question,
                                                 session::Security security) {
  if (!dp) return psi::AggregateNoise();
  LIAISON_ASSIGN_OR_RETURN(psi::DpAggregateSpec spec, DpSpecOf(question, *dp));
  spec.malicious = security == session::Security::kMalicious;
  crypto::Prng prng = crypto::Prng::FromOsEntropy();
  return psi::AggregateNoise::Draw(spec, prng);
}

}  // namespace liaison::node
