#include "node/daemon.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/build_info.h"
#include "base/bytes.h"
#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"
#include "crypto/prng.h"
#include "dp/rational.h"
#include "data/profile.h"
#include "node/home.h"
#include "node/internal/util.h"
#include "node/dp_jobs.h"
#include "node/item_budget.h"
#include "node/job_webhooks.h"
#include "node/peer_protocol.h"
#include "node/schedule.h"
#include "node/webhook.h"
#include "psi/ecdh_psi.h"
#include "psi/rr22_psi.h"
#include "session/dp_result.h"
#include "session/psi_job.h"

namespace liaison::node {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxListedJobs = 100000;
constexpr uint32_t kBusyRetrySeconds = 2;

const data::Profile& NodeProfile() { return data::Profile::V1(); }

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string SessionProtocol(std::string_view protocol) {
  return std::string(protocol == "ecdh" ? psi::EcdhPsi::kProtocolName
                                        : psi::Rr22Psi::kProtocolName);
}

// ParamString reads a string parameter of a stored job ("" if absent).
std::string ParamString(const Job& job, const char* key) {
  Json p = Json::parse(job.params_json, nullptr, /*allow_exceptions=*/false);
  if (!p.is_object()) return "";
  auto it = p.find(key);
  return it != p.end() && it->is_string() ? it->get<std::string>() : "";
}

// DpParamsJson is the "dp" object of a count or sum job's params, with the
// same keys as the offer's (peer_protocol.cc), and DpOfParams reads it back.
Json DpParamsJson(const OfferDp& dp) {
  return Json{{"epsilon", dp.epsilon},
              {"delta", dp.delta},
              {"count_epsilon", dp.count_epsilon},
              {"bounds", dp.bounds},
              {"values", dp.values}};
}

std::optional<OfferDp> DpOfParams(const Job& job) {
  Json p = Json::parse(job.params_json, nullptr, /*allow_exceptions=*/false);
  if (!p.is_object() || !p.contains("dp") || !p["dp"].is_object()) return std::nullopt;
  const Json& d = p["dp"];
  return OfferDp{d.value("epsilon", ""), d.value("delta", ""), d.value("count_epsilon", ""),
                 d.value("bounds", ""), d.value("values", "")};
}

// ChargeJson is how a job's privacy charge appears in its params (and so in
// every audit record of the job).
Json ChargeJson(const PrivacyAmount& a) {
  return Json{{"epsilon", dp::FormatRational(a.epsilon)},
              {"delta", dp::FormatRational(a.delta)}};
}

// RefusalText is how a refusal is recorded in a job's error: "code: reason".
std::string RefusalText(std::string_view code, std::string_view reason) {
  return StrCat(code, ": ", reason);
}

// SplitRefusal undoes RefusalText.
std::pair<std::string, std::string> SplitRefusal(const std::string& error) {
  size_t colon = error.find(": ");
  if (colon == std::string::npos) return {"refused", error};
  return {error.substr(0, colon), error.substr(colon + 2)};
}

absl::Time ParseRfc3339(const std::string& s) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return absl::InfinitePast();
  return t;
}

// MatchedContent is the canonical form of a match result for its
// commitment: "match-v1\n" then the sorted matched keys, each as a u32
// big-endian length and its bytes.
std::string MatchedContent(const session::RecordSet& set, const std::vector<size_t>& matched) {
  std::vector<const std::string*> keys;
  for (size_t i : matched) keys.push_back(&set.keys[i]);
  std::string out = "match-v1\n";
  ForEachSortedKey(std::move(keys), [&](std::string_view piece) { out += piece; });
  return out;
}

// RunOutcome is what one run established, between the verdict and the receipts.
struct RunOutcome {
  session::PsiJobResult psi;
  std::string transcript_hash;
  std::string params_digest;
  std::string result_digest;
  std::string commitment;
  std::string salt_hex;
  std::string content;
  Receipt peer_receipt;
  std::string peer_build;  // as the peer announced it in the offer or verdict
};

}  // namespace

