#include "node/config.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <set>
#include <sstream>
#include <toml++/toml.h>
#include <utility>

#include "base/status.h"
#include "base/strings.h"
#include "net/identity.h"
#include "net/tls_channel.h"
#include "node/dp_jobs.h"
#include "node/peer_protocol.h"
#include "node/schedule.h"
#include "node/webhook.h"
#include "session/handshake.h"

namespace liaison::node {
namespace {

constexpr size_t kMaxConfigLen = 1 << 20;

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view NodeTypeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return "a date or time";
    default: return "nothing";
  }
}

std::string Join(const std::vector<std::string>& v) { return StrJoin(v, ", "); }

// Checker collects validation errors with the line they refer to.
class Checker {
 public:
  explicit Checker(std::string source) : source_(std::move(source)) {}

  void Error(uint32_t line, std::string_view key, std::string_view what) {
    errors_.push_back({line, StrCat(source_, ":", line, ": ", key, ": ", what)});
  }

  // Line returns the line of `n`, or `fallback` when toml++ has none (an
  // implicit table).
  static uint32_t Line(const toml::node& n, uint32_t fallback) {
    uint32_t line = n.source().begin.line;
    return line != 0 ? line : fallback;
  }

  // Keys reports every key of `t` not in `allowed`.
  void Keys(const toml::table& t, std::string_view path,
            std::initializer_list<std::string_view> allowed) {
    for (auto&& [k, v] : t) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
      std::vector<std::string> names(allowed.begin(), allowed.end());
      Error(k.source().begin.line != 0 ? k.source().begin.line : Line(v, 0),
            Path(path, k.str()), StrCat("unknown key (expected one of: ", Join(names), ")"));
    }
  }

  // String returns the string at t[key]; an error if it has another type, or
  // if it is missing and `required`.
  std::optional<std::string> String(const toml::table& t, uint32_t table_line,
                                    std::string_view path, std::string_view key,
                                    bool required) {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) Error(table_line, Path(path, key), "missing (required)");
      return std::nullopt;
    }
    if (!n->is_string()) {
      Error(Line(*n, table_line), Path(path, key),
            StrCat("must be a string, not ", NodeTypeName(*n)));
      return std::nullopt;
    }
    return n->as_string()->get();
  }

  // Integer returns the non-negative integer at t[key], at most `max`.
  std::optional<uint64_t> Integer(const toml::table& t, uint32_t table_line,
                                  std::string_view path, std::string_view key,
                                  bool required, uint64_t max) {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) Error(table_line, Path(path, key), "missing (required)");
      return std::nullopt;
    }
    if (!n->is_integer()) {
      Error(Line(*n, table_line), Path(path, key),
            StrCat("must be an integer, not ", NodeTypeName(*n)));
      return std::nullopt;
    }
    int64_t v = n->as_integer()->get();
    if (v < 0 || static_cast<uint64_t>(v) > max) {
      Error(Line(*n, table_line), Path(path, key),
            StrCat("must be between 0 and ", max, ", not ", v));
      return std::nullopt;
    }
    return static_cast<uint64_t>(v);
  }

  // Strings returns the array of strings at t[key], with each element's line.
  std::optional<std::vector<std::pair<std::string, uint32_t>>> Strings(
      const toml::table& t, uint32_t table_line, std::string_view path,
      std::string_view key, bool required) {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) Error(table_line, Path(path, key), "missing (required)");
      return std::nullopt;
    }
    uint32_t line = Line(*n, table_line);
    if (!n->is_array()) {
      Error(line, Path(path, key),
            StrCat("must be an array of strings, not ", NodeTypeName(*n)));
      return std::nullopt;
    }
    std::vector<std::pair<std::string, uint32_t>> out;
    for (const toml::node& e : *n->as_array()) {
      if (!e.is_string()) {
        Error(Line(e, line), Path(path, key),
              StrCat("must be an array of strings; found ", NodeTypeName(e)));
        return std::nullopt;
      }
      out.emplace_back(e.as_string()->get(), Line(e, line));
    }
    return out;
  }

  // Table returns t[key] as a table, an error if it is something else.
  const toml::table* Table(const toml::table& t, uint32_t table_line,
                           std::string_view path, std::string_view key) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) {
      Error(Line(*n, table_line), Path(path, key),
            StrCat("must be a table, not ", NodeTypeName(*n)));
      return nullptr;
    }
    return n->as_table();
  }

  static std::string Path(std::string_view path, std::string_view key) {
    return path.empty() ? std::string(key) : StrCat(path, ".", key);
  }

  absl::Status Result() {
    if (errors_.empty()) return absl::OkStatus();
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string msg = errors_.front().second;
    if (errors_.size() > 1) {
      StrAppend(msg, " (and ", errors_.size() - 1, " more error",
                errors_.size() > 2 ? "s" : "", ")");
    }
    return absl::InvalidArgumentError(msg);
  }

 private:
  std::string source_;
  std::vector<std::pair<uint32_t, std::string>> errors_;
};

