#include "node/quorum_policy.h"

#include <algorithm>

#include "base/strings.h"
#include "node/peer_protocol.h"

namespace liaison::node {
namespace {

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

QuorumAdmission CheckQuorumPolicy(const Config& config, const QuorumPolicyQuery& q) {
  QuorumAdmission out;
  auto refuse = [&](absl::StatusCode status, const char* code, std::string reason) {
    out.status_code = status;
    out.code = code;
    out.reason = std::move(reason);
    return out;
  };
  const size_t n = q.participants.size();
  auto a = config.alliances.find(q.alliance);
  if (a == config.alliances.end()) {
    return refuse(absl::StatusCode::kNotFound, kRefusePeerNotInAlliance,
                  StrCat("this node has no alliance ", q.alliance));
  }
  const AllianceConfig& alliance = a->second;
  out.alliance = &alliance;
  if (q.me >= n || q.participants[q.me].fingerprint != q.our_fingerprint) {
    return refuse(absl::StatusCode::kPermissionDenied, kRefusePeerNotInAlliance,
                  "the participants do not name this node with its key");
  }
  out.peers.assign(n, nullptr);
  for (size_t i = 0; i < n; ++i) {
    if (i == q.me) continue;
    const QuorumMember& m = q.participants[i];
    const PeerConfig* peer = nullptr;
    for (const auto& [name, p] : config.peers) {
      if (p.fingerprint == m.fingerprint) peer = &p;
    }
    if (peer == nullptr || !Contains(alliance.members, peer->name)) {
      return refuse(absl::StatusCode::kPermissionDenied, kRefusePeerNotInAlliance,
                    StrCat("participant ", m.name, " (", m.fingerprint,
                           ") is not a member of alliance ", q.alliance, " here"));
    }
    out.peers[i] = peer;
  }
  if (!alliance.quorum) {
    return refuse(absl::StatusCode::kPermissionDenied, kRefuseQuestionNotAllowed,
                  StrCat("alliance ", q.alliance, " does not allow the question quorum"));
  }
  const QuorumPolicy& policy = *alliance.quorum;
  if (n < policy.min_members || n > policy.max_members) {
    return refuse(absl::StatusCode::kPermissionDenied, kRefuseQuorumBounds,
                  StrCat("alliance ", q.alliance, " admits quorum jobs of ", policy.min_members,
                         " to ", policy.max_members, " participants, not ", n));
  }
  if (q.threshold < policy.min_threshold || q.threshold > n) {
    return refuse(absl::StatusCode::kPermissionDenied, kRefuseQuorumBounds,
                  StrCat("alliance ", q.alliance, " admits thresholds from ",
                         policy.min_threshold, " to the number of participants (", n,
                         "), not ", q.threshold));
  }
  if (policy.hide_count == HideCount::kRequired && !q.hide_count) {
    return refuse(absl::StatusCode::kPermissionDenied, kRefuseHideCountRequired,
                  StrCat("alliance ", q.alliance, " requires quorum jobs to hide the counts"));
  }
  // Our dataset must be one the alliance lets us use with every other
  // participant: each of them learns about it.
  auto allowed_with_all = [&](const std::string& ds) {
    for (size_t i = 0; i < n; ++i) {
      if (i == q.me) continue;
      auto mapped = alliance.datasets.find(out.peers[i]->name);
      if (mapped == alliance.datasets.end() || !Contains(mapped->second, ds)) return false;
    }
    return true;
  };
  if (q.dataset.empty()) {
    for (const auto& [peer, names] : alliance.datasets) {
      for (const std::string& ds : names) {
        if (out.dataset.empty() && allowed_with_all(ds)) out.dataset = ds;
      }
    }
    if (out.dataset.empty()) {
      return refuse(absl::StatusCode::kPermissionDenied, kRefuseDatasetNotAllowed,
                    StrCat("alliance ", q.alliance,
                           " maps no dataset here to every participant of the job"));
    }
  } else if (config.datasets.count(q.dataset) == 0) {
    return refuse(absl::StatusCode::kNotFound, kRefuseDatasetNotAllowed,
                  StrCat("no dataset \"", q.dataset, "\""));
  } else if (!allowed_with_all(q.dataset)) {
    return refuse(absl::StatusCode::kPermissionDenied, kRefuseDatasetNotAllowed,
                  StrCat("alliance ", q.alliance, " does not allow dataset ", q.dataset,
                         " in jobs with every participant"));
  } else {
    out.dataset = q.dataset;
  }
  return out;
}

}  // namespace liaison::node
