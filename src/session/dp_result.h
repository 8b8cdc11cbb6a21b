// The differential-privacy parts of a job that the command line and the
// node share: reading the value bounds of a sum, and the JSON a receiving
// side stores or prints for a released aggregate (estimate, mechanism, ε,
// δ, noise scale, 95% interval; never items).
#ifndef LIAISON_SESSION_DP_RESULT_H_
#define LIAISON_SESSION_DP_RESULT_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "mpsi/quorum.h"
#include "psi/private_aggregate.h"

namespace liaison::session {

// ParseBounds parses "LO:HI" (decimal integers, parsed exactly; a leading
// '-' belongs to LO) into the sum's value bounds. InvalidArgument naming
// `what` (e.g. "--bounds") for anything else; lo <= hi is checked by
// psi::CalibrateAggregate, not here.
absl::StatusOr<std::pair<int64_t, int64_t>> ParseBounds(std::string_view what,
                                                        std::string_view text);

// ReleaseJson is one released value: the estimate, the mechanism and its
// parameters, and the 95% interval (one noise: the estimate holds only the
// peer's).
nlohmann::json ReleaseJson(const psi::Release& r);

// AggregateJson is a DP result: the main release at the top level (the
// sum for "sum", the count for "count"), a noised count under "count" for a
// sum with count_epsilon, "mode" and "job_privacy_cost". `r` must hold the
// release(s) of `mode` (a receiving side's result). No items.
nlohmann::json AggregateJson(const psi::PrivateAggregateResult& r, std::string_view mode);

// HalfWidth95OfSum returns a half-width h with P(|N_1 + … + N_k| ≤ h) ≥
// 95% for k independent noises drawn from `noise`: exact for k ≤ 2
// (dp/interval.h), Chebyshev's bound sqrt(20·k·Var) above (conservative:
// the true half-width is smaller). `exact` tells which. 0 for k ≤ 0.
int64_t HalfWidth95OfSum(const dp::NoiseParams& noise, int k, bool* exact);

// QuorumCountJson is a count-only quorum result: "mode" "quorum-count",
// "threshold", "members", "count" (the released value), and with DP
// "noised": true, the release's fields as ReleaseJson writes them (its
// 95% interval that of the k = members − 1 noises it carries), "noises"
// and "ci95_method" ("exact" or "chebyshev"). No items.
nlohmann::json QuorumCountJson(const mpsi::QuorumCount& count, int threshold, int members);

}  // namespace liaison::session

#endif  // LIAISON_SESSION_DP_RESULT_H_
