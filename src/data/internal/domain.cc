#include "data/internal/domain.h"

#include <idn2.h>

#include <memory>

#include "base/status.h"
#include "base/strings.h"
#include "data/internal/text.h"

namespace liaison::data::internal {
namespace {

constexpr size_t kMaxLabelLen = 63;
constexpr size_t kMaxDomainLen = 253;
constexpr size_t kMaxLocalPartLen = 64;
constexpr int kIdnaFlags = IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL;

struct Idn2Free {
  void operator()(char* p) const { idn2_free(p); }
};

// IdnaLookup runs libidn2's lookup conversion on `s` (which must not contain
// NUL bytes, checked by the caller).
absl::StatusOr<std::string> IdnaLookup(std::string_view s) {
  std::string input(s);
  char* raw_out = nullptr;
  int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(input.c_str()),
                          reinterpret_cast<uint8_t**>(&raw_out), kIdnaFlags);
  std::unique_ptr<char, Idn2Free> out(raw_out);
  if (rc != IDN2_OK) {
    return Invalid(StrCat("domain is not a valid internationalised name (",
                          idn2_strerror(rc), ")"));
  }
  return std::string(out.get());
}

absl::Status CheckLabel(std::string_view label) {
  if (label.empty()) return Invalid("domain has an empty label");
  if (label.size() > kMaxLabelLen) {
    return Invalid(
        StrCat("domain label longer than ", kMaxLabelLen, " characters"));
  }
  for (char c : label) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '-') {
      return Invalid(StrCat("domain label contains ", DescribeChar(c),
                            " (only letters, digits and '-' are allowed)"));
    }
  }
  if (label.front() == '-' || label.back() == '-') {
    return Invalid("domain label starts or ends with '-'");
  }
  return absl::OkStatus();
}

// NormalizeAsciiDomain handles a value that is already all ASCII.
absl::StatusOr<std::string> NormalizeAsciiDomain(std::string_view s) {
  std::string out = AsciiLowerCopy(s);
  if (!out.empty() && out.back() == '.') out.pop_back();
  if (out.empty()) return Invalid("domain is empty");
  if (out.size() > kMaxDomainLen) {
    return Invalid(StrCat("domain longer than ", kMaxDomainLen, " characters"));
  }
  size_t start = 0;
  std::string_view view(out);
  std::string_view label;
  while (true) {
    size_t dot = view.find('.', start);
    label = view.substr(start, dot == std::string_view::npos
                                   ? std::string_view::npos
                                   : dot - start);
    LIAISON_RETURN_IF_ERROR(CheckLabel(label));
    if (label.size() >= 4 && label.substr(0, 4) == "xn--") {
      auto checked = IdnaLookup(label);
      if (!checked.ok()) {
        return Invalid(
            StrCat("domain label '", label, "' is not a valid IDNA A-label"));
      }
      if (*checked != label) {
        return Invalid(StrCat("domain label '", label,
                              "' is not in canonical A-label form"));
      }
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  bool all_digits = true;
  for (char c : label) all_digits = all_digits && IsDigit(c);
  if (all_digits) return Invalid("domain top-level label is all digits");
  return out;
}

}  // namespace

absl::StatusOr<std::string> NormalizeDomain(std::string_view s) {
  if (s.empty()) return Invalid("domain is empty");
  for (char c : s) {
    if (c == '\0') return Invalid("domain contains a NUL byte");
  }
  if (IsAllAscii(s)) return NormalizeAsciiDomain(s);
  LIAISON_RETURN_IF_ERROR(CheckUtf8Text(s, "domain"));
  LIAISON_ASSIGN_OR_RETURN(std::string a_labels, IdnaLookup(s));
  if (!IsAllAscii(a_labels)) {
    return absl::InternalError("libidn2 returned a non-ASCII name");
  }
  return NormalizeAsciiDomain(a_labels);
}

absl::StatusOr<std::string> NormalizeEmail(std::string_view s) {
  size_t at = s.rfind('@');
  if (at == std::string_view::npos) return Invalid("email has no '@'");
  std::string_view local = s.substr(0, at);
  if (local.empty()) return Invalid("email local part is empty");
  if (local.size() > kMaxLocalPartLen) {
    return Invalid(
        StrCat("email local part longer than ", kMaxLocalPartLen, " octets"));
  }
  for (size_t i = 0; i < local.size(); ++i) {
    if (local[i] == ' ') {
      return Invalid(StrCat("email local part contains a space (byte ", i + 1, ")"));
    }
  }
  LIAISON_RETURN_IF_ERROR(CheckUtf8Text(local, "email local part"));
  auto domain = NormalizeDomain(s.substr(at + 1));
  if (!domain.ok()) {
    return Invalid(StrCat("email ", MessageOf(domain.status())));
  }
  return StrCat(local, '@', *domain);
}

}  // namespace liaison::data::internal
