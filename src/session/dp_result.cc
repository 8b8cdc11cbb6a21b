#include "session/dp_result.h"

#include <string>

#include "base/status.h"
#include "base/strings.h"
#include "dp/accounting.h"
#include "dp/rational.h"

namespace liaison::session {

absl::StatusOr<std::pair<int64_t, int64_t>> ParseBounds(std::string_view what,
                                                        std::string_view text) {
  const size_t colon = text.find(':', text.empty() || text[0] != '-' ? 0 : 1);
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(StrCat(what, ": \"", text, "\" is not LO:HI"));
  }
  LIAISON_ASSIGN_OR_RETURN(int64_t lo,
                           dp::ParseInteger(StrCat(what, " LO"), text.substr(0, colon)));
  LIAISON_ASSIGN_OR_RETURN(int64_t hi,
                           dp::ParseInteger(StrCat(what, " HI"), text.substr(colon + 1)));
  return std::make_pair(lo, hi);
}

nlohmann::json ReleaseJson(const psi::Release& r) {
  nlohmann::json j = {{"estimate", r.estimate},
                      {"mechanism", r.report.mechanism},
                      {"epsilon", r.report.epsilon.value_or(0)},
                      {"delta", r.report.delta.value_or(0)},
                      {"noise_scale", r.report.noise_scale},
                      {"noise_parameter", r.report.noise_parameter},
                      {"privacy_cost", r.report.cost},
                      {"ci95", {r.ci95_lo, r.ci95_hi}}};
  if (r.report.rho) j["rho"] = *r.report.rho;
  return j;
}

nlohmann::json AggregateJson(const psi::PrivateAggregateResult& r, std::string_view mode) {
  const bool sum = mode == "sum";
  nlohmann::json j = ReleaseJson(sum ? *r.sum : *r.count);
  j["mode"] = std::string(mode);
  if (sum && r.count) j["count"] = ReleaseJson(*r.count);
  j["job_privacy_cost"] = dp::DescribeCost(r.total_cost);
  return j;
}

}  // namespace liaison::session
