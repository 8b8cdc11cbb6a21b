#include "session/job_params.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "base/escape.h"
#include "base/status.h"
#include "base/strings.h"
#include "dp/mechanism.h"
#include "dp/rational.h"
#include "psi/ecdh_psi.h"
#include "psi/rr22_psi.h"
#include "session/dp_result.h"
#include "session/psi_job.h"

namespace liaison::session {
namespace {

using Json = nlohmann::json;

// A name table: each value with its name(s), in the order they are listed
// in messages.
template <typename T>
struct Named {
  T value;
  std::string_view name;
};

constexpr Named<Question> kQuestions[] = {{Question::kMatch, "match"},
                                          {Question::kCount, "count"},
                                          {Question::kSum, "sum"},
                                          {Question::kQuorum, "quorum"}};
constexpr Named<ResultTo> kResultTos[] = {
    {ResultTo::kBoth, "both"}, {ResultTo::kMe, "me"}, {ResultTo::kPeer, "peer"}};
constexpr Named<Security> kSecurities[] = {{Security::kSemiHonest, "semi-honest"},
                                           {Security::kMalicious, "malicious"}};

// The one table of protocol names.
struct ProtocolNames {
  Protocol value;
  std::string_view name;
  std::string_view session_name;
};
constexpr ProtocolNames kProtocols[] = {
    {Protocol::kRr22, "rr22", psi::Rr22Psi::kProtocolName},
    {Protocol::kEcdh, "ecdh", psi::EcdhPsi::kProtocolName}};

template <typename T, size_t N>
std::string_view NameIn(const Named<T> (&table)[N], T value) {
  for (const Named<T>& n : table) {
    if (n.value == value) return n.name;
  }
  return "?";
}

template <typename T, size_t N>
absl::StatusOr<T> ParseIn(const Named<T> (&table)[N], std::string_view field,
                          std::string_view s) {
  std::string names;
  for (const Named<T>& n : table) {
    if (n.name == s) return n.value;
    names += names.empty() ? "" : ", ";
    names += n.name;
  }
  return absl::InvalidArgumentError(StrCat(field, " must be one of ", names, ", not '",
                                           EscapeNonPrintable(s), "'"));
}

// Blame returns `status` after setting *field (if asked for) to `name`.
absl::Status Blame(std::string* field, std::string_view name, absl::Status status) {
  if (field != nullptr) *field = std::string(name);
  return status;
}

// FieldError is InvalidArgument with `field` leading the message (unless
// the message names it already).
absl::Status FieldError(std::string_view field, const absl::Status& status) {
  const std::string m(status.message());
  if (m.substr(0, field.size()) == field) return status;
  return absl::Status(status.code(), StrCat(field, ": ", m));
}

}  // namespace

std::string_view QuestionName(Question q) { return NameIn(kQuestions, q); }
absl::StatusOr<Question> ParseQuestion(std::string_view s) {
  return ParseIn(kQuestions, "question", s);
}

std::string_view ResultToName(ResultTo r) { return NameIn(kResultTos, r); }
absl::StatusOr<ResultTo> ParseResultTo(std::string_view s) {
  return ParseIn(kResultTos, "result_to", s);
}

ResultTo ForPeer(ResultTo r) {
  return r == ResultTo::kMe ? ResultTo::kPeer : r == ResultTo::kPeer ? ResultTo::kMe : r;
}

std::string_view SecurityName(Security s) { return NameIn(kSecurities, s); }
absl::StatusOr<Security> ParseSecurity(std::string_view s) {
  return ParseIn(kSecurities, "security", s);
}

std::string_view ProtocolName(Protocol p) {
  for (const ProtocolNames& n : kProtocols) {
    if (n.value == p) return n.name;
  }
  return "?";
}

std::string_view ProtocolSessionName(Protocol p) {
  for (const ProtocolNames& n : kProtocols) {
    if (n.value == p) return n.session_name;
  }
  return "?";
}

absl::StatusOr<Protocol> ParseProtocol(std::string_view s) {
  for (const ProtocolNames& n : kProtocols) {
    if (s == n.name || s == n.session_name) return n.value;
  }
  return absl::InvalidArgumentError(StrCat("protocol must be one of rr22, ecdh, not '",
                                           EscapeNonPrintable(s), "'"));
}

absl::StatusOr<psi::DpAggregateSpec> DpSpecOf(Question question, const DpParams& dp,
                                              std::string* field) {
  psi::DpAggregateSpec spec;
  if (question == Question::kCount) {
    spec.kind = psi::AggregateKind::kCount;
    if (!dp.bounds.empty() || !dp.count_epsilon.empty()) {
      return Blame(field, !dp.bounds.empty() ? "bounds" : "count_epsilon",
                   absl::InvalidArgumentError("bounds, count_epsilon and values are for sum jobs"));
    }
  } else if (question == Question::kSum) {
    spec.kind = psi::AggregateKind::kSum;
    if (dp.bounds.empty()) {
      return Blame(field, "bounds", absl::InvalidArgumentError("a sum job needs bounds \"LO:HI\""));
    }
    absl::StatusOr<std::pair<int64_t, int64_t>> bounds = ParseBounds("bounds", dp.bounds);
    if (!bounds.ok()) return Blame(field, "bounds", bounds.status());
    spec.lo = bounds->first;
    spec.hi = bounds->second;
    if (absl::Status s = dp::SumSensitivity(spec.lo, spec.hi).status(); !s.ok()) {
      return Blame(field, "bounds", s);
    }
    if (!dp.count_epsilon.empty()) {
      absl::StatusOr<mpq_class> ce = dp::ParsePositive("count_epsilon", dp.count_epsilon);
      if (!ce.ok()) return Blame(field, "count_epsilon", ce.status());
      spec.count_epsilon = *ce;
    }
  } else {
    return Blame(field, "question",
                 absl::InvalidArgumentError(StrCat("differential privacy is for count and sum "
                                                   "jobs, not ",
                                                   QuestionName(question))));
  }
  if (dp.epsilon.empty()) {
    return Blame(field, "epsilon", absl::InvalidArgumentError("a count or sum job needs epsilon"));
  }
  absl::StatusOr<mpq_class> epsilon = dp::ParsePositive("epsilon", dp.epsilon);
  if (!epsilon.ok()) return Blame(field, "epsilon", epsilon.status());
  spec.epsilon = *epsilon;
  if (!dp.delta.empty()) {
    absl::StatusOr<mpq_class> delta = dp::ParseProbability("delta", dp.delta);
    if (!delta.ok()) return Blame(field, "delta", delta.status());
    spec.delta = *delta;
  }
  if (absl::Status s = psi::CalibrateAggregate(spec).status(); !s.ok()) {
    return Blame(field, "epsilon", s);
  }
  return spec;
}

bool IsNoised(const JobParams& p) {
  return p.question == Question::kSum || (p.question == Question::kCount && p.dp.given());
}

absl::Status ValidateJobParams(const JobParams& p) {
  auto invalid = [](std::string_view field, std::string_view what) {
    return absl::InvalidArgumentError(StrCat(field, " ", what));
  };
  if (p.question == Question::kQuorum) {
    if (p.dp.given()) {
      return invalid("epsilon", "is for count and sum jobs; a quorum reports items, not a number");
    }
    std::set<std::string> names;
    for (const std::string& name : p.participants) {
      if (name.empty()) return invalid("participants", "must not hold an empty name");
      if (!names.insert(name).second) {
        return invalid("participants", StrCat("name ", name, " twice"));
      }
    }
    if (names.size() < 2) return invalid("participants", "must name at least two members");
    if (p.threshold < 2 || static_cast<size_t>(p.threshold) > names.size()) {
      return invalid("threshold", StrCat("must be between 2 and the number of participants (",
                                         names.size(), "), not ", p.threshold));
    }
    return absl::OkStatus();
  }
  if (!p.participants.empty()) return invalid("participants", "are for quorum jobs only");
  if (p.threshold != 0) return invalid("threshold", "is for quorum jobs only");
  const std::string_view protocol = ProtocolSessionName(p.protocol);
  const bool noised = IsNoised(p);
  if (p.question == Question::kMatch && p.dp.given()) {
    const std::string_view field = !p.dp.epsilon.empty()         ? "epsilon"
                                   : !p.dp.delta.empty()         ? "delta"
                                   : !p.dp.count_epsilon.empty() ? "count_epsilon"
                                                                 : "bounds";
    return invalid(field, "is for count and sum jobs: differential privacy cannot hide an "
                          "exact match list");
  }
  if (noised) {
    std::string field;
    absl::StatusOr<psi::DpAggregateSpec> spec = DpSpecOf(p.question, p.dp, &field);
    if (!spec.ok()) return FieldError(field, spec.status());
    if (p.protocol != Protocol::kRr22) {
      return invalid("protocol", StrCat(protocol, " has no differentially private count or sum; "
                                        "noised jobs run on rr22"));
    }
  }
  const std::string_view mode = p.question == Question::kCount && !noised
                                    ? std::string_view("exact count")
                                    : QuestionName(p.question);
  if (p.security == Security::kMalicious && !HasMaliciousVariant(protocol, mode)) {
    return invalid("security", StrCat("malicious is not available for ", protocol, " ", mode,
                                      " (it is semi-honest only)"));
  }
  if (noised && p.security == Security::kMalicious && p.result_to == ResultTo::kBoth) {
    return invalid("result_to", "must be me or peer: with malicious security a noised count or "
                                "sum goes to one side only");
  }
  return absl::OkStatus();
}

std::string JobParamsJson(const JobParams& p) {
  // nlohmann's object keeps its keys sorted; this order is built by hand.
  std::string out = StrCat("{\"question\":", Json(QuestionName(p.question)).dump(),
                           ",\"protocol\":", Json(ProtocolName(p.protocol)).dump(),
                           ",\"result_to\":", Json(ResultToName(p.result_to)).dump(),
                           ",\"security\":", Json(SecurityName(p.security)).dump());
  for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"epsilon", &p.dp.epsilon},
                                   {"delta", &p.dp.delta},
                                   {"count_epsilon", &p.dp.count_epsilon},
                                   {"bounds", &p.dp.bounds}}) {
    if (!value->empty()) out += StrCat(",\"", key, "\":", Json(*value).dump());
  }
  if (!p.participants.empty()) out += StrCat(",\"participants\":", Json(p.participants).dump());
  if (p.threshold != 0) out += StrCat(",\"threshold\":", p.threshold);
  out += "}";
  return out;
}

