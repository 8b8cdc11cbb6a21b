#include "node/internal/daemon_internal.h"

#include <algorithm>

#include "base/strings.h"
#include "dp/rational.h"

namespace liaison::node::internal {

using Json = nlohmann::json;

const data::Profile& NodeProfile() { return data::Profile::V1(); }

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string ParamString(const Job& job, const char* key) {
  Json p = Json::parse(job.params_json, nullptr, /*allow_exceptions=*/false);
  if (!p.is_object()) return "";
  auto it = p.find(key);
  return it != p.end() && it->is_string() ? it->get<std::string>() : "";
}

Json DpParamsJson(const OfferDp& dp) {
  return Json{{"epsilon", dp.epsilon},
              {"delta", dp.delta},
              {"count_epsilon", dp.count_epsilon},
              {"bounds", dp.bounds},
              {"values", dp.values}};
}

std::optional<OfferDp> DpOfParams(const Job& job) {
  Json p = Json::parse(job.params_json, nullptr, /*allow_exceptions=*/false);
  if (!p.is_object() || !p.contains("dp") || !p["dp"].is_object()) return std::nullopt;
  const Json& d = p["dp"];
  return OfferDp{d.value("epsilon", ""), d.value("delta", ""), d.value("count_epsilon", ""),
                 d.value("bounds", ""), d.value("values", "")};
}

Json ChargeJson(const PrivacyAmount& a) {
  return Json{{"epsilon", dp::FormatRational(a.epsilon)},
              {"delta", dp::FormatRational(a.delta)}};
}

absl::Time ParseRfc3339(const std::string& s) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return absl::InfinitePast();
  return t;
}

std::string MatchedContent(const session::RecordSet& set, const std::vector<size_t>& matched) {
  std::vector<const std::string*> keys;
  for (size_t i : matched) keys.push_back(&set.keys[i]);
  std::string out = "match-v1\n";
  ForEachSortedKey(std::move(keys), [&](std::string_view piece) { out += piece; });
  return out;
}

}  // namespace liaison::node::internal
