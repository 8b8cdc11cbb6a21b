#include "base/secret.h"

#include <openssl/crypto.h>

namespace liaison {

void SecureWipe(void* p, size_t len) { OPENSSL_cleanse(p, len); }

bool ConstantTimeEqual(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace liaison