absl::StatusOr<JobParams> ParseJobParams(std::string_view json) {
  Json v = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!v.is_object()) return absl::InvalidArgumentError("job parameters must be a JSON object");
  JobParams p;
  auto text = [&](const std::string& key, const Json& value) -> absl::StatusOr<std::string> {
    if (!value.is_string()) return absl::InvalidArgumentError(StrCat(key, " must be a string"));
    return value.get<std::string>();
  };
  for (const auto& [key, value] : v.items()) {
    if (key == "participants") {
      if (!value.is_array()) {
        return absl::InvalidArgumentError("participants must be an array of strings");
      }
      for (const Json& name : value) {
        if (!name.is_string()) {
          return absl::InvalidArgumentError("participants must be an array of strings");
        }
        p.participants.push_back(name.get<std::string>());
      }
      continue;
    }
    if (key == "threshold") {
      if (!value.is_number_integer() || value.get<int64_t>() < INT32_MIN ||
          value.get<int64_t>() > INT32_MAX) {
        return absl::InvalidArgumentError("threshold must be an integer");
      }
      p.threshold = static_cast<int>(value.get<int64_t>());
      continue;
    }
    std::string* dp_field = key == "epsilon"         ? &p.dp.epsilon
                            : key == "delta"         ? &p.dp.delta
                            : key == "count_epsilon" ? &p.dp.count_epsilon
                            : key == "bounds"        ? &p.dp.bounds
                                                     : nullptr;
    if (dp_field != nullptr) {
      LIAISON_ASSIGN_OR_RETURN(*dp_field, text(key, value));
    } else if (key == "question") {
      LIAISON_ASSIGN_OR_RETURN(std::string s, text(key, value));
      LIAISON_ASSIGN_OR_RETURN(p.question, ParseQuestion(s));
    } else if (key == "protocol") {
      LIAISON_ASSIGN_OR_RETURN(std::string s, text(key, value));
      LIAISON_ASSIGN_OR_RETURN(p.protocol, ParseProtocol(s));
    } else if (key == "result_to") {
      LIAISON_ASSIGN_OR_RETURN(std::string s, text(key, value));
      LIAISON_ASSIGN_OR_RETURN(p.result_to, ParseResultTo(s));
    } else if (key == "security") {
      LIAISON_ASSIGN_OR_RETURN(std::string s, text(key, value));
      LIAISON_ASSIGN_OR_RETURN(p.security, ParseSecurity(s));
    } else {
      return absl::InvalidArgumentError(
          StrCat("unknown field \"", EscapeNonPrintable(key.substr(0, 64)), "\""));
    }
  }
  return p;
}

}  // namespace liaison::session
