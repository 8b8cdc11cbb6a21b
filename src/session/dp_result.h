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

}  // namespace liaison::session

#endif  // LIAISON_SESSION_DP_RESULT_H_
