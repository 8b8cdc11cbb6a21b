// The responder side of the daemon: it accepts peers' connections and
// answers their offers from this node's own policy (node/policy.h;
// docs/wire/node-peer.md, "The responder's decision"), records them, takes
// an analyst's decision on those awaiting approval, and runs the accepted
// ones.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "node/budget_keys.h"
#include "node/dp_jobs.h"
#include "node/internal/control_message.h"
#include "node/internal/daemon_internal.h"
#include "node/item_budget.h"
#include "node/job_outcome.h"
#include "node/policy.h"
#include "node/privacy_ledger.h"

namespace liaison::node {
namespace {

using Json = nlohmann::json;
using internal::kMaxListedJobs;
using internal::NodeProfile;
using internal::ParseRfc3339;

constexpr uint32_t kBusyRetrySeconds = 2;

// AdmittedOfferJson is the canonical offer a responder job was admitted
// with (CanonicalOffer), or nullopt for a job recorded without one.
std::optional<std::string> AdmittedOfferJson(const Job& job) {
  return internal::ParseJobParamsRecord(job).offer;
}

}  // namespace

// --- the responder -----------------------------------------------------------

// PeerSlot counts a connection against its peer's max_connections_per_peer
// for as long as it lives; Serve() also takes one of the node's
// max_concurrent_jobs slots, for offers that load data and may run.
class Daemon::PeerSlot {
 public:
  PeerSlot(Daemon& d, std::string fingerprint) : d_(d), fingerprint_(std::move(fingerprint)) {
    std::lock_guard<std::mutex> lock(d_.mu_);
    within_quota_ = ++d_.peer_connections_[fingerprint_] <= d_.config_.node.max_connections_per_peer;
  }
  ~PeerSlot() {
    std::lock_guard<std::mutex> lock(d_.mu_);
    if (serving_) --d_.serving_;
    if (--d_.peer_connections_[fingerprint_] == 0) d_.peer_connections_.erase(fingerprint_);
  }
  PeerSlot(const PeerSlot&) = delete;
  PeerSlot& operator=(const PeerSlot&) = delete;

  // within_quota: the peer had no more than max_connections_per_peer open
  // with this one.
  bool within_quota() const { return within_quota_; }

  // Serve takes a job slot; false if the node is stopping or all
  // max_concurrent_jobs are taken.
  bool Serve() {
    std::lock_guard<std::mutex> lock(d_.mu_);
    if (d_.stopping_ || d_.serving_ >= d_.config_.node.max_concurrent_jobs) return false;
    ++d_.serving_;
    serving_ = true;
    return true;
  }

 private:
  Daemon& d_;
  const std::string fingerprint_;
  bool within_quota_ = false;
  bool serving_ = false;
};

void Daemon::ListenLoop() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    absl::StatusOr<net::PendingTls> pending = listener_->AcceptConnection(absl::Milliseconds(200));
    if (!pending.ok()) {
      if (pending.status().code() != absl::StatusCode::kDeadlineExceeded) {
        Log(LogLevel::kWarning,
            StrCat("peer port: ", std::string(pending.status().message())));
      }
      continue;
    }
    // Each handshake runs on a thread of its own, within
    // handshake_timeout_seconds: a client that stalls holds up only itself,
    // and at most max_handshakes of them are kept (docs/node.md).
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    const uint64_t key = AdmitHandshakeLocked(pending->host(), pending->abort_handle());
    ++connections_;
    std::thread([this, key, p = *std::move(pending)]() mutable {
      Handshake(key, std::move(p));
      std::lock_guard<std::mutex> lock(mu_);
      --connections_;
      cv_.notify_all();
    }).detach();
  }
}

