#include "crypto/hash.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "base/secret.h"

namespace liaison::crypto {

Digest256 Sha256(ByteSpan data) {
  Digest256 out;
  SHA256(data.data(), data.size(), out.data());
  return out;
}

Digest512 Sha512(ByteSpan data) {
  Digest512 out;
  SHA512(data.data(), data.size(), out.data());
  return out;
}

struct Sha256Hasher::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256Hasher::Sha256Hasher() : state_(std::make_unique<State>()) {
  EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr);
}
Sha256Hasher::~Sha256Hasher() = default;

void Sha256Hasher::Update(ByteSpan data) {
  EVP_DigestUpdate(state_->ctx, data.data(), data.size());
}

Digest256 Sha256Hasher::Finish() {
  Digest256 out;
  unsigned int len = 0;
  EVP_DigestFinal_ex(state_->ctx, out.data(), &len);
  return out;
}

Digest256 Sha256Labelled(std::string_view label, const Block& value) {
  uint8_t bytes[16];
  value.ToBytes(bytes);
  Sha256Hasher h;
  h.Update(label);
  h.Update(ByteSpan(bytes, 16));
  SecureWipe(bytes, sizeof(bytes));
  return h.Finish();
}

}  // namespace liaison::crypto
