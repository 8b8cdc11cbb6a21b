// Domain names and e-mail addresses for profile v1. Inputs are already
// trimmed and refanged by the caller.
#ifndef LIAISON_DATA_INTERNAL_DOMAIN_H_
#define LIAISON_DATA_INTERNAL_DOMAIN_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace liaison::data::internal {

// NormalizeDomain returns the canonical A-label form of a host name:
//   - a value containing any non-ASCII byte is converted as a whole with
//     UTS #46 non-transitional processing and NFC input normalisation
//     (libidn2 idn2_lookup_u8 with IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
//     this maps upper case to lower case, full-width dots to '.', and
//     encodes each label as an IDNA2008 A-label ("xn--...");
//   - an all-ASCII value is lower-cased; each label beginning "xn--" must be
//     a valid A-label (checked by the same libidn2 call);
//   - one trailing '.' is removed;
//   - every label is 1-63 octets of letters, digits and hyphens, and does
//     not start or end with a hyphen; the name is at most 253 octets;
//   - the last label is not all digits (so "1.2.3.4" is not a domain).
// A value that is not valid UTF-8 or holds a control character is rejected
// naming the byte (CheckUtf8Text). It returns InvalidArgument with a short
// reason otherwise. Thread-safe.
absl::StatusOr<std::string> NormalizeDomain(std::string_view s);

// NormalizeEmail splits at the last '@'. The local part is kept exactly as
// given (it is case-sensitive by RFC 5321) but must be 1-64 octets of valid
// UTF-8 without spaces or control characters (CheckUtf8Text); the domain
// part goes through NormalizeDomain. Reasons name the byte at fault.
// Thread-safe.
absl::StatusOr<std::string> NormalizeEmail(std::string_view s);

}  // namespace liaison::data::internal

#endif  // LIAISON_DATA_INTERNAL_DOMAIN_H_
