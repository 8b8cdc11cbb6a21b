#include "node/config.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>
#include <utility>

#include "base/build_info.h"
#include "base/status.h"
#include "base/strings.h"
#include "net/identity.h"
#include "net/host_port.h"
#include "node/internal/config_checker.h"
#include "session/handshake.h"

namespace liaison::node {
namespace {

using internal::Checker;
using internal::Contains;
using internal::DecimalString;
using internal::ForEachNamedTable;
using internal::IsDecimal;
using internal::Join;
using internal::NodeTypeName;
using internal::ParseSchedules;
using internal::ParseWebhooks;
using internal::ToLower;

constexpr size_t kMaxConfigLen = 1 << 20;

void CheckAddress(Checker& c, const toml::table& t, uint32_t line, std::string_view path,
                  std::string_view key, bool required, std::string* out) {
  std::optional<std::string> v = c.String(t, line, path, key, required);
  if (!v) return;
  absl::StatusOr<net::HostPort> hp = net::ParseHostPort(*v);
  const toml::node* n = t.get(key);
  if (!hp.ok() || hp->port == 0) {
    c.Error(Checker::Line(*n, line), Checker::Path(path, key),
            StrCat("not a host:port address (\"", *v,
                   "\"; IPv6 addresses go in brackets, the port is 1 to 65535)"));
    return;
  }
  *out = *v;
}


void ParseNode(Checker& c, const toml::table& root, NodeSection& out) {
  const toml::table* t = c.Table(root, 1, "", "node");
  if (t == nullptr) {
    if (root.get("node") == nullptr) c.Error(1, "node", "missing: the [node] table is required");
    return;
  }
  uint32_t line = Checker::Line(*t, 1);
  c.Keys(*t, "node",
         {"name", "peer_listen", "rest_listen", "max_concurrent_jobs", "approval_poll_seconds",
          "approval_timeout_seconds", "shutdown_grace_seconds", "peer_connect_timeout_seconds",
          "peer_retry_attempts", "peer_retry_initial_seconds", "peer_retry_max_seconds",
          "handshake_timeout_seconds", "max_handshakes", "max_handshakes_per_address",
          "max_connections_per_peer"});
  if (auto name = c.String(*t, line, "node", "name", true)) {
    if (!IsValidName(*name)) {
      c.Error(Checker::Line(*t->get("name"), line), "node.name",
              "not a valid name (1 to 64 letters, digits, '.', '_' or '-')");
    }
    out.name = *name;
  }
  CheckAddress(c, *t, line, "node", "peer_listen", true, &out.peer_listen);
  CheckAddress(c, *t, line, "node", "rest_listen", true, &out.rest_listen);
  auto seconds = [&](std::string_view key, uint64_t min, uint64_t max, uint32_t* value) {
    if (auto v = c.Integer(*t, line, "node", key, false, max)) {
      if (*v < min) {
        c.Error(Checker::Line(*t->get(key), line), StrCat("node.", key),
                StrCat("must be at least ", min));
      } else {
        *value = static_cast<uint32_t>(*v);
      }
    }
  };
  seconds("max_concurrent_jobs", 1, 64, &out.max_concurrent_jobs);
  seconds("approval_poll_seconds", 1, 86400, &out.approval_poll_seconds);
  seconds("approval_timeout_seconds", 1, 30 * 86400, &out.approval_timeout_seconds);
  seconds("shutdown_grace_seconds", 0, 3600, &out.shutdown_grace_seconds);
  seconds("peer_connect_timeout_seconds", 1, 300, &out.peer_connect_timeout_seconds);
  seconds("peer_retry_attempts", 1, 100, &out.peer_retry_attempts);
  seconds("peer_retry_initial_seconds", 1, 3600, &out.peer_retry_initial_seconds);
  seconds("peer_retry_max_seconds", 1, 86400, &out.peer_retry_max_seconds);
  seconds("handshake_timeout_seconds", 1, 60, &out.handshake_timeout_seconds);
  seconds("max_handshakes", 1, 4096, &out.max_handshakes);
  seconds("max_handshakes_per_address", 1, 4096, &out.max_handshakes_per_address);
  seconds("max_connections_per_peer", 1, 64, &out.max_connections_per_peer);
  if (out.peer_retry_max_seconds < out.peer_retry_initial_seconds) {
    const toml::node* max = t->get("peer_retry_max_seconds");
    c.Error(max != nullptr ? Checker::Line(*max, line) : line, "node.peer_retry_max_seconds",
            "must be at least peer_retry_initial_seconds");
  }
}

void ParsePeers(Checker& c, const toml::table& root, std::map<std::string, PeerConfig>& out) {
  std::map<std::string, uint32_t> fingerprint_lines;
  ForEachNamedTable(c, root, "peers", [&](const std::string& name, const std::string& path,
                                          const toml::table& t, uint32_t line) {
    c.Keys(t, path, {"address", "fingerprint"});
    PeerConfig peer;
    peer.name = name;
    CheckAddress(c, t, line, path, "address", true, &peer.address);
    if (auto fp = c.String(t, line, path, "fingerprint", true)) {
      absl::StatusOr<std::string> norm = net::NormalizeFingerprint(*fp);
      if (norm.ok()) {
        peer.fingerprint = *norm;
        fingerprint_lines[name] = Checker::Line(*t.get("fingerprint"), line);
      } else {
        c.Error(Checker::Line(*t.get("fingerprint"), line), path + ".fingerprint",
                StrCat("not a sha256 fingerprint (", std::string(norm.status().message()), ")"));
      }
    }
    out[peer.name] = std::move(peer);
  });
  // Two names for one key would let a peer be in an alliance under a name
  // the administrator did not mean.
  std::map<std::string, std::string> by_fp;
  for (const auto& [name, peer] : out) {
    if (peer.fingerprint.empty()) continue;
    auto [it, inserted] = by_fp.emplace(peer.fingerprint, name);
    if (!inserted) {
      c.Error(fingerprint_lines[name], StrCat("peers.", name, ".fingerprint"),
              StrCat("the same key as peer \"", it->second, "\""));
    }
  }
}

// and the global item limits.
void ParseDatasetGlobalBudgets(Checker& c, const toml::table& t, uint32_t line,
                               const std::string& path, DatasetConfig& ds) {
  DpBudget global;
  int given = 0;
  for (auto [key, field] : {std::pair<std::string_view, std::string*>{"dp_global_epsilon",
                                                                      &global.epsilon},
                            {"dp_global_delta", &global.delta}}) {
    if (t.get(key) == nullptr) continue;
    ++given;
    std::optional<std::string> v = DecimalString(c, t, line, path, key, false);
    if (!v) continue;
    if (!IsDecimal(*v)) {
      c.Error(Checker::Line(*t.get(key), line), Checker::Path(path, key),
              StrCat("\"", *v, "\" is not a non-negative decimal number (digits, "
                               "optionally a '.' and more digits)"));
      continue;
    }
    *field = *v;
  }
  if (given == 1) {
    c.Error(line, path + (t.get("dp_global_epsilon") ? ".dp_global_delta" : ".dp_global_epsilon"),
            "missing: dp_global_epsilon and dp_global_delta go together");
  } else if (given == 2 && !global.epsilon.empty() && !global.delta.empty()) {
    ds.dp_global = std::move(global);
  }
  constexpr uint64_t kMaxItems = uint64_t{1} << 40;
  for (auto [key, field] :
       {std::pair<const char*, uint64_t*>{"global_max_peer_items_per_day",
                                          &ds.global_max_peer_items_per_day},
        {"global_max_revealed_items_per_day", &ds.global_max_revealed_items_per_day}}) {
    if (auto v = c.Integer(t, line, path, key, false, kMaxItems)) {
      if (*v == 0) {
        c.Error(Checker::Line(*t.get(key), line), StrCat(path, ".", key),
                "must be at least 1 (leave the key out for no limit)");
      }
      *field = *v;
    }
  }
}

void ParseDatasets(Checker& c, const toml::table& root, const std::string& base_dir,
                   std::map<std::string, DatasetConfig>& out) {
  ForEachNamedTable(c, root, "datasets", [&](const std::string& name, const std::string& path,
                                             const toml::table& t, uint32_t line) {
    c.Keys(t, path,
           {"file", "format", "column", "field", "value_column", "value_field", "type", "tlp",
            "dp_global_epsilon", "dp_global_delta", "global_max_peer_items_per_day",
            "global_max_revealed_items_per_day"});
    DatasetConfig ds;
    ds.name = name;
    if (auto file = c.String(t, line, path, "file", true)) {
      if (file->empty()) {
        c.Error(Checker::Line(*t.get("file"), line), path + ".file", "must not be empty");
      }
      ds.file = *file;
      ds.resolved_path = (file->empty() || file->front() == '/' || base_dir.empty())
                             ? *file
                             : StrCat(base_dir, "/", *file);
      ds.format = data::FormatForPath(*file);
    }
    if (auto format = c.String(t, line, path, "format", false)) {
      if (*format == "text") {
        ds.format = data::Format::kText;
      } else if (*format == "csv") {
        ds.format = data::Format::kCsv;
      } else if (*format == "jsonl") {
        ds.format = data::Format::kJsonLines;
      } else {
        c.Error(Checker::Line(*t.get("format"), line), path + ".format",
                StrCat("\"", *format, "\" is not a format (text, csv or jsonl)"));
      }
    }
    if (auto column = c.String(t, line, path, "column", false)) {
      if (ds.format != data::Format::kCsv) {
        c.Error(Checker::Line(*t.get("column"), line), path + ".column",
                "only a csv dataset has columns");
      }
      ds.column = *column;
    }
    if (auto field = c.String(t, line, path, "field", false)) {
      if (ds.format != data::Format::kJsonLines) {
        c.Error(Checker::Line(*t.get("field"), line), path + ".field",
                "only a jsonl dataset has fields");
      }
      ds.field = *field;
    }
    if (auto column = c.String(t, line, path, "value_column", false)) {
      if (ds.format != data::Format::kCsv) {
        c.Error(Checker::Line(*t.get("value_column"), line), path + ".value_column",
                "only a csv dataset has columns (a jsonl dataset uses value_field)");
      } else if (column->empty() || *column == ds.column) {
        c.Error(Checker::Line(*t.get("value_column"), line), path + ".value_column",
                "must name a column other than the item column");
      }
      ds.value_column = *column;
    }
    if (auto field = c.String(t, line, path, "value_field", false)) {
      if (ds.format != data::Format::kJsonLines) {
        c.Error(Checker::Line(*t.get("value_field"), line), path + ".value_field",
                "only a jsonl dataset has fields (a csv dataset uses value_column)");
      } else if (field->empty() || *field == ds.field) {
        c.Error(Checker::Line(*t.get("value_field"), line), path + ".value_field",
                "must name a field other than the item field");
      }
      ds.value_field = *field;
    }
    if (ds.format == data::Format::kJsonLines && ds.field.empty() &&
        t.get("field") == nullptr) {
      c.Error(line, path + ".field", "missing (required for a jsonl dataset)");
    }
    if (auto type = c.String(t, line, path, "type", false)) {
      if (ToLower(*type) != "auto") {
        absl::StatusOr<data::ItemType> parsed = data::ParseTypeName(*type);
        if (parsed.ok()) {
          ds.type = *parsed;
        } else {
          c.Error(Checker::Line(*t.get("type"), line), path + ".type",
                  std::string(parsed.status().message()));
        }
      }
    }
    if (auto tlp = c.String(t, line, path, "tlp", true)) {
      absl::StatusOr<Tlp> parsed = ParseTlp(*tlp);
      if (parsed.ok()) {
        ds.tlp = *parsed;
      } else {
        c.Error(Checker::Line(*t.get("tlp"), line), path + ".tlp",
                std::string(parsed.status().message()));
      }
    }
    ParseDatasetGlobalBudgets(c, t, line, path, ds);
    out[ds.name] = std::move(ds);
  });
}

void ParseDp(Checker& c, const toml::table& t, uint32_t line, const std::string& path,
             AllianceConfig& a) {
  const toml::table* dp = c.Table(t, line, path, "dp");
  bool needs_dp = std::any_of(a.questions.begin(), a.questions.end(),
                              [](Question q) {
                                return q == Question::kCount || q == Question::kSum;
                              });
  if (dp == nullptr) {
    if (needs_dp && t.get("dp") == nullptr) {
      c.Error(line, path + ".dp",
              "missing: count and sum answers are noised, so the alliance needs a "
              "[" + path + ".dp] budget (epsilon, delta)");
    }
    return;
  }
  std::string dp_path = path + ".dp";
  uint32_t dp_line = Checker::Line(*dp, line);
  c.Keys(*dp, dp_path, {"epsilon", "delta"});
  DpBudget budget;
  for (auto [key, field] : {std::pair<std::string_view, std::string*>{"epsilon", &budget.epsilon},
                            {"delta", &budget.delta}}) {
    std::optional<std::string> v = DecimalString(c, *dp, dp_line, dp_path, key, true);
    if (!v) continue;
    if (!IsDecimal(*v)) {
      c.Error(Checker::Line(*dp->get(key), dp_line), Checker::Path(dp_path, key),
              StrCat("\"", *v, "\" is not a non-negative decimal number (digits, "
                               "optionally a '.' and more digits)"));
      continue;
    }
    *field = *v;
  }
  a.dp = std::move(budget);
}

// ParseQuorumPolicy reads [alliances.<name>.quorum]; the table is allowed
// only when the alliance allows the quorum question.
void ParseQuorumPolicy(Checker& c, const toml::table& t, uint32_t line, const std::string& path,
                       AllianceConfig& a) {
  const bool allowed =
      std::find(a.questions.begin(), a.questions.end(), Question::kQuorum) != a.questions.end();
  const toml::table* q = c.Table(t, line, path, "quorum");
  const std::string q_path = path + ".quorum";
  if (q == nullptr) {
    if (allowed) a.quorum = QuorumPolicy();
    return;
  }
  const uint32_t q_line = Checker::Line(*q, line);
  if (!allowed) {
    c.Error(q_line, q_path, "the alliance does not allow the question \"quorum\"");
    return;
  }
  c.Keys(*q, q_path, {"min_members", "max_members", "min_threshold", "hide_count"});
  QuorumPolicy p;
  auto key_line = [&](std::string_view key) { return Checker::Line(*q->get(key), q_line); };
  if (auto v = c.Integer(*q, q_line, q_path, "min_members", false, kMaxQuorumMembers)) {
    if (*v < 3) {
      c.Error(key_line("min_members"), q_path + ".min_members",
              "must be at least 3 (two members ask a match or count job)");
    }
    p.min_members = static_cast<uint32_t>(*v);
  }
  if (auto v = c.Integer(*q, q_line, q_path, "max_members", false, kMaxQuorumMembers)) {
    p.max_members = static_cast<uint32_t>(*v);
    if (p.max_members < p.min_members) {
      c.Error(key_line("max_members"), q_path + ".max_members",
              StrCat("must be at least min_members (", p.min_members, ")"));
    }
  }
  if (auto v = c.Integer(*q, q_line, q_path, "min_threshold", false, kMaxQuorumMembers)) {
    if (*v < 2) {
      c.Error(key_line("min_threshold"), q_path + ".min_threshold", "must be at least 2");
    }
    p.min_threshold = static_cast<uint32_t>(*v);
  }
  if (auto h = c.String(*q, q_line, q_path, "hide_count", false)) {
    if (*h == "allowed") {
      p.hide_count = HideCount::kAllowed;
    } else if (*h == "required") {
      p.hide_count = HideCount::kRequired;
    } else {
      c.Error(key_line("hide_count"), q_path + ".hide_count",
              StrCat("\"", *h, "\" is neither \"allowed\" nor \"required\""));
    }
  }
  a.quorum = p;
}

std::string ToUpperTlp(Tlp t) {
  std::string s(TlpName(t));
  for (char& ch : s) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  }
  return s;
}

void ParseAlliances(Checker& c, const toml::table& root, const Config& config,
                    std::map<std::string, AllianceConfig>& out) {
  ForEachNamedTable(c, root, "alliances", [&](const std::string& name, const std::string& path,
                                              const toml::table& t, uint32_t line) {
    c.Keys(t, path,
           {"members", "datasets", "questions", "protocols", "min_set_size", "max_set_size",
            "jobs_per_hour_per_peer", "approval", "tlp_ceiling", "dp",
            "max_peer_items_per_day", "max_revealed_items_per_day", "require_build",
            "security", "quorum"});
    AllianceConfig a;
    a.name = name;

    if (auto members = c.Strings(t, line, path, "members", true)) {
      if (members->empty()) c.Error(line, path + ".members", "must name at least one peer");
      for (const auto& [m, m_line] : *members) {
        if (config.peers.count(m) == 0) {
          c.Error(m_line, path + ".members",
                  StrCat("\"", m, "\" is not a peer (no [peers.", m, "] table)"));
        } else if (std::find(a.members.begin(), a.members.end(), m) != a.members.end()) {
          c.Error(m_line, path + ".members", StrCat("\"", m, "\" is listed twice"));
        } else {
          a.members.push_back(m);
        }
      }
    }

    if (auto questions = c.Strings(t, line, path, "questions", true)) {
      if (questions->empty()) c.Error(line, path + ".questions", "must allow at least one");
      for (const auto& [q, q_line] : *questions) {
        if (q == "match") {
          a.questions.push_back(Question::kMatch);
        } else if (q == "count") {
          a.questions.push_back(Question::kCount);
        } else if (q == "sum") {
          a.questions.push_back(Question::kSum);
        } else if (q == "quorum") {
          a.questions.push_back(Question::kQuorum);
        } else {
          c.Error(q_line, path + ".questions",
                  StrCat("\"", q, "\" is not a question (match, count, sum or quorum)"));
        }
      }
    }

    if (auto protocols = c.Strings(t, line, path, "protocols", true)) {
      if (protocols->empty()) c.Error(line, path + ".protocols", "must allow at least one");
      for (const auto& [p, p_line] : *protocols) {
        if (p == "rr22" || p == "ecdh") {
          a.protocols.push_back(p);
        } else {
          c.Error(p_line, path + ".protocols",
                  StrCat("\"", p, "\" is not a protocol (rr22 or ecdh)"));
        }
      }
    }

    constexpr uint64_t kMaxSetSize = uint64_t{1} << 40;
    if (auto v = c.Integer(t, line, path, "min_set_size", false, kMaxSetSize)) {
      a.min_set_size = *v;
    }
    if (auto v = c.Integer(t, line, path, "max_set_size", true, kMaxSetSize)) {
      a.max_set_size = *v;
      if (a.max_set_size < a.min_set_size || a.max_set_size == 0) {
        c.Error(Checker::Line(*t.get("max_set_size"), line), path + ".max_set_size",
                StrCat("must be at least min_set_size (", a.min_set_size, ") and above 0"));
      }
    }
    if (auto v = c.Integer(t, line, path, "jobs_per_hour_per_peer", true, 1000000)) {
      if (*v == 0) {
        c.Error(Checker::Line(*t.get("jobs_per_hour_per_peer"), line),
                path + ".jobs_per_hour_per_peer",
                "must be at least 1 (leave the peer out of the alliance to allow none)");
      }
      a.jobs_per_hour_per_peer = static_cast<uint32_t>(*v);
    }
    for (auto [key, field] :
         {std::pair<const char*, uint64_t*>{"max_peer_items_per_day", &a.max_peer_items_per_day},
          {"max_revealed_items_per_day", &a.max_revealed_items_per_day}}) {
      if (auto v = c.Integer(t, line, path, key, false, kMaxSetSize)) {
        if (*v == 0) {
          c.Error(Checker::Line(*t.get(key), line), StrCat(path, ".", key),
                  "must be at least 1 (leave the key out for no limit)");
        }
        *field = *v;
      }
    }
    if (auto builds = c.Strings(t, line, path, "require_build", false)) {
      if (builds->empty()) {
        c.Error(line, path + ".require_build",
                "must list at least one build (leave the key out to accept any)");
      }
      for (const auto& [b, b_line] : *builds) {
        absl::StatusOr<std::string> digest = ParseBuildDigest(b);
        if (!digest.ok()) {
          c.Error(b_line, path + ".require_build", std::string(digest.status().message()));
        } else if (std::find(a.require_build.begin(), a.require_build.end(), *digest) !=
                   a.require_build.end()) {
          c.Error(b_line, path + ".require_build", StrCat("\"", b, "\" is listed twice"));
        } else {
          a.require_build.push_back(*std::move(digest));
        }
      }
    }
    if (auto approval = c.String(t, line, path, "approval", true)) {
      if (*approval == "auto") {
        a.approval = Approval::kAuto;
      } else if (*approval == "manual") {
        a.approval = Approval::kManual;
      } else {
        c.Error(Checker::Line(*t.get("approval"), line), path + ".approval",
                StrCat("\"", *approval, "\" is neither \"auto\" nor \"manual\""));
      }
    }
    if (auto security = c.String(t, line, path, "security", false)) {
      absl::StatusOr<session::Security> parsed = session::ParseSecurity(*security);
      if (parsed.ok()) {
        a.security = *parsed;
      } else {
        c.Error(Checker::Line(*t.get("security"), line), path + ".security",
                StrCat("\"", *security, "\" is neither \"malicious\" nor \"semi-honest\""));
      }
    }
    bool have_ceiling = false;
    if (auto tlp = c.String(t, line, path, "tlp_ceiling", true)) {
      absl::StatusOr<Tlp> parsed = ParseTlp(*tlp);
      if (parsed.ok()) {
        a.tlp_ceiling = *parsed;
        have_ceiling = true;
      } else {
        c.Error(Checker::Line(*t.get("tlp_ceiling"), line), path + ".tlp_ceiling",
                std::string(parsed.status().message()));
      }
    }

    if (const toml::table* ds = c.Table(t, line, path, "datasets")) {
      std::string ds_path = path + ".datasets";
      uint32_t ds_line = Checker::Line(*ds, line);
      for (auto&& [member, names_node] : *ds) {
        std::string m(member.str());
        std::string m_path = StrCat(ds_path, ".", m);
        uint32_t m_line = Checker::Line(names_node, ds_line);
        if (std::find(a.members.begin(), a.members.end(), m) == a.members.end()) {
          c.Error(m_line, m_path, StrCat("\"", m, "\" is not a member of this alliance"));
          continue;
        }
        std::optional<std::vector<std::pair<std::string, uint32_t>>> names =
            c.Strings(*ds, ds_line, ds_path, m, true);
        if (!names) continue;
        std::vector<std::string>& allowed = a.datasets[m];
        for (const auto& [name, n_line] : *names) {
          auto it = config.datasets.find(name);
          if (it == config.datasets.end()) {
            c.Error(n_line, m_path,
                    StrCat("\"", name, "\" is not a dataset (no [datasets.", name, "] table)"));
            continue;
          }
          if (have_ceiling && it->second.tlp > a.tlp_ceiling) {
            c.Error(n_line, m_path,
                    StrCat("dataset \"", name, "\" is TLP:", ToUpperTlp(it->second.tlp),
                           ", above the alliance's ceiling TLP:", ToUpperTlp(a.tlp_ceiling)));
            continue;
          }
          allowed.push_back(name);
        }
      }
    }
    ParseDp(c, t, line, path, a);
    ParseQuorumPolicy(c, t, line, path, a);
    out[a.name] = std::move(a);
  });
}


}  // namespace

