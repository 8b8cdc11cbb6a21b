#include "node/rest_api.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/escape.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"
#include "net/host_port.h"
#include "node/clock.h"
#include "dp/rational.h"
#include "node/openapi.h"
#include "node/privacy_ledger.h"
#include "node/schedule.h"
#include "node/webhook.h"

namespace liaison::node {
namespace {

using Json = nlohmann::json;

constexpr size_t kDefaultListLimit = 100;
constexpr size_t kMaxListLimit = 1000;

std::string CodeName(absl::StatusCode code) { return absl::StatusCodeToString(code); }

void SendJson(net::HttpResponse& res, int http_status, const Json& body) {
  res.status = http_status;
  res.content_type = "application/json";
  res.body = body.dump();
}

net::HttpResponse ErrorJson(int http_status, absl::StatusCode code, std::string_view message) {
  net::HttpResponse res;
  SendJson(res, http_status,
           Json{{"error", Json{{"code", CodeName(code)}, {"message", std::string(message)}}}});
  return res;
}

net::HttpResponse ErrorJson(const absl::Status& status) {
  return ErrorJson(HttpStatusFor(status.code()), status.code(), std::string(status.message()));
}

// Authorize checks the bearer key of a request's head.
absl::StatusOr<ApiKey> Authorize(Store& store, const net::HttpRequest& req) {
  const std::string header = req.Header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) {
    return absl::UnauthenticatedError("an API key is required (Authorization: Bearer <key>)");
  }
  return store.AuthenticateApiKey(std::string_view(header).substr(kBearer.size()));
}

// Split splits a path into its segments ("/v1/jobs/x" is v1, jobs, x).
std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path[0] != '/') return out;
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

Json JobJson(const Job& job) {
  Json params = Json::parse(job.params_json, nullptr, /*allow_exceptions=*/false);
  if (params.is_discarded()) params = Json::object();
  Json j{{"id", job.id},
         {"role", JobRoleName(job.role)},
         {"state", JobStateName(job.state)},
         {"alliance", job.alliance},
         {"peer", job.peer},
         {"question", job.question},
         {"protocol", job.protocol},
         {"params", std::move(params)},
         {"actor", job.actor},
         {"created", job.created},
         {"updated", job.updated}};
  if (!job.error.empty() && !IsFinal(job.state)) {
    // A job still in progress with a note: why its last attempt failed.
    j["last_error"] = job.error;
  } else if (!job.error.empty()) {
    j["reason"] = job.error;
    size_t colon = job.error.find(": ");
    if (job.state == JobState::kRefused && colon != std::string::npos) {
      j["refusal_code"] = job.error.substr(0, colon);
    }
  }
  return j;
}

Json DatasetJson(const DatasetConfig& d, const DatasetInfo& info) {
  Json j{{"name", d.name}, {"format", data::FormatName(d.format)}, {"tlp", TlpName(d.tlp)}};
  if (!info.digest.empty()) {
    j["digest"] = info.digest;
    j["num_records"] = info.num_records;
    j["num_distinct"] = info.num_distinct;
    j["num_rejected"] = info.num_rejected;
    j["read_at"] = info.read_at;
  }
  return j;
}

Json AllianceJson(const AllianceConfig& a) {
  Json questions = Json::array();
  for (Question q : a.questions) questions.push_back(QuestionName(q));
  return Json{{"name", a.name},
              {"members", a.members},
              {"datasets", a.datasets},
              {"questions", questions},
              {"protocols", a.protocols},
              {"min_set_size", a.min_set_size},
              {"max_set_size", a.max_set_size},
              {"jobs_per_hour_per_peer", a.jobs_per_hour_per_peer},
              {"max_peer_items_per_day", a.max_peer_items_per_day},
              {"max_revealed_items_per_day", a.max_revealed_items_per_day},
              {"approval", ApprovalName(a.approval)},
              {"tlp_ceiling", TlpName(a.tlp_ceiling)},
              {"security", a.security ? session::SecurityName(*a.security) : "default"}};
}

