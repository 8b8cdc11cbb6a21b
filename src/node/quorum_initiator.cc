// The quorum jobs this node starts (node/quorum_protocol.h): a submission
// checked against our policy (node/quorum_policy.h) and queued, then the
// initiator's side: an offer to every participant, every verdict, the sizes,
// the second verdicts and go — or, when anyone refuses, an abort that every
// participant records — and the run (Daemon::QuorumRun).
#include <algorithm>
#include <set>
#include <utility>

#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"
#include "net/host_port.h"
#include "net/tls_channel.h"
#include "node/daemon.h"
#include "node/internal/daemon_internal.h"
#include "node/item_budget.h"
#include "node/policy.h"
#include "node/quorum_policy.h"
#include "node/quorum_protocol.h"

namespace liaison::node {

using internal::JobParamsRecord;
using internal::NodeProfile;
using internal::ParseJobParamsRecord;
using internal::ParseRfc3339;

namespace {

// ItemBudgetRefusal: quorum jobs are not yet counted in item budgets
// (node/item_budget.h), so a job that one would govern is refused rather
// than run uncounted. "" when none applies.
std::string ItemBudgetRefusal(const Config& config, const std::vector<const PeerConfig*>& peers,
                              const std::string& dataset) {
  for (const PeerConfig* p : peers) {
    if (p != nullptr && ItemBudgetApplies(ItemLimitsFor(config, p->name, dataset))) {
      return StrCat("dataset ", dataset, " has an item budget with ", p->name,
                    ", which quorum jobs do not count yet");
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<CreateJobResult> Daemon::SubmitQuorumJob(const JobSubmission& s,
                                                        std::string_view actor) {
  if (!s.peer.empty()) {
    return absl::InvalidArgumentError("a quorum job names its participants, not a peer");
  }
  if (!s.peer_dataset.empty()) {
    return absl::InvalidArgumentError("peer_dataset is not a field of quorum jobs");
  }
  if (!s.dp.epsilon.empty() || !s.dp.delta.empty() || !s.dp.bounds.empty() ||
      !s.dp.count_epsilon.empty()) {
    return absl::InvalidArgumentError("quorum jobs take no dp parameters");
  }
  if (s.participants.empty()) {
    return absl::InvalidArgumentError("\"participants\" is required for a quorum job");
  }
  if (s.participants.size() > kMaxQuorumMembers) {
    return absl::InvalidArgumentError(
        StrCat("a quorum job has at most ", kMaxQuorumMembers, " participants"));
  }
  if (s.threshold == 0) {
    return absl::InvalidArgumentError("\"threshold\" is required for a quorum job");
  }
  QuorumPolicyQuery query;
  query.alliance = s.alliance;
  query.our_fingerprint = identity_.fingerprint();
  query.threshold = s.threshold;
  query.hide_count = s.hide_count;
  query.dataset = s.dataset;
  query.me = static_cast<uint32_t>(s.participants.size());
  std::set<std::string> seen;
  for (const std::string& name : s.participants) {
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(StrCat("participant ", name, " is listed twice"));
    }
    if (name == config_.node.name) {
      query.me = static_cast<uint32_t>(query.participants.size());
      query.participants.push_back(QuorumMember{name, identity_.fingerprint()});
      continue;
    }
    const PeerConfig* peer = PeerByName(name);
    if (peer == nullptr) return absl::NotFoundError(StrCat("no peer ", name));
    query.participants.push_back(QuorumMember{name, peer->fingerprint});
  }
  if (query.me == s.participants.size()) {
    return absl::InvalidArgumentError(StrCat("the participants must include this node (\"",
                                             config_.node.name, "\")"));
  }
  const QuorumAdmission admission = CheckQuorumPolicy(config_, query);
  LIAISON_RETURN_IF_ERROR(admission.status());
  const std::string budget = ItemBudgetRefusal(config_, admission.peers, admission.dataset);
  if (!budget.empty()) return absl::FailedPreconditionError(budget);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::UnavailableError("the node is shutting down");
  }
  LIAISON_RETURN_IF_ERROR(audit_.Check());
  JobParamsRecord params;
  params.dataset = admission.dataset;
  params.security = session::Security::kSemiHonest;
  params.quorum = JobParamsRecord::Quorum{query.participants, s.threshold, s.hide_count};
  JobRequest r;
  r.idempotency_key = s.idempotency_key;
  r.alliance = s.alliance;
  for (size_t i = 0; i < query.participants.size(); ++i) {
    if (i == query.me) continue;
    r.peer += (r.peer.empty() ? "" : ",") + query.participants[i].name;
  }
  r.question = "quorum";
  r.protocol = kQuorumJobProtocol;
  r.params_json = internal::JobParamsRecordJson(params, JobRole::kInitiator);
  r.actor = std::string(actor);
  LIAISON_ASSIGN_OR_RETURN(CreateJobResult created, store_->CreateJob(r, nullptr));
  if (created.created) {
    Notify(created.job);
    Record(AuditKind::kJobOffered, created.job, actor);
    Enqueue(created.job.id, ClockNow());
  }
  return created;
}

void Daemon::RunQuorumInitiator(const Task& task, Job job) {
  const JobParamsRecord params = ParseJobParamsRecord(job);
  auto fail = [&](JobState to, std::string_view error) {
    Finalize(job, to, error, job.actor);
  };
  if (!params.quorum) return fail(JobState::kFailed, "the job's quorum terms cannot be read");
  const JobParamsRecord::Quorum& terms = *params.quorum;
  const size_t n = terms.participants.size();
  QuorumPolicyQuery query{job.alliance, terms.participants, 0, identity_.fingerprint(),
                          terms.threshold, terms.hide_count, params.dataset};
  while (query.me < n && terms.participants[query.me].fingerprint != identity_.fingerprint()) {
    ++query.me;
  }
  const uint32_t me = query.me;
  const QuorumAdmission admission = CheckQuorumPolicy(config_, query);
  if (!admission.admitted()) {
    return fail(JobState::kRefused, RefusalText(admission.code, admission.reason));
  }
  const AllianceConfig& alliance = *admission.alliance;
  absl::StatusOr<LoadedDataset> data =
      LoadDataset(config_.datasets.at(admission.dataset), NodeProfile(), clock().Now());
  if (!data.ok()) {
    return fail(JobState::kFailed,
                RefusalText(kRefuseDatasetUnavailable, std::string(data.status().message())));
  }
  catalog_.Remember(data->info);
  std::string size = SetSizeRefusal(alliance, data->info.num_distinct, "our");
  if (!size.empty()) return fail(JobState::kRefused, RefusalText(kRefuseSetSize, size));
  if (job.state == JobState::kQueued) {
    absl::StatusOr<Job> waiting = Transition(job.id, JobState::kAwaitingPeer, "");
    if (!waiting.ok()) return;  // cancelled meanwhile
    job = *std::move(waiting);
  }
  if (ParseRfc3339(job.created) + absl::Seconds(config_.node.approval_timeout_seconds) <
      absl::FromChrono(clock().Now())) {
    return fail(JobState::kFailed, "the participants did not approve the job in time");
  }

  QuorumOffer offer;
  offer.job_id = job.id;
  offer.alliance = job.alliance;
  offer.participants = terms.participants;
  offer.initiator = me;
  offer.threshold = terms.threshold;
  offer.hide_count = terms.hide_count;
  offer.set_size = data->info.num_distinct;
  offer.profile_name = std::string(NodeProfile().name());
  offer.profile_version = static_cast<uint32_t>(NodeProfile().version());
  offer.profile_digest = NodeProfile().digest();
  offer.software_version = kVersion;

  // A channel to every participant, each opened with the offer.
  std::vector<std::unique_ptr<net::Channel>> raw(n);
  std::vector<std::unique_ptr<TranscriptChannel>> ch(n);
  auto close_all = [&] {
    for (auto& c : ch) {
      if (c != nullptr) c->Close();
    }
  };
  auto connect = [&](uint32_t k) -> absl::StatusOr<std::unique_ptr<net::Channel>> {
    const PeerConfig& peer = *admission.peers[k];
    LIAISON_ASSIGN_OR_RETURN(net::HostPort hp, net::ParseHostPort(peer.address));
    net::TlsOptions tls;
    tls.identity = &identity_;
    tls.peer_fingerprint = peer.fingerprint;
    tls.connect_timeout = absl::Seconds(config_.node.peer_connect_timeout_seconds);
    tls.io_timeout = options_.peer_io_timeout;
    return net::TlsConnect(hp.host, hp.port, tls);
  };
  for (uint32_t k = 0; k < n; ++k) {
    if (k == me) continue;
    absl::StatusOr<std::unique_ptr<net::Channel>> c = connect(k);
    if (!c.ok()) {
      close_all();
      const std::string failed =
          RequeueUnreachable(job, task, "participant", terms.participants[k].name, c.status());
      if (!failed.empty()) fail(JobState::kFailed, failed);
      return;
    }
    raw[k] = *std::move(c);
    ch[k] = std::make_unique<TranscriptChannel>(*raw[k], /*initiator=*/true);
  }
  const auto name = [&](uint32_t k) { return terms.participants[k].name; };

  // abort_all ends the job at every participant: a Go{false} on the open
  // channels of those that accepted, a quorum_abort on a new connection to
  // those that answered pending (they closed theirs).
  std::vector<std::optional<Verdict>> verdicts(n);
  auto abort_all = [&](const std::string& code, const std::string& reason) {
    for (uint32_t k = 0; k < n; ++k) {
      if (k == me || !verdicts[k]) continue;
      if (verdicts[k]->kind == VerdictKind::kAccept) {
        (void)SendGo(*ch[k], Go{false, code, reason});
      } else if (verdicts[k]->kind == VerdictKind::kPending) {
        absl::StatusOr<std::unique_ptr<net::Channel>> c = connect(k);
        if (c.ok()) (void)SendQuorumAbort(**c, QuorumAbort{job.id, code, reason});
      }
    }
    close_all();
  };
  // collect sends every participant `send_one`'s message and reads every
  // verdict; it returns true when all accepted, and otherwise ends this turn
  // (the job refused by the first refusal, failed by the first channel
  // error, or queued again while some are pending) and returns false.
  auto collect = [&](const std::function<absl::Status(uint32_t)>& send_one) -> bool {
    std::vector<absl::Status> sent(n);
    for (uint32_t k = 0; k < n; ++k) {
      if (k != me) sent[k] = send_one(k);
    }
    std::string error;
    for (uint32_t k = 0; k < n; ++k) {
      if (k == me) continue;
      absl::StatusOr<Verdict> v = sent[k].ok() ? RecvVerdict(*ch[k]) : sent[k];
      if (v.ok()) {
        verdicts[k] = *v;
      } else if (error.empty()) {
        verdicts[k].reset();
        error = StrCat("participant ", name(k), ": ", std::string(v.status().message()));
      }
    }
    if (!error.empty()) {
      abort_all("failed", StrCat("the job failed: ", error));
      fail(JobState::kFailed, error);
      return false;
    }
    for (uint32_t k = 0; k < n; ++k) {
      if (k == me || verdicts[k]->kind != VerdictKind::kRefuse) continue;
      const std::string reason =
          StrCat("participant ", name(k), " refused: ", verdicts[k]->reason);
      abort_all(verdicts[k]->code, reason);
      fail(JobState::kRefused, RefusalText(verdicts[k]->code, reason));
      return false;
    }
    uint32_t wait = 0;
    for (uint32_t k = 0; k < n; ++k) {
      if (k == me || verdicts[k]->kind != VerdictKind::kPending) continue;
      const Verdict& v = *verdicts[k];
      const bool soon = v.code == "busy" || v.code == kPendingPreparing;
      const uint32_t w = soon ? std::max<uint32_t>(1, v.retry_after_seconds)
                              : config_.node.approval_poll_seconds;
      wait = wait == 0 ? w : std::min(wait, w);
    }
    if (wait > 0) {
      // Those that accepted keep the job queued and answer the next offer.
      for (uint32_t k = 0; k < n; ++k) {
        if (k != me && verdicts[k]->kind == VerdictKind::kAccept) {
          (void)SendGo(*ch[k], Go{false, kGoRetry, "a participant has not approved yet"});
        }
      }
      close_all();
      Enqueue(job.id, ClockNow() + absl::Seconds(wait));
      return false;
    }
    return true;
  };
  if (!collect([&](uint32_t k) { return SendQuorumOffer(*ch[k], offer); })) return;

  // Every participant accepted: its set size and build must be within our
  // policy too, then every one sees all sizes and builds and answers again.
  QuorumSizes sizes;
  sizes.set_sizes.assign(n, 0);
  sizes.builds.assign(n, "");
  sizes.set_sizes[me] = data->info.num_distinct;
  sizes.builds[me] = BuildDigestOrEmpty();
  for (uint32_t k = 0; k < n; ++k) {
    if (k == me) continue;
    sizes.set_sizes[k] = verdicts[k]->set_size;
    sizes.builds[k] = verdicts[k]->build;
    const std::string whose = StrCat("participant ", name(k), "'s");
    std::string code = kRefuseSetSize;
    std::string why = SetSizeRefusal(alliance, sizes.set_sizes[k], whose);
    if (why.empty()) {
      code = kRefuseBuildNotAllowed;
      why = BuildRefusal(alliance, sizes.builds[k], whose);
    }
    if (!why.empty()) {
      abort_all(code, why);
      return fail(JobState::kRefused, RefusalText(code, why));
    }
  }
  if (!collect([&](uint32_t k) { return SendQuorumSizes(*ch[k], sizes); })) return;

  absl::StatusOr<Job> running = Transition(job.id, JobState::kRunning, "");
  if (!running.ok()) {
    abort_all("cancelled", "the initiator cancelled the job");
    return;
  }
  job = *std::move(running);
  std::vector<TranscriptChannel*> control(n, nullptr);
  for (uint32_t k = 0; k < n; ++k) {
    if (k == me) continue;
    control[k] = ch[k].get();
    absl::Status go = SendGo(*ch[k], Go{});
    if (!go.ok()) {
      close_all();
      return fail(JobState::kFailed,
                  StrCat("participant ", name(k), ": ", std::string(go.message())));
    }
  }
  uint64_t peer_items = 0;
  for (uint32_t k = 0; k < n; ++k) {
    if (k != me) peer_items += sizes.set_sizes[k];
  }
  const AuditContent started = StartedAudit(data->info, NodeProfile().digest(), peer_items, "");
  Record(AuditKind::kJobStarted, job, job.actor, &started);
  absl::Status run = QuorumRun::Run(*this, job, offer, sizes, me, *data, alliance,
                                    admission.peers, control, nullptr);
  close_all();
  if (!run.ok()) fail(JobState::kFailed, run.ToString());
}

}  // namespace liaison::node