// Runner holds what both roles do once a job has been agreed: the PSI over
// the transcript channel, the commitments and the receipts.
class Daemon::Runner {
 public:
  static absl::StatusOr<RunOutcome> Run(Daemon& d, TranscriptChannel& channel,
                                        const JobOffer& offer, bool initiator,
                                        uint64_t responder_set_size,
                                        const AllianceConfig& alliance,
                                        const session::RecordSet& set,
                                        const std::string& peer_fingerprint,
                                        const std::string& peer_build) {
    session::PsiJobParams params;
    params.protocol = SessionProtocol(offer.protocol);
    params.output = psi::PsiOutput::kIntersection;
    const bool both = offer.result_to == OfferResultTo::kBoth;
    const bool initiator_receives = offer.result_to == OfferResultTo::kInitiator;
    params.result_to = both ? session::ResultTo::kBoth
                       : (initiator_receives == initiator) ? session::ResultTo::kMe
                                                           : session::ResultTo::kPeer;
    params.max_peer_set_size = alliance.max_set_size;
    // The session handshake must announce the build the offer or verdict
    // did (checked against the alliance's require_build already).
    if (!peer_build.empty()) params.require_build = {peer_build};
    params.profile = &NodeProfile();
    // A sum's values come from the side whose dataset names a value column
    // or field; the offer says which (node/dp_jobs.h).
    absl::Span<const int64_t> values;
    if (offer.dp) {
      LIAISON_ASSIGN_OR_RETURN(params.dp, DpSpecOf(offer.question, *offer.dp));
      if (offer.dp->values == (initiator ? "initiator" : "responder")) {
        if (set.key_values.size() != set.keys.size()) {
          return absl::FailedPreconditionError("our dataset was read without its values");
        }
        values = set.key_values;
      }
    }
    crypto::Prng prng = crypto::Prng::FromOsEntropy();
    psi::AggregateNoise noise;
    if (params.dp) {
      LIAISON_ASSIGN_OR_RETURN(noise, psi::AggregateNoise::Draw(*params.dp, prng));
    }
    RunOutcome out;
    out.peer_build = peer_build;
    LIAISON_ASSIGN_OR_RETURN(out.psi, session::RunPsiJob(channel, params, set.keys, prng, values,
                                                         std::move(noise)));
    out.transcript_hash = channel.Seal();

    LIAISON_ASSIGN_OR_RETURN(out.salt_hex, internal::RandomHex(32));
    LIAISON_ASSIGN_OR_RETURN(Bytes salt, FromHex(out.salt_hex));
    if (!out.psi.received) {
      out.content = "none";
    } else if (offer.dp) {
      if (!out.psi.aggregate) return absl::InternalError("a DP job received no aggregate");
      // The canonical content of a DP result is its JSON (no items).
      out.content = session::AggregateJson(*out.psi.aggregate, offer.question).dump();
    } else {
      out.content = MatchedContent(set, out.psi.matched_keys);
    }
    out.commitment = ResultCommitment(salt, out.content);
    LIAISON_ASSIGN_OR_RETURN(std::string theirs, ExchangeCommitments(channel, out.commitment));
    out.result_digest = initiator ? ResultDigest(out.commitment, theirs)
                                  : ResultDigest(theirs, out.commitment);
    const std::string& me = d.identity_.fingerprint();
    const std::string params_json =
        OfferParamsJson(offer, responder_set_size, initiator ? me : peer_fingerprint,
                        initiator ? peer_fingerprint : me,
                        initiator ? peer_build : BuildDigestOrEmpty());
    LIAISON_ASSIGN_OR_RETURN(out.params_digest, ParamsDigest(params_json));
    LIAISON_ASSIGN_OR_RETURN(
        out.peer_receipt,
        ExchangeReceipts(channel, d.identity_, peer_fingerprint, offer.job_id, out.params_digest,
                         out.transcript_hash, out.result_digest));
    return out;
  }

  // Store writes the outcome: the result (receiving side) and the job
  // succeeded in one transaction, then job_succeeded and the receipt.
  static absl::Status Persist(Daemon& d, const Job& job, const LoadedDataset& data,
                            const RunOutcome& out) {
    JobResult result;
    result.job_id = job.id;
    std::vector<size_t> rows;
    const bool aggregate = out.psi.aggregate.has_value();
    if (out.psi.received && aggregate) {
      Json body = Json::parse(out.content);
      body["job_id"] = job.id;
      body["kind"] = "dp-aggregate-v1";
      body["dataset"] = data.info.name;
      body["commitment"] = Json{{"digest", out.commitment}, {"salt", out.salt_hex}};
      body["result_digest"] = out.result_digest;
      result.kind = "dp-aggregate-v1";
      result.body = body.dump();
      result.digest = out.result_digest;
    } else if (out.psi.received) {
      rows = data.set.RecordsOfKeys(out.psi.matched_keys);
      Json items = Json::array();
      for (size_t i : rows) {
        const data::Record& r = data.set.records[i];
        items.push_back(Json{{"line", r.line},
                             {"type", data::TypeName(r.item.type)},
                             {"value", r.item.value}});
      }
      Json body{{"job_id", job.id},
                {"kind", "match-v1"},
                {"dataset", data.info.name},
                {"intersection_size", out.psi.intersection_size},
                {"num_rows", rows.size()},
                {"rows", std::move(items)},
                {"commitment", Json{{"digest", out.commitment}, {"salt", out.salt_hex}}},
                {"result_digest", out.result_digest}};
      result.kind = "match-v1";
      result.body = body.dump();
      result.digest = out.result_digest;
      result.num_rows = static_cast<int64_t>(rows.size());
    }
    AuditContent extra;
    extra.dataset_digests = {data.info.digest};
    extra.profile_digest = NodeProfile().digest();
    extra.transcript_hash = out.transcript_hash;
    extra.result_digest = out.result_digest;
    extra.peer_build = out.peer_build;
    extra.counts = {{"items", static_cast<int64_t>(data.info.num_distinct)},
                    {"peer_items", static_cast<int64_t>(out.psi.agreed.peer.set_size)},
                    {"bytes_sent", static_cast<int64_t>(out.psi.bytes_sent)},
                    {"bytes_received", static_cast<int64_t>(out.psi.bytes_received)}};
    if (out.psi.received && !aggregate) {
      extra.counts["intersection"] = static_cast<int64_t>(out.psi.intersection_size);
      extra.counts["matched_rows"] = static_cast<int64_t>(rows.size());
    }
    JobChangeHook observers = d.ObserverHook(extra.counts, extra.result_digest);
    JobChangeHook hook = observers;
    if (!aggregate && out.psi.received && out.psi.agreed.peer_receives) {
      // Both learned the intersection: what the peer learned of ours is
      // exactly it, so it replaces the worst case reserved in the item
      // budget (node/item_budget.h).
      hook = [&out, &data, observers](internal::Db& db, const Job& j) -> absl::Status {
        std::vector<const std::string*> keys;
        for (size_t k : out.psi.matched_keys) keys.push_back(&data.set.keys[k]);
        LIAISON_RETURN_IF_ERROR(RecordRevealedIn(db, j.id, keys));
        return observers ? observers(db, j) : absl::OkStatus();
      };
    }
    LIAISON_ASSIGN_OR_RETURN(Job done, d.store_->FinishJob(result, hook));
    d.Notify(done);
    d.Record(AuditKind::kJobSucceeded, done, job.actor, &extra);
    AuditContent receipt;
    receipt.receipt = out.peer_receipt;
    receipt.transcript_hash = out.transcript_hash;
    receipt.result_digest = out.result_digest;
    receipt.peer_build = out.peer_build;
    d.Record(AuditKind::kReceipt, done, ActorForPeer(out.peer_receipt.peer_fingerprint),
             &receipt);
    return absl::OkStatus();
  }
};

