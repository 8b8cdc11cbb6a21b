// The job vocabulary the command line, the session and the node share: what
// a job asks (the question), on which protocol, who learns the result, in
// which security model, with which differential-privacy parameters, and
// for a quorum, among whom and over which threshold. Each word has one
// type here and one name table (Parse* / *Name), and a job's parameters
// are validated in one place, ValidateJobParams, whose messages name the
// job's fields ("result_to", "epsilon"), never a command-line flag or a
// REST path: the command line maps its flags to these fields, the node its
// REST bodies, schedules and offers.
//
// The names are those of the REST API and the peer protocol
// (docs/openapi.json, docs/wire/node-peer.md); JobParamsJson writes them
// with the same keys as a POST /v1/jobs body.
#ifndef LIAISON_SESSION_JOB_PARAMS_H_
#define LIAISON_SESSION_JOB_PARAMS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ot/ot_extension.h"
#include "psi/private_aggregate.h"

namespace liaison::session {

// Question is what a job asks (DESIGN.md, "The questions"): "match" (which
// items do we share), "count" (how many: exact without DP parameters,
// noised with them), "sum" (the noised total of a value over the overlap)
// and "quorum" (which items at least `threshold` of the participants
// hold; named here, not run by any job yet).
enum class Question { kMatch, kCount, kSum, kQuorum };
std::string_view QuestionName(Question q);
// ParseQuestion is QuestionName's inverse; InvalidArgument naming the
// field "question" for anything else.
absl::StatusOr<Question> ParseQuestion(std::string_view s);

// Protocol is the two-party set protocol a job runs. Each has a short name
// (the node's config, REST and offers: "rr22", "ecdh") and a session name
// (the handshake and the psi/ classes: "rr22-psi", "ecdh-psi").
enum class Protocol { kRr22, kEcdh };
std::string_view ProtocolName(Protocol p);
std::string_view ProtocolSessionName(Protocol p);
// ParseProtocol accepts either name of each protocol; InvalidArgument
// naming the field "protocol" for anything else.
absl::StatusOr<Protocol> ParseProtocol(std::string_view s);

// ResultTo says which side learns the result, from the speaker's view:
// "both", "me" or "peer". (The peer protocol's offer speaks from the
// initiator's view: "initiator" is its "me", "responder" its "peer",
// node/peer_protocol.h.)
enum class ResultTo { kBoth, kMe, kPeer };
std::string_view ResultToName(ResultTo r);
// ParseResultTo is ResultToName's inverse; InvalidArgument naming the field
// "result_to" for anything else.
absl::StatusOr<ResultTo> ParseResultTo(std::string_view s);
// ForPeer is the same choice from the peer's view: me and peer swap.
ResultTo ForPeer(ResultTo r);

// Security is the adversary model the protocol must withstand; both sides
// must ask for the same one. It is the OT extension's type (the lowest
// layer that has the choice), so that one enum names the model from the
// job down to the OT; its names are here.
using Security = ot::Security;
// SecurityName is "semi-honest" or "malicious"; ParseSecurity its inverse
// (InvalidArgument naming the field "security" for anything else).
std::string_view SecurityName(Security s);
absl::StatusOr<Security> ParseSecurity(std::string_view s);

// DpParams are the differential-privacy parameters of a count or sum as a
// person writes them: exact decimal strings (dp/rational.h), empty when
// not given. epsilon is required for a noised count and a sum; delta
// selects the discrete Gaussian instead of the discrete Laplace; bounds
// "LO:HI" (sum, required) clamp each value; count_epsilon (sum, optional)
// also releases a noised count.
struct DpParams {
  std::string epsilon;
  std::string delta;
  std::string count_epsilon;
  std::string bounds;

  // given reports whether any parameter is set.
  bool given() const {
    return !epsilon.empty() || !delta.empty() || !count_epsilon.empty() || !bounds.empty();
  }
};

// JobParams are the parameters of a job that every interface shares.
struct JobParams {
  Question question = Question::kMatch;
  Protocol protocol = Protocol::kRr22;
  ResultTo result_to = ResultTo::kBoth;
  Security security = Security::kSemiHonest;
  DpParams dp;
  // participants and threshold are a quorum's (Question::kQuorum): the
  // names of its members, this one included, and how many of them must
  // hold an item for it to be reported. Empty and 0 for other questions.
  std::vector<std::string> participants;
  int threshold = 0;
};

// DpSpecOf parses and checks the DP parameters of a `question` (count or
// sum) exactly — ε > 0, 0 < δ < 1 if given, for a sum the bounds "LO:HI"
// (required) and count_epsilon (optional) — and calibrates them
// (psi::CalibrateAggregate) for a semi-honest run. InvalidArgument naming
// the field at fault; also for a count with bounds or count_epsilon, for a
// count or sum without epsilon, and for any other question. On failure, if
// `field` is not null, it is set to that field: "epsilon", "delta",
// "count_epsilon", "bounds" or "question" (a noise scale over the
// samplers' caps is put on "epsilon").
absl::StatusOr<psi::DpAggregateSpec> DpSpecOf(Question question, const DpParams& dp,
                                              std::string* field = nullptr);

// IsNoised reports whether `params` asks for a noised result: a sum, or a
// count with DP parameters.
bool IsNoised(const JobParams& params);

// ValidateJobParams is the one check of a job's parameters on their own
// (the node's policy then checks them against its config): a match takes
// no DP parameters (they cannot hide an exact match list); a noised count
// or sum has valid ones (DpSpecOf) and runs on rr22; malicious security
// needs a malicious-secure variant of the protocol for the question
// (HasMaliciousVariant, psi_job.h), and a malicious noised count or sum
// goes to one side only (result_to "me" or "peer"); a quorum has at least
// two distinct, non-empty participants and 2 <= threshold <= their number,
// and no DP parameters; other questions have neither participants nor a
// threshold. InvalidArgument whose message starts with the field at fault.
absl::Status ValidateJobParams(const JobParams& params);

// JobParamsJson writes `params` as a JSON object with the keys of a
// POST /v1/jobs body: "question", "protocol", "result_to", "security", and
// only when given "epsilon", "delta", "count_epsilon", "bounds",
// "participants" and "threshold". Keys in that order, no spaces.
std::string JobParamsJson(const JobParams& params);

// ParseJobParams reads such an object back: every key optional (the
// defaults of JobParams), strings for all but "participants" (an array of
// strings) and "threshold" (an integer), unknown keys refused. It does not
// validate the combination (ValidateJobParams). InvalidArgument naming the
// field at fault.
absl::StatusOr<JobParams> ParseJobParams(std::string_view json);

}  // namespace liaison::session

#endif  // LIAISON_SESSION_JOB_PARAMS_H_