Json ScheduleJson(const ScheduleConfig& c, const std::optional<ScheduleState>& state) {
  Json job{{"alliance", c.job.alliance},
           {"peer", c.job.peer},
           {"dataset", c.job.dataset},
           {"question", QuestionName(c.job.question)},
           {"protocol", c.job.protocol},
           {"result_to", c.job.result_to}};
  if (c.job.question == Question::kQuorum) {
    job.erase("peer");
    job.erase("protocol");
    job.erase("result_to");
    job["participants"] = c.job.participants;
    job["threshold"] = c.job.threshold;
    job["hide_count"] = c.job.hide_count;
  }
  // The DP parameters as configured (and as a POST /v1/jobs body has them).
  for (const auto& [key, value] : {std::pair<const char*, const std::string&>{
                                       "epsilon", c.job.dp.epsilon},
                                   {"delta", c.job.dp.delta},
                                   {"count_epsilon", c.job.dp.count_epsilon},
                                   {"bounds", c.job.dp.bounds}}) {
    if (!value.empty()) job[key] = value;
  }
  Json j{{"name", c.name},
         {"recurrence", RecurrenceText(c.recurrence)},
         {"catch_up", CatchUpName(c.catch_up)},
         {"job", std::move(job)}};
  if (state) {
    j["handled_through"] = Rfc3339Seconds(state->through);
    j["next_run"] = Rfc3339Seconds(NextFireAfter(c.recurrence, state->through));
    if (state->last_fired) {
      j["last_run"] = Rfc3339Seconds(*state->last_fired);
      j["last_job_id"] = state->last_job_id;
    }
  }
  return j;
}

Json DeliveryJson(const WebhookDelivery& d) {
  Json j{{"id", d.id},
         {"webhook", d.webhook},
         {"event", d.event},
         {"state", WebhookDeliveryStateName(d.state)},
         {"attempts", d.attempts},
         {"created", d.created}};
  if (!d.job_id.empty()) j["job_id"] = d.job_id;
  if (!d.last_error.empty()) j["last_error"] = d.last_error;
  if (d.state == WebhookDeliveryState::kPending) {
    j["next_attempt"] = Rfc3339Seconds(d.next_attempt_ms / 1000);
  } else {
    j["finished"] = d.finished;
  }
  return j;
}

// Limit reads ?limit=N (default 100, at most 1000).
// ApiKeyJson describes a key (never its secret, which is not stored).
Json ApiKeyJson(const ApiKey& k) {
  auto or_null = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  return Json{{"id", k.id},           {"scope", ApiScopeName(k.scope)},
              {"label", k.label},     {"created", k.created},
              {"last_used", or_null(k.last_used)}, {"revoked", or_null(k.revoked_at)}};
}

absl::StatusOr<size_t> Limit(const net::HttpRequest& req) {
  if (!req.HasParam("limit")) return kDefaultListLimit;
  const std::string v = req.Param("limit");
  if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos) {
    return absl::InvalidArgumentError("limit must be a number from 1 to 1000");
  }
  size_t n = std::stoul(v);
  if (n < 1 || n > kMaxListLimit) {
    return absl::InvalidArgumentError("limit must be a number from 1 to 1000");
  }
  return n;
}

std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