uint64_t Daemon::AdmitHandshakeLocked(const std::string& host,
                                      std::shared_ptr<net::PendingTls::Abort> abort) {
  auto displace = [&](std::map<uint64_t, HalfOpen>::iterator it) {
    it->second.abort->Now();  // its thread fails its handshake and ends
    handshakes_.erase(it);
  };
  uint32_t from_host = 0;
  auto oldest_of_host = handshakes_.end();
  for (auto it = handshakes_.begin(); it != handshakes_.end(); ++it) {
    if (it->second.host != host) continue;
    if (from_host++ == 0) oldest_of_host = it;
  }
  if (from_host >= config_.node.max_handshakes_per_address) {
    displace(oldest_of_host);
  } else if (handshakes_.size() >= config_.node.max_handshakes) {
    displace(handshakes_.begin());
  }
  const uint64_t key = next_handshake_++;
  handshakes_.emplace(key, HalfOpen{host, std::move(abort)});
  return key;
}

void Daemon::Handshake(uint64_t key, net::PendingTls pending) {
  std::string fingerprint;
  const std::string address = pending.address();
  absl::StatusOr<std::unique_ptr<net::Channel>> ch = pending.Handshake(
      absl::Seconds(config_.node.handshake_timeout_seconds), &fingerprint);
  {
    std::lock_guard<std::mutex> lock(mu_);
    handshakes_.erase(key);
  }
  if (!ch.ok()) {
    Log(LogLevel::kInfo, StrCat("peer port: no handshake with ", address, ": ",
                                std::string(ch.status().message())));
    return;
  }
  ServeConnection(*std::move(ch), std::move(fingerprint));
}

