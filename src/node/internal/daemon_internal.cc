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

namespace {

Json DpParamsJson(const OfferDp& dp) {
  return Json{{"epsilon", dp.epsilon},
              {"delta", dp.delta},
              {"count_epsilon", dp.count_epsilon},
              {"bounds", dp.bounds},
              {"values", dp.values}};
}

Json ChargeJson(const PrivacyAmount& a) {
  return Json{{"epsilon", dp::FormatRational(a.epsilon)},
              {"delta", dp::FormatRational(a.delta)}};
}

std::string StringOf(const Json& p, const char* key) {
  auto it = p.find(key);
  return it != p.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::string JobParamsRecordJson(const JobParamsRecord& p, JobRole role) {
  Json j{{"dataset", p.dataset},
         {"peer_dataset", p.peer_dataset},
         {"result_to", role == JobRole::kResponder ? OfferResultToName(p.result_to)
                                                   : session::ResultToName(p.result_to)}};
  if (p.security) j["security"] = session::SecurityName(*p.security);
  if (p.initiator_set_size) j["initiator_set_size"] = *p.initiator_set_size;
  if (p.offer) j["offer"] = Json::parse(*p.offer, nullptr, /*allow_exceptions=*/false);
  if (p.dp) j["dp"] = DpParamsJson(*p.dp);
  if (p.privacy_charge) j["privacy_charge"] = ChargeJson(*p.privacy_charge);
  if (p.quorum) {
    Json members = Json::array();
    for (const QuorumMember& m : p.quorum->participants) {
      members.push_back(Json{{"name", m.name}, {"fingerprint", m.fingerprint}});
    }
    j["participants"] = std::move(members);
    j["threshold"] = p.quorum->threshold;
    j["hide_count"] = p.quorum->hide_count;
  }
  return j.dump();
}

JobParamsRecord ParseJobParamsRecord(const Job& job) {
  JobParamsRecord out;
  Json p = Json::parse(job.params_json, nullptr, /*allow_exceptions=*/false);
  if (!p.is_object()) return out;
  out.dataset = StringOf(p, "dataset");
  out.peer_dataset = StringOf(p, "peer_dataset");
  const std::string result_to = StringOf(p, "result_to");
  absl::StatusOr<session::ResultTo> r = job.role == JobRole::kResponder
                                            ? ParseOfferResultTo(result_to)
                                            : session::ParseResultTo(result_to);
  if (r.ok()) out.result_to = *r;
  absl::StatusOr<session::Security> security = session::ParseSecurity(StringOf(p, "security"));
  if (security.ok()) out.security = *security;
  if (auto d = p.find("dp"); d != p.end() && d->is_object()) {
    out.dp = OfferDp{d->value("epsilon", ""), d->value("delta", ""), d->value("count_epsilon", ""),
                     d->value("bounds", ""), d->value("values", "")};
  }
  if (auto n = p.find("initiator_set_size"); n != p.end() && n->is_number_unsigned()) {
    out.initiator_set_size = n->get<uint64_t>();
  }
  if (auto o = p.find("offer"); o != p.end() && o->is_object()) out.offer = o->dump();
  auto members = p.find("participants");
  auto threshold = p.find("threshold");
  if (members != p.end() && members->is_array() && threshold != p.end() &&
      threshold->is_number_unsigned()) {
    JobParamsRecord::Quorum q;
    for (const Json& m : *members) {
      if (!m.is_object()) continue;
      q.participants.push_back(QuorumMember{m.value("name", ""), m.value("fingerprint", "")});
    }
    q.threshold = threshold->get<uint32_t>();
    q.hide_count = p.value("hide_count", false);
    out.quorum = std::move(q);
  }
  return out;
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
