#include "base/escape.h"

#include <cstdint>

namespace liaison {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

void AppendHexByte(std::string& out, unsigned char b) {
  out += "\\x";
  out += kHexDigits[b >> 4];
  out += kHexDigits[b & 0xf];
}

void AppendCodePoint(std::string& out, uint32_t cp) {
  out += "\\u{";
  bool started = false;
  for (int shift = 20; shift >= 0; shift -= 4) {
    const uint32_t digit = (cp >> shift) & 0xf;
    // At least four digits, as Unicode writes code points.
    if (digit != 0 || started || shift < 16) {
      out += kHexDigits[digit];
      started = true;
    }
  }
  out += '}';
}

// IsInvisible is true for the code points above U+007F that a terminal
// would act on or not show: the C1 controls, the line and paragraph
// separators, and the format characters (Unicode category Cf).
bool IsInvisible(uint32_t cp) {
  struct Range {
    uint32_t lo, hi;
  };
  static constexpr Range kRanges[] = {
      {0x0080, 0x009F},   {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},
      {0x06DD, 0x06DD},   {0x070F, 0x070F},   {0x0890, 0x0891},   {0x08E2, 0x08E2},
      {0x180E, 0x180E},   {0x200B, 0x200F},   {0x2028, 0x202E},   {0x2060, 0x2064},
      {0x2066, 0x206F},   {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},
      {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
      {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
  };
  for (const Range& r : kRanges) {
    if (cp >= r.lo && cp <= r.hi) return true;
  }
  return false;
}

}  // namespace

size_t DecodeUtf8Char(std::string_view s, uint32_t& cp) {
  if (s.empty()) return 0;
  const auto b0 = static_cast<unsigned char>(s[0]);
  size_t len;
  uint32_t min;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, min = 0x80, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, min = 0x800, cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, min = 0x10000, cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (s.size() < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

std::string EscapeNonPrintable(std::string_view s, Backslash backslash) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b == '\\' && backslash == Backslash::kEscape) {
        out += "\\\\";
      } else if (b == '\t') {
        out += "\\t";
      } else if (b == '\n') {
        out += "\\n";
      } else if (b == '\r') {
        out += "\\r";
      } else if (b < 0x20 || b == 0x7F) {
        AppendHexByte(out, b);
      } else {
        out += static_cast<char>(b);
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = DecodeUtf8Char(s.substr(i), cp);
    if (len == 0) {
      AppendHexByte(out, b);
      ++i;
    } else {
      if (IsInvisible(cp)) {
        AppendCodePoint(out, cp);
      } else {
        out.append(s.substr(i, len));
      }
      i += len;
    }
  }
  return out;
}

std::string EscapeNonPrintableTruncated(std::string_view s, size_t max_len) {
  if (s.size() <= max_len) return EscapeNonPrintable(s);
  size_t cut = max_len;
  // Back off over continuation bytes (at most three), so that a character
  // is not split into bytes that would show as invalid.
  for (int k = 0; k < 3 && cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80; ++k) {
    --cut;
  }
  return EscapeNonPrintable(s.substr(0, cut)) + "...";
}

}  // namespace liaison
