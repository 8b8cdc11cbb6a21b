// The [schedules.*] and [webhooks.*] tables of liaison.toml: what the node
// does on its own (docs/node.md). config.cc parses the rest.
#include <algorithm>
#include <string>
#include <utility>

#include "base/status.h"
#include "base/strings.h"
#include "node/config.h"
#include "node/dp_jobs.h"
#include "node/internal/config_checker.h"
#include "node/peer_protocol.h"
#include "node/policy.h"
#include "node/quorum_policy.h"
#include "node/schedule.h"
#include "node/webhook.h"
#include "session/handshake.h"

namespace liaison::node::internal {
namespace {

// ParseRecurrence reads `every` / `at` / `daily` (schedule.h has the
// grammar) into `out`; false if they are missing or wrong.
bool ParseRecurrence(Checker& c, const toml::table& t, uint32_t line, const std::string& path,
                     Recurrence& out) {
  std::optional<std::string> every = c.String(t, line, path, "every", false);
  std::optional<std::string> at = c.String(t, line, path, "at", false);
  std::optional<std::string> daily = c.String(t, line, path, "daily", false);
  auto line_of = [&](std::string_view key) { return Checker::Line(*t.get(key), line); };
  if (t.get("every") == nullptr && t.get("daily") == nullptr) {
    c.Error(line, path + ".every",
            "missing: a schedule needs every = \"15m\" / \"6h\" / \"24h\" (optionally with "
            "at = \"HH:MM\") or daily = \"HH:MM\"");
    return false;
  }
  if (t.get("every") != nullptr && t.get("daily") != nullptr) {
    c.Error(line_of("daily"), path + ".daily",
            "give either every (with an optional at) or daily, not both");
    return false;
  }
  if (daily) {
    if (t.get("at") != nullptr) {
      c.Error(line_of("at"), path + ".at", "daily already says the time; at goes with every");
      return false;
    }
    absl::StatusOr<int64_t> offset = ParseTimeOfDay(*daily);
    if (!offset.ok()) {
      c.Error(line_of("daily"), path + ".daily", std::string(offset.status().message()));
      return false;
    }
    out = Recurrence{86400, *offset};
    return true;
  }
  if (!every) return false;
  absl::StatusOr<int64_t> period = ParseEvery(*every);
  if (!period.ok()) {
    c.Error(line_of("every"), path + ".every", std::string(period.status().message()));
    return false;
  }
  out = Recurrence{*period, 0};
  if (t.get("at") != nullptr) {
    if (!at) return false;
    if (*period % 86400 != 0) {
      c.Error(line_of("at"), path + ".at",
              StrCat("at needs every to be a whole number of days (24h, 1d, 7d, ...); \"", *every,
                     "\" runs are aligned to midnight UTC already"));
      return false;
    }
    absl::StatusOr<int64_t> offset = ParseTimeOfDay(*at);
    if (!offset.ok()) {
      c.Error(line_of("at"), path + ".at", std::string(offset.status().message()));
      return false;
    }
    out.offset_s = *offset;
  }
  return true;
}

// ParseScheduleDp reads a schedule's DP parameters into `job` and checks
// them as a POST /v1/jobs body is checked (JobDpOf), putting each error on
// the key at fault (or on the table's line for a missing one). A count or
// sum also needs the alliance's [alliances.<name>.dp] budget. `security` is
// the model the alliance gives the job. False if anything is wrong.
bool ParseScheduleDp(Checker& c, const toml::table& t, uint32_t line, const std::string& path,
                     const Config& config, const AllianceConfig* alliance,
                     std::optional<Question> question, session::Security security,
                     JobTemplate& job) {
  bool ok = true;
  for (auto [key, field] :
       {std::pair<std::string_view, std::string*>{"epsilon", &job.dp.epsilon},
        {"delta", &job.dp.delta},
        {"count_epsilon", &job.dp.count_epsilon}}) {
    if (auto v = DecimalString(c, t, line, path, key, false)) {
      *field = *v;
    } else if (t.get(key) != nullptr) {
      ok = false;
    }
  }
  if (auto v = c.String(t, line, path, "bounds", false)) {
    job.dp.bounds = *v;
  } else if (t.get("bounds") != nullptr) {
    ok = false;
  }
  // Without a valid question or a protocol there is nothing to check the
  // parameters against; those keys have their errors already.
  if (!ok || !question || job.protocol.empty()) return ok;
  auto line_of = [&](std::string_view key) {
    const toml::node* n = t.get(key);
    return n != nullptr ? Checker::Line(*n, line) : line;
  };
  auto ds = config.datasets.find(job.dataset);
  const DatasetConfig no_dataset;
  std::string field;
  absl::StatusOr<std::optional<JobDp>> dp =
      JobDpOf(QuestionName(*question), job.protocol, job.result_to, security,
              ds != config.datasets.end() ? ds->second : no_dataset, job.dp, &field);
  if (!dp.ok()) {
    // The dp module's messages may start with the parameter's name, which
    // the key in front of them says already.
    std::string what(dp.status().message());
    const std::string prefix = StrCat(field, ": ");
    if (what.compare(0, prefix.size(), prefix) == 0) what.erase(0, prefix.size());
    c.Error(line_of(field), Checker::Path(path, field), what);
    return false;
  }
  if (dp->has_value() && alliance != nullptr && !alliance->dp) {
    c.Error(line_of("question"), path + ".question",
            StrCat("alliance \"", job.alliance, "\" has no [alliances.", job.alliance,
                   ".dp] budget, so it cannot run count or sum jobs"));
    return false;
  }
  return true;
}

// ParseQuorumSchedule reads the job of a schedule whose question is
// quorum: alliance, dataset, participants (names of our peers and our own
// [node] name, in party order), threshold and hide_count, checked with the
// same admission check as a POST /v1/jobs body (node/quorum_policy.h).
// A quorum job has no peer, protocol, result_to or DP parameters. False if
// anything is wrong.
bool ParseQuorumSchedule(Checker& c, const toml::table& t, uint32_t line,
                         const std::string& path, const Config& config, JobTemplate& job) {
  bool ok = true;
  auto line_of = [&](std::string_view key) { return Checker::Line(*t.get(key), line); };
  for (const char* key : {"peer", "protocol", "result_to", "epsilon", "delta", "count_epsilon",
                          "bounds"}) {
    if (t.get(key) == nullptr) continue;
    c.Error(line_of(key), Checker::Path(path, key),
            "a quorum job names its participants and has no peer, protocol, result_to or "
            "dp parameters");
    ok = false;
  }
  job.question = Question::kQuorum;
  std::optional<std::string> a = c.String(t, line, path, "alliance", true);
  std::optional<std::string> d = c.String(t, line, path, "dataset", true);
  if (a) job.alliance = *a;
  if (d) job.dataset = *d;
  std::optional<uint64_t> threshold =
      c.Integer(t, line, path, "threshold", true, kMaxQuorumMembers);
  if (threshold && *threshold == 0) {
    c.Error(line_of("threshold"), path + ".threshold", "must be at least 1");
    threshold.reset();
  }
  if (threshold) job.threshold = static_cast<uint32_t>(*threshold);
  if (const toml::node* h = t.get("hide_count")) {
    if (h->is_boolean()) {
      job.hide_count = h->as_boolean()->get();
    } else {
      c.Error(line_of("hide_count"), path + ".hide_count", "must be true or false");
      ok = false;
    }
  }
  // Our own entry is matched by name; its key is ours whatever it is.
  constexpr char kSelf[] = "self";
  QuorumPolicyQuery query;
  query.our_fingerprint = kSelf;
  auto names = c.Strings(t, line, path, "participants", true);
  if (names) {
    query.me = static_cast<uint32_t>(names->size());
    for (const auto& [n, n_line] : *names) {
      if (std::find(job.participants.begin(), job.participants.end(), n) !=
          job.participants.end()) {
        c.Error(n_line, path + ".participants", StrCat("\"", n, "\" is listed twice"));
        ok = false;
        continue;
      }
      job.participants.push_back(n);
      auto peer = config.peers.find(n);
      if (n == config.node.name) {
        query.me = static_cast<uint32_t>(query.participants.size());
        query.participants.push_back(QuorumMember{n, kSelf});
      } else if (peer == config.peers.end()) {
        c.Error(n_line, path + ".participants",
                StrCat("\"", n, "\" is neither a peer nor this node's name"));
        ok = false;
      } else {
        query.participants.push_back(QuorumMember{n, peer->second.fingerprint});
      }
    }
    if (query.me == names->size()) {
      c.Error(line_of("participants"), path + ".participants",
              StrCat("must include this node (\"", config.node.name, "\")"));
      ok = false;
    }
  }
  if (!ok || !a || !d || !threshold || !names) return false;
  query.alliance = job.alliance;
  query.threshold = job.threshold;
  query.hide_count = job.hide_count;
  query.dataset = job.dataset;
  const QuorumAdmission admission = CheckQuorumPolicy(config, query);
  if (!admission.admitted()) {
    c.Error(line, path, admission.reason);
    return false;
  }
  return true;
}

// ParseCatchUp reads `catch_up`; false if it is neither "none" nor "latest".
bool ParseCatchUp(Checker& c, const toml::table& t, uint32_t line, const std::string& path,
                  CatchUp& out) {
  std::optional<std::string> cu = c.String(t, line, path, "catch_up", false);
  if (!cu) return t.get("catch_up") == nullptr;
  if (*cu == "none") {
    out = CatchUp::kNone;
  } else if (*cu == "latest") {
    out = CatchUp::kLatest;
  } else {
    c.Error(Checker::Line(*t.get("catch_up"), line), path + ".catch_up",
            StrCat("\"", *cu, "\" is neither \"none\" nor \"latest\""));
    return false;
  }
  return true;
}

}  // namespace

void ParseSchedules(Checker& c, const toml::table& root, const Config& config,
                    std::map<std::string, ScheduleConfig>& out) {
  ForEachNamedTable(c, root, "schedules", [&](const std::string& name, const std::string& path,
                                              const toml::table& t, uint32_t line) {
    c.Keys(t, path,
           {"alliance", "peer", "dataset", "question", "protocol", "result_to", "epsilon",
            "delta", "count_epsilon", "bounds", "every", "at", "daily", "catch_up",
            "participants", "threshold", "hide_count"});
    ScheduleConfig sc;
    sc.name = name;
    JobTemplate& job = sc.job;
    bool ok = ParseRecurrence(c, t, line, path, sc.recurrence);
    auto line_of = [&](std::string_view key) { return Checker::Line(*t.get(key), line); };
    if (const toml::node* qn = t.get("question");
        qn != nullptr && qn->is_string() && qn->as_string()->get() == "quorum") {
      ok = ParseQuorumSchedule(c, t, line, path, config, job) && ok;
      ok = ParseCatchUp(c, t, line, path, sc.catch_up) && ok;
      if (ok) out[name] = std::move(sc);
      return;
    }
    for (const char* key : {"participants", "threshold", "hide_count"}) {
      if (t.get(key) == nullptr) continue;
      c.Error(line_of(key), Checker::Path(path, key), "only quorum jobs take this key");
      ok = false;
    }

    // The fields of the job, each read from its key (a missing or mistyped
    // one has its error already), then checked with the same admission check
    // as a REST submission and a peer's offer (node/policy.h), each finding
    // put on its key.
    std::optional<std::string> a = c.String(t, line, path, "alliance", true);
    std::optional<std::string> p = c.String(t, line, path, "peer", true);
    std::optional<std::string> d = c.String(t, line, path, "dataset", true);
    std::optional<std::string> q = c.String(t, line, path, "question", true);
    std::optional<std::string> proto = c.String(t, line, path, "protocol", true);
    if (a) job.alliance = *a;
    if (p) job.peer = *p;
    if (d) job.dataset = *d;
    if (proto) job.protocol = *proto;
    std::optional<Question> valid_question;
    if (q) {
      for (Question cand : {Question::kMatch, Question::kCount, Question::kSum}) {
        if (*q == QuestionName(cand)) valid_question = cand;
      }
      if (valid_question) {
        job.question = *valid_question;
      } else {
        c.Error(line_of("question"), path + ".question",
                StrCat("\"", *q, "\" is not a question (match, count or sum)"));
        ok = false;
      }
    }
    const JobPolicyQuery query{job.alliance, job.peer, q.value_or(""), job.protocol, job.dataset};
    const JobAdmission admission = CheckJobPolicy(config, query);
    const AllianceConfig* alliance = admission.alliance;
    // The security model our policy gives the job: every run would be
    // refused (SubmitJob) without one, so that is an error now, not then.
    // (Semi-honest where the job has none: its DP parameters are checked
    // as for a semi-honest job.)
    session::Security security = session::Security::kSemiHonest;
    if (alliance != nullptr && valid_question && proto) security = admission.security;
    for (const PolicyFinding& f : admission.findings) {
      std::string key = f.field, what;
      switch (f.rule) {
        case PolicyRule::kNoAlliance:
          if (a) what = StrCat("\"", *a, "\" is not an alliance (no [alliances.", *a, "] table)");
          break;
        case PolicyRule::kNoPeer:
        case PolicyRule::kNotMember:
          if (p) what = StrCat("\"", *p, "\" is not a member of alliance \"", job.alliance, "\"");
          break;
        case PolicyRule::kUnknownQuestion:
          break;  // reported above
        case PolicyRule::kQuestionNotAllowed:
          valid_question.reset();
          security = session::Security::kSemiHonest;
          what = StrCat("alliance \"", job.alliance, "\" does not allow the question \"", *q,
                        "\"");
          break;
        case PolicyRule::kUnknownProtocol:
        case PolicyRule::kProtocolNotAllowed:
          if (proto) {
            what = StrCat("alliance \"", job.alliance, "\" does not allow the protocol \"",
                          *proto, "\"");
          }
          break;
        case PolicyRule::kNoDataset:
        case PolicyRule::kNoDatasetForPeer:
        case PolicyRule::kDatasetNotAllowed:
          if (d && p) {
            what = StrCat("alliance \"", job.alliance, "\" does not allow dataset \"", *d,
                          "\" in jobs with \"", job.peer, "\" (see [alliances.", job.alliance,
                          ".datasets])");
          }
          break;
        case PolicyRule::kSecurityUnavailable:
          security = session::Security::kSemiHonest;
          key = "question";
          what = f.detail;
          break;
      }
      if (what.empty()) continue;
      c.Error(line_of(key), path + "." + key, what);
      ok = false;
    }
    if (auto r = c.String(t, line, path, "result_to", false)) {
      if (!session::ParseResultTo(*r).ok()) {
        c.Error(line_of("result_to"), path + ".result_to",
                StrCat("\"", *r, "\" is not both, me or peer"));
        ok = false;
      }
      job.result_to = *r;
    }
    if (!ParseScheduleDp(c, t, line, path, config, alliance, valid_question,
                         security, job)) {
      ok = false;
    }
    ok = ParseCatchUp(c, t, line, path, sc.catch_up) && ok;
    if (ok) out[name] = std::move(sc);
  });
}

void ParseWebhooks(Checker& c, const toml::table& root, const std::string& base_dir,
                   std::map<std::string, WebhookConfig>& out) {
  ForEachNamedTable(c, root, "webhooks", [&](const std::string& name, const std::string& path,
                                             const toml::table& t, uint32_t line) {
    c.Keys(t, path,
           {"url", "secret_file", "secret_env", "events", "max_attempts", "timeout_seconds"});
    WebhookConfig w;
    w.name = name;
    auto line_of = [&](std::string_view key) { return Checker::Line(*t.get(key), line); };
    if (auto url = c.String(t, line, path, "url", true)) {
      absl::StatusOr<WebhookUrl> parsed = ParseWebhookUrl(*url);
      if (!parsed.ok()) c.Error(line_of("url"), path + ".url", std::string(parsed.status().message()));
      w.url = *url;
    }
    std::optional<std::string> file = c.String(t, line, path, "secret_file", false);
    std::optional<std::string> env = c.String(t, line, path, "secret_env", false);
    if (t.get("secret_file") == nullptr && t.get("secret_env") == nullptr) {
      c.Error(line, path + ".secret_file",
              "missing: a webhook needs secret_file (a file in the node's directory, mode 0600) "
              "or secret_env (an environment variable)");
    } else if (t.get("secret_file") != nullptr && t.get("secret_env") != nullptr) {
      c.Error(line_of("secret_env"), path + ".secret_env",
              "give either secret_file or secret_env, not both");
    } else if (file) {
      bool inside = !file->empty() && file->front() != '/' && *file != ".." &&
                    file->rfind("../", 0) != 0 && file->find("/../") == std::string::npos &&
                    (file->size() < 3 || file->compare(file->size() - 3, 3, "/..") != 0);
      if (!inside) {
        c.Error(line_of("secret_file"), path + ".secret_file",
                "must be a relative path inside the node's directory (no '..'), e.g. "
                "\"secrets/soar.key\"");
      }
      w.secret_file = *file;
      w.secret_path = base_dir.empty() ? *file : StrCat(base_dir, "/", *file);
    } else if (env) {
      bool valid = !env->empty() && !(env->front() >= '0' && env->front() <= '9') &&
                   std::all_of(env->begin(), env->end(), [](char ch) {
                     return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                            (ch >= '0' && ch <= '9') || ch == '_';
                   });
      if (!valid) {
        c.Error(line_of("secret_env"), path + ".secret_env",
                "not an environment variable name (letters, digits and '_')");
      }
      w.secret_env = *env;
    }
    if (auto events = c.Strings(t, line, path, "events", false)) {
      if (events->empty()) c.Error(line_of("events"), path + ".events", "must name at least one");
      for (const auto& [e, e_line] : *events) {
        absl::StatusOr<WebhookEvent> parsed = ParseWebhookEvent(e);
        if (!parsed.ok()) {
          c.Error(e_line, path + ".events", std::string(parsed.status().message()));
        } else if (Contains(w.events, *parsed)) {
          c.Error(e_line, path + ".events", StrCat("\"", e, "\" is listed twice"));
        } else {
          w.events.push_back(*parsed);
        }
      }
    } else if (t.get("events") == nullptr) {
      w.events = {WebhookEvent::kJobSucceeded, WebhookEvent::kJobFailed,
                  WebhookEvent::kJobRefused, WebhookEvent::kJobCancelled,
                  WebhookEvent::kScheduleMissed, WebhookEvent::kQuorumAlert};
    }
    if (auto v = c.Integer(t, line, path, "max_attempts", false, 100)) {
      if (*v == 0) c.Error(line_of("max_attempts"), path + ".max_attempts", "must be 1 to 100");
      w.max_attempts = static_cast<uint32_t>(*v);
    }
    if (auto v = c.Integer(t, line, path, "timeout_seconds", false, 300)) {
      if (*v == 0) {
        c.Error(line_of("timeout_seconds"), path + ".timeout_seconds", "must be 1 to 300");
      }
      w.timeout_seconds = static_cast<uint32_t>(*v);
    }
    out[name] = std::move(w);
  });
}

}  // namespace liaison::node::internal