std::string_view TlpName(Tlp tlp) {
  switch (tlp) {
    case Tlp::kClear: return "clear";
    case Tlp::kGreen: return "green";
    case Tlp::kAmber: return "amber";
    case Tlp::kAmberStrict: return "amber+strict";
    case Tlp::kRed: return "red";
  }
  return "red";
}

absl::StatusOr<Tlp> ParseTlp(std::string_view name) {
  std::string s = ToLower(name);
  if (s.rfind("tlp:", 0) == 0) s.erase(0, 4);
  for (Tlp t : {Tlp::kClear, Tlp::kGreen, Tlp::kAmber, Tlp::kAmberStrict, Tlp::kRed}) {
    if (s == TlpName(t)) return t;
  }
  return absl::InvalidArgumentError(
      StrCat("\"", name, "\" is not a TLP 2.0 marking (clear, green, amber, amber+strict, red)"));
}

std::string_view HideCountName(HideCount h) {
  return h == HideCount::kRequired ? "required" : "allowed";
}

std::string_view ApprovalName(Approval a) {
  return a == Approval::kAuto ? "auto" : "manual";
}

std::string_view CatchUpName(CatchUp c) { return c == CatchUp::kLatest ? "latest" : "none"; }

std::string_view WebhookEventName(WebhookEvent e) {
  switch (e) {
    case WebhookEvent::kJobSucceeded: return "job_succeeded";
    case WebhookEvent::kJobFailed: return "job_failed";
    case WebhookEvent::kJobRefused: return "job_refused";
    case WebhookEvent::kJobCancelled: return "job_cancelled";
    case WebhookEvent::kScheduleMissed: return "schedule_missed";
    case WebhookEvent::kQuorumAlert: return "quorum_alert";
  }
  return "job_failed";
}