// PrivacyJson is GET /v1/privacy's body.
absl::StatusOr<Json> PrivacyJson(Daemon& d) {
  // From one snapshot: for every member and dataset of ours that an
  // alliance with a dp budget lets it use, the peer's ledger of the
  // dataset's name and of each content it was charged under (over all
  // alliances); for every dataset with a global budget, its ledgers over
  // all peers (node/privacy_ledger.h).
  const Config& config = d.config();
  auto amount = [](const PrivacyAmount& a) {
    return Json{{"epsilon", dp::FormatRational(a.epsilon)},
                {"delta", dp::FormatRational(a.delta)}};
  };
  auto spent = [&](internal::Db& db, const LedgerScope& scope) -> absl::StatusOr<Json> {
    LIAISON_ASSIGN_OR_RETURN(LedgerTotals t, SpentIn(db, scope));
    return Json{{"spent", amount(t.spent)}, {"num_charges", t.num_charges}};
  };
  auto contents = [&](internal::Db& db, const std::string& fp,
                      const std::string& dataset) -> absl::StatusOr<Json> {
    Json out = Json::array();
    LIAISON_ASSIGN_OR_RETURN(std::vector<std::string> digests,
                             ContentsIn(db, LedgerScope{fp, dataset, ""}));
    for (const std::string& digest : digests) {
      LIAISON_ASSIGN_OR_RETURN(Json c, spent(db, LedgerScope{fp, "", digest}));
      c["dataset_digest"] = digest;
      out.push_back(std::move(c));
    }
    return out;
  };
  Json ledger = Json::array(), global = Json::array();
  LIAISON_RETURN_IF_ERROR(d.store().Read([&](internal::Db& db) -> absl::Status {
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> granted;
    for (const auto& [name, alliance] : config.alliances) {
      if (!alliance.dp) continue;
      for (const auto& [peer, datasets] : alliance.datasets) {
        for (const std::string& dataset : datasets) granted[{peer, dataset}].push_back(name);
      }
    }
    for (const auto& [key, alliances] : granted) {
      const auto& [peer, dataset] = key;
      auto p = config.peers.find(peer);
      if (p == config.peers.end()) continue;
      LIAISON_ASSIGN_OR_RETURN(PrivacyBudgets budgets,
                               PrivacyBudgetsFor(config, peer, dataset));
      const std::string& fp = p->second.fingerprint;
      LIAISON_ASSIGN_OR_RETURN(Json row, spent(db, LedgerScope{fp, dataset, ""}));
      row["peer"] = peer;
      row["peer_fingerprint"] = fp;
      row["dataset"] = dataset;
      row["alliances"] = alliances;
      row["budget"] = amount(budgets.per_peer);
      LIAISON_ASSIGN_OR_RETURN(row["contents"], contents(db, fp, dataset));
      ledger.push_back(std::move(row));
    }
    for (const auto& [name, ds] : config.datasets) {
      if (!ds.dp_global) continue;
      LIAISON_ASSIGN_OR_RETURN(
          PrivacyAmount budget,
          ParsePrivacyAmount(StrCat("datasets.", name, ".dp_global"), ds.dp_global->epsilon,
                             ds.dp_global->delta));
      LIAISON_ASSIGN_OR_RETURN(Json row, spent(db, LedgerScope{"", name, ""}));
      row["dataset"] = name;
      row["budget"] = amount(budget);
      LIAISON_ASSIGN_OR_RETURN(row["contents"], contents(db, "", name));
      global.push_back(std::move(row));
    }
    return absl::OkStatus();
  }));
  return Json{{"ledger", ledger}, {"global", global}};
}

}  // namespace

