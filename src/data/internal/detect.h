// Auto-detection of an indicator's type for profile v1.
#ifndef LIAISON_DATA_INTERNAL_DETECT_H_
#define LIAISON_DATA_INTERNAL_DETECT_H_

#include <optional>
#include <string_view>

#include "data/profile.h"

namespace liaison::data::internal {

// DetectCandidateType looks only at the shape of a trimmed, refanged value
// and returns the type it should be normalised as, or nullopt when nothing
// fits. The first rule that matches wins:
//   1. url:    an RFC 3986 scheme followed by "://";
//   2. email:  contains '@';
//   3. cidr:   contains '/', and the part before it is non-empty, made of hex
//              digits, '.' and ':', and contains '.' or ':';
//   4. ipv6:   contains ':', and the part before any '%' is made of hex
//              digits, '.' and ':';
//   5. ipv4:   only digits and '.', with at least one '.';
//   6. md5, sha1, sha256, sha512: only hex digits, 32, 40, 64 or 128 of them;
//   7. domain: contains '.'.
// The caller normalises the value as the candidate type; a domain candidate
// is accepted only if it normalises and has at least two labels.
std::optional<ItemType> DetectCandidateType(std::string_view s);

}  // namespace liaison::data::internal

#endif  // LIAISON_DATA_INTERNAL_DETECT_H_
