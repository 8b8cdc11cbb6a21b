#include "data/internal/url.h"

#include <uriparser/Uri.h>

#include <vector>

#include "base/status.h"
#include "base/strings.h"
#include "data/internal/domain.h"
#include "data/internal/ip.h"
#include "data/internal/text.h"

namespace liaison::data::internal {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

struct SchemeDefaults {
  std::string_view scheme;
  int default_port;
};
// Schemes with a registered default port; for them the host is required
// and an empty path means "/" (RFC 3986 6.2.3).
constexpr SchemeDefaults kKnownSchemes[] = {
    {"ftp", 21}, {"http", 80}, {"https", 443}, {"ws", 80}, {"wss", 443}};

const SchemeDefaults* FindKnownScheme(std::string_view scheme) {
  for (const auto& s : kKnownSchemes) {
    if (s.scheme == scheme) return &s;
  }
  return nullptr;
}

bool IsSchemeChar(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '+' || c == '-' || c == '.';
}

// SchemeLength returns the length of a valid scheme followed by ':' at the
// start of `s`, or 0.
size_t SchemeLength(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) return 0;
  size_t i = 1;
  while (i < s.size() && IsSchemeChar(s[i])) ++i;
  if (i >= s.size() || s[i] != ':') return 0;
  return i;
}

