#include "node/policy.h"

#include <utility>

#include "base/strings.h"
#include "base/version.h"
#include "node/dp_jobs.h"
#include "session/job_params.h"
#include "session/psi_job.h"

namespace liaison::node {
namespace {

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  for (const std::string& x : v) {
    if (x == s) return true;
  }
  return false;
}

// IsQuestion: the node runs the two-party questions of the job vocabulary.
bool IsQuestion(std::string_view q) {
  absl::StatusOr<session::Question> parsed = session::ParseQuestion(q);
  return parsed.ok() && *parsed != session::Question::kQuorum;
}

// IsProtocol: the node names protocols by their short names.
bool IsProtocol(std::string_view p) {
  absl::StatusOr<session::Protocol> parsed = session::ParseProtocol(p);
  return parsed.ok() && session::ProtocolName(*parsed) == p;
}

}  // namespace

JobAdmission CheckJobPolicy(const Config& config, const JobPolicyQuery& q) {
  JobAdmission out;
  auto find = [&](PolicyRule rule, const char* field, std::string detail = "") {
    out.findings.push_back(PolicyFinding{rule, field, std::move(detail)});
  };
  auto a = config.alliances.find(q.alliance);
  if (a == config.alliances.end()) {
    find(PolicyRule::kNoAlliance, "alliance");
    return out;
  }
  const AllianceConfig& alliance = a->second;
  out.alliance = &alliance;
  if (config.peers.count(q.peer) == 0) {
    find(PolicyRule::kNoPeer, "peer");
  } else if (!Contains(alliance.members, q.peer)) {
    find(PolicyRule::kNotMember, "peer");
  }
  bool question_allowed = false;
  if (!IsQuestion(q.question)) {
    find(PolicyRule::kUnknownQuestion, "question");
  } else {
    for (Question allowed : alliance.questions) question_allowed |= QuestionName(allowed) == q.question;
    if (!question_allowed) find(PolicyRule::kQuestionNotAllowed, "question");
  }
  bool protocol_allowed = false;
  if (!IsProtocol(q.protocol)) {
    find(PolicyRule::kUnknownProtocol, "protocol");
  } else {
    protocol_allowed = Contains(alliance.protocols, q.protocol);
    if (!protocol_allowed) find(PolicyRule::kProtocolNotAllowed, "protocol");
  }
  auto mapped = alliance.datasets.find(q.peer);
  const bool maps_any = mapped != alliance.datasets.end() && !mapped->second.empty();
  if (q.dataset.empty() && q.pick_dataset) {
    if (maps_any) {
      out.dataset = mapped->second.front();
    } else {
      find(PolicyRule::kNoDatasetForPeer, "dataset");
    }
  } else if (config.datasets.count(q.dataset) == 0) {
    find(PolicyRule::kNoDataset, "dataset");
  } else if (!maps_any || !Contains(mapped->second, q.dataset)) {
    find(PolicyRule::kDatasetNotAllowed, "dataset");
  } else {
    out.dataset = q.dataset;
  }
  // The security model is the alliance's for a question and protocol it
  // allows; for others there is none to speak of.
  if (question_allowed && protocol_allowed) {
    absl::StatusOr<session::Security> security = SecurityFor(alliance, q.protocol, q.question);
    if (security.ok()) {
      out.security = *security;
    } else {
      find(PolicyRule::kSecurityUnavailable, "security", std::string(security.status().message()));
    }
  }
  return out;
}