void Daemon::ServeConnection(std::unique_ptr<net::Channel> raw, std::string peer_fingerprint) {
  const PeerConfig* peer = PeerByFingerprint(peer_fingerprint);
  if (peer == nullptr) return;
  PeerSlot slot(*this, peer->fingerprint);
  TranscriptChannel channel(*raw, /*initiator=*/false);
  // A partner sends its offer at once: a connection that idles is closed
  // as soon as one in its handshake would be.
  raw->SetTimeout(absl::Seconds(config_.node.handshake_timeout_seconds));
  absl::StatusOr<Bytes> first = net::RecvAtMost(channel, kMaxControlMessageLen);
  raw->SetTimeout(options_.peer_io_timeout);
  absl::StatusOr<std::string> type =
      first.ok() ? internal::TypeOf(*first) : absl::StatusOr<std::string>(first.status());
  // A quorum job's channel or abort is not an offer: no job slot, no verdict.
  if (type.ok() && *type == "join") {
    if (slot.within_quota()) ServeJoin(channel, *peer, *first);
    return;
  }
  if (type.ok() && *type == "quorum_abort") return ServeQuorumAbort(*peer, *first);
  absl::StatusOr<JobOffer> offer =
      !type.ok() ? absl::StatusOr<JobOffer>(type.status())
      : *type == "quorum_offer" ? absl::StatusOr<JobOffer>(JobOffer())
                                : ParseOffer(*first);
  if (!offer.ok()) {
    Log(LogLevel::kWarning, StrCat("bad offer from ", peer->name, ": ", std::string(offer.status().message())));
    return;
  }
  auto busy = [&](std::string_view why) {
    Verdict v;
    v.kind = VerdictKind::kPending;
    v.code = "busy";
    v.reason = StrCat(why, "; ask again shortly");
    v.retry_after_seconds = kBusyRetrySeconds;
    (void)SendVerdict(channel, v);
  };
  // Capacity before anything costly: no dataset is read for an offer that
  // is answered "busy".
  if (!slot.within_quota()) {
    return busy(StrCat("this node serves at most ", config_.node.max_connections_per_peer,
                       " connections of one peer at once"));
  }
  if (!slot.Serve()) return busy("the node is busy");
  // An audit log altered under us (logged when found) takes no new job.
  if (!audit_.Check().ok()) return busy("this node cannot audit a job now (a local failure)");
  if (*type == "quorum_offer") return ServeQuorumOffer(channel, *peer, *first);
  auto refuse = [&](std::string_view code, std::string_view reason) {
    Verdict v;
    v.code = std::string(code);
    v.reason = std::string(reason);
    (void)SendVerdict(channel, v);
    channel.Close();
  };
  const std::string actor = ActorForPeer(peer->fingerprint);
  // peer_audit names the initiator's announced build in every record of
  // the job.
  AuditContent peer_audit;
  peer_audit.peer_build = offer->build;

  absl::StatusOr<Job> existing = store_->GetJob(offer->job_id);
  if (existing.ok() && (existing->role != JobRole::kResponder || existing->peer != peer->name)) {
    return refuse(kRefuseDuplicateJob, "this job id is already in use here");
  }
  if (existing.ok()) {
    // A repeated offer (after manual approval) must be the admitted offer,
    // byte for byte: a partner may not have a job approved and then change
    // what it runs (docs/wire/node-peer.md).
    const std::optional<std::string> admitted = AdmittedOfferJson(*existing);
    if (!admitted) {
      return refuse(kRefuseDuplicateJob,
                    "this job was recorded without its offer (by an older liaison); offer it "
                    "again under a new job id");
    }
    if (*admitted != CanonicalOffer(*offer)) {
      absl::StatusOr<JobOffer> was = ParseCanonicalOffer(*admitted);
      const std::string reason = StrCat(
          "job ", offer->job_id, " was admitted with other parameters; this offer changes ",
          was.ok() ? OfferChanges(*was, *offer) : std::string("them"));
      const std::string text = RefusalText(kRefuseOfferChanged, reason);
      Log(LogLevel::kWarning, StrCat("peer ", peer->name, ": ", reason));
      if (existing->state == JobState::kAwaitingApproval ||
          existing->state == JobState::kQueued) {
        // The partner no longer asks for what was admitted: the job ends.
        Finalize(*existing, JobState::kRefused, text, actor, &peer_audit);
      } else {
        // It is running or over; the attempt is still on the record.
        Job attempt = *existing;
        attempt.error = text;
        Record(AuditKind::kJobRefused, attempt, actor, &peer_audit);
      }
      return refuse(kRefuseOfferChanged, reason);
    }
  }
  // The policy is checked on every offer, the first and any repeated one
  // (the config is the same, but an approved job must still fit it).
  PolicyDecision decision = CheckOfferPolicy(config_, *peer, *offer, NodeProfile());
  std::optional<LoadedDataset> data;
  if (decision.refusal_code.empty()) {
    absl::StatusOr<LoadedDataset> loaded =
        LoadDataset(config_.datasets.at(decision.dataset), NodeProfile(), clock().Now());
    if (!loaded.ok()) {
      decision.refusal_code = kRefuseDatasetUnavailable;
      decision.reason = StrCat("dataset ", decision.dataset, " cannot be read");
      Log(LogLevel::kError, loaded.status().ToString());
    } else {
      catalog_.Remember(loaded->info);
      std::string size = SetSizeRefusal(*decision.alliance, loaded->info.num_distinct, "the responder's");
      if (!size.empty()) {
        decision.refusal_code = kRefuseSetSize;
        decision.reason = size;
      }
      data = *std::move(loaded);
    }
  }

  Job job;
  if (!existing.ok()) {
    JobRequest r;
    r.alliance = offer->alliance;
    r.peer = peer->name;
    r.question = offer->question;
    r.protocol = offer->protocol;
    r.actor = actor;
    internal::JobParamsRecord params;
    params.dataset = decision.dataset;
    params.peer_dataset = offer->peer_dataset;
    params.result_to = offer->result_to;
    params.initiator_set_size = offer->set_size;
    params.security = offer->security;
    params.offer = CanonicalOffer(*offer);
    // A count or sum whose initiator receives reserves our privacy cost in
    // the transaction that admits the offer (node/dp_jobs.h).
    // Like every charge it counts in all the ledgers of the data: the
    // peer's of the dataset's name and of its content, over all alliances,
    // and the dataset's global ones (node/privacy_ledger.h).
    std::optional<PrivacyAmount> charge;
    std::optional<PrivacyBudgets> budgets;
    if (offer->dp && decision.refusal_code.empty()) {
      absl::StatusOr<psi::DpAggregateSpec> spec = DpSpecOf(offer->question, *offer->dp);
      absl::StatusOr<PrivacyBudgets> b = PrivacyBudgetsFor(config_, peer->name, decision.dataset);
      if (spec.ok() && b.ok()) {
        charge = PrivacyChargeOf(*spec, offer->result_to != session::ResultTo::kPeer);
        budgets = *b;
        params.dp = *offer->dp;
        params.privacy_charge = *charge;
      } else {
        decision.refusal_code = kRefuseDpParameters;
        decision.reason = std::string((spec.ok() ? b.status() : spec.status()).message());
      }
    }
    r.params_json = internal::JobParamsRecordJson(params, JobRole::kResponder);
    const bool manual =
        decision.alliance != nullptr && decision.alliance->approval == Approval::kManual;
    const uint32_t per_hour = decision.alliance ? decision.alliance->jobs_per_hour_per_peer : 0;
    // Match jobs under an item budget reserve the initiator's set size and,
    // if it receives, the worst case of our items it can learn.
    const ItemLimits item_limits = ItemLimitsFor(config_, peer->name, decision.dataset);
    const bool items = offer->question == "match" && decision.refusal_code.empty() &&
                       ItemBudgetApplies(item_limits);
    const BudgetKey key{peer->fingerprint, peer->name, offer->alliance, decision.dataset,
                        data ? data->info.digest : std::string()};
    const uint64_t revealed_worst =
        offer->result_to == session::ResultTo::kPeer
            ? 0
            : std::min<uint64_t>(offer->set_size, data ? data->info.num_distinct : 0);
    const char* exhausted = kRefusePrivacyBudget;  // which reservation failed
    auto admit = [&](std::string_view refusal, bool reserve) {
      JobChangeHook observers = ObserverHook();
      JobChangeHook hook = observers;
      if (reserve && (items || (charge && charge->epsilon > 0))) {
        hook = [&](internal::Db& db, const Job& j) -> absl::Status {
          // A rate-limited (refused) offer spends nothing.
          if (j.state != JobState::kRefused && charge && charge->epsilon > 0) {
            exhausted = kRefusePrivacyBudget;
            LIAISON_RETURN_IF_ERROR(ReserveIn(db, key, j.id, *charge, *budgets).status());
          }
          if (j.state != JobState::kRefused && items) {
            exhausted = kRefuseItemBudget;
            LIAISON_RETURN_IF_ERROR(
                ReserveItemsIn(db, item_limits, key, j.id, offer->set_size, revealed_worst));
          }
          return observers ? observers(db, j) : absl::OkStatus();
        };
      }
      return store_->AdmitPeerJob(
          r, offer->job_id, per_hour, manual ? JobState::kAwaitingApproval : JobState::kQueued,
          refusal, hook);
    };
    const std::string refusal = decision.refusal_code.empty()
                                    ? ""
                                    : RefusalText(decision.refusal_code, decision.reason);
    absl::StatusOr<PeerJobAdmission> admitted = admit(refusal, /*reserve=*/true);
    if (absl::IsResourceExhausted(admitted.status())) {
      // Over a budget: record the offer refused instead (nothing reserved).
      admitted = admit(RefusalText(exhausted, std::string(admitted.status().message())),
                       /*reserve=*/false);
    }
    if (!admitted.ok()) {
      // Our own store failed: nothing is wrong with the offer, so the
      // initiator is asked to offer again later rather than refused.
      Log(LogLevel::kError, StrCat("recording an offer failed: ", admitted.status().ToString()));
      return busy("this node could not record the offer (a local failure)");
    }
    job = admitted->job;
    Notify(job);
    Record(AuditKind::kJobOffered, job, actor, &peer_audit);
    if (job.state == JobState::kRefused) {
      Record(AuditKind::kJobRefused, job, actor, &peer_audit);
      auto [code, reason] = SplitRefusal(job.error);
      return refuse(code, reason);
    }
  } else {
    job = *std::move(existing);  // its offer is this one (checked above)
    if (std::optional<Refusal> r = RepeatedOfferRefusal(job, &peer_audit)) {
      return refuse(r->code, r->reason);
    }
    if (decision.refusal_code.empty() && job.state == JobState::kQueued && offer->dp) {
      // Approved: the charge taken at admission must count against the
      // content the job now uses, which may have changed meanwhile.
      absl::StatusOr<PrivacyBudgets> budgets =
          PrivacyBudgetsFor(config_, peer->name, decision.dataset);
      absl::Status settled =
          budgets.ok() ? store_->Write([&](internal::Db& db) {
            return SettleContentIn(db, job.id, data->info.digest, *budgets);
          })
                       : budgets.status();
      if (absl::IsResourceExhausted(settled)) {
        decision.refusal_code = kRefusePrivacyBudget;
        decision.reason = std::string(settled.message());
      } else if (!settled.ok()) {
        Finalize(job, JobState::kFailed, settled.ToString(), kActorNode, &peer_audit);
        return refuse(kRefuseDuplicateJob, "the job could not be recorded here");
      }
    }
    if (!decision.refusal_code.empty()) {
      Finalize(job, JobState::kRefused, RefusalText(decision.refusal_code, decision.reason), actor, &peer_audit);
      return refuse(decision.refusal_code, decision.reason);
    }
  }
  // A noised job needs its noise drawn while no channel to the peer is
  // open (the samplers' time depends on the value drawn): the first time,
  // answer "preparing", close, draw, and accept on the initiator's next
  // offer. While an analyst decides, the noise is drawn the same way.
  const bool noised = offer->dp.has_value();
  const bool noise_ready = !noised || HasJobNoise(job.id);
  if (job.state == JobState::kAwaitingApproval || !noise_ready) {
    Verdict v;
    v.kind = VerdictKind::kPending;
    if (job.state == JobState::kAwaitingApproval) {
      v.code = "awaiting_approval";
      v.reason = "an analyst of this node must approve the job";
      v.retry_after_seconds = config_.node.approval_poll_seconds;
    } else {
      v.code = kPendingPreparing;
      v.reason = "this node is preparing the job; ask again shortly";
      v.retry_after_seconds = 1;
    }
    (void)SendVerdict(channel, v);
    channel.Close();
    if (!noise_ready) {
      absl::Status drawn = PrepareJobNoise(job.id, offer->dp, offer->question, offer->security);
      if (!drawn.ok()) Log(LogLevel::kError, StrCat("job ", job.id, ": ", drawn.ToString()));
    }
    return;
  }

  // Accepted (automatically, or approved earlier). The job runs with the
  // offer as it was admitted and charged, read back from its record.
  const std::optional<std::string> admitted_json = AdmittedOfferJson(job);
  absl::StatusOr<JobOffer> admitted =
      admitted_json ? ParseCanonicalOffer(*admitted_json)
                    : absl::StatusOr<JobOffer>(absl::InternalError("the job has no offer"));
  if (!admitted.ok()) {
    Finalize(job, JobState::kFailed, admitted.status().ToString(), kActorNode, &peer_audit);
    return refuse(kRefuseDuplicateJob, "the offer could not be read back here");
  }
  if (!BeginActive(job.id)) return refuse(kRefuseDuplicateJob, "this job is already running");
  Verdict v;
  v.kind = VerdictKind::kAccept;
  v.set_size = data->info.num_distinct;
  absl::Status status = SendVerdict(channel, v);
  absl::StatusOr<Go> go = status.ok() ? RecvGo(channel) : absl::StatusOr<Go>(status);
  if (!go.ok()) {
    Finalize(job, JobState::kFailed, StrCat("the initiator went away: ", std::string(go.status().message())),
             actor, &peer_audit);
    return EndActive(job.id);
  }
  if (!go->proceed) {
    Finalize(job, JobState::kRefused, RefusalText(go->code, go->reason), actor, &peer_audit);
    return EndActive(job.id);
  }
  absl::StatusOr<Job> running = Transition(job.id, JobState::kRunning, "");
  if (!running.ok()) {
    channel.Close();
    return EndActive(job.id);
  }
  job = *std::move(running);
  const AuditContent started =
      StartedAudit(data->info, NodeProfile().digest(), admitted->set_size, offer->build);
  Record(AuditKind::kJobStarted, job, actor, &started);
  absl::StatusOr<RunOutcome> out =
      Runner::Run(*this, channel, *admitted, /*initiator=*/false, data->info.num_distinct,
                  *decision.alliance, data->set, peer->fingerprint, offer->build,
                  TakeJobNoise(job.id));
  channel.Close();
  absl::Status stored = out.ok() ? Runner::Persist(*this, job, *data, *out) : out.status();
  if (!stored.ok()) Finalize(job, JobState::kFailed, stored.ToString(), actor, &peer_audit);
  EndActive(job.id);
}

