#include "session/dp_result.h"

#include <cmath>
#include <limits>
#include <string>

#include "base/status.h"
#include "base/strings.h"
#include "dp/accounting.h"
#include "dp/interval.h"
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

int64_t HalfWidth95OfSum(const dp::NoiseParams& noise, int k, bool* exact) {
  *exact = k <= 2;
  if (k <= 0) return 0;
  if (k == 1) return dp::HalfWidth95(noise);
  if (k == 2) return dp::HalfWidth95OfTwo(noise);
  // Reporting only (dp/interval.h): long double is fine here.
  const long double param = noise.parameter().get_d();
  long double var = param;  // a discrete Gaussian's variance is below σ²
  if (noise.kind() == dp::NoiseKind::kDiscreteLaplace) {
    const long double q = std::exp(-1.0L / param);
    var = 2 * q / ((1 - q) * (1 - q));
  }
  const long double h = std::ceil(std::sqrt(20.0L * k * var));
  if (!(h < static_cast<long double>(std::numeric_limits<int64_t>::max()))) {
    return std::numeric_limits<int64_t>::max();
  }
  return static_cast<int64_t>(h);
}

nlohmann::json QuorumCountJson(const mpsi::QuorumCount& count, int threshold, int members) {
  nlohmann::json j;
  if (count.mechanism) {
    psi::Release r;
    r.estimate = count.estimate;
    r.report = dp::Describe(*count.mechanism);
    bool exact = false;
    const int64_t h = HalfWidth95OfSum(count.mechanism->noise, count.num_noises, &exact);
    r.ci95_lo = r.estimate < std::numeric_limits<int64_t>::min() + h
                    ? std::numeric_limits<int64_t>::min()
                    : r.estimate - h;
    r.ci95_hi = r.estimate > std::numeric_limits<int64_t>::max() - h
                    ? std::numeric_limits<int64_t>::max()
                    : r.estimate + h;
    j = ReleaseJson(r);
    j["noised"] = true;
    j["noises"] = count.num_noises;
    j["ci95_method"] = exact ? "exact" : "chebyshev";
  } else {
    j["noised"] = false;
  }
  j["mode"] = "quorum-count";
  j["count"] = count.estimate;
  j["threshold"] = threshold;
  j["members"] = members;
  return j;
}

}  // namespace liaison::session
