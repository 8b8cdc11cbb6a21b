// SHA-2 hashing (OpenSSL). Used for digests of profiles, datasets and
// transcripts, and to derive fixed-length keys from items.
#ifndef LIAISON_CRYPTO_HASH_H_
#define LIAISON_CRYPTO_HASH_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "crypto/block.h"

namespace liaison::crypto {

using Digest256 = std::array<uint8_t, 32>;
using Digest512 = std::array<uint8_t, 64>;

Digest256 Sha256(ByteSpan data);
Digest512 Sha512(ByteSpan data);

// Sha256Labelled returns SHA-256(label ‖ the 16 bytes of `value`): a
// random oracle on one block with domain separation (commitments,
// consistency checks). The copy of `value` it makes is wiped.
Digest256 Sha256Labelled(std::string_view label, const Block& value);

// Sha256Hasher hashes data given in pieces. Not thread-safe.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(ByteSpan data);
  void Update(std::string_view data) { Update(AsBytes(data)); }
  // Finish returns the digest; the hasher must not be used afterwards.
  Digest256 Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace liaison::crypto

#endif  // LIAISON_CRYPTO_HASH_H_