std::optional<Refusal> Daemon::RepeatedOfferRefusal(const Job& job, const AuditContent* extra) {
  if (job.state == JobState::kRefused) {
    auto [code, reason] = SplitRefusal(job.error);
    return Refusal{code, reason};
  }
  if (job.state == JobState::kCancelled) {
    return Refusal{kRefuseByAnalyst, "the offer was cancelled here"};
  }
  if (job.state == JobState::kAwaitingApproval &&
      ParseRfc3339(job.created) + absl::Seconds(config_.node.approval_timeout_seconds) <
          absl::FromChrono(clock().Now())) {
    Finalize(job, JobState::kRefused,
             RefusalText(kRefuseApprovalExpired, "no analyst decided in time"), kActorNode, extra);
    return Refusal{kRefuseApprovalExpired, "no analyst decided in time"};
  }
  if (job.state != JobState::kAwaitingApproval && job.state != JobState::kQueued) {
    return Refusal{kRefuseDuplicateJob,
                   StrCat("this job is already ", JobStateName(job.state), " here")};
  }
  return std::nullopt;
}

absl::Status Daemon::PrepareJobNoise(const std::string& job_id,
                                     const std::optional<OfferDp>& dp,
                                     std::string_view question, session::Security security) {
  LIAISON_ASSIGN_OR_RETURN(psi::AggregateNoise noise, DrawJobNoise(dp, question, security));
  std::lock_guard<std::mutex> lock(mu_);
  job_noise_[job_id] = std::move(noise);
  return absl::OkStatus();
}

