// String helpers. Debian's abseil is built with its own absl::string_view
// (not std::string_view), so absl::StrCat does not take std::string_view;
// liaison code uses StrCat from here, which takes std::string_view, strings,
// C strings, characters and integers.
#ifndef LIAISON_BASE_STRINGS_H_
#define LIAISON_BASE_STRINGS_H_

#include <concepts>
#include <string>
#include <string_view>
#include <vector>
#include <type_traits>

namespace liaison {
namespace strings_internal {

inline void Append(std::string& out, std::string_view s) { out.append(s); }
inline void Append(std::string& out, const char* s) { out.append(s); }
inline void Append(std::string& out, const std::string& s) { out.append(s); }
inline void Append(std::string& out, char c) { out.push_back(c); }
template <typename T>
  requires(std::integral<T> && !std::same_as<T, char> && !std::same_as<T, bool>)
void Append(std::string& out, T v) {
  out.append(std::to_string(v));
}
inline void Append(std::string& out, bool v) { out.append(v ? "true" : "false"); }
template <typename T>
  requires std::floating_point<T>
void Append(std::string& out, T v) {
  char buf[32];
  int n = __builtin_snprintf(buf, sizeof(buf), "%.6g", static_cast<double>(v));
  out.append(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

}  // namespace strings_internal

// StrCat concatenates its arguments' text forms.
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (strings_internal::Append(out, args), ...);
  return out;
}

// StrAppend appends its arguments' text forms to `out`.
template <typename... Args>
void StrAppend(std::string& out, const Args&... args) {
  (strings_internal::Append(out, args), ...);
}

// StrJoin returns the elements of `parts` with `separator` between them.
inline std::string StrJoin(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i != 0) out.append(separator);
    out.append(parts[i]);
  }
  return out;
}

}  // namespace liaison

#endif  // LIAISON_BASE_STRINGS_H_