absl::StatusOr<Json> ParseJsonBody(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return absl::InvalidArgumentError("the body is empty; it must be JSON");
  }
  Json::parser_callback_t no_callback = nullptr;
  try {
    return Json::parse(body, no_callback, /*allow_exceptions=*/true);
  } catch (const Json::parse_error& e) {
    // The position only: the message must not echo the body back.
    size_t line = 1, column = 1;
    const size_t end = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, body.size());
    for (size_t i = 0; i < end; ++i) {
      if (body[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return absl::InvalidArgumentError(
        StrCat("the body is not valid JSON: error at line ", line, ", column ", column));
  } catch (const Json::exception&) {
    return absl::InvalidArgumentError("the body is not valid JSON");
  }
}

absl::StatusOr<JobSubmission> ParseJobSubmission(std::string_view body) {
  LIAISON_ASSIGN_OR_RETURN(Json v, ParseJsonBody(body));
  if (!v.is_object()) return absl::InvalidArgumentError("the body must be a JSON object");
  JobSubmission s;
  const std::pair<const char*, std::string*> fields[] = {
      {"alliance", &s.alliance}, {"peer", &s.peer},
      {"question", &s.question}, {"protocol", &s.protocol},
      {"dataset", &s.dataset},   {"peer_dataset", &s.peer_dataset},
      {"result_to", &s.result_to}, {"epsilon", &s.dp.epsilon},
      {"delta", &s.dp.delta},      {"count_epsilon", &s.dp.count_epsilon},
      {"bounds", &s.dp.bounds}};
  for (const auto& [key, value] : v.items()) {
    bool known = false;
    if (key == "participants") {
      if (!value.is_array() || value.size() > kMaxQuorumMembers) {
        return absl::InvalidArgumentError(StrCat(
            "\"participants\" must be a list of at most ", kMaxQuorumMembers, " names"));
      }
      for (const Json& p : value) {
        if (!p.is_string() || !IsValidName(p.get_ref<const std::string&>())) {
          return absl::InvalidArgumentError("\"participants\" must hold node names");
        }
        s.participants.push_back(p.get<std::string>());
      }
      continue;
    }
    if (key == "threshold") {
      if (!value.is_number_unsigned() || value.get<uint64_t>() > kMaxQuorumMembers) {
        return absl::InvalidArgumentError(StrCat(
            "\"threshold\" must be a whole number from 1 to ", kMaxQuorumMembers));
      }
      s.threshold = value.get<uint32_t>();
      continue;
    }
    if (key == "hide_count") {
      if (!value.is_boolean()) return absl::InvalidArgumentError("\"hide_count\" must be true or false");
      s.hide_count = value.get<bool>();
      continue;
    }
    for (const auto& [name, target] : fields) {
      if (key != name) continue;
      if (!value.is_string()) {
        return absl::InvalidArgumentError(StrCat("\"", key, "\" must be a string"));
      }
      *target = value.get<std::string>();
      known = true;
    }
    if (!known && key.size() > 64) return absl::InvalidArgumentError("unknown field");
    if (!known) return absl::InvalidArgumentError(StrCat("unknown field \"", key, "\""));
  }
  const bool quorum = s.question == "quorum";
  for (const char* required : {"alliance", quorum ? "participants" : "peer", "dataset"}) {
    if (!v.contains(required)) {
      return absl::InvalidArgumentError(StrCat("\"", required, "\" is required"));
    }
  }
  return s;
}

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

net::HttpsServerLimits RestLimits(const NodeSection& node) {
  net::HttpsServerLimits limits;
  limits.handshake_timeout = absl::Seconds(node.handshake_timeout_seconds);
  return limits;
}

RestApi::RestApi(Daemon& daemon) : daemon_(daemon) {}

absl::StatusOr<std::unique_ptr<RestApi>> RestApi::Start(Daemon& daemon) {
  const std::string& listen = daemon.config().node.rest_listen;
  LIAISON_ASSIGN_OR_RETURN(net::HostPort hp, net::ParseHostPort(listen));
  std::unique_ptr<RestApi> api(new RestApi(daemon));
  api->Routes();
  absl::StatusOr<std::unique_ptr<net::HttpsServer>> server = net::HttpsServer::Start(
      hp.host, hp.port, daemon.identity().certificate(), daemon.identity().private_key(), *api,
      RestLimits(daemon.config().node));
  if (!server.ok()) {
    if (server.status().code() != absl::StatusCode::kUnavailable) return server.status();
    return absl::UnavailableError(StrCat("cannot listen on ", listen, " for the REST API (",
                                         std::string(server.status().message()), ")"));
  }
  api->server_ = *std::move(server);
  return api;
}

RestApi::~RestApi() { Stop(); }

void RestApi::Stop() {
  if (server_) server_->Stop();
}

void RestApi::Add(std::string method, std::string_view pattern, std::optional<ApiScope> scope,
                  size_t max_body, Handler handler) {
  Route route{std::move(method), {}, scope, max_body, std::move(handler)};
  for (std::string_view segment : Split(pattern)) route.segments.emplace_back(segment);
  routes_.push_back(std::move(route));
}

namespace {

// Match matches a path's segments against a route's; the "*" segments go to
// `args`.
bool Match(const std::vector<std::string>& pattern, const std::vector<std::string_view>& path,
           std::vector<std::string>* args) {
  if (pattern.size() != path.size()) return false;
  std::vector<std::string> found;
  for (size_t i = 0; i < path.size(); ++i) {
    if (pattern[i] == "*") {
      if (path[i].empty()) return false;
      found.emplace_back(path[i]);
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  if (args) *args = std::move(found);
  return true;
}

}  // namespace

net::Admission RestApi::Admit(const net::HttpRequest& head) {
  const std::vector<std::string_view> path = Split(head.path);
  const Route* route = nullptr;
  std::vector<std::string> args;
  std::string allowed;  // the methods of the routes on this path
  for (const Route& r : routes_) {
    if (!Match(r.segments, path, nullptr)) continue;
    if (r.method == head.method) {
      route = &r;
      Match(r.segments, path, &args);
    }
    if (allowed.find(r.method) == std::string::npos) {
      StrAppend(allowed, allowed.empty() ? "" : ", ", r.method);
    }
  }
  net::Admission admission;
  auto admit = [&](std::optional<ApiKey> key) {
    admission.max_body = route->max_body;
    admission.handle = [this, route, args = std::move(args),
                        key = std::move(key)](const net::HttpRequest& request) {
      return Run(*route, Call{request, args, key ? &*key : nullptr});
    };
    return admission;
  };
  if (route && !route->scope) return admit(std::nullopt);
  // Everything else needs a key, checked before anything else: a stranger
  // learns nothing about the paths, and no body is read for it.
  absl::StatusOr<ApiKey> key = Authorize(daemon_.store(), head);
  if (!key.ok()) {
    admission.reply = ErrorJson(key.status());
    return admission;
  }
  if (!route && allowed.empty()) {
    admission.reply = ErrorJson(
        absl::NotFoundError(StrCat("there is no endpoint ", EscapeNonPrintable(head.path))));
    return admission;
  }
  if (!route) {
    admission.reply = ErrorJson(405, absl::StatusCode::kInvalidArgument,
                                StrCat(EscapeNonPrintable(head.path), " accepts ", allowed,
                                       ", not ", EscapeNonPrintable(head.method)));
    admission.reply->headers.emplace_back("Allow", allowed);
    return admission;
  }
  if (route->scope && !ScopeAllows(key->scope, *route->scope)) {
    admission.reply = ErrorJson(absl::PermissionDeniedError(
        StrCat("this endpoint needs a key of scope ", ApiScopeName(*route->scope),
               " or above; this key is ", ApiScopeName(key->scope))));
    return admission;
  }
  return admit(*std::move(key));
}

net::HttpResponse RestApi::Run(const Route& route, const Call& call) {
  net::HttpResponse res;
  absl::Status status = route.handler(call, res);
  if (!status.ok()) return ErrorJson(status);
  return res;
}

net::HttpResponse RestApi::ErrorResponse(int http_status, std::string_view message) {
  const absl::StatusCode code = http_status == 400 ? absl::StatusCode::kInvalidArgument
                                : http_status >= 500 ? absl::StatusCode::kInternal
                                                     : absl::StatusCode::kResourceExhausted;
  return ErrorJson(http_status, code, message);
}

void RestApi::Routes() {
  Daemon& d = daemon_;
  const auto kAnalyst = ApiScope::kAnalyst, kAutomation = ApiScope::kAutomation,
             kAdmin = ApiScope::kAdmin;
  const std::optional<ApiScope> kPublic;

  Add("GET", "/v1/health", kPublic, 0, [](const Call&, auto& res) {
    SendJson(res, 200, Json{{"status", "ok"}, {"version", kVersion}});
    return absl::OkStatus();
  });
  Add("GET", "/v1/openapi.json", kPublic, 0, [](const Call&, auto& res) {
    res.body = kOpenApiJson;
    return absl::OkStatus();
  });
  Add("GET", "/v1/node", kAutomation, 0, [&d](const Call&, auto& res) {
    SendJson(res, 200,
             Json{{"name", d.config().node.name},
                  {"fingerprint", d.identity().fingerprint()},
                  {"version", kVersion},
                  {"peer_listen", d.config().node.peer_listen},
                  {"peer_port", d.peer_port()}});
    return absl::OkStatus();
  });
  Add("GET", "/v1/peers", kAnalyst, 0, [&d](const Call&, auto& res) {
    Json peers = Json::array();
    for (const auto& [name, p] : d.config().peers) {
      peers.push_back(Json{{"name", name}, {"address", p.address}, {"fingerprint", p.fingerprint}});
    }
    SendJson(res, 200, Json{{"peers", peers}});
    return absl::OkStatus();
  });
  Add("GET", "/v1/alliances", kAnalyst, 0, [&d](const Call&, auto& res) {
    Json out = Json::array();
    for (const auto& [name, a] : d.config().alliances) out.push_back(AllianceJson(a));
    SendJson(res, 200, Json{{"alliances", out}});
    return absl::OkStatus();
  });
  Add("GET", "/v1/datasets", kAnalyst, 0, [&d](const Call&, auto& res) {
    Json out = Json::array();
    for (const auto& [name, ds] : d.config().datasets) {
      out.push_back(DatasetJson(ds, d.datasets().Get(name)));
    }
    SendJson(res, 200, Json{{"datasets", out}});
    return absl::OkStatus();
  });
  Add("POST", "/v1/datasets/*/reread", kAnalyst, 0, [&d](const Call& c, auto& res) -> absl::Status {
    const std::string& name = c.args[0];
    LIAISON_ASSIGN_OR_RETURN(DatasetInfo info, d.RereadDataset(name));
    SendJson(res, 200, DatasetJson(d.config().datasets.at(name), info));
    return absl::OkStatus();
  });
  Add("POST", "/v1/jobs", kAutomation, kMaxJsonBody, [&d](const Call& c, auto& res) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(JobSubmission sub, ParseJobSubmission(c.request.body));
    sub.idempotency_key = c.request.Header("Idempotency-Key");
    LIAISON_ASSIGN_OR_RETURN(CreateJobResult r, d.SubmitJob(sub, c.key->id));
    Json body = JobJson(r.job);
    body["created_now"] = r.created;
    res.headers.emplace_back("Location", StrCat("/v1/jobs/", r.job.id));
    SendJson(res, 202, body);
    return absl::OkStatus();
  });
  Add("GET", "/v1/jobs", kAutomation, 0, [&d](const Call& c, auto& res) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(size_t limit, Limit(c.request));
    std::optional<JobState> state;
    if (c.request.HasParam("state")) {
      LIAISON_ASSIGN_OR_RETURN(state, ParseJobState(c.request.Param("state")));
    }
    LIAISON_ASSIGN_OR_RETURN(std::vector<Job> jobs, d.store().ListJobs(limit, state));
    Json out = Json::array();
    for (const Job& j : jobs) out.push_back(JobJson(j));
    SendJson(res, 200, Json{{"jobs", out}});
    return absl::OkStatus();
  });
  Add("GET", "/v1/jobs/*", kAutomation, 0, [&d](const Call& c, auto& res) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(Job job, d.store().GetJob(c.args[0]));
    SendJson(res, 200, JobJson(job));
    return absl::OkStatus();
  });
  Add("POST", "/v1/jobs/*/cancel", kAutomation, 0, [&d](const Call& c, auto& res) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(Job job, d.CancelJob(c.args[0], c.key->id));
    SendJson(res, 200, JobJson(job));
    return absl::OkStatus();
  });
  Add("GET", "/v1/jobs/*/result", kAutomation, 0, [&d](const Call& c, auto& res) -> absl::Status {
    const std::string& id = c.args[0];
    LIAISON_ASSIGN_OR_RETURN(Job job, d.store().GetJob(id));
    if (job.state != JobState::kSucceeded) {
      return absl::FailedPreconditionError(
          StrCat("job ", id, " is ", JobStateName(job.state), "; it has no result"));
    }
    absl::StatusOr<JobResult> r = d.store().GetResult(id);
    if (!r.ok() && r.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(
          StrCat("job ", id, " gave its result to the peer only; this node has none"));
    }
    LIAISON_RETURN_IF_ERROR(r.status());
    const std::string format = c.request.Param("format");
    const bool csv = format == "csv" || (format.empty() && c.request.Header("Accept").find(
                                                               "text/csv") != std::string::npos);
    if (!csv) {
      res.body = r->body;
      return absl::OkStatus();
    }
    if (r->kind != "match-v1" && r->kind != "quorum-v1") {
      return absl::FailedPreconditionError("a count or sum result has no rows; ask for JSON");
    }
    Json body = Json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object() || !body["rows"].is_array()) {
      return absl::DataLossError("the stored result is malformed");
    }
    // A quorum result shows its holders, unless the job hid them.
    const bool holders = r->kind == "quorum-v1" && !body.value("hide_count", false);
    std::string text = holders ? "line,type,value,holders\n" : "line,type,value\n";
    for (const Json& row : body["rows"]) {
      StrAppend(text, row.value("line", uint64_t{0}), ",",
                CsvCell(row.value("type", std::string())), ",",
                CsvCell(row.value("value", std::string())));
      if (holders) StrAppend(text, ",", row.value("holders", uint64_t{0}));
      StrAppend(text, "\n");
    }
    res.content_type = "text/csv";
    res.body = std::move(text);
    return absl::OkStatus();
  });
  Add("GET", "/v1/privacy", kAnalyst, 0, [&d](const Call&, auto& res) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(Json privacy, PrivacyJson(d));
    SendJson(res, 200, privacy);
    return absl::OkStatus();
  });
  Add("GET", "/v1/schedules", kAnalyst, 0, [&d](const Call&, auto& res) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(std::vector<ScheduleState> states, ReadScheduleStates(d.store()));
    Json out = Json::array();
    for (const auto& [name, c] : d.config().schedules) {
      std::optional<ScheduleState> state;
      for (const ScheduleState& st : states) {
        if (st.name == name) state = st;
      }
      out.push_back(ScheduleJson(c, state));
    }
    SendJson(res, 200, Json{{"schedules", out}});
    return absl::OkStatus();
  });
  Add("GET", "/v1/webhooks/deliveries", kAnalyst, 0,
      [&d](const Call& c, auto& res) -> absl::Status {
        LIAISON_ASSIGN_OR_RETURN(size_t limit, Limit(c.request));
        LIAISON_ASSIGN_OR_RETURN(std::vector<WebhookDelivery> rows,
                                 ListRecentWebhookDeliveries(d.store(), limit));
        Json out = Json::array();
        for (const WebhookDelivery& w : rows) out.push_back(DeliveryJson(w));
        SendJson(res, 200, Json{{"deliveries", out}});
        return absl::OkStatus();
      });
  Add("GET", "/v1/offers", kAnalyst, 0, [&d](const Call&, auto& res) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(std::vector<Job> offers, d.ListOffers());
    Json out = Json::array();
    for (const Job& j : offers) out.push_back(JobJson(j));
    SendJson(res, 200, Json{{"offers", out}});
    return absl::OkStatus();
  });
  Add("POST", "/v1/offers/*/approve", kAnalyst, 0,
      [&d](const Call& c, auto& res) -> absl::Status {
        LIAISON_ASSIGN_OR_RETURN(Job job, d.DecideOffer(c.args[0], true, "", c.key->id));
        SendJson(res, 200, JobJson(job));
        return absl::OkStatus();
      });
  // A refusal may say why: {"reason": "..."} (optional).
  Add("POST", "/v1/offers/*/refuse", kAnalyst, kMaxJsonBody,
      [&d](const Call& c, auto& res) -> absl::Status {
        std::string reason;
        if (!c.request.body.empty()) {
          LIAISON_ASSIGN_OR_RETURN(Json v, ParseJsonBody(c.request.body));
          if (!v.is_object() || (v.contains("reason") && !v["reason"].is_string())) {
            return absl::InvalidArgumentError("the body must be {\"reason\": \"...\"}");
          }
          reason = v.value("reason", std::string());
          if (reason.size() > 500) return absl::InvalidArgumentError("the reason is too long");
        }
        LIAISON_ASSIGN_OR_RETURN(Job job, d.DecideOffer(c.args[0], false, reason, c.key->id));
        SendJson(res, 200, JobJson(job));
        return absl::OkStatus();
      });
  Add("GET", "/v1/apikeys", kAdmin, 0, [&d](const Call&, auto& res) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(std::vector<ApiKey> keys, d.store().ListApiKeys());
    Json out = Json::array();
    for (const ApiKey& k : keys) out.push_back(ApiKeyJson(k));
    SendJson(res, 200, Json{{"keys", out}});
    return absl::OkStatus();
  });
  Add("POST", "/v1/apikeys/*/revoke", kAdmin, 0, [&d](const Call& c, auto& res) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(ApiKey revoked, d.RevokeApiKey(c.args[0], c.key->id));
    SendJson(res, 200, ApiKeyJson(revoked));
    return absl::OkStatus();
  });
  Add("GET", "/v1/audit", kAnalyst, 0, [&d](const Call& c, auto& res) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(size_t limit, Limit(c.request));
    uint64_t after = 0;
    if (c.request.HasParam("after")) {
      const std::string v = c.request.Param("after");
      if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
        return absl::InvalidArgumentError("after must be a record number");
      }
      after = std::stoull(v);
    }
    Json records = Json::array();
    uint64_t last = after;
    absl::Status done = absl::CancelledError("enough");
    absl::Status st = ForEachAuditRecord(d.store(), [&](const AuditRecord& r) -> absl::Status {
      if (r.seq <= after) return absl::OkStatus();
      if (records.size() >= limit) return done;
      LIAISON_ASSIGN_OR_RETURN(std::string line, AuditRecordJson(r));
      Json record = Json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (record.is_discarded()) {
        return absl::InternalError(StrCat("audit record ", r.seq, " does not encode as JSON"));
      }
      records.push_back(std::move(record));
      last = r.seq;
      return absl::OkStatus();
    });
    if (!st.ok() && st.code() != absl::StatusCode::kCancelled) return st;
    SendJson(res, 200, Json{{"records", records}, {"next_after", last}});
    return absl::OkStatus();
  });
}

}  // namespace liaison::node
