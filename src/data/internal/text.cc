#include "data/internal/text.h"

#include "base/escape.h"
#include "base/strings.h"

namespace liaison::data::internal {

std::string_view TrimAsciiSpace(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size() && IsAsciiSpace(s[begin])) ++begin;
  size_t end = s.size();
  while (end > begin && IsAsciiSpace(s[end - 1])) --end;
  return s.substr(begin, end - begin);
}

std::string AsciiLowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool IsAllAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::string DescribeChar(char c) {
  if (c > 0x20 && c < 0x7f) return StrCat('\'', c, '\'');
  if (c == ' ') return "a space";
  static constexpr char kDigits[] = "0123456789ABCDEF";
  auto u = static_cast<unsigned char>(c);
  return StrCat("\\x", kDigits[u >> 4], kDigits[u & 0xf]);
}

absl::Status CheckUtf8Text(std::string_view s, std::string_view what) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8Char(s.substr(i), cp);
    if (len == 0) {
      return Invalid(StrCat(what, " is not valid UTF-8 (byte ", i + 1, " is ", DescribeChar(s[i]), ")"));
    }
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      return Invalid(StrCat(what, " contains the control character ",
                            EscapeNonPrintable(s.substr(i, len)), " (byte ", i + 1, ")"));
    }
    i += len;
  }
  return absl::OkStatus();
}

absl::Status Invalid(std::string_view reason) {
  return absl::InvalidArgumentError(
      absl::string_view(reason.data(), reason.size()));
}

}  // namespace liaison::data::internal
