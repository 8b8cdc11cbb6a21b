#include "data/internal/refang.h"

#include "data/internal/text.h"
#include "re2/re2.h"

namespace liaison::data::internal {
namespace {

struct BracketForm {
  std::string_view defanged;
  std::string_view refanged;
};

constexpr BracketForm kBracketForms[] = {
    {"[://]", "://"}, {"[.]", "."},   {"(.)", "."},  {"{.}", "."},
    {"[dot]", "."},   {"(dot)", "."}, {"[at]", "@"}, {"(at)", "@"},
    {"[@]", "@"},     {"[:]", ":"},
};

bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         EqualsIgnoreAsciiCase(s.substr(s.size() - suffix.size()), suffix);
}

// MayBeDefanged is a cheap filter: every rule needs a bracket or a leading
// 'h', so most values skip the work entirely.
bool MayBeDefanged(std::string_view s) {
  if (!s.empty() && (s[0] == 'h' || s[0] == 'H')) return true;
  return s.find_first_of("[({") != std::string_view::npos;
}

// RefangBrackets applies rules 1-4 to a fixed point in one pass. Each form
// ends with a closing bracket, so a match can only end where one was just
// appended; a replacement ends with '.', '@', ':' or '/', so it cannot
// complete another form by itself, but it can become the inside of an
// enclosing form that a later closing bracket completes ("([.])").
std::string RefangBrackets(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    out.push_back(c);
    if (c != ']' && c != ')' && c != '}') continue;
    for (const BracketForm& form : kBracketForms) {
      if (EndsWithIgnoreCase(out, form.defanged)) {
        out.resize(out.size() - form.defanged.size());
        out.append(form.refanged);
        break;
      }
    }
  }
  return out;
}

const RE2& DefangedScheme() {
  static const RE2* re = new RE2(R"(^([hH])[xX][xX]([pP](?:[sS])?:))");
  return *re;
}

}  // namespace

std::string Refang(std::string_view s) {
  if (!MayBeDefanged(s)) return std::string(s);
  std::string out = RefangBrackets(s);
  RE2::Replace(&out, DefangedScheme(), R"(\1tt\2)");
  return out;
}

}  // namespace liaison::data::internal