bool Daemon::HasJobNoise(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return job_noise_.count(job_id) > 0;
}

psi::AggregateNoise Daemon::TakeJobNoise(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = job_noise_.find(job_id);
  if (it == job_noise_.end()) return psi::AggregateNoise();
  psi::AggregateNoise noise = std::move(it->second);
  job_noise_.erase(it);
  return noise;
}

// --- an analyst's decisions ---------------------------------------------------

absl::StatusOr<std::vector<Job>> Daemon::ListOffers() {
  LIAISON_ASSIGN_OR_RETURN(std::vector<Job> jobs,
                           store_->ListJobs(kMaxListedJobs, JobState::kAwaitingApproval));
  std::vector<Job> out;
  const absl::Duration timeout = absl::Seconds(config_.node.approval_timeout_seconds);
  for (Job& job : jobs) {
    if (job.role != JobRole::kResponder) continue;
    if (ParseRfc3339(job.created) + timeout < absl::FromChrono(clock().Now())) {
      Finalize(job, JobState::kRefused,
               RefusalText(kRefuseApprovalExpired, "no analyst decided in time"), kActorNode);
      continue;
    }
    out.push_back(std::move(job));
  }
  return out;
}

absl::StatusOr<Job> Daemon::DecideOffer(std::string_view id, bool approve,
                                        std::string_view reason, std::string_view actor) {
  LIAISON_ASSIGN_OR_RETURN(Job job, store_->GetJob(id));
  if (job.role != JobRole::kResponder || job.state != JobState::kAwaitingApproval) {
    return absl::FailedPreconditionError(
        StrCat("job ", id, " is not a peer's offer awaiting approval (it is ",
               JobStateName(job.state), ")"));
  }
  if (approve) {
    LIAISON_ASSIGN_OR_RETURN(Job done, Transition(id, JobState::kQueued, ""));
    Record(AuditKind::kJobApproved, done, actor);
    return done;
  }
  LIAISON_ASSIGN_OR_RETURN(
      Job done,
      Transition(id, JobState::kRefused,
                 RefusalText(kRefuseByAnalyst, reason.empty() ? "refused by an analyst" : reason)));
  Record(AuditKind::kJobRefused, done, actor);
  return done;
}


}  // namespace liaison::node
