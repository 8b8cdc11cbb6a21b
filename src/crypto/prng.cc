#include "crypto/prng.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

#include "base/log.h"

namespace liaison::crypto {

namespace {
constexpr size_t kBufferLen = 4096;
}

struct Prng::State {
  EVP_CIPHER_CTX* ctx = nullptr;
  SecretArray<kBufferLen> buffer;
  size_t pos = kBufferLen;
  ~State() { EVP_CIPHER_CTX_free(ctx); }
};

Prng::Prng(const Seed& seed) : state_(std::make_unique<State>()) {
  state_->ctx = EVP_CIPHER_CTX_new();
  static constexpr uint8_t kIv[16] = {0};
  if (state_->ctx == nullptr ||
      EVP_EncryptInit_ex(state_->ctx, EVP_aes_256_ctr(), nullptr, seed.data(), kIv) != 1) {
    // Without a working cipher there is no safe way to continue.
    Log(LogLevel::kError, "OpenSSL AES-256-CTR is unavailable");
    std::abort();
  }
}

Prng::~Prng() = default;
Prng::Prng(Prng&&) noexcept = default;
Prng& Prng::operator=(Prng&&) noexcept = default;

Prng Prng::FromOsEntropy() {
  Seed seed;
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1) {
    Log(LogLevel::kError, "the operating system's random generator failed");
    std::abort();
  }
  return Prng(seed);
}

Prng Prng::FromTestSeed(uint64_t value) {
  Seed seed;
  for (int i = 0; i < 8; ++i) seed.data()[i] = static_cast<uint8_t>(value >> (8 * i));
  return Prng(seed);
}

void Prng::Refill() {
  static const uint8_t kZeros[kBufferLen] = {0};
  int out_len = 0;
  EVP_EncryptUpdate(state_->ctx, state_->buffer.data(), &out_len, kZeros,
                    static_cast<int>(kBufferLen));
  state_->pos = 0;
}

void Prng::Fill(MutableByteSpan out) {
  size_t done = 0;
  while (done < out.size()) {
    if (state_->pos == kBufferLen) Refill();
    size_t n = std::min(out.size() - done, kBufferLen - state_->pos);
    std::memcpy(out.data() + done, state_->buffer.data() + state_->pos, n);
    SecureWipe(state_->buffer.data() + state_->pos, n);
    state_->pos += n;
    done += n;
  }
}

uint64_t Prng::NextU64() {
  uint8_t b[8];
  Fill(MutableByteSpan(b, 8));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{b[i]} << (8 * i);
  return v;
}

uint64_t Prng::Uniform(uint64_t bound) {
  // Reject the top partial range so every residue is equally likely.
  uint64_t limit = UINT64_MAX - (UINT64_MAX % bound + 1) % bound;
  for (;;) {
    uint64_t v = NextU64();
    if (v <= limit) return v % bound;
  }
}

Seed Prng::NewSeed() {
  Seed seed;
  Fill(seed.span());
  return seed;
}

}  // namespace liaison::crypto
