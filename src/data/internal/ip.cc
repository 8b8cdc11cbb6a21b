#include "data/internal/ip.h"

#include <vector>

#include "base/status.h"
#include "base/strings.h"
#include "data/internal/text.h"

namespace liaison::data::internal {
namespace {

// ParseSmallDecimal parses 1-3 decimal digits without a leading zero, at
// most `max`, into `out`. `what` names the field in error messages.
absl::Status ParseSmallDecimal(std::string_view s, std::string_view what,
                               int max, int& out) {
  if (s.empty()) return Invalid(StrCat(what, " is empty"));
  for (char c : s) {
    if (!IsDigit(c)) {
      return Invalid(
          StrCat(what, " must be decimal digits, found ", DescribeChar(c)));
    }
  }
  if (s.size() > 1 && s[0] == '0') {
    // For octets this is the octal ambiguity: inet_aton reads "010" as 8.
    return Invalid(StrCat(what, " has a leading zero (", s,
                          "), which could be read as octal"));
  }
  if (s.size() > 3) return Invalid(StrCat(what, " out of range"));
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  if (v > max) return Invalid(StrCat(what, " out of range"));
  out = v;
  return absl::OkStatus();
}

// ParseHexGroup parses 1-4 hex digits.
absl::StatusOr<uint16_t> ParseHexGroup(std::string_view g) {
  if (g.empty()) return Invalid("ipv6 group is empty");
  if (g.size() > 4) return Invalid("ipv6 group has more than 4 hex digits");
  uint16_t v = 0;
  for (char c : g) {
    int d = HexValue(c);
    if (d < 0) {
      return Invalid(StrCat("ipv6 contains ", DescribeChar(c),
                            ", which is not a hex digit, ':' or '.'"));
    }
    v = static_cast<uint16_t>(v * 16 + d);
  }
  return v;
}

// ParseGroups parses a ':'-separated list of hex groups (no "::") into
// `out`, allowing a dotted-quad tail when `allow_ipv4_tail` is set.
absl::Status ParseGroups(std::string_view s, bool allow_ipv4_tail,
                         std::vector<uint16_t>& out) {
  if (s.empty()) return absl::OkStatus();
  size_t start = 0;
  while (true) {
    size_t colon = s.find(':', start);
    std::string_view g =
        s.substr(start, colon == std::string_view::npos ? std::string_view::npos
                                                        : colon - start);
    bool last = colon == std::string_view::npos;
    if (last && g.find('.') != std::string_view::npos) {
      if (!allow_ipv4_tail) {
        return Invalid("ipv6 embedded ipv4 address must come last");
      }
      auto v4 = ParseIpv4(g);
      if (!v4.ok()) {
        return Invalid(StrCat("ipv6 embedded ", MessageOf(v4.status())));
      }
      out.push_back(static_cast<uint16_t>(((*v4)[0] << 8) | (*v4)[1]));
      out.push_back(static_cast<uint16_t>(((*v4)[2] << 8) | (*v4)[3]));
      return absl::OkStatus();
    }
    if (g.find('.') != std::string_view::npos) {
      return Invalid("ipv6 embedded ipv4 address must come last");
    }
    LIAISON_ASSIGN_OR_RETURN(uint16_t v, ParseHexGroup(g));
    out.push_back(v);
    if (last) return absl::OkStatus();
    start = colon + 1;
  }
}

}  // namespace

absl::StatusOr<Ipv4Bytes> ParseIpv4(std::string_view s) {
  Ipv4Bytes out{};
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    size_t dot = s.find('.', start);
    bool last = i == 3;
    if (last != (dot == std::string_view::npos)) {
      return Invalid("ipv4 must have exactly 4 dot-separated octets");
    }
    std::string_view octet =
        s.substr(start, last ? std::string_view::npos : dot - start);
    int v = 0;
    LIAISON_RETURN_IF_ERROR(ParseSmallDecimal(octet, "ipv4 octet", 255, v));
    out[i] = static_cast<uint8_t>(v);
    start = dot + 1;
  }
  return out;
}

std::string FormatIpv4(const Ipv4Bytes& a) {
  return StrCat(int{a[0]}, '.', int{a[1]}, '.', int{a[2]}, '.', int{a[3]});
}