absl::StatusOr<WebhookEvent> ParseWebhookEvent(std::string_view name) {
  for (WebhookEvent e : {WebhookEvent::kJobSucceeded, WebhookEvent::kJobFailed,
                         WebhookEvent::kJobRefused, WebhookEvent::kJobCancelled,
                         WebhookEvent::kScheduleMissed, WebhookEvent::kQuorumAlert}) {
    if (name == WebhookEventName(e)) return e;
  }
  return absl::InvalidArgumentError(
      StrCat("\"", name, "\" is not a webhook event (job_succeeded, job_failed, job_refused, "
                          "job_cancelled, schedule_missed, quorum_alert)"));
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.' || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
  });
}

absl::StatusOr<Config> ParseConfig(std::string_view text, const std::string& source_name,
                                   const std::string& base_dir) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(StrCat(source_name, ":", e.source().begin.line,
                                             ": not valid TOML: ", e.description()));
  }
  Checker c(source_name);
  c.Keys(root, "", {"node", "peers", "datasets", "alliances", "schedules", "webhooks"});
  Config config;
  ParseNode(c, root, config.node);
  ParsePeers(c, root, config.peers);
  ParseDatasets(c, root, base_dir, config.datasets);
  ParseAlliances(c, root, config, config.alliances);
  ParseSchedules(c, root, config, config.schedules);
  ParseWebhooks(c, root, base_dir, config.webhooks);
  LIAISON_RETURN_IF_ERROR(c.Result());
  return config;
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(StrCat("cannot open the config file ", path));
  std::string text;
  char buf[8192];
  while (f.read(buf, sizeof(buf)) || f.gcount() > 0) {
    text.append(buf, static_cast<size_t>(f.gcount()));
    if (text.size() > kMaxConfigLen) {
      return absl::InvalidArgumentError(StrCat(path, " is over 1 MiB; not a liaison config"));
    }
  }
  if (f.bad()) return absl::InternalError(StrCat("cannot read the config file ", path));
  size_t slash = path.rfind('/');
  std::string base_dir(".");
  if (slash != std::string::npos) base_dir = path.substr(0, slash == 0 ? 1 : slash);
  return ParseConfig(text, path, base_dir);
}

}  // namespace liaison::node
