// What build of liaison is running: the SHA-256 of its own executable, as
// "sha256:<64 hex>". Builds are reproducible (cmake/Reproducible.cmake), so
// anyone can rebuild a commit and compare this digest
// (scripts/check-reproducible.sh); the session handshake and the node's
// offers announce it, and audit records name it. It is a claim about the
// running program, not attestation: docs/trust.md says what it proves.
#ifndef LIAISON_BASE_BUILD_INFO_H_
#define LIAISON_BASE_BUILD_INFO_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace liaison {

// kBuildDigestPrefix starts every build digest.
inline constexpr char kBuildDigestPrefix[] = "sha256:";

// BuildDigest returns the build digest of the running executable: "sha256:"
// and the lower-case hex SHA-256 of /proc/self/exe. It reads the file on
// the first call and returns the cached value (or error) afterwards;
// thread-safe. FailedPrecondition if the executable cannot be read (no
// /proc).
absl::StatusOr<std::string> BuildDigest();

// BuildDigestOrEmpty is BuildDigest(), or "" when it cannot be computed:
// what a speaker announces, the peer then sees an unknown build.
std::string BuildDigestOrEmpty();

// FileBuildDigest returns the build digest of the file at `path`, as
// BuildDigest does for the running executable. NotFound if it cannot be
// opened, DataLoss if reading fails.
absl::StatusOr<std::string> FileBuildDigest(const std::string& path);

// IsBuildDigest reports whether `s` is "sha256:" and 64 lower-case hex digits.
bool IsBuildDigest(std::string_view s);

// ParseBuildDigest accepts a build digest as a person writes it ("sha256:"
// in any case, hex digits in either case) and returns its canonical form.
// InvalidArgument otherwise.
absl::StatusOr<std::string> ParseBuildDigest(std::string_view s);

}  // namespace liaison

#endif  // LIAISON_BASE_BUILD_INFO_H_
