// Small helpers shared by the node's store and audit log.
#ifndef LIAISON_NODE_INTERNAL_UTIL_H_
#define LIAISON_NODE_INTERNAL_UTIL_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace liaison::node::internal {

// Rfc3339At returns `t` as RFC 3339 UTC with milliseconds:
// "2025-01-31T23:59:59.123Z". The time comes from the node's Clock.
std::string Rfc3339At(std::chrono::system_clock::time_point t);

// RandomHex returns 2 * `num_bytes` lower-case hex digits from the OS CSPRNG
// (OpenSSL's RAND_bytes). Internal if it fails.
absl::StatusOr<std::string> RandomHex(size_t num_bytes);

// IsLowerHex reports whether `s` is exactly `len` lower-case hex digits.
bool IsLowerHex(std::string_view s, size_t len);

}  // namespace liaison::node::internal

#endif  // LIAISON_NODE_INTERNAL_UTIL_H_
