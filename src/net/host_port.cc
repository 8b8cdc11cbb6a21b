#include "net/host_port.h"

#include <arpa/inet.h>

#include "base/strings.h"

namespace liaison::net {

absl::StatusOr<HostPort> ParseHostPort(std::string_view s) {
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        StrCat("\"", s, "\" is not host:port (", why, ")"));
  };
  HostPort out;
  std::string_view port;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return invalid("missing ']'");
    out.host = std::string(s.substr(1, close - 1));
    in6_addr a6;
    if (inet_pton(AF_INET6, out.host.c_str(), &a6) != 1) {
      return invalid("not an IPv6 address in brackets");
    }
    if (close + 1 >= s.size() || s[close + 1] != ':') return invalid("missing port");
    port = s.substr(close + 2);
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) return invalid("missing port");
    std::string_view host = s.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return invalid("an IPv6 address goes in brackets, as in [::1]:7000");
    }
    if (host.empty()) return invalid("empty host");
    if (host.size() > 253) return invalid("host name too long");
    for (char c : host) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
      if (!ok) return invalid("bad character in host");
    }
    out.host = std::string(host);
    port = s.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5) return invalid("bad port");
  uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return invalid("bad port");
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return invalid("port above 65535");
  out.port = static_cast<uint16_t>(value);
  return out;
}

}  // namespace liaison::net
