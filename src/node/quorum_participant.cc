// A participant's side of the quorum jobs other nodes start
// (node/quorum_protocol.h): the answer to an offer from this node's own
// policy (node/quorum_policy.h), the second answer once every set size is
// known, the go or the abort, the channels other participants open to us
// (join), and the run (Daemon::QuorumRun).
#include <algorithm>
#include <utility>

#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"
#include "node/daemon.h"
#include "node/internal/daemon_internal.h"
#include "node/item_budget.h"
#include "node/policy.h"
#include "node/quorum_policy.h"
#include "node/quorum_protocol.h"
#include "session/handshake.h"

namespace liaison::node {

using internal::JobParamsRecord;
using internal::NodeProfile;
using internal::ParseJobParamsRecord;

void Daemon::ServeQuorumOffer(TranscriptChannel& channel, const PeerConfig& peer,
                              ByteSpan first) {
  absl::StatusOr<QuorumOffer> offer = ParseQuorumOffer(first);
  if (!offer.ok()) {
    Log(LogLevel::kWarning, StrCat("bad quorum offer from ", peer.name, ": ",
                                   std::string(offer.status().message())));
    return;
  }
  auto refuse = [&](std::string_view code, std::string_view reason) {
    Verdict v;
    v.code = std::string(code);
    v.reason = std::string(reason);
    (void)SendVerdict(channel, v);
    channel.Close();
  };
  const size_t n = offer->participants.size();
  if (offer->participants[offer->initiator].fingerprint != peer.fingerprint) {
    return refuse(kRefusePeerNotInAlliance,
                  "the offer's initiator is not the node that sent it");
  }
  uint32_t me = 0;
  while (me < n && offer->participants[me].fingerprint != identity_.fingerprint()) ++me;
  if (me == n) {
    return refuse(kRefusePeerNotInAlliance, "the participants do not include this node");
  }
  const std::string actor = ActorForPeer(peer.fingerprint);
  const std::string canonical = CanonicalQuorumOffer(*offer);

  absl::StatusOr<Job> existing = store_->GetJob(offer->job_id);
  if (existing.ok() && (existing->role != JobRole::kResponder || existing->peer != peer.name)) {
    return refuse(kRefuseDuplicateJob, "this job id is already in use here");
  }
  if (existing.ok()) {
    // A repeated offer must be the admitted one, byte for byte.
    const std::optional<std::string> admitted = ParseJobParamsRecord(*existing).offer;
    if (!admitted || *admitted != canonical) {
      const std::string reason =
          StrCat("job ", offer->job_id, " was admitted with other parameters");
      if (existing->state == JobState::kAwaitingApproval ||
          existing->state == JobState::kQueued) {
        Finalize(*existing, JobState::kRefused, RefusalText(kRefuseOfferChanged, reason), actor);
      }
      return refuse(kRefuseOfferChanged, reason);
    }
  }

  // Our policy, on every offer (the first and any repeated one).
  QuorumPolicyQuery query{offer->alliance, offer->participants, me, identity_.fingerprint(),
                          offer->threshold, offer->hide_count, ""};
  QuorumAdmission admission = CheckQuorumPolicy(config_, query);
  std::string code = admission.code, reason = admission.reason;
  if (code.empty() && offer->profile_digest != NodeProfile().digest()) {
    code = kRefuseProfileMismatch;
    reason = StrCat("this node normalises with profile ", NodeProfile().name(), " version ",
                    NodeProfile().version(), ", not ", offer->profile_name, " version ",
                    offer->profile_version);
  }
  if (code.empty() && !session::CompatibleSoftware(offer->software_version, kVersion)) {
    code = kRefuseSoftware;
    reason = StrCat("software ", offer->software_version, " cannot run jobs with ", kVersion);
  }
  if (code.empty()) {
    reason = BuildRefusal(*admission.alliance, offer->build, "the initiator's");
    if (!reason.empty()) code = kRefuseBuildNotAllowed;
  }
  if (code.empty()) {
    reason = SetSizeRefusal(*admission.alliance, offer->set_size, "the initiator's");
    if (!reason.empty()) code = kRefuseSetSize;
  }
  if (code.empty()) {
    for (const PeerConfig* p : admission.peers) {
      if (p != nullptr && reason.empty() &&
          ItemBudgetApplies(ItemLimitsFor(config_, p->name, admission.dataset))) {
        code = kRefuseUnsupported;
        reason = StrCat("dataset ", admission.dataset, " has an item budget with ", p->name,
                        ", which quorum jobs do not count yet");
      }
    }
  }
  std::optional<LoadedDataset> data;
  if (code.empty()) {
    absl::StatusOr<LoadedDataset> loaded =
        LoadDataset(config_.datasets.at(admission.dataset), NodeProfile(), clock().Now());
    if (!loaded.ok()) {
      code = kRefuseDatasetUnavailable;
      reason = StrCat("dataset ", admission.dataset, " cannot be read");
      Log(LogLevel::kError, loaded.status().ToString());
    } else {
      catalog_.Remember(loaded->info);
      reason = SetSizeRefusal(*admission.alliance, loaded->info.num_distinct, "our");
      if (!reason.empty()) code = kRefuseSetSize;
      data = *std::move(loaded);
    }
  }

  Job job;
  if (!existing.ok()) {
    JobRequest r;
    r.alliance = offer->alliance;
    r.peer = peer.name;
    r.question = "quorum";
    r.protocol = kQuorumJobProtocol;
    r.actor = actor;
    JobParamsRecord params;
    params.dataset = admission.dataset;
    params.security = session::Security::kSemiHonest;
    params.initiator_set_size = offer->set_size;
    params.offer = canonical;
    params.quorum = JobParamsRecord::Quorum{offer->participants, offer->threshold,
                                            offer->hide_count};
    r.params_json = internal::JobParamsRecordJson(params, JobRole::kResponder);
    const bool manual =
        admission.alliance != nullptr && admission.alliance->approval == Approval::kManual;
    const uint32_t per_hour =
        admission.alliance != nullptr ? admission.alliance->jobs_per_hour_per_peer : 0;
    absl::StatusOr<PeerJobAdmission> admitted = store_->AdmitPeerJob(
        r, offer->job_id, per_hour, manual ? JobState::kAwaitingApproval : JobState::kQueued,
        code.empty() ? "" : RefusalText(code, reason), ObserverHook());
    if (!admitted.ok()) {
      Log(LogLevel::kError, StrCat("recording a quorum offer failed: ",
                                   admitted.status().ToString()));
      Verdict v;
      v.kind = VerdictKind::kPending;
      v.code = "busy";
      v.reason = "this node could not record the offer (a local failure); ask again shortly";
      v.retry_after_seconds = 2;
      (void)SendVerdict(channel, v);
      return;
    }
    job = admitted->job;
    Notify(job);
    Record(AuditKind::kJobOffered, job, actor);
    if (job.state == JobState::kRefused) {
      Record(AuditKind::kJobRefused, job, actor);
      auto [c, why] = SplitRefusal(job.error);
      return refuse(c, why);
    }
  } else {
    job = *std::move(existing);
    if (std::optional<Refusal> r = RepeatedOfferRefusal(job, nullptr)) {
      return refuse(r->code, r->reason);
    }
    if (!code.empty()) {
      Finalize(job, JobState::kRefused, RefusalText(code, reason), actor);
      return refuse(code, reason);
    }
  }
  if (job.state == JobState::kAwaitingApproval) {
    Verdict v;
    v.kind = VerdictKind::kPending;
    v.code = "awaiting_approval";
    v.reason = "an analyst of this node must approve the job";
    v.retry_after_seconds = config_.node.approval_poll_seconds;
    (void)SendVerdict(channel, v);
    channel.Close();
    return;
  }

  // Accepted. The job runs with the offer as it was admitted.
  absl::StatusOr<QuorumOffer> admitted =
      ParseCanonicalQuorumOffer(ParseJobParamsRecord(job).offer.value_or(""));
  if (!admitted.ok()) {
    Finalize(job, JobState::kFailed, admitted.status().ToString(), kActorNode);
    return refuse(kRefuseDuplicateJob, "the offer could not be read back here");
  }
  if (!BeginActive(job.id)) return refuse(kRefuseDuplicateJob, "this job is already running");
  Verdict accept;
  accept.kind = VerdictKind::kAccept;
  accept.set_size = data->info.num_distinct;
  absl::Status status = SendVerdict(channel, accept);
  absl::StatusOr<SizesOrGo> next =
      status.ok() ? RecvSizesOrGo(channel, n) : absl::StatusOr<SizesOrGo>(status);
  std::shared_ptr<MeshSlot> slot;
  auto end = [&](JobState to, std::string_view error) {
    QuorumRun::CloseSlot(*this, slot);
    channel.Close();
    if (!error.empty()) Finalize(job, to, error, actor);
    EndActive(job.id);
  };
  if (!next.ok()) {
    return end(JobState::kFailed, StrCat("the initiator went away: ",
                                         std::string(next.status().message())));
  }
  if (!next->sizes) {
    // Not now (another participant must still approve): the job stays
    // queued for the next offer. Otherwise the job ends here as at the
    // initiator.
    if (next->go.code == kGoRetry) return end(JobState::kQueued, "");
    return end(JobState::kRefused, RefusalText(next->go.code, next->go.reason));
  }
  // Every participant's set size and build, checked against our policy.
  const QuorumSizes& sizes = *next->sizes;
  code.clear();
  reason.clear();
  if (sizes.set_sizes[me] != data->info.num_distinct ||
      sizes.set_sizes[offer->initiator] != admitted->set_size) {
    code = kRefuseOfferChanged;
    reason = "the sizes differ from those announced";
  }
  for (uint32_t k = 0; k < n && code.empty(); ++k) {
    if (k == me) continue;
    const std::string whose = StrCat("participant ", offer->participants[k].name, "'s");
    reason = SetSizeRefusal(*admission.alliance, sizes.set_sizes[k], whose);
    if (!reason.empty()) {
      code = kRefuseSetSize;
      break;
    }
    reason = BuildRefusal(*admission.alliance, sizes.builds[k], whose);
    if (!reason.empty()) code = kRefuseBuildNotAllowed;
  }
  if (!code.empty()) {
    Verdict v;
    v.code = code;
    v.reason = reason;
    (void)SendVerdict(channel, v);
    return end(JobState::kRefused, RefusalText(code, reason));
  }
  // Ready: the channels of the participants after us may come from now on.
  slot = QuorumRun::OpenSlot(*this, *admitted, me);
  status = SendVerdict(channel, accept);
  absl::StatusOr<Go> go = status.ok() ? RecvGo(channel) : absl::StatusOr<Go>(status);
  if (!go.ok()) {
    return end(JobState::kFailed, StrCat("the initiator went away: ",
                                         std::string(go.status().message())));
  }
  if (!go->proceed) return end(JobState::kRefused, RefusalText(go->code, go->reason));
  absl::StatusOr<Job> running = Transition(job.id, JobState::kRunning, "");
  if (!running.ok()) return end(JobState::kFailed, "");
  job = *std::move(running);
  uint64_t peer_items = 0;
  for (uint32_t k = 0; k < n; ++k) {
    if (k != me) peer_items += sizes.set_sizes[k];
  }
  const AuditContent started =
      StartedAudit(data->info, NodeProfile().digest(), peer_items, admitted->build);
  Record(AuditKind::kJobStarted, job, actor, &started);
  std::vector<TranscriptChannel*> control(n, nullptr);
  control[offer->initiator] = &channel;
  absl::Status run = QuorumRun::Run(*this, job, *admitted, sizes, me, *data,
                                    *admission.alliance, admission.peers, control, slot);
  end(JobState::kFailed, run.ok() ? "" : run.ToString());
}

void Daemon::ServeJoin(TranscriptChannel& channel, const PeerConfig& peer, ByteSpan first) {
  absl::StatusOr<Join> join = ParseJoin(first);
  if (!join.ok()) {
    Log(LogLevel::kWarning, StrCat("bad join from ", peer.name, ": ",
                                   std::string(join.status().message())));
    return;
  }
  std::shared_ptr<MeshSlot> slot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = meshes_.find(join->job_id);
    if (it != meshes_.end()) slot = it->second;
  }
  // Only the participant at that index of a job we accepted, with the key
  // the job names for it.
  if (slot == nullptr || join->from >= slot->fingerprints.size() ||
      !slot->expected[join->from] || slot->fingerprints[join->from] != peer.fingerprint) {
    Log(LogLevel::kWarning, StrCat("peer ", peer.name, " joined job ", join->job_id,
                                   ", which expects no channel from it here"));
    return;
  }
  std::unique_lock<std::mutex> lock(slot->mu);
  if (slot->done || slot->joined[join->from] != nullptr) return;
  slot->joined[join->from] = &channel;
  slot->cv.notify_all();
  // The run uses the channel; it stays open until the run is over.
  slot->cv.wait(lock, [&] { return slot->done; });
}

void Daemon::ServeQuorumAbort(const PeerConfig& peer, ByteSpan first) {
  absl::StatusOr<QuorumAbort> abort = ParseQuorumAbort(first);
  if (!abort.ok()) {
    Log(LogLevel::kWarning, StrCat("bad quorum abort from ", peer.name, ": ",
                                   std::string(abort.status().message())));
    return;
  }
  absl::StatusOr<Job> job = store_->GetJob(abort->job_id);
  // Only the job's initiator ends it, and only before it runs.
  if (!job.ok() || job->role != JobRole::kResponder || job->peer != peer.name ||
      job->question != "quorum" ||
      (job->state != JobState::kAwaitingApproval && job->state != JobState::kQueued)) {
    return;
  }
  Finalize(*job, JobState::kRefused, RefusalText(abort->code, abort->reason),
           ActorForPeer(peer.fingerprint));
}

}  // namespace liaison::node
