// The node's admission policy: whether this node's config lets a job run,
// whoever asks for it. A job this node starts (a POST /v1/jobs body,
// Daemon::SubmitJob; a [schedules.<name>] table, checked when the config is
// parsed) and a job a peer offers (CheckOfferPolicy, before any protocol
// message) all go through CheckJobPolicy, so the three admit exactly the
// same jobs: the alliance exists and has the peer as a member, it allows
// the question and the protocol, it maps the dataset to the peer, and its
// security model exists for the job (SecurityFor). Each interface then
// says why in its own words: a Status for REST (PolicyStatus), a refusal
// code for the peer (PolicyRefusal), a key of liaison.toml for schedules.
//
// Nothing here reads data or touches the store; the checks that need them
// (set sizes, budgets) come after, with SetSizeRefusal and the ledgers.
#ifndef LIAISON_NODE_POLICY_H_
#define LIAISON_NODE_POLICY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "data/profile.h"
#include "node/config.h"
#include "node/peer_protocol.h"
#include "session/handshake.h"

namespace liaison::node {

// JobPolicyQuery is a job as admission sees it, from this node's view.
struct JobPolicyQuery {
  std::string alliance;
  // peer is the partner's name (Config::peers).
  std::string peer;
  std::string question;  // "match", "count" or "sum"
  std::string protocol;  // "rr22" or "ecdh"
  // dataset is ours. With pick_dataset, an empty one is the first the
  // alliance maps to the peer (an offer that names none); without, it is
  // an unknown dataset like any other name.
  std::string dataset;
  bool pick_dataset = false;
};

// PolicyRule names the rule a job breaks.
enum class PolicyRule {
  kNoAlliance,          // no such alliance
  kNoPeer,              // no such peer
  kNotMember,           // the peer is not a member of the alliance
  kUnknownQuestion,     // not match, count or sum
  kQuestionNotAllowed,  // the alliance does not allow the question
  kUnknownProtocol,     // not rr22 or ecdh
  kProtocolNotAllowed,  // the alliance does not allow the protocol
  kNoDataset,           // no such dataset
  kNoDatasetForPeer,    // the alliance maps no dataset to the peer
  kDatasetNotAllowed,   // the alliance does not map the dataset to the peer
  kSecurityUnavailable, // the alliance's security model has no variant for the job
};

// PolicyFinding is one rule a job breaks. `field` is the job field at
// fault ("alliance", "peer", "question", "protocol", "dataset" or
// "security"); `detail` is SecurityFor's message for kSecurityUnavailable.
struct PolicyFinding {
  PolicyRule rule;
  std::string field;
  std::string detail;
};

// JobAdmission is what CheckJobPolicy found.
struct JobAdmission {
  // findings are the rules the job breaks, in the order alliance, peer,
  // question, protocol, dataset, security; a rule that makes later ones
  // meaningless (no alliance) is the last. Empty when the job is admitted.
  std::vector<PolicyFinding> findings;
  // alliance is the job's alliance when it exists (it lives in the config).
  const AllianceConfig* alliance = nullptr;
  // dataset is the dataset the job would use (the query's, or the first
  // the alliance maps to the peer).
  std::string dataset;
  // security is the model the alliance gives the job, when it has one.
  session::Security security = session::Security::kSemiHonest;

  bool admitted() const { return findings.empty(); }
};

// CheckJobPolicy is the one admission check of a job against `config`
// (the rules above). It never fails; what it finds is in the result.
JobAdmission CheckJobPolicy(const Config& config, const JobPolicyQuery& query);

// PolicyStatus is `finding` as a REST submission reports it: NotFound for
// an unknown alliance, peer or dataset, InvalidArgument for an unknown
// question or protocol, PermissionDenied for a rule of the alliance.
absl::Status PolicyStatus(const JobPolicyQuery& query, const PolicyFinding& finding);

// PolicyRefusal is `finding` as a verdict to a peer's offer carries it:
// the refusal code (peer_protocol.h) and the reason. An unknown alliance
// and a peer that is not a member get the same answer, so that a peer
// learns nothing about alliances it is not part of.
struct Refusal {
  std::string code;
  std::string reason;
};
Refusal PolicyRefusal(const JobPolicyQuery& query, const PolicyFinding& finding);

// SecurityFor is the security model `alliance`'s policy gives a job of
// `question` on `protocol` ("rr22", "ecdh"): the alliance's `security` if
// it sets one, else malicious wherever a malicious variant exists
// (session::HasMaliciousVariant) and semi-honest otherwise.
// PermissionDenied if the alliance asks for malicious and the job has no
// malicious variant.
absl::StatusOr<session::Security> SecurityFor(const AllianceConfig& alliance,
                                              std::string_view protocol,
                                              std::string_view question);

// SetSizeRefusal returns "" if `n` is within the alliance's bounds, and the
// reason otherwise. `whose` names the side ("our", "the initiator's").
std::string SetSizeRefusal(const AllianceConfig& alliance, uint64_t n, std::string_view whose);

// BuildRefusal returns "" if the alliance requires no build or lists
// `build`, and the reason naming `build` otherwise. `whose` names the side
// ("the initiator's", "the responder's").
std::string BuildRefusal(const AllianceConfig& alliance, std::string_view build,
                         std::string_view whose);

// PolicyDecision is what CheckOfferPolicy found.
struct PolicyDecision {
  // refusal_code is empty when the offer passes.
  std::string refusal_code;
  std::string reason;
  const AllianceConfig* alliance = nullptr;
  // dataset is the name of our dataset the job would use.
  std::string dataset;
};

// CheckOfferPolicy checks an offer from `peer` against this node's own
// config, everything that does not need the data or the store:
// CheckJobPolicy on the offer's job (the alliance exists and has the peer
// as a member, the question and protocol are allowed, the requested
// dataset is one the alliance maps to this peer), then the profile digest
// is ours, the software versions are compatible, the initiator's build is
// one the alliance requires (require_build) and its set size is within
// bounds; for count and sum, that the alliance has a dp budget and the DP
// parameters are valid (node/dp_jobs.h); last, that the alliance has a
// security model for the job and the offer's is it. It never fails; a
// refusal is in the decision. `profile` is this node's normalisation
// profile.
PolicyDecision CheckOfferPolicy(const Config& config, const PeerConfig& peer,
                                const JobOffer& offer, const data::Profile& profile);

}  // namespace liaison::node

#endif  // LIAISON_NODE_POLICY_H_