absl::StatusOr<Ipv6Bytes> ParseIpv6(std::string_view s) {
  if (s.find('%') != std::string_view::npos) {
    return Invalid("ipv6 zone ids (\"%...\") are not accepted");
  }
  if (!s.empty() && (s.front() == '[' || s.back() == ']')) {
    return Invalid("ipv6 address must not be in brackets");
  }
  if (s.find(':') == std::string_view::npos) {
    return Invalid("ipv6 address has no ':'");
  }
  std::vector<uint16_t> head, tail;
  size_t dc = s.find("::");
  bool compressed = dc != std::string_view::npos;
  if (compressed) {
    if (s.find("::", dc + 1) != std::string_view::npos) {
      return Invalid("ipv6 has more than one '::'");
    }
    std::string_view left = s.substr(0, dc);
    std::string_view right = s.substr(dc + 2);
    if ((!left.empty() && left.front() == ':') ||
        (!right.empty() && right.back() == ':')) {
      return Invalid("ipv6 starts or ends with a single ':'");
    }
    LIAISON_RETURN_IF_ERROR(ParseGroups(left, /*allow_ipv4_tail=*/false, head));
    LIAISON_RETURN_IF_ERROR(ParseGroups(right, /*allow_ipv4_tail=*/true, tail));
    if (head.size() + tail.size() > 7) {
      return Invalid("ipv6 has too many groups for '::'");
    }
  } else {
    if (s.front() == ':' || s.back() == ':') {
      return Invalid("ipv6 starts or ends with a single ':'");
    }
    LIAISON_RETURN_IF_ERROR(ParseGroups(s, /*allow_ipv4_tail=*/true, head));
    if (head.size() != 8) {
      return Invalid(
          StrCat("ipv6 must have 8 groups (or use '::'), got ", head.size()));
    }
  }
  std::array<uint16_t, 8> groups{};
  for (size_t i = 0; i < head.size(); ++i) groups[i] = head[i];
  for (size_t i = 0; i < tail.size(); ++i) {
    groups[8 - tail.size() + i] = tail[i];
  }
  Ipv6Bytes out{};
  for (int i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<uint8_t>(groups[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(groups[i] & 0xff);
  }
  return out;
}

std::string FormatIpv6(const Ipv6Bytes& a) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::array<uint16_t, 8> g{};
  for (int i = 0; i < 8; ++i) {
    g[i] = static_cast<uint16_t>((a[2 * i] << 8) | a[2 * i + 1]);
  }
  auto hex = [](std::string& out, uint16_t v) {
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      int d = (v >> shift) & 0xf;
      if (d != 0 || started || shift == 0) {
        out.push_back(kDigits[d]);
        started = true;
      }
    }
  };
  // RFC 5952 section 5: IPv4-mapped addresses keep the dotted quad.
  if (g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 &&
      g[5] == 0xffff) {
    return StrCat("::ffff:", FormatIpv4({a[12], a[13], a[14], a[15]}));
  }
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best_start = -1;  // RFC 5952 4.2.2: no "::" for one group.
  std::string out;
  out.reserve(39);
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out.append("::");
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out.push_back(':');
    hex(out, g[i]);
  }
  return out;
}

absl::StatusOr<std::string> NormalizeIpv4(std::string_view s) {
  LIAISON_ASSIGN_OR_RETURN(Ipv4Bytes a, ParseIpv4(s));
  return FormatIpv4(a);
}

absl::StatusOr<std::string> NormalizeIpv6(std::string_view s) {
  LIAISON_ASSIGN_OR_RETURN(Ipv6Bytes a, ParseIpv6(s));
  return FormatIpv6(a);
}

absl::StatusOr<std::string> NormalizeCidr(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) {
    return Invalid("cidr must be address/prefix-length");
  }
  std::string_view addr = s.substr(0, slash);
  std::string_view len_text = s.substr(slash + 1);
  if (len_text.find('/') != std::string_view::npos) {
    return Invalid("cidr has more than one '/'");
  }
  bool v6 = addr.find(':') != std::string_view::npos;
  int prefix_len = 0;
  LIAISON_RETURN_IF_ERROR(ParseSmallDecimal(len_text, "cidr prefix length",
                                            v6 ? 128 : 32, prefix_len));
  // Both families are handled as a byte string so one masking loop serves.
  std::vector<uint8_t> bytes;
  if (v6) {
    auto a = ParseIpv6(addr);
    if (!a.ok()) return Invalid(StrCat("cidr ", MessageOf(a.status())));
    bytes.assign(a->begin(), a->end());
  } else {
    auto a = ParseIpv4(addr);
    if (!a.ok()) return Invalid(StrCat("cidr ", MessageOf(a.status())));
    bytes.assign(a->begin(), a->end());
  }
  bool host_bits = false;
  for (size_t i = 0; i < bytes.size(); ++i) {
    int bits_kept = prefix_len - static_cast<int>(i) * 8;
    uint8_t mask = bits_kept >= 8 ? 0xff
                   : bits_kept <= 0
                       ? 0x00
                       : static_cast<uint8_t>(0xff << (8 - bits_kept));
    if ((bytes[i] & ~mask) != 0) host_bits = true;
    bytes[i] &= mask;
  }
  std::string network;
  if (v6) {
    Ipv6Bytes a{};
    std::copy(bytes.begin(), bytes.end(), a.begin());
    network = FormatIpv6(a);
  } else {
    network = FormatIpv4({bytes[0], bytes[1], bytes[2], bytes[3]});
  }
  std::string canonical = StrCat(network, '/', prefix_len);
  if (host_bits) {
    return Invalid(StrCat("cidr has host bits set beyond /", prefix_len,
                          " (the network is ", canonical, ")"));
  }
  return canonical;
}

}  // namespace liaison::data::internal