Daemon::Daemon(const DaemonOptions& options, Config config, net::Identity identity,
               std::unique_ptr<Store> store)
    : options_(options),
      config_(std::move(config)),
      identity_(std::move(identity)),
      store_(std::move(store)),
      audit_(*store_, identity_),
      observers_(options_.observers),
      retry_jitter_(std::random_device{}()) {}

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(const DaemonOptions& options) {
  LIAISON_ASSIGN_OR_RETURN(Config config, LoadConfig(HomePath(options.home, kConfigFile)));
  LIAISON_ASSIGN_OR_RETURN(net::Identity identity, net::Identity::Load(options.home));
  LIAISON_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                           Store::Open(HomePath(options.home, kStoreFile), {}));
  std::unique_ptr<Daemon> d(
      new Daemon(options, std::move(config), std::move(identity), std::move(store)));
  // The dispatcher exists before the recovery so that the jobs it fails are
  // notified; it starts delivering once the node is up.
  if (!d->config_.webhooks.empty()) {
    WebhookDispatcher::Options wo;
    wo.node_name = d->config_.node.name;
    LIAISON_ASSIGN_OR_RETURN(d->webhooks_,
                             WebhookDispatcher::Create(*d->store_, d->audit_, d->config_.webhooks,
                                                       d->clock(), wo));
    d->job_webhooks_ = std::make_unique<JobWebhooks>(*d->webhooks_);
    d->observers_.push_back(d->job_webhooks_.get());
  }
  LIAISON_RETURN_IF_ERROR(d->Recover());

  AuditEvent loaded;
  loaded.kind = AuditKind::kConfigLoaded;
  loaded.actor = kActorNode;
  loaded.params_json =
      Json{{"node", d->config_.node.name},
           {"software_version", kVersion},
           {"peers", static_cast<int64_t>(d->config_.peers.size())},
           {"alliances", static_cast<int64_t>(d->config_.alliances.size())},
           {"datasets", static_cast<int64_t>(d->config_.datasets.size())}}
          .dump();
  LIAISON_RETURN_IF_ERROR(d->audit_.Append(loaded).status());

  if (!d->config_.peers.empty()) {
    LIAISON_ASSIGN_OR_RETURN(net::HostPort hp, net::ParseHostPort(d->config_.node.peer_listen));
    net::TlsOptions tls;
    tls.identity = &d->identity_;
    for (const auto& [name, peer] : d->config_.peers) tls.peer_fingerprints.push_back(peer.fingerprint);
    tls.io_timeout = options.peer_io_timeout;
    LIAISON_ASSIGN_OR_RETURN(d->listener_, net::TlsListener::Listen(hp.host, hp.port, tls));
    d->peer_port_ = d->listener_->port();
    d->listen_thread_ = std::thread([p = d.get()] { p->ListenLoop(); });
  }
  for (uint32_t i = 0; i < d->config_.node.max_concurrent_jobs; ++i) {
    d->workers_.emplace_back([p = d.get()] { p->WorkerLoop(); });
  }
  if (d->webhooks_ != nullptr) LIAISON_RETURN_IF_ERROR(d->webhooks_->Start());
  LIAISON_RETURN_IF_ERROR(d->StartSchedules());
  return d;
}

JobSubmission ScheduledSubmission(const JobTemplate& job, std::string_view idempotency_key) {
  JobSubmission s;
  s.alliance = job.alliance;
  s.peer = job.peer;
  s.question = std::string(QuestionName(job.question));
  s.protocol = job.protocol;
  s.dataset = job.dataset;
  s.result_to = job.result_to;
  s.dp = job.dp;
  s.idempotency_key = std::string(idempotency_key);
  return s;
}

absl::Status Daemon::StartSchedules() {
  if (config_.schedules.empty()) return absl::OkStatus();
  std::vector<ScheduleConfig> schedules;
  for (const auto& [name, s] : config_.schedules) schedules.push_back(s);
  SubmitJobFn submit = [this](const JobTemplate& t, std::string_view idempotency_key,
                              std::string_view actor) -> absl::StatusOr<std::string> {
    LIAISON_ASSIGN_OR_RETURN(CreateJobResult created,
                             SubmitJob(ScheduledSubmission(t, idempotency_key), actor));
    return created.job.id;
  };
  scheduler_ = std::make_unique<Scheduler>(*store_, audit_, std::move(schedules),
                                           std::move(submit), clock(), webhooks_.get());
  return scheduler_->Start();
}

