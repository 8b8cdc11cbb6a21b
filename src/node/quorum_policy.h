// The admission policy of n-party quorum jobs: whether this node's config
// lets a quorum job run, whoever asks for it — a POST /v1/jobs body or a
// schedule (we are the initiator) or a peer's quorum offer (we are a
// participant). Both go through CheckQuorumPolicy, so they admit exactly the
// same jobs (docs/node.md, "Quorum jobs"):
//   - the alliance exists and allows the question quorum;
//   - every other participant is a peer of ours, with the key the job
//     names for it, and a member of the alliance;
//   - n and t lie within the alliance's [alliances.<name>.quorum] bounds
//     (t ≤ n), and the counts are hidden if the alliance requires it;
//   - our dataset is one the alliance maps to every other participant.
// Set sizes, rate limits and item budgets come after, with the data.
#ifndef LIAISON_NODE_QUORUM_POLICY_H_
#define LIAISON_NODE_QUORUM_POLICY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "node/config.h"
#include "node/quorum_protocol.h"

namespace liaison::node {

struct QuorumPolicyQuery {
  std::string alliance;
  // participants in party order; we are at `me`, with `our_fingerprint`.
  std::vector<QuorumMember> participants;
  uint32_t me = 0;
  std::string our_fingerprint;
  uint32_t threshold = 0;
  bool hide_count = false;
  // dataset is ours; empty picks the first the alliance maps to every
  // other participant (a participant answering an offer).
  std::string dataset;
};

// QuorumAdmission is what CheckQuorumPolicy found. A refused job has a
// refusal code (node/peer_protocol.h, node/quorum_protocol.h) and a reason
// for a peer, and status_code for a REST submission.
struct QuorumAdmission {
  std::string code;
  std::string reason;
  absl::StatusCode status_code = absl::StatusCode::kOk;
  const AllianceConfig* alliance = nullptr;
  std::string dataset;
  // peers[i] is participant i's [peers.*] entry here; null at `me`.
  std::vector<const PeerConfig*> peers;

  bool admitted() const { return code.empty(); }
  // status is the refusal as a REST submission reports it (Ok if admitted).
  absl::Status status() const {
    return admitted() ? absl::OkStatus() : absl::Status(status_code, reason);
  }
};

QuorumAdmission CheckQuorumPolicy(const Config& config, const QuorumPolicyQuery& query);

}  // namespace liaison::node

#endif  // LIAISON_NODE_QUORUM_POLICY_H_
