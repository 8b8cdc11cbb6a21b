// Character-level helpers shared by the normalisers and readers of the data
// module. Everything here works on bytes and ASCII only; Unicode processing is
// left to libidn2.
#ifndef LIAISON_DATA_INTERNAL_TEXT_H_
#define LIAISON_DATA_INTERNAL_TEXT_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "base/bytes.h"

namespace liaison::data::internal {

// IsAsciiSpace is true for the six ASCII whitespace characters: HT, LF, VT,
// FF, CR and SP.
inline bool IsAsciiSpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// IsControl is true for ASCII control characters (0x00-0x1F and 0x7F).
inline bool IsControl(char c) {
  return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
}
inline char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// HexValue (a hex digit's value) is base/bytes.h's.
using ::liaison::HexValue;

// TrimAsciiSpace returns `s` without ASCII whitespace at either end.
std::string_view TrimAsciiSpace(std::string_view s);

// AsciiLower returns `s` with A-Z mapped to a-z; other bytes are unchanged.
std::string AsciiLowerCopy(std::string_view s);

// IsAllAscii is true when every byte of `s` is below 0x80.
bool IsAllAscii(std::string_view s);

// EqualsIgnoreAsciiCase compares two strings, folding A-Z to a-z.
bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b);

// DescribeChar renders one byte for an error message: 'x' for printable
// ASCII, otherwise a \xHH escape, so messages stay printable.
std::string DescribeChar(char c);

// CheckUtf8Text returns OK when `s` is valid UTF-8 (RFC 3629) without
// control characters (0x00-0x1F, 0x7F, U+0080-U+009F); otherwise
// InvalidArgument naming `what` and the byte at fault, counted from 1:
// "email local part is not valid UTF-8 (byte 3 is \xFC)" or "email local
// part contains the control character \x1B (byte 2)".
absl::Status CheckUtf8Text(std::string_view s, std::string_view what);

// MessageOf views a status message as a std::string_view (Debian's abseil
// has its own absl::string_view, which liaison::StrCat does not take).
inline std::string_view MessageOf(const absl::Status& status) {
  absl::string_view m = status.message();
  return std::string_view(m.data(), m.size());
}

// Invalid returns InvalidArgument with `reason` as its message.
absl::Status Invalid(std::string_view reason);

}  // namespace liaison::data::internal

#endif  // LIAISON_DATA_INTERNAL_TEXT_H_