Daemon::~Daemon() {
  Shutdown();
  if (listen_thread_.joinable()) listen_thread_.join();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

absl::Status Daemon::Recover() {
  LIAISON_ASSIGN_OR_RETURN(std::vector<Job> jobs, store_->ListJobs(kMaxListedJobs, std::nullopt));
  std::reverse(jobs.begin(), jobs.end());  // oldest first
  for (const Job& job : jobs) {
    if (job.state == JobState::kRunning || job.state == JobState::kAwaitingPeer) {
      Finalize(job, JobState::kFailed, "node restarted while the job was in progress",
               kActorNode);
    } else if (job.state == JobState::kQueued && job.role == JobRole::kInitiator) {
      tasks_.push_back({absl::Now(), job.id});
    }
  }
  return absl::OkStatus();
}

const PeerConfig* Daemon::PeerByName(std::string_view name) const {
  auto it = config_.peers.find(std::string(name));
  return it == config_.peers.end() ? nullptr : &it->second;
}

const PeerConfig* Daemon::PeerByFingerprint(std::string_view fingerprint) const {
  for (const auto& [name, peer] : config_.peers) {
    if (peer.fingerprint == fingerprint) return &peer;
  }
  return nullptr;
}

void Daemon::Notify(const Job& job) {
  for (JobEvents* o : observers_) o->OnJobChanged(job);
}

JobChangeHook Daemon::ObserverHook(std::map<std::string, int64_t> counts,
                                   std::string result_digest) {
  if (observers_.empty()) return nullptr;
  return [this, counts = std::move(counts), digest = std::move(result_digest)](
             internal::Db& db, const Job& job) -> absl::Status {
    JobChange change{job, counts, digest};
    for (JobEvents* o : observers_) LIAISON_RETURN_IF_ERROR(o->OnJobChangeIn(db, change));
    return absl::OkStatus();
  };
}

absl::StatusOr<Job> Daemon::Transition(std::string_view id, JobState to, std::string_view error) {
  LIAISON_ASSIGN_OR_RETURN(Job job, store_->TransitionJob(id, to, error, ObserverHook()));
  Notify(job);
  return job;
}

AuditEvent Daemon::AuditEventOf(AuditKind kind, const Job& job, std::string_view actor,
                                const AuditContent* extra) {
  AuditEvent e;
  if (extra != nullptr) static_cast<AuditContent&>(e) = *extra;
  e.kind = kind;
  e.actor = std::string(actor);
  e.job_id = job.id;
  e.alliance = job.alliance;
  e.peer = job.peer;
  e.question = job.question;
  e.protocol = job.protocol;
  e.params_json = job.params_json;
  if (!job.error.empty() && kind != AuditKind::kReceipt) {
    Json p = Json::parse(job.params_json, nullptr, false);
    if (p.is_object()) {
      p["role"] = JobRoleName(job.role);
      p["reason"] = job.error;
      e.params_json = p.dump();
    }
  }
  return e;
}

void Daemon::Record(AuditKind kind, const Job& job, std::string_view actor,
                    const AuditContent* extra) {
  absl::StatusOr<AuditRecord> r = audit_.Append(AuditEventOf(kind, job, actor, extra));
  if (!r.ok()) {
    Log(LogLevel::kError, StrCat("audit record for job ", job.id, " failed: ",
                                 r.status().ToString()));
  }
}

void Daemon::Finalize(const Job& job, JobState to, std::string_view error,
                      std::string_view actor, const AuditContent* extra) {
  absl::StatusOr<Job> done = Transition(job.id, to, error);
  if (!done.ok()) {
    Log(LogLevel::kWarning, StrCat("job ", job.id, ": ", done.status().ToString()));
    return;
  }
  Record(to == JobState::kRefused ? AuditKind::kJobRefused : AuditKind::kJobFailed, *done, actor,
         extra);
}

bool Daemon::BeginActive(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.insert(job_id).second;
}

void Daemon::EndActive(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  active_.erase(job_id);
  cv_.notify_all();
}

// --- submitting and deciding -------------------------------------------------

absl::StatusOr<CreateJobResult> Daemon::SubmitJob(const JobSubmission& s,
                                                  std::string_view actor) {
  auto a = config_.alliances.find(s.alliance);
  if (a == config_.alliances.end()) {
    return absl::NotFoundError(StrCat("no alliance ", s.alliance));
  }
  const AllianceConfig& alliance = a->second;
  if (PeerByName(s.peer) == nullptr) return absl::NotFoundError(StrCat("no peer ", s.peer));
  if (!Contains(alliance.members, s.peer)) {
    return absl::PermissionDeniedError(
        StrCat(s.peer, " is not a member of alliance ", s.alliance));
  }
  if (s.question != "match") {
    bool allowed = false;
    for (Question q : alliance.questions) allowed |= QuestionName(q) == s.question;
    if (!allowed && (s.question == "count" || s.question == "sum")) {
      return absl::PermissionDeniedError(
          StrCat("alliance ", s.alliance, " does not allow the question ", s.question));
    }
    if (!allowed) return absl::InvalidArgumentError(StrCat("unknown question ", s.question));
  } else {
    bool allowed = false;
    for (Question q : alliance.questions) allowed |= q == Question::kMatch;
    if (!allowed) {
      return absl::PermissionDeniedError(
          StrCat("alliance ", s.alliance, " does not allow the question match"));
    }
  }
  if (s.protocol != "rr22" && s.protocol != "ecdh") {
    return absl::InvalidArgumentError(
        StrCat("unknown protocol \"", s.protocol, "\" (rr22 or ecdh)"));
  }
  if (!Contains(alliance.protocols, s.protocol)) {
    return absl::PermissionDeniedError(
        StrCat("alliance ", s.alliance, " does not allow the protocol ", s.protocol));
  }
  if (config_.datasets.count(s.dataset) == 0) {
    return absl::NotFoundError(StrCat("no dataset \"", s.dataset, "\""));
  }
  auto mapped = alliance.datasets.find(s.peer);
  if (mapped == alliance.datasets.end() || !Contains(mapped->second, s.dataset)) {
    return absl::PermissionDeniedError(StrCat("alliance ", s.alliance, " does not allow dataset ",
                                              s.dataset, " in jobs with ", s.peer));
  }
  if (!s.peer_dataset.empty() && !IsValidName(s.peer_dataset)) {
    return absl::InvalidArgumentError("peer_dataset is not a valid name");
  }
  if (s.result_to != "me" && s.result_to != "peer" && s.result_to != "both") {
    return absl::InvalidArgumentError("result_to must be me, peer or both");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::UnavailableError("the node is shutting down");
  }
  Json params{{"dataset", s.dataset}, {"peer_dataset", s.peer_dataset},
               {"result_to", s.result_to}};
  JobChangeHook reserve;
  LIAISON_ASSIGN_OR_RETURN(
      std::optional<JobDp> dp,
      JobDpOf(s.question, s.protocol, s.result_to, config_.datasets.at(s.dataset), s.dp));
  if (dp) {
    LIAISON_ASSIGN_OR_RETURN(PrivacyAmount budget, BudgetOf(alliance));
    const PrivacyAmount charge = PrivacyChargeOf(dp->spec, s.result_to != "me");
    params["dp"] = DpParamsJson(dp->offer);
    params["privacy_charge"] = ChargeJson(charge);
    if (charge.epsilon > 0) {
      reserve = [key = LedgerKey{s.alliance, s.peer, s.dataset}, charge, budget](
                    internal::Db& db, const Job& job) -> absl::Status {
        return ReserveIn(db, key, job.id, charge, budget).status();
      };
    }
  }
  JobRequest r;
  r.idempotency_key = s.idempotency_key;
  r.alliance = s.alliance;
  r.peer = s.peer;
  r.question = s.question;
  r.protocol = s.protocol;
  r.params_json = params.dump();
  r.actor = std::string(actor);
  absl::StatusOr<CreateJobResult> attempt = store_->CreateJob(r, reserve);
  if (absl::IsResourceExhausted(attempt.status())) {
    RecordRefusedSubmission(
        r, RefusalText(kRefusePrivacyBudget, std::string(attempt.status().message())));
  }
  LIAISON_ASSIGN_OR_RETURN(CreateJobResult created, std::move(attempt));
  if (created.created) {
    Notify(created.job);
    Record(AuditKind::kJobOffered, created.job, actor);
    Enqueue(created.job.id, absl::Now());
  }
  return created;
}

void Daemon::RecordRefusedSubmission(const JobRequest& r, std::string_view error) {
  // Nothing was created, so the job has no id; the refusal is still on the
  // record, and the observers (webhooks) hear of it as of a job refused at
  // once, in the same transaction as the audit record.
  absl::StatusOr<Job> would_be = JobFromRequest(r);
  if (!would_be.ok()) {
    Log(LogLevel::kError, StrCat("a refused job of ", r.actor, ": ", would_be.status().ToString()));
    return;
  }
  Job refused = *std::move(would_be);
  refused.state = JobState::kRefused;
  refused.error = std::string(error);
  const AuditEvent event = AuditEventOf(AuditKind::kJobRefused, refused, r.actor);
  const JobChangeHook observers = ObserverHook();
  absl::Status written = store_->Write([&](internal::Db& db) -> absl::Status {
    LIAISON_RETURN_IF_ERROR(audit_.AppendIn(db, event).status());
    return observers ? observers(db, refused) : absl::OkStatus();
  });
  if (!written.ok()) {
    Log(LogLevel::kError, StrCat("the refusal of a job of ", r.actor, " could not be recorded: ",
                                 written.ToString()));
    return;
  }
  Notify(refused);
}

absl::StatusOr<Job> Daemon::CancelJob(std::string_view id, std::string_view actor) {
  LIAISON_ASSIGN_OR_RETURN(Job job, store_->GetJob(id));
  if (job.state == JobState::kRunning) {
    return absl::FailedPreconditionError(
        StrCat("job ", id, " is running; a running job cannot be cancelled"));
  }
  LIAISON_ASSIGN_OR_RETURN(Job done, Transition(id, JobState::kCancelled, ""));
  Record(AuditKind::kJobCancelled, done, actor);
  return done;
}

absl::StatusOr<std::vector<Job>> Daemon::ListOffers() {
  LIAISON_ASSIGN_OR_RETURN(std::vector<Job> jobs,
                           store_->ListJobs(kMaxListedJobs, JobState::kAwaitingApproval));
  std::vector<Job> out;
  const absl::Duration timeout = absl::Seconds(config_.node.approval_timeout_seconds);
  for (Job& job : jobs) {
    if (job.role != JobRole::kResponder) continue;
    if (ParseRfc3339(job.created) + timeout < absl::Now()) {
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

absl::StatusOr<DatasetInfo> Daemon::RereadDataset(const std::string& name) {
  auto it = config_.datasets.find(name);
  if (it == config_.datasets.end()) return absl::NotFoundError(StrCat("no dataset \"", name, "\""));
  LIAISON_ASSIGN_OR_RETURN(LoadedDataset data, LoadDataset(it->second, NodeProfile()));
  catalog_.Remember(data.info);
  return data.info;
}

// --- the executor ------------------------------------------------------------

void Daemon::Enqueue(std::string job_id, absl::Time not_before, uint32_t connect_attempts) {
  std::lock_guard<std::mutex> lock(mu_);
  tasks_.push_back({not_before, std::move(job_id), connect_attempts});
  cv_.notify_all();
}

absl::Duration Daemon::RetryDelay(uint32_t attempts) {
  const NodeSection& n = config_.node;
  // initial * 2^(attempts-1), capped; the shift is bounded so it cannot
  // overflow (2^20 s is past any cap).
  const uint32_t doublings = std::min<uint32_t>(attempts > 0 ? attempts - 1 : 0, 20);
  const int64_t ceiling_ms =
      std::min<int64_t>(int64_t{n.peer_retry_initial_seconds} << doublings,
                        n.peer_retry_max_seconds) *
      1000;
  std::lock_guard<std::mutex> lock(mu_);
  std::uniform_int_distribution<int64_t> jitter(ceiling_ms / 2, ceiling_ms);
  return absl::Milliseconds(jitter(retry_jitter_));
}

void Daemon::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stopping_) return;
    auto due = std::min_element(tasks_.begin(), tasks_.end(), [](const Task& a, const Task& b) {
      return a.not_before < b.not_before;
    });
    if (due == tasks_.end()) {
      cv_.wait(lock);
      continue;
    }
    const absl::Time now = absl::Now();
    if (due->not_before > now) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(due->not_before - now));
      continue;
    }
    Task task = *due;
    tasks_.erase(due);
    if (!active_.insert(task.job_id).second) continue;
    lock.unlock();
    RunInitiator(task);
    lock.lock();
    active_.erase(task.job_id);
    cv_.notify_all();
  }
}