bool IsUnreserved(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

void AppendPercent(std::string& out, unsigned char b) {
  out.push_back('%');
  out.push_back(kUpperHex[b >> 4]);
  out.push_back(kUpperHex[b & 0xf]);
}

bool IsPercentTriplet(std::string_view s, size_t i) {
  return i + 2 < s.size() && s[i] == '%' && IsHexDigit(s[i + 1]) &&
         IsHexDigit(s[i + 2]);
}

// PreEncode percent-encodes the bytes that may not appear in a URI (step 1).
std::string PreEncode(std::string_view s, size_t scheme_len) {
  size_t authority_begin = std::string_view::npos;
  size_t authority_end = scheme_len + 1;
  if (s.substr(scheme_len + 1, 2) == "//") {
    authority_begin = scheme_len + 3;
    authority_end = s.find_first_of("/?#", authority_begin);
    if (authority_end == std::string_view::npos) authority_end = s.size();
  }
  std::string out;
  out.reserve(s.size() + 16);
  bool seen_hash = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    auto b = static_cast<unsigned char>(c);
    bool in_authority = authority_begin != std::string_view::npos &&
                        i >= authority_begin && i < authority_end;
    bool encode = false;
    switch (c) {
      case '%':
        encode = !IsPercentTriplet(s, i);
        break;
      case ' ':
      case '"':
      case '<':
      case '>':
      case '\\':
      case '^':
      case '`':
      case '{':
      case '|':
      case '}':
        encode = true;
        break;
      case '[':
      case ']':
        encode = !in_authority;
        break;
      case '#':
        encode = seen_hash;
        seen_hash = true;
        break;
      default:
        encode = b >= 0x80;
    }
    if (encode) {
      AppendPercent(out, b);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// NormalizePercent applies step 4 to one component.
std::string NormalizePercent(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (IsPercentTriplet(s, i)) {
      auto b = static_cast<unsigned char>(HexValue(s[i + 1]) * 16 +
                                          HexValue(s[i + 2]));
      if (IsUnreserved(static_cast<char>(b))) {
        out.push_back(static_cast<char>(b));
      } else {
        AppendPercent(out, b);
      }
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// PercentDecode decodes every percent-encoded octet.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (IsPercentTriplet(s, i)) {
      out.push_back(
          static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// RemoveDotSegments implements RFC 3986 section 5.2.4 for an absolute path
// (one that starts with '/').
std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> kept;
  bool trailing_slash = false;
  size_t start = 1;
  while (true) {
    size_t slash = path.find('/', start);
    bool last = slash == std::string_view::npos;
    std::string_view seg =
        path.substr(start, last ? std::string_view::npos : slash - start);
    trailing_slash = false;
    if (seg == ".") {
      trailing_slash = last;
    } else if (seg == "..") {
      if (!kept.empty()) kept.pop_back();
      trailing_slash = last;
    } else {
      kept.push_back(seg);
    }
    if (last) break;
    start = slash + 1;
  }
  std::string out;
  out.reserve(path.size());
  for (std::string_view seg : kept) StrAppend(out, '/', seg);
  if (trailing_slash || out.empty()) out.push_back('/');
  return out;
}

std::string_view RangeView(const UriTextRangeA& r) {
  if (r.first == nullptr || r.afterLast == nullptr || r.afterLast < r.first) {
    return {};
  }
  return std::string_view(r.first, static_cast<size_t>(r.afterLast - r.first));
}

absl::StatusOr<std::string> NormalizeHost(const UriUriA& uri) {
  std::string_view text = RangeView(uri.hostText);
  if (uri.hostData.ip6 != nullptr) {
    auto v6 = NormalizeIpv6(text);
    if (!v6.ok()) {
      return Invalid(StrCat("url host: ", MessageOf(v6.status())));
    }
    return StrCat('[', *v6, ']');
  }
  if (uri.hostData.ipFuture.first != nullptr) {
    return Invalid("url host IPvFuture literals are not supported");
  }
  std::string decoded = PercentDecode(text);
  if (decoded.empty()) return decoded;
  bool digits_and_dots = true;
  for (char c : decoded) {
    digits_and_dots = digits_and_dots && (IsDigit(c) || c == '.');
  }
  auto host =
      digits_and_dots ? NormalizeIpv4(decoded) : NormalizeDomain(decoded);
  if (!host.ok()) {
    return Invalid(StrCat("url host: ", MessageOf(host.status())));
  }
  return host;
}

// NormalizePort returns the port without leading zeros, or "" when the
// port is empty or the scheme's default.
absl::StatusOr<std::string> NormalizePort(std::string_view port,
                                          const SchemeDefaults* known) {
  if (port.empty()) return std::string();
  size_t i = 0;
  while (i < port.size() && port[i] == '0') ++i;
  std::string_view digits = port.substr(i);
  if (digits.empty()) digits = "0";
  long value = 0;
  for (char c : digits) {
    if (!IsDigit(c)) return Invalid("url port must be decimal digits");
    value = value * 10 + (c - '0');
    if (value > 65535) return Invalid("url port out of range");
  }
  if (known != nullptr && value == known->default_port) return std::string();
  return std::string(digits);
}

}  // namespace

bool HasUrlScheme(std::string_view s) {
  size_t n = SchemeLength(s);
  return n > 0 && s.substr(n, 3) == "://";
}

absl::StatusOr<std::string> NormalizeUrl(std::string_view s) {
  for (char c : s) {
    if (IsControl(c)) return Invalid("url contains a control character");
  }
  size_t scheme_len = SchemeLength(s);
  if (scheme_len == 0) return Invalid("url has no scheme (such as http://)");
  std::string encoded = PreEncode(s, scheme_len);

  UriUriA uri;
  const char* error_pos = nullptr;
  if (uriParseSingleUriExA(&uri, encoded.data(),
                           encoded.data() + encoded.size(),
                           &error_pos) != URI_SUCCESS) {
    return Invalid("url is not valid RFC 3986 syntax");
  }
  struct Freer {
    UriUriA* uri;
    ~Freer() { uriFreeUriMembersA(uri); }
  } freer{&uri};

  std::string scheme = AsciiLowerCopy(RangeView(uri.scheme));
  if (scheme.empty()) return Invalid("url has no scheme (such as http://)");
  const SchemeDefaults* known = FindKnownScheme(scheme);
  bool has_authority = uri.hostText.first != nullptr;

  std::string out = StrCat(scheme, ':');
  if (has_authority) {
    out.append("//");
    if (uri.userInfo.first != nullptr) {
      StrAppend(out, NormalizePercent(RangeView(uri.userInfo)), '@');
    }
    LIAISON_ASSIGN_OR_RETURN(std::string host, NormalizeHost(uri));
    if (host.empty() && known != nullptr) {
      return Invalid(StrCat("url scheme ", scheme, " needs a host"));
    }
    out.append(host);
    if (uri.portText.first != nullptr) {
      LIAISON_ASSIGN_OR_RETURN(std::string port,
                               NormalizePort(RangeView(uri.portText), known));
      if (!port.empty()) StrAppend(out, ':', port);
    }
  } else if (known != nullptr) {
    return Invalid(StrCat("url scheme ", scheme, " needs '//' and a host"));
  }

  std::string path;
  if (has_authority || uri.absolutePath) {
    if (uri.pathHead != nullptr || uri.absolutePath) path.push_back('/');
  }
  for (const UriPathSegmentA* seg = uri.pathHead; seg != nullptr;
       seg = seg->next) {
    if (seg != uri.pathHead) path.push_back('/');
    path.append(NormalizePercent(RangeView(seg->text)));
  }
  if (!path.empty() && path[0] == '/') path = RemoveDotSegments(path);
  if (path.empty() && has_authority && known != nullptr) path = "/";
  // Without an authority, a path starting "//" would be read back as one;
  // RFC 3986 5.2.4 leaves this to the writer, and "/." keeps it a path.
  if (!has_authority && path.size() >= 2 && path[0] == '/' && path[1] == '/') {
    path.insert(0, "/.");
  }
  out.append(path);

  if (uri.query.first != nullptr) {
    StrAppend(out, '?', NormalizePercent(RangeView(uri.query)));
  }
  if (uri.fragment.first != nullptr) {
    StrAppend(out, '#', NormalizePercent(RangeView(uri.fragment)));
  }
  return out;
}

}  // namespace liaison::data::internal
