// URLs for profile v1: RFC 3986 section 6.2.2 (syntax-based) and 6.2.3
// (scheme-based) normalisation. The input is already trimmed and refanged.
#ifndef LIAISON_DATA_INTERNAL_URL_H_
#define LIAISON_DATA_INTERNAL_URL_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace liaison::data::internal {

// NormalizeUrl returns the canonical form of an absolute URI:
//   1. ASCII control characters are rejected. Bytes that may not appear in a
//      URI are percent-encoded first, as RFC 3987 section 3.1 does for IRIs:
//      bytes 0x80-0xFF, space and " < > \ ^ ` { | }; '[' and ']' outside the
//      authority; '#' after the first '#'; and '%' not followed by two hex
//      digits (as %25).
//   2. The result must parse as an RFC 3986 URI with a scheme (liburiparser).
//   3. The scheme is lower-cased.
//   4. In every component, percent-encoded octets of unreserved characters
//      (A-Z a-z 0-9 - . _ ~) are decoded and other percent-encodings use
//      upper-case hex.
//   5. The host: a reg-name is fully percent-decoded; all digits and dots is
//      an IPv4 address (ipv4 rules), otherwise a domain (NormalizeDomain:
//      lower case, IDNA A-labels, trailing dot removed). An IP literal is
//      re-formatted by RFC 5952 in brackets. IPvFuture is rejected.
//   6. The port is decimal without leading zeros (at most 65535); an empty
//      port or the scheme's default port is removed (ftp 21, http 80,
//      https 443, ws 80, wss 443). Those schemes also require a non-empty
//      host.
//   7. In an absolute path, dot segments are removed (RFC 3986 5.2.4). For
//      ftp, http, https, ws and wss an empty path becomes "/". Without an
//      authority, a path that would start with "//" is written "/.//..." so
//      it is not read back as an authority.
//   8. User info, query and fragment are kept apart from step 4; an empty
//      query ("?") or fragment ("#") is kept.
// It returns InvalidArgument with a short reason otherwise. Thread-safe.
absl::StatusOr<std::string> NormalizeUrl(std::string_view s);

// HasUrlScheme is true when `s` starts with an RFC 3986 scheme followed by
// "://", the auto-detection test for URLs.
bool HasUrlScheme(std::string_view s);

}  // namespace liaison::data::internal

#endif  // LIAISON_DATA_INTERNAL_URL_H_
