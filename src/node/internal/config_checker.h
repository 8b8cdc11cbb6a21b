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
    errors_.push_back({false, line, StrCat(source_, ":", line, ": ", key, ": ", what)});
  }

  // Line returns the line of `n`, or `fallback` when toml++ has none (an
  // implicit table).
  static uint32_t Line(const toml::node& n, uint32_t fallback) {
    uint32_t line = n.source().begin.line;
    return line != 0 ? line : fallback;
  }

  // Keys reports every key of `t` not in `allowed`, naming the allowed key
  // it is closest to when that is a likely misspelling. These errors are
  // listed first (Result): a misspelt key is usually the cause of others,
  // such as the right key's "missing".
  void Keys(const toml::table& t, std::string_view path,
            std::initializer_list<std::string_view> allowed) {
    for (auto&& [k, v] : t) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
      std::vector<std::string> names(allowed.begin(), allowed.end());
      std::string hint;
      size_t best = 3;  // at most 2 edits away
      for (std::string_view a : allowed) {
        const size_t d = EditDistance(k.str(), a);
        if (d < best) {
          best = d;
          hint = StrCat("did you mean \"", a, "\"? ");
        }
      }
      const uint32_t line = k.source().begin.line != 0 ? k.source().begin.line : Line(v, 0);
      errors_.push_back({true, line,
                         StrCat(source_, ":", line, ": ", Path(path, k.str()), ": unknown key (",
                                hint, "expected one of: ", Join(names), ")")});
    }
  }

  // EditDistance is the Levenshtein distance of `a` and `b`.
  static size_t EditDistance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        const size_t above = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diagonal = above;
      }
    }
    return row[b.size()];
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

  // Result is every error, one a line: unknown keys first, then the others,
  // each group in the order of the file.
  absl::Status Result() {
    if (errors_.empty()) return absl::OkStatus();
    std::stable_sort(errors_.begin(), errors_.end(), [](const Found& a, const Found& b) {
      return a.unknown_key != b.unknown_key ? a.unknown_key : a.line < b.line;
    });
    std::vector<std::string> lines;
    for (const Found& e : errors_) lines.push_back(e.text);
    return absl::InvalidArgumentError(StrJoin(lines, "\n"));
  }

 private:
  struct Found {
    bool unknown_key;
    uint32_t line;
    std::string text;
  };
  std::string source_;
  std::vector<Found> errors_;
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