bool IsDecimal(std::string_view s) {
  size_t i = 0;
  size_t int_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++int_digits;
  if (int_digits == 0) return false;
  if (i == s.size()) return true;
  if (s[i] != '.') return false;
  ++i;
  size_t frac_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac_digits;
  return frac_digits > 0 && i == s.size();
}

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

void CheckNameKey(Checker& c, std::string_view section, const toml::key& k,
                  const toml::node& v) {
  if (!IsValidName(k.str())) {
    c.Error(Checker::Line(v, k.source().begin.line), Checker::Path(section, k.str()),
            "not a valid name (1 to 64 letters, digits, '.', '_' or '-', not "
            "starting with '.' or '-')");
  }
}

// ForEachNamedTable calls `fn(name, path, table, line)` for each
// [<section>.<name>] table, after checking the name; entries that are not
// tables are reported and skipped.
void ForEachNamedTable(
    Checker& c, const toml::table& root, std::string_view section,
    const std::function<void(const std::string&, const std::string&, const toml::table&,
                             uint32_t)>& fn) {
  const toml::table* tables = c.Table(root, 1, "", section);
  if (tables == nullptr) return;
  for (auto&& [k, v] : *tables) {
    std::string name(k.str());
    std::string path = StrCat(section, ".", name);
    CheckNameKey(c, section, k, v);
    if (!v.is_table()) {
      c.Error(Checker::Line(v, 1), path, StrCat("must be a table, not ", NodeTypeName(v)));
      continue;
    }
    fn(name, path, *v.as_table(), Checker::Line(v, k.source().begin.line));
  }
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
          "peer_retry_attempts", "peer_retry_initial_seconds", "peer_retry_max_seconds"});
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

// DecimalString returns the string at t[key], like Checker::String, but
// names the mistake of writing a DP parameter as a TOML number.
std::optional<std::string> DecimalString(Checker& c, const toml::table& t, uint32_t line,
                                         std::string_view path, std::string_view key,
                                         bool required) {
  const toml::node* n = t.get(key);
  if (n != nullptr && (n->is_floating_point() || n->is_integer())) {
    c.Error(Checker::Line(*n, line), Checker::Path(path, key),
            "must be a quoted decimal string such as \"0.5\": a TOML number "
            "goes through binary floating point and is not exact");
    return std::nullopt;
  }
  return c.String(t, line, path, key, required);
}