void Daemon::RunInitiator(const Task& task) {
  absl::StatusOr<Job> got = store_->GetJob(task.job_id);
  if (!got.ok()) return;
  Job job = *std::move(got);
  if (job.state != JobState::kQueued && job.state != JobState::kAwaitingPeer) return;
  const std::string dataset_name = ParamString(job, "dataset");
  const std::string result_to = ParamString(job, "result_to");
  // peer_audit names the responder's build in our records once its verdict
  // announced it.
  AuditContent peer_audit;
  auto fail = [&](JobState to, std::string_view error) {
    Finalize(job, to, error, job.actor, &peer_audit);
  };
  auto a = config_.alliances.find(job.alliance);
  const PeerConfig* peer = PeerByName(job.peer);
  auto ds = config_.datasets.find(dataset_name);
  if (a == config_.alliances.end() || peer == nullptr || ds == config_.datasets.end()) {
    return fail(JobState::kFailed, "the alliance, peer or dataset is no longer configured");
  }
  const AllianceConfig& alliance = a->second;
  absl::StatusOr<LoadedDataset> data = LoadDataset(ds->second, NodeProfile());
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
      absl::Now()) {
    return fail(JobState::kFailed, "the peer did not approve the job in time");
  }

  absl::StatusOr<net::HostPort> hp = net::ParseHostPort(peer->address);
  if (!hp.ok()) return fail(JobState::kFailed, std::string(hp.status().message()));
  net::TlsOptions tls;
  tls.identity = &identity_;
  tls.peer_fingerprint = peer->fingerprint;
  tls.connect_timeout = absl::Seconds(config_.node.peer_connect_timeout_seconds);
  tls.io_timeout = options_.peer_io_timeout;
  absl::StatusOr<std::unique_ptr<net::Channel>> ch = net::TlsConnect(hp->host, hp->port, tls);
  if (!ch.ok()) {
    const std::string why(ch.status().message());
    const bool transient = absl::IsUnavailable(ch.status()) ||
                           absl::IsDeadlineExceeded(ch.status());
    if (!transient) return fail(JobState::kFailed, StrCat("peer connection failed: ", why));
    const uint32_t attempts = task.connect_attempts + 1;
    const uint32_t limit = config_.node.peer_retry_attempts;
    if (attempts >= limit) {
      return fail(JobState::kFailed,
                  StrCat("peer unreachable after ", attempts, " attempts: ", why));
    }
    const absl::Duration delay = RetryDelay(attempts);
    absl::StatusOr<Job> noted = store_->NoteJobError(
        job.id, StrCat("peer unreachable (attempt ", attempts, " of ", limit, "): ", why,
                       "; next attempt in ",
                       absl::ToInt64Seconds(absl::Ceil(delay, absl::Seconds(1))), " s"));
    if (!noted.ok()) return;  // cancelled meanwhile
    Notify(*noted);
    Log(LogLevel::kInfo, StrCat("job ", job.id, ": peer ", peer->name, " unreachable (attempt ",
                                attempts, " of ", limit, ")"));
    return Enqueue(job.id, absl::Now() + delay, attempts);
  }
  TranscriptChannel channel(**ch, /*initiator=*/true);

  JobOffer offer;
  offer.job_id = job.id;
  offer.alliance = job.alliance;
  offer.question = job.question;
  offer.protocol = job.protocol;
  offer.result_to = result_to == "peer"   ? OfferResultTo::kResponder
                    : result_to == "both" ? OfferResultTo::kBoth
                                          : OfferResultTo::kInitiator;
  offer.set_size = data->info.num_distinct;
  offer.peer_dataset = ParamString(job, "peer_dataset");
  offer.profile_name = std::string(NodeProfile().name());
  offer.profile_version = static_cast<uint32_t>(NodeProfile().version());
  offer.profile_digest = NodeProfile().digest();
  offer.software_version = kVersion;
  offer.dp = DpOfParams(job);

  absl::Status sent = SendOffer(channel, offer);
  absl::StatusOr<Verdict> verdict =
      sent.ok() ? RecvVerdict(channel) : absl::StatusOr<Verdict>(sent);
  if (!verdict.ok()) {
    return fail(JobState::kFailed, StrCat("offer failed: ", std::string(verdict.status().message())));
  }
  peer_audit.peer_build = verdict->build;
  if (verdict->kind == VerdictKind::kRefuse) {
    return fail(JobState::kRefused, RefusalText(verdict->code, verdict->reason));
  }
  if (verdict->kind == VerdictKind::kPending) {
    channel.Close();
    uint32_t wait = verdict->code == "busy" ? std::max<uint32_t>(1, verdict->retry_after_seconds)
                                            : config_.node.approval_poll_seconds;
    Enqueue(job.id, absl::Now() + absl::Seconds(wait));
    return;
  }
  // Accepted: the responder's set size must be within our bounds too.
  size = SetSizeRefusal(alliance, verdict->set_size, "the responder's");
  if (!size.empty()) {
    Go abort{false, kRefuseSetSize, size};
    (void)SendGo(channel, abort);
    channel.Close();
    return fail(JobState::kRefused, RefusalText(kRefuseSetSize, size));
  }
  // And its build must be one our alliance requires, before anything is
  // reserved or any protocol message sent.
  std::string build = BuildRefusal(alliance, verdict->build, "the responder's");
  if (!build.empty()) {
    Go abort{false, kRefuseBuildNotAllowed, build};
    (void)SendGo(channel, abort);
    channel.Close();
    return fail(JobState::kRefused, RefusalText(kRefuseBuildNotAllowed, build));
  }
  if (job.question == "match" && ItemBudgetApplies(alliance)) {
    // Our item budget, now that the responder's set size is known and
    // before any protocol message (node/item_budget.h).
    const uint64_t revealed_worst =
        result_to == "me" ? 0 : std::min<uint64_t>(data->info.num_distinct, verdict->set_size);
    absl::Status reserved = store_->Write([&](internal::Db& db) {
      return ReserveItemsIn(db, alliance, peer->name, job.id, verdict->set_size, revealed_worst);
    });
    if (!reserved.ok()) {
      const std::string why(reserved.message());
      const bool exhausted = absl::IsResourceExhausted(reserved);
      Go abort{false, exhausted ? kRefuseItemBudget : "failed",
               exhausted ? why : "the initiator could not record the job"};
      (void)SendGo(channel, abort);
      channel.Close();
      return exhausted ? fail(JobState::kRefused, RefusalText(kRefuseItemBudget, why))
                       : fail(JobState::kFailed, reserved.ToString());
    }
  }
  absl::StatusOr<Job> running = Transition(job.id, JobState::kRunning, "");
  if (!running.ok()) {
    Go abort{false, "cancelled", "the initiator cancelled the job"};
    (void)SendGo(channel, abort);
    channel.Close();
    return;
  }
  job = *std::move(running);
  absl::Status go = SendGo(channel, Go{});
  AuditContent started;
  started.dataset_digests = {data->info.digest};
  started.profile_digest = NodeProfile().digest();
  started.counts = {{"items", static_cast<int64_t>(data->info.num_distinct)},
                    {"peer_items", static_cast<int64_t>(verdict->set_size)}};
  started.peer_build = verdict->build;
  Record(AuditKind::kJobStarted, job, job.actor, &started);
  absl::StatusOr<RunOutcome> out =
      go.ok() ? Runner::Run(*this, channel, offer, /*initiator=*/true, verdict->set_size,
                            alliance, data->set, peer->fingerprint, verdict->build)
              : absl::StatusOr<RunOutcome>(go);
  channel.Close();
  absl::Status stored = out.ok() ? Runner::Persist(*this, job, *data, *out) : out.status();
  if (!stored.ok()) {
    fail(JobState::kFailed, stored.ToString());
  }
}

