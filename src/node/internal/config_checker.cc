#include "node/internal/config_checker.h"

namespace liaison::node::internal {

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

void CheckNameKey(Checker& c, std::string_view section, const toml::key& k,
                  const toml::node& v) {
  if (!IsValidName(k.str())) {
    c.Error(Checker::Line(v, k.source().begin.line), Checker::Path(section, k.str()),
            "not a valid name (1 to 64 letters, digits, '.', '_' or '-', not "
            "starting with '.' or '-')");
  }
}

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

}  // namespace liaison::node::internal
