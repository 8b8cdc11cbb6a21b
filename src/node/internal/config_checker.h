// What the parsers of liaison.toml (config.cc, config_automation.cc) share:
// the error collector and the checks of names, tables and decimal strings.
// Not for other code.
#ifndef LIAISON_NODE_INTERNAL_CONFIG_CHECKER_H_
#define LIAISON_NODE_INTERNAL_CONFIG_CHECKER_H_

#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "node/config.h"

namespace liaison::node::internal {

std::string ToLower(std::string_view s);
// NodeTypeName names the type of a TOML value for a person ("a table").
std::string_view NodeTypeName(const toml::node& n);
inline std::string Join(const std::vector<std::string>& v) { return StrJoin(v, ", "); }

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

// IsDecimal reports whether `s` is digits, optionally followed by '.' and
// more digits.
bool IsDecimal(std::string_view s);

// DecimalString returns the string at t[key], like Checker::String, but
// names the mistake of writing a DP parameter as a TOML number.
std::optional<std::string> DecimalString(Checker& c, const toml::table& t, uint32_t line,
                                         std::string_view path, std::string_view key,
                                         bool required);

// CheckNameKey reports a [<section>.<name>] whose name is not IsValidName.
void CheckNameKey(Checker& c, std::string_view section, const toml::key& k,
                  const toml::node& v);

// ForEachNamedTable calls `fn(name, path, table, line)` for each
// [<section>.<name>] table, after checking the name; entries that are not
// tables are reported and skipped.
void ForEachNamedTable(
    Checker& c, const toml::table& root, std::string_view section,
    const std::function<void(const std::string&, const std::string&, const toml::table&,
                             uint32_t)>& fn);

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// ParseSchedules and ParseWebhooks read the [schedules.*] and [webhooks.*]
// tables (config_automation.cc); `config` holds the sections parsed before.
void ParseSchedules(Checker& c, const toml::table& root, const Config& config,
                    std::map<std::string, ScheduleConfig>& out);
void ParseWebhooks(Checker& c, const toml::table& root, const std::string& base_dir,
                   std::map<std::string, WebhookConfig>& out);

}  // namespace liaison::node::internal

#endif  // LIAISON_NODE_INTERNAL_CONFIG_CHECKER_H_