// ParseDatasetGlobalBudgets reads a dataset's budgets across all peers:
// dp_global_epsilon and dp_global_delta (both or neither, quoted decimals)
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
                              [](Question q) { return q != Question::kMatch; });
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
            "max_peer_items_per_day", "max_revealed_items_per_day", "security"});
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
        } else {
          c.Error(q_line, path + ".questions",
                  StrCat("\"", q, "\" is not a question (match, count or sum)"));
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
    out[a.name] = std::move(a);
  });
}

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

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
// sum also needs the alliance's [alliances.<name>.dp] budget. False if
// anything is wrong.
bool ParseScheduleDp(Checker& c, const toml::table& t, uint32_t line, const std::string& path,
                     const Config& config, const AllianceConfig* alliance,
                     std::optional<Question> question, JobTemplate& job) {
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
      JobDpOf(QuestionName(*question), job.protocol, job.result_to,
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

void ParseSchedules(Checker& c, const toml::table& root, const Config& config,
                    std::map<std::string, ScheduleConfig>& out) {
  ForEachNamedTable(c, root, "schedules", [&](const std::string& name, const std::string& path,
                                              const toml::table& t, uint32_t line) {
    c.Keys(t, path,
           {"alliance", "peer", "dataset", "question", "protocol", "result_to", "epsilon",
            "delta", "count_epsilon", "bounds", "every", "at", "daily", "catch_up"});
    ScheduleConfig sc;
    sc.name = name;
    JobTemplate& job = sc.job;
    bool ok = ParseRecurrence(c, t, line, path, sc.recurrence);
    auto line_of = [&](std::string_view key) { return Checker::Line(*t.get(key), line); };

    const AllianceConfig* alliance = nullptr;
    if (auto a = c.String(t, line, path, "alliance", true)) {
      job.alliance = *a;
      auto it = config.alliances.find(*a);
      if (it == config.alliances.end()) {
        c.Error(line_of("alliance"), path + ".alliance",
                StrCat("\"", *a, "\" is not an alliance (no [alliances.", *a, "] table)"));
        ok = false;
      } else {
        alliance = &it->second;
      }
    }
    if (auto p = c.String(t, line, path, "peer", true)) {
      job.peer = *p;
      if (alliance != nullptr && !Contains(alliance->members, *p)) {
        c.Error(line_of("peer"), path + ".peer",
                StrCat("\"", *p, "\" is not a member of alliance \"", job.alliance, "\""));
        ok = false;
      }
    }
    if (auto d = c.String(t, line, path, "dataset", true)) {
      job.dataset = *d;
      if (alliance != nullptr && !job.peer.empty()) {
        auto allowed = alliance->datasets.find(job.peer);
        if (allowed == alliance->datasets.end() || !Contains(allowed->second, *d)) {
          c.Error(line_of("dataset"), path + ".dataset",
                  StrCat("alliance \"", job.alliance, "\" does not allow dataset \"", *d,
                         "\" in jobs with \"", job.peer, "\" (see [alliances.", job.alliance,
                         ".datasets])"));
          ok = false;
        }
      }
    }
    std::optional<Question> valid_question;
    if (auto q = c.String(t, line, path, "question", true)) {
      std::optional<Question> question;
      for (Question cand : {Question::kMatch, Question::kCount, Question::kSum}) {
        if (*q == QuestionName(cand)) question = cand;
      }
      if (!question) {
        c.Error(line_of("question"), path + ".question",
                StrCat("\"", *q, "\" is not a question (match, count or sum)"));
        ok = false;
      } else {
        job.question = *question;
        if (alliance != nullptr && !Contains(alliance->questions, *question)) {
          c.Error(line_of("question"), path + ".question",
                  StrCat("alliance \"", job.alliance, "\" does not allow the question \"", *q,
                         "\""));
          ok = false;
        } else {
          valid_question = question;
        }
      }
    }
    if (auto p = c.String(t, line, path, "protocol", true)) {
      job.protocol = *p;
      if (alliance != nullptr && !Contains(alliance->protocols, *p)) {
        c.Error(line_of("protocol"), path + ".protocol",
                StrCat("alliance \"", job.alliance, "\" does not allow the protocol \"", *p,
                       "\""));
        ok = false;
      }
    }
    if (auto r = c.String(t, line, path, "result_to", false)) {
      if (!session::ParseResultTo(*r).ok()) {
        c.Error(line_of("result_to"), path + ".result_to",
                StrCat("\"", *r, "\" is not both, me or peer"));
        ok = false;
      }
      job.result_to = *r;
    }
    if (!ParseScheduleDp(c, t, line, path, config, alliance, valid_question, job)) ok = false;
    if (ok && alliance != nullptr && valid_question) {
      // Every run would be refused (SubmitJob): an error now, not then.
      absl::StatusOr<session::Security> security =
          SecurityFor(*alliance, job.protocol, QuestionName(*valid_question));
      if (!security.ok()) {
        c.Error(line_of("question"), path + ".question",
                std::string(security.status().message()));
        ok = false;
      }
    }
    if (auto cu = c.String(t, line, path, "catch_up", false)) {
      if (*cu == "none") {
        sc.catch_up = CatchUp::kNone;
      } else if (*cu == "latest") {
        sc.catch_up = CatchUp::kLatest;
      } else {
        c.Error(line_of("catch_up"), path + ".catch_up",
                StrCat("\"", *cu, "\" is neither \"none\" nor \"latest\""));
        ok = false;
      }
    }
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
                  WebhookEvent::kScheduleMissed};
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

std::string_view QuestionName(Question q) {
  switch (q) {
    case Question::kMatch: return "match";
    case Question::kCount: return "count";
    case Question::kSum: return "sum";
  }
  return "match";
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
  }
  return "job_failed";
}

absl::StatusOr<WebhookEvent> ParseWebhookEvent(std::string_view name) {
  for (WebhookEvent e : {WebhookEvent::kJobSucceeded, WebhookEvent::kJobFailed,
                         WebhookEvent::kJobRefused, WebhookEvent::kJobCancelled,
                         WebhookEvent::kScheduleMissed}) {
    if (name == WebhookEventName(e)) return e;
  }
  return absl::InvalidArgumentError(
      StrCat("\"", name, "\" is not a webhook event (job_succeeded, job_failed, job_refused, "
                          "job_cancelled, schedule_missed)"));
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
