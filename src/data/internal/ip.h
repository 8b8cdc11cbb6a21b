// IPv4, IPv6 and CIDR parsing and canonical text forms for profile v1.
// Inputs are already trimmed and refanged by the caller.
#ifndef LIAISON_DATA_INTERNAL_IP_H_
#define LIAISON_DATA_INTERNAL_IP_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace liaison::data::internal {

using Ipv4Bytes = std::array<uint8_t, 4>;
using Ipv6Bytes = std::array<uint8_t, 16>;

// ParseIpv4 accepts exactly four dot-separated decimal octets of 1-3 digits,
// each at most 255 and without a leading zero ("010" could mean 8 or 10).
// It returns InvalidArgument with a short reason otherwise.
absl::StatusOr<Ipv4Bytes> ParseIpv4(std::string_view s);

// FormatIpv4 returns the dotted-quad form.
std::string FormatIpv4(const Ipv4Bytes& a);

// ParseIpv6 accepts the RFC 4291 section 2.2 text forms: eight groups of 1-4
// hex digits, at most one "::", and an optional dotted-quad IPv4 tail (parsed
// by ParseIpv4's rules). Zone identifiers ("%eth0") and brackets are rejected
// with InvalidArgument.
absl::StatusOr<Ipv6Bytes> ParseIpv6(std::string_view s);

// FormatIpv6 returns the RFC 5952 form: lower-case hex without leading zeros,
// the longest run of two or more zero groups replaced by "::" (the first run
// on ties), and IPv4-mapped addresses (::ffff:0:0/96) as "::ffff:a.b.c.d"
// (RFC 5952 section 5).
std::string FormatIpv6(const Ipv6Bytes& a);

// NormalizeIpv4 and NormalizeIpv6 parse and re-format an address.
absl::StatusOr<std::string> NormalizeIpv4(std::string_view s);
absl::StatusOr<std::string> NormalizeIpv6(std::string_view s);

// NormalizeCidr canonicalises "address/prefix-length" for IPv4 (length 0-32)
// or IPv6 (0-128; chosen by the presence of ':'). The length is decimal
// without leading zeros. An address with bits set beyond the prefix is
// rejected with a reason naming the network it probably meant; nothing is
// masked silently.
absl::StatusOr<std::string> NormalizeCidr(std::string_view s);

}  // namespace liaison::data::internal

#endif  // LIAISON_DATA_INTERNAL_IP_H_