// --- the responder -----------------------------------------------------------

void Daemon::ListenLoop() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    std::string fingerprint;
    absl::StatusOr<std::unique_ptr<net::Channel>> ch =
        listener_->Accept(absl::Milliseconds(200), &fingerprint);
    if (!ch.ok()) {
      if (ch.status().code() != absl::StatusCode::kDeadlineExceeded) {
        Log(LogLevel::kWarning, StrCat("refused a peer connection: ", std::string(ch.status().message())));
      }
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    ++connections_;
    std::thread([this, c = *std::move(ch), fp = std::move(fingerprint)]() mutable {
      ServeConnection(std::move(c), std::move(fp));
      std::lock_guard<std::mutex> lock(mu_);
      --connections_;
      cv_.notify_all();
    }).detach();
  }
}

void Daemon::ServeConnection(std::unique_ptr<net::Channel> raw, std::string peer_fingerprint) {
  const PeerConfig* peer = PeerByFingerprint(peer_fingerprint);
  if (peer == nullptr) return;
  TranscriptChannel channel(*raw, /*initiator=*/false);
  absl::StatusOr<JobOffer> offer = RecvOffer(channel);
  if (!offer.ok()) {
    Log(LogLevel::kWarning, StrCat("bad offer from ", peer->name, ": ", std::string(offer.status().message())));
    return;
  }
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
  // The policy is checked on every offer, the first and any repeated one
  // (the config is the same, but an approved job must still fit it).
  PolicyDecision decision = CheckOfferPolicy(config_, *peer, *offer, NodeProfile());
  std::optional<LoadedDataset> data;
  if (decision.refusal_code.empty()) {
    absl::StatusOr<LoadedDataset> loaded =
        LoadDataset(config_.datasets.at(decision.dataset), NodeProfile());
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
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ || static_cast<uint32_t>(connections_) > config_.node.max_concurrent_jobs) {
        Verdict v;
        v.kind = VerdictKind::kPending;
        v.code = "busy";
        v.reason = "the node is busy; ask again shortly";
        v.retry_after_seconds = kBusyRetrySeconds;
        (void)SendVerdict(channel, v);
        return;
      }
    }
    JobRequest r;
    r.alliance = offer->alliance;
    r.peer = peer->name;
    r.question = offer->question;
    r.protocol = offer->protocol;
    r.actor = actor;
    Json params{{"dataset", decision.dataset},
                {"peer_dataset", offer->peer_dataset},
                {"result_to", OfferResultToName(offer->result_to)},
                {"initiator_set_size", offer->set_size}};
    // A count or sum whose initiator receives reserves our privacy cost in
    // the transaction that admits the offer (node/dp_jobs.h).
    std::optional<PrivacyAmount> charge, budget;
    if (offer->dp && decision.refusal_code.empty()) {
      absl::StatusOr<psi::DpAggregateSpec> spec = DpSpecOf(offer->question, *offer->dp);
      absl::StatusOr<PrivacyAmount> b = BudgetOf(*decision.alliance);
      if (spec.ok() && b.ok()) {
        charge = PrivacyChargeOf(*spec, offer->result_to != OfferResultTo::kResponder);
        budget = *b;
        params["dp"] = DpParamsJson(*offer->dp);
        params["privacy_charge"] = ChargeJson(*charge);
      } else {
        decision.refusal_code = kRefuseDpParameters;
        decision.reason = std::string((spec.ok() ? b.status() : spec.status()).message());
      }
    }
    r.params_json = params.dump();
    const bool manual =
        decision.alliance != nullptr && decision.alliance->approval == Approval::kManual;
    const uint32_t per_hour = decision.alliance ? decision.alliance->jobs_per_hour_per_peer : 0;
    // Match jobs under an item budget reserve the initiator's set size and,
    // if it receives, the worst case of our items it can learn.
    const bool items = offer->question == "match" && decision.refusal_code.empty() &&
                       ItemBudgetApplies(*decision.alliance);
    const uint64_t revealed_worst =
        offer->result_to == OfferResultTo::kResponder
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
            LIAISON_RETURN_IF_ERROR(
                ReserveIn(db, LedgerKey{offer->alliance, peer->name, decision.dataset}, j.id,
                          *charge, *budget)
                    .status());
          }
          if (j.state != JobState::kRefused && items) {
            exhausted = kRefuseItemBudget;
            LIAISON_RETURN_IF_ERROR(ReserveItemsIn(db, *decision.alliance, peer->name, j.id,
                                                   offer->set_size, revealed_worst));
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
      Log(LogLevel::kError, StrCat("recording an offer failed: ", admitted.status().ToString()));
      return refuse(kRefuseDuplicateJob, "the offer could not be recorded");
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
    job = *std::move(existing);
    if (job.alliance != offer->alliance || job.question != offer->question ||
        job.protocol != offer->protocol ||
        ParamString(job, "result_to") != OfferResultToName(offer->result_to) ||
        ParamString(job, "peer_dataset") != offer->peer_dataset) {
      return refuse(kRefuseDuplicateJob, "this job id was offered with other parameters");
    }
    if (job.state == JobState::kRefused) {
      auto [code, reason] = SplitRefusal(job.error);
      return refuse(code, reason);
    }
    if (job.state == JobState::kCancelled) {
      return refuse(kRefuseByAnalyst, "the offer was cancelled here");
    }
    if (job.state == JobState::kAwaitingApproval &&
        ParseRfc3339(job.created) + absl::Seconds(config_.node.approval_timeout_seconds) <
            absl::Now()) {
      Finalize(job, JobState::kRefused,
               RefusalText(kRefuseApprovalExpired, "no analyst decided in time"), kActorNode,
               &peer_audit);
      return refuse(kRefuseApprovalExpired, "no analyst decided in time");
    }
    if (job.state != JobState::kAwaitingApproval && job.state != JobState::kQueued) {
      return refuse(kRefuseDuplicateJob,
                    StrCat("this job is already ", JobStateName(job.state), " here"));
    }
    if (!decision.refusal_code.empty()) {
      Finalize(job, JobState::kRefused, RefusalText(decision.refusal_code, decision.reason), actor,
               &peer_audit);
      return refuse(decision.refusal_code, decision.reason);
    }
  }
  if (job.state == JobState::kAwaitingApproval) {
    Verdict v;
    v.kind = VerdictKind::kPending;
    v.code = "awaiting_approval";
    v.reason = "an analyst of this node must approve the job";
    v.retry_after_seconds = config_.node.approval_poll_seconds;
    (void)SendVerdict(channel, v);
    return;
  }

  // Accepted (automatically, or approved earlier).
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
  AuditContent started;
  started.dataset_digests = {data->info.digest};
  started.profile_digest = NodeProfile().digest();
  started.counts = {{"items", static_cast<int64_t>(data->info.num_distinct)},
                    {"peer_items", static_cast<int64_t>(offer->set_size)}};
  started.peer_build = offer->build;
  Record(AuditKind::kJobStarted, job, actor, &started);
  absl::StatusOr<RunOutcome> out =
      Runner::Run(*this, channel, *offer, /*initiator=*/false, data->info.num_distinct,
                  *decision.alliance, data->set, peer->fingerprint, offer->build);
  channel.Close();
  absl::Status stored = out.ok() ? Runner::Persist(*this, job, *data, *out) : out.status();
  if (!stored.ok()) Finalize(job, JobState::kFailed, stored.ToString(), actor, &peer_audit);
  EndActive(job.id);
}

