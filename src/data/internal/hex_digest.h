// File hashes (md5, sha1, sha256, sha512) for profile v1.
#ifndef LIAISON_DATA_INTERNAL_HEX_DIGEST_H_
#define LIAISON_DATA_INTERNAL_HEX_DIGEST_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace liaison::data::internal {

// NormalizeHexDigest returns `s` in lower case if it is exactly `num_digits`
// hex digits, and otherwise InvalidArgument naming `type_name` ("sha256 must
// be 64 hex digits, got 63"). No prefix ("0x", "sha256:") is stripped.
absl::StatusOr<std::string> NormalizeHexDigest(std::string_view s,
                                               std::string_view type_name,
                                               size_t num_digits);

}  // namespace liaison::data::internal

#endif  // LIAISON_DATA_INTERNAL_HEX_DIGEST_H_