absl::Status PolicyStatus(const JobPolicyQuery& q, const PolicyFinding& f) {
  switch (f.rule) {
    case PolicyRule::kNoAlliance:
      return absl::NotFoundError(StrCat("no alliance ", q.alliance));
    case PolicyRule::kNoPeer:
      return absl::NotFoundError(StrCat("no peer ", q.peer));
    case PolicyRule::kNotMember:
      return absl::PermissionDeniedError(
          StrCat(q.peer, " is not a member of alliance ", q.alliance));
    case PolicyRule::kUnknownQuestion:
      return absl::InvalidArgumentError(StrCat("unknown question ", q.question));
    case PolicyRule::kQuestionNotAllowed:
      return absl::PermissionDeniedError(
          StrCat("alliance ", q.alliance, " does not allow the question ", q.question));
    case PolicyRule::kUnknownProtocol:
      return absl::InvalidArgumentError(
          StrCat("unknown protocol \"", q.protocol, "\" (rr22 or ecdh)"));
    case PolicyRule::kProtocolNotAllowed:
      return absl::PermissionDeniedError(
          StrCat("alliance ", q.alliance, " does not allow the protocol ", q.protocol));
    case PolicyRule::kNoDataset:
      return absl::NotFoundError(StrCat("no dataset \"", q.dataset, "\""));
    case PolicyRule::kNoDatasetForPeer:
    case PolicyRule::kDatasetNotAllowed:
      return absl::PermissionDeniedError(StrCat("alliance ", q.alliance,
                                                " does not allow dataset ", q.dataset,
                                                " in jobs with ", q.peer));
    case PolicyRule::kSecurityUnavailable:
      return absl::PermissionDeniedError(f.detail);
  }
  return absl::InternalError("unknown policy rule");
}

Refusal PolicyRefusal(const JobPolicyQuery& q, const PolicyFinding& f) {
  switch (f.rule) {
    case PolicyRule::kNoAlliance:
    case PolicyRule::kNoPeer:
    case PolicyRule::kNotMember:
      return {kRefusePeerNotInAlliance,
              StrCat("this node has no alliance ", q.alliance, " with ", q.peer)};
    case PolicyRule::kUnknownQuestion:
    case PolicyRule::kQuestionNotAllowed:
      return {kRefuseQuestionNotAllowed,
              StrCat("alliance ", q.alliance, " does not allow the question ", q.question)};
    case PolicyRule::kUnknownProtocol:
    case PolicyRule::kProtocolNotAllowed:
      return {kRefuseProtocolNotAllowed,
              StrCat("alliance ", q.alliance, " does not allow the protocol ", q.protocol)};
    case PolicyRule::kNoDatasetForPeer:
      return {kRefuseDatasetNotAllowed,
              StrCat("alliance ", q.alliance, " allows no dataset of ours for ", q.peer)};
    case PolicyRule::kNoDataset:
    case PolicyRule::kDatasetNotAllowed:
      return {kRefuseDatasetNotAllowed, StrCat("alliance ", q.alliance, " does not allow dataset ",
                                               q.dataset, " for ", q.peer)};
    case PolicyRule::kSecurityUnavailable:
      return {kRefuseSecurityUnavailable, f.detail};
  }
  return {kRefuseUnsupported, "unknown policy rule"};
}

absl::StatusOr<session::Security> SecurityFor(const AllianceConfig& alliance,
                                              std::string_view protocol,
                                              std::string_view question) {
  const bool variant = session::HasMaliciousVariant(SessionProtocol(protocol), question);
  if (!alliance.security) {
    return variant ? session::Security::kMalicious : session::Security::kSemiHonest;
  }
  if (*alliance.security == session::Security::kMalicious && !variant) {
    return absl::PermissionDeniedError(
        StrCat("alliance ", alliance.name, " asks for malicious security, and ", question,
               " on ", protocol, " has no malicious-secure variant"));
  }
  return *alliance.security;
}

std::string SetSizeRefusal(const AllianceConfig& alliance, uint64_t n, std::string_view whose) {
  if (n < alliance.min_set_size || n > alliance.max_set_size) {
    return StrCat(whose, " set size ", n, " is outside alliance ", alliance.name, "'s bounds [",
                  alliance.min_set_size, ", ", alliance.max_set_size, "]");
  }
  return "";
}

std::string BuildRefusal(const AllianceConfig& alliance, std::string_view build,
                         std::string_view whose) {
  if (alliance.require_build.empty() || (!build.empty() && Contains(alliance.require_build, build))) {
    return "";
  }
  const size_t n = alliance.require_build.size();
  return StrCat(whose, " build ", build.empty() ? std::string_view("(none announced)") : build,
                " is not one of the ", n, n == 1 ? " build" : " builds", " alliance ",
                alliance.name, " requires (require_build)");
}