// --- shutdown ------------------------------------------------------------------

int Daemon::Shutdown() {
  // The scheduler first, so that no run is submitted into a stopping node
  // (which would report it missed with submit_failed).
  if (scheduler_ != nullptr) scheduler_->Stop();
  std::unique_lock<std::mutex> lock(mu_);
  if (shut_down_) return abandoned_;
  shut_down_ = true;
  stopping_ = true;
  cv_.notify_all();
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::seconds(config_.node.shutdown_grace_seconds);
  cv_.wait_until(lock, deadline, [&] { return active_.empty() && connections_ == 0; });
  std::vector<std::string> left(active_.begin(), active_.end());
  abandoned_ = static_cast<int>(left.size()) + connections_;
  lock.unlock();
  for (const std::string& id : left) {
    absl::StatusOr<Job> job = store_->GetJob(id);
    if (job.ok() && !IsFinal(job->state)) {
      Finalize(*job, JobState::kFailed, "node shutting down", kActorNode);
    }
  }
  if (listen_thread_.joinable()) listen_thread_.join();
  if (abandoned_ == 0) {
    for (std::thread& t : workers_) {
      if (t.joinable()) t.join();
    }
  }
  // Last, so that the failures above are enqueued (and, if the receiver is
  // quick, delivered); what is left waits in the outbox for the next start.
  if (webhooks_ != nullptr) webhooks_->Stop();
  return abandoned_;
}

}  // namespace liaison::node
