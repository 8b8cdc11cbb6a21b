// What the daemon's source files share: daemon.cc (life cycle), initiator.cc
// (submissions and the jobs this node starts), responder.cc (answering
// peers' offers), runner.cc (the run both roles make once a job is agreed)
// and job_outcome.cc (recording what happened). Not for other code.
#ifndef LIAISON_NODE_INTERNAL_DAEMON_INTERNAL_H_
#define LIAISON_NODE_INTERNAL_DAEMON_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "data/profile.h"
#include "node/daemon.h"
#include "node/datasets.h"
#include "node/job_outcome.h"
#include "node/peer_protocol.h"
#include "node/privacy_ledger.h"
#include "psi/private_aggregate.h"
#include "session/psi_job.h"
#include "session/record_set.h"

namespace liaison::node::internal {

// kMaxListedJobs bounds the jobs the daemon lists at once (recovery, offers).
inline constexpr size_t kMaxListedJobs = 100000;

// NodeProfile is the normalisation profile of every node job.
const data::Profile& NodeProfile();

bool Contains(const std::vector<std::string>& v, std::string_view s);

// ParamString reads a string parameter of a stored job ("" if absent).
std::string ParamString(const Job& job, const char* key);

// DpParamsJson is the "dp" object of a count or sum job's params, with the
// same keys as the offer's (peer_protocol.cc), and DpOfParams reads it back.
nlohmann::json DpParamsJson(const OfferDp& dp);
std::optional<OfferDp> DpOfParams(const Job& job);

// ChargeJson is how a job's privacy charge appears in its params (and so in
// every audit record of the job).
nlohmann::json ChargeJson(const PrivacyAmount& a);

// ParseRfc3339 parses a stored time; InfinitePast if it does not parse.
absl::Time ParseRfc3339(const std::string& s);

// MatchedContent is the canonical form of a match result for its
// commitment: "match-v1\n" then the sorted matched keys, each as a u32
// big-endian length and its bytes.
std::string MatchedContent(const session::RecordSet& set, const std::vector<size_t>& matched);

// RunOutcome lives in job_outcome.h, with what a finished job leaves.
using node::RunOutcome;

}  // namespace liaison::node::internal

namespace liaison::node {

// Daemon::Runner holds what both roles do once a job has been agreed: the
// PSI over the transcript channel, the commitments and the receipts
// (runner.cc).
class Daemon::Runner {
 public:
  static absl::StatusOr<RunOutcome> Run(Daemon& d, TranscriptChannel& channel,
                                                  const JobOffer& offer, bool initiator,
                                                  uint64_t responder_set_size,
                                                  const AllianceConfig& alliance,
                                                  const session::RecordSet& set,
                                                  const std::string& peer_fingerprint,
                                                  const std::string& peer_build,
                                                  psi::AggregateNoise noise);

  // Persist writes the outcome: the result (receiving side) and the job
  // succeeded in one transaction, then job_succeeded and the receipt.
  static absl::Status Persist(Daemon& d, const Job& job, const LoadedDataset& data,
                              const RunOutcome& out);
};

}  // namespace liaison::node

#endif  // LIAISON_NODE_INTERNAL_DAEMON_INTERNAL_H_
