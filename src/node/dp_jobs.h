// Differentially private count and sum jobs in the node: turning a job's
// DP parameters (REST body, stored params, peer offer) into the agreed
// psi::DpAggregateSpec, and what such a job costs each side in its privacy
// ledger (privacy_ledger.h).
//
// Charging rule. Each side charges, to the peer's ledgers of its own dataset
// (privacy_ledger.h: by name and by content, over all alliances, and the
// dataset's global ones), the cost of what ITS data contributes to the
// PEER's result, and only if
// the peer receives one: a count or a sum (and the optional noised count)
// depends on both sides' sets, so each side whose peer receives is charged
// the job's composed cost — ε + count_ε, and δ (twice δ with a noised count
// in a Gaussian sum) — and a side whose peer receives nothing is charged
// nothing. The noise protecting a side's data is the noise that side draws
// (psi/private_aggregate.h), so its own ledger is the one that must bound it.
#ifndef LIAISON_NODE_DP_JOBS_H_
#define LIAISON_NODE_DP_JOBS_H_

#include <optional>
#include <string>
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
// question. On failure, if `field` is not null, it is set to the parameter
// at fault: "epsilon", "delta", "count_epsilon", "bounds", "values" or
// "question" (a noise scale over the samplers' caps is put on "epsilon").
absl::StatusOr<psi::DpAggregateSpec> DpSpecOf(std::string_view question, const OfferDp& dp,
                                              std::string* field = nullptr);

// DrawJobNoise draws this side's noise for a job: for a count or sum (`dp`
// set) from DpSpecOf(question, *dp) calibrated for `security`, and an
// empty AggregateNoise for a match. Callers draw it before the channel to
// the peer is opened (psi/private_aggregate.h). Errors: DpSpecOf's.
absl::StatusOr<psi::AggregateNoise> DrawJobNoise(const std::optional<OfferDp>& dp,
                                                 std::string_view question,
                                                 session::Security security);

// JobDp is the differential privacy of a count or sum job this node asks
// for: the parameters its offer carries (with the side that brings a sum's
// values) and their calibrated spec.
struct JobDp {
  OfferDp offer;
  psi::DpAggregateSpec spec;
};

// JobDpOf is the one check of the DP parameters of a job this node is asked
// to start, whoever asks: a POST /v1/jobs body (Daemon::SubmitJob) and a
// [schedules.<name>] table (ParseConfig) both call it, so the two accept
// exactly the same jobs. For "count" and "sum" it requires protocol "rr22",
// decides which side brings a sum's values (ours if `dataset` names a value
// column or field, else the peer's), refuses a sum whose result would go
// to the values side alone, refuses result_to "both" when the job runs
// `security` malicious (a malicious noised count or sum gives its result to
// one side only: psi/private_aggregate.h), and checks `params` with
// DpSpecOf. For "match" it returns nullopt, and InvalidArgument if any DP parameter is given
// (differential privacy cannot hide an exact match list). Other questions
// are the caller's to refuse (InvalidArgument here). On failure, if `field`
// is not null, it is set to the job field at fault: "protocol",
// "result_to", "question" or one of DpSpecOf's.
absl::StatusOr<std::optional<JobDp>> JobDpOf(std::string_view question,
                                             std::string_view protocol,
                                             std::string_view result_to,
                                             session::Security security,
                                             const DatasetConfig& dataset,
                                             const DpJobParams& params,
                                             std::string* field = nullptr);

// DatasetHasValues reports whether `dataset` names a value column or field,
// i.e. brings the values of a sum.
bool DatasetHasValues(const DatasetConfig& dataset);

// PrivacyChargeOf is what a side is charged for a job with `spec` (the
// rule above): the job's composed cost if `peer_receives`, zero otherwise.
PrivacyAmount PrivacyChargeOf(const psi::DpAggregateSpec& spec, bool peer_receives);

}  // namespace liaison::node

#endif  // LIAISON_NODE_DP_JOBS_H_
