#include "node/dp_jobs.h"

#include "base/status.h"
#include "base/strings.h"
#include "dp/rational.h"
#include "session/dp_result.h"

namespace liaison::node {

absl::StatusOr<psi::DpAggregateSpec> DpSpecOf(std::string_view question, const OfferDp& dp) {
  psi::DpAggregateSpec spec;
  if (question == "count") {
    spec.kind = psi::AggregateKind::kCount;
    if (!dp.bounds.empty() || !dp.count_epsilon.empty() || !dp.values.empty()) {
      return absl::InvalidArgumentError("bounds, count_epsilon and values are for sum jobs");
    }
  } else if (question == "sum") {
    spec.kind = psi::AggregateKind::kSum;
    if (dp.bounds.empty()) return absl::InvalidArgumentError("a sum job needs bounds \"LO:HI\"");
    LIAISON_ASSIGN_OR_RETURN(auto bounds, session::ParseBounds("bounds", dp.bounds));
    spec.lo = bounds.first;
    spec.hi = bounds.second;
    if (!dp.count_epsilon.empty()) {
      LIAISON_ASSIGN_OR_RETURN(spec.count_epsilon,
                               dp::ParsePositive("count_epsilon", dp.count_epsilon));
    }
  } else {
    return absl::InvalidArgumentError(
        StrCat("differential privacy is for count and sum jobs, not ", question));
  }
  if (dp.epsilon.empty()) return absl::InvalidArgumentError("a count or sum job needs epsilon");
  LIAISON_ASSIGN_OR_RETURN(spec.epsilon, dp::ParsePositive("epsilon", dp.epsilon));
  if (!dp.delta.empty()) {
    LIAISON_ASSIGN_OR_RETURN(spec.delta, dp::ParseProbability("delta", dp.delta));
  }
  LIAISON_RETURN_IF_ERROR(psi::CalibrateAggregate(spec).status());
  return spec;
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

}  // namespace liaison::node