PolicyDecision CheckOfferPolicy(const Config& config, const PeerConfig& peer,
                                const JobOffer& offer, const data::Profile& profile) {
  PolicyDecision d;
  auto refuse = [&](std::string_view code, std::string reason) {
    d.refusal_code = std::string(code);
    d.reason = std::move(reason);
    return d;
  };
  const JobPolicyQuery query{offer.alliance, peer.name, offer.question, offer.protocol,
                             offer.peer_dataset, /*pick_dataset=*/true};
  const JobAdmission admission = CheckJobPolicy(config, query);
  d.alliance = admission.alliance;
  d.dataset = admission.dataset;
  // A missing security model is refused last, after the checks below.
  const PolicyFinding* no_security = nullptr;
  for (const PolicyFinding& f : admission.findings) {
    if (f.rule == PolicyRule::kSecurityUnavailable) {
      no_security = &f;
      continue;
    }
    // The alliance is only named to a peer that is a member of it.
    if (f.rule == PolicyRule::kNotMember || f.rule == PolicyRule::kNoPeer) d.alliance = nullptr;
    // A refused offer names no dataset of ours.
    d.dataset.clear();
    Refusal r = PolicyRefusal(query, f);
    return refuse(r.code, std::move(r.reason));
  }
  const AllianceConfig& alliance = *admission.alliance;
  if (offer.profile_digest != profile.digest()) {
    return refuse(kRefuseProfileMismatch,
                  StrCat("normalisation profile differs: ours ", profile.name(), " v",
                         profile.version(), " (sha256 ", profile.digest().substr(0, 12),
                         "...), the initiator's ", offer.profile_name, " v",
                         offer.profile_version, " (sha256 ",
                         offer.profile_digest.substr(0, 12), "...)"));
  }
  if (!session::CompatibleSoftware(offer.software_version, kVersion)) {
    return refuse(kRefuseSoftware, StrCat("software ", offer.software_version,
                                          " cannot run jobs with ours, ", kVersion));
  }
  std::string build = BuildRefusal(alliance, offer.build, "the initiator's");
  if (!build.empty()) return refuse(kRefuseBuildNotAllowed, build);
  std::string size = SetSizeRefusal(alliance, offer.set_size, "the initiator's");
  if (!size.empty()) return refuse(kRefuseSetSize, size);
  if (offer.dp) {
    if (!alliance.dp.has_value()) {
      return refuse(kRefuseQuestionNotAllowed, StrCat("alliance ", alliance.name,
                                                      " has no privacy budget here"));
    }
    if (offer.protocol != "rr22") {
      return refuse(kRefuseProtocolNotAllowed, "count and sum jobs run on rr22 only");
    }
    absl::StatusOr<psi::DpAggregateSpec> spec = DpSpecOf(offer.question, *offer.dp);
    if (!spec.ok()) return refuse(kRefuseDpParameters, std::string(spec.status().message()));
    if (offer.question == "sum") {
      const bool we_bring = offer.dp->values == "responder";
      auto ds = config.datasets.find(d.dataset);
      if (we_bring && (ds == config.datasets.end() || !DatasetHasValues(ds->second))) {
        return refuse(kRefuseDpParameters,
                      StrCat("dataset ", d.dataset, " has no value column or field here"));
      }
      // The sum must reach the side without values (psi/private_aggregate.h).
      const bool values_side_alone =
          (we_bring && offer.result_to == session::ResultTo::kPeer) ||
          (!we_bring && offer.result_to == session::ResultTo::kMe);
      if (offer.dp->values.empty() || values_side_alone) {
        return refuse(kRefuseDpParameters,
                      "a sum must go to the side without values (or to both)");
      }
    }
  }
  if (no_security != nullptr) {
    Refusal r = PolicyRefusal(query, *no_security);
    return refuse(r.code, std::move(r.reason));
  }
  if (offer.security != admission.security) {
    return refuse(kRefuseSecurityMismatch,
                  StrCat("alliance ", alliance.name, " runs ", offer.question, " on ",
                         offer.protocol, " ", session::SecurityName(admission.security),
                         " here; the offer asks for ", session::SecurityName(offer.security)));
  }
  return d;
}

}  // namespace liaison::node
