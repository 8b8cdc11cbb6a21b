// Differentially private count and sum jobs in the node: turning a job's
// DP parameters (REST body, stored params, peer offer) into the agreed
// psi::DpAggregateSpec, and what such a job costs each side in its privacy
// ledger (privacy_ledger.h).
//
// Charging rule. Each side charges, to (alliance, peer, its own dataset),
// the cost of what ITS data contributes to the PEER's result, and only if
// the peer receives one: a count or a sum (and the optional noised count)
// depends on both sides' sets, so each side whose peer receives is charged
// the job's composed cost — ε + count_ε, and δ (twice δ with a noised count
// in a Gaussian sum) — and a side whose peer receives nothing is charged
// nothing. The noise protecting a side's data is the noise that side draws
// (psi/private_aggregate.h), so its own ledger is the one that must bound it.
#ifndef LIAISON_NODE_DP_JOBS_H_
#define LIAISON_NODE_DP_JOBS_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "node/config.h"
#include "node/peer_protocol.h"
#include "node/privacy_ledger.h"
#include "psi/private_aggregate.h"

namespace liaison::node {

// DpSpecOf parses and checks the DP parameters of a `question` ("count" or
// "sum") exactly: ε > 0, 0 < δ < 1 if given, for a sum the bounds "LO:HI"
// (required) and count_epsilon (optional), and calibrates them
// (psi::CalibrateAggregate). InvalidArgument naming the parameter at fault;
// also for a count with bounds, count_epsilon or values, and for any other
// question.
absl::StatusOr<psi::DpAggregateSpec> DpSpecOf(std::string_view question, const OfferDp& dp);

// DatasetHasValues reports whether `dataset` names a value column or field,
// i.e. brings the values of a sum.
bool DatasetHasValues(const DatasetConfig& dataset);

// PrivacyChargeOf is what a side is charged for a job with `spec` (the
// rule above): the job's composed cost if `peer_receives`, zero otherwise.
PrivacyAmount PrivacyChargeOf(const psi::DpAggregateSpec& spec, bool peer_receives);

}  // namespace liaison::node

#endif  // LIAISON_NODE_DP_JOBS_H_
