// What the daemon's source files share: daemon.cc (life cycle), initiator.cc
// (submissions and the jobs this node starts), responder.cc (answering
// peers' offers), runner.cc (the run both roles make once a job is agreed)
// and job_outcome.cc (recording what happened). Not for other code.
#ifndef LIAISON_NODE_INTERNAL_DAEMON_INTERNAL_H_
#define LIAISON_NODE_INTERNAL_DAEMON_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
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
#include "node/quorum_protocol.h"
#include "psi/private_aggregate.h"
#include "session/psi_job.h"
#include "session/record_set.h"

namespace liaison::node::internal {

// kMaxListedJobs bounds the jobs the daemon lists at once (recovery, offers).
inline constexpr size_t kMaxListedJobs = 100000;

// NodeProfile is the normalisation profile of every node job.
const data::Profile& NodeProfile();

bool Contains(const std::vector<std::string>& v, std::string_view s);

// JobParamsRecord is a job's params as the daemon stores them
// (Job::params_json: shown by GET /v1/jobs and in every audit record of the
// job), typed. JobParamsRecordJson writes it and ParseJobParamsRecord reads
// it back, so that no code reads the stored JSON by key.
struct JobParamsRecord {
  std::string dataset;       // ours
  std::string peer_dataset;  // the peer's, as asked ("": its first for us)
  // result_to is from the initiator's view: an initiator writes it as
  // "me", "peer" or "both", a responder in the offer's words (initiator,
  // responder, both).
  session::ResultTo result_to = session::ResultTo::kMe;
  // security is unset for a job of an older node that recorded none.
  std::optional<session::Security> security;
  // dp is set for a count or sum, with the offer's keys (peer_protocol.cc);
  // privacy_charge is this side's charge for it (written, never read back).
  std::optional<OfferDp> dp;
  std::optional<PrivacyAmount> privacy_charge;
  // A responder's: the initiator's announced set size and the canonical
  // offer the job was admitted with (CanonicalOffer).
  std::optional<uint64_t> initiator_set_size;
  std::optional<std::string> offer;
  // A quorum job's terms (both roles): the participants in party order,
  // the threshold and whether counts are hidden.
  struct Quorum {
    std::vector<QuorumMember> participants;
    uint32_t threshold = 0;
    bool hide_count = false;
  };
  std::optional<Quorum> quorum;
};

// JobParamsRecordJson is `p` as a job of `role` stores it: a JSON object
// with the keys dataset, peer_dataset, result_to, security, and those of
// the optional fields that are set (privacy_charge as exact rationals).
std::string JobParamsRecordJson(const JobParamsRecord& p, JobRole role);

// ParseJobParamsRecord reads a stored job's params; what is missing or
// malformed keeps JobParamsRecord's defaults (a job of an older node).
JobParamsRecord ParseJobParamsRecord(const Job& job);

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

// Daemon::MeshSlot is a quorum job's place for the channels the other
// participants open to us (their join frames, ServeJoin): joined[k] is
// participant k's, once it came; the thread that serves it waits until
// `done` (the run is over) before it closes the connection.
struct Daemon::MeshSlot {
  std::string job_id;
  // fingerprints[k] is participant k's key; expected[k] whether k dials us.
  std::vector<std::string> fingerprints;
  std::vector<bool> expected;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<TranscriptChannel*> joined;  // guarded by mu
  bool done = false;                       // guarded by mu
};

// Daemon::QuorumRun is what every participant of a quorum job does once it
// goes (quorum_run.cc): the rest of the mesh (dialling the participants
// before us with a join, waiting for those after us), session::RunQuorumJob
// on it, the receipts every participant signs and checks, and the store's
// record of the outcome.
class Daemon::QuorumRun {
 public:
  // OpenSlot registers the mesh slot of `offer`'s job for participant `me`
  // (joins expected from every participant after us but the initiator).
  static std::shared_ptr<MeshSlot> OpenSlot(Daemon& d, const QuorumOffer& offer, uint32_t me);
  // CloseSlot ends the slot: the threads serving its joins return.
  static void CloseSlot(Daemon& d, const std::shared_ptr<MeshSlot>& slot);

  // Run runs `job` as participant `me` with `control` (the channels already
  // open, by party index: every other participant's at the initiator, the
  // initiator's at a participant), `peers` (our [peers.*] entry of each
  // participant, null at `me`) and `slot` (null at the initiator), and
  // stores the outcome. Its error is the job's failure; it records nothing
  // then.
  static absl::Status Run(Daemon& d, const Job& job, const QuorumOffer& offer,
                          const QuorumSizes& sizes, uint32_t me, const LoadedDataset& data,
                          const AllianceConfig& alliance,
                          const std::vector<const PeerConfig*>& peers,
                          std::vector<TranscriptChannel*> control,
                          const std::shared_ptr<MeshSlot>& slot);
};

}  // namespace liaison::node

#endif  // LIAISON_NODE_INTERNAL_DAEMON_INTERNAL_H_
