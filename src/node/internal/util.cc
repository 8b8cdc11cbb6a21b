#include "node/internal/util.h"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "base/bytes.h"
#include "base/secret.h"

namespace liaison::node::internal {


std::string Rfc3339At(std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm_utc.tm_year + 1900,
                tm_utc.tm_mon + 1, tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

absl::StatusOr<std::string> RandomHex(size_t num_bytes) {
  SecretBytes r(num_bytes);
  if (RAND_bytes(r.data(), static_cast<int>(num_bytes)) != 1) {
    ERR_clear_error();
    return absl::InternalError("the OS random generator failed");
  }
  return ToHex(r.span());
}

bool IsLowerHex(std::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace liaison::node::internal
