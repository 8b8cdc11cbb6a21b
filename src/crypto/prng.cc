#include "crypto/prng.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "base/log.h"
#include "crypto/aes.h"
#include "crypto/internal/aes_internal.h"

namespace liaison::crypto {

namespace {
// Small reads are served from a buffer of this many keystream bytes; one
// refill costs about as much as a few cache misses with VAES or AES-NI.
constexpr size_t kBufferLen = 4096;
constexpr size_t kBufferBlocks = kBufferLen / 16;

uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}
}  // namespace

struct Prng::State {
  explicit State(const Seed& seed)
      : aes(Block::FromBytes(seed.data())),
        counter(LoadLe64(seed.data() + 16)),
        nonce(LoadLe64(seed.data() + 24)) {}
  ~State() {
    SecureWipe(&counter, sizeof(counter));
    SecureWipe(&nonce, sizeof(nonce));
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Generate writes the next `num_blocks` keystream blocks to `out`.
  void Generate(uint8_t* out, size_t num_blocks) {
    internal::CtrKeystream(aes, nonce, counter, out, num_blocks);
    counter += num_blocks;
  }

  const Aes128 aes;  // wipes its round keys
  uint64_t counter;  // the next block's counter
  uint64_t nonce;
  // buffer[pos..] are keystream bytes generated but not yet handed out
  // (they precede block `counter`). Handed-out bytes are not wiped one read
  // at a time: the key and counter beside them regenerate the whole past
  // stream anyway, so that would buy nothing; the buffer is wiped with the
  // generator.
  SecretArray<kBufferLen> buffer;
  size_t pos = kBufferLen;
};

Prng::Prng(const Seed& seed) : state_(std::make_unique<State>(seed)) {}

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
  for (int i = 0; i < 8; ++i)
    seed.data()[i] = static_cast<uint8_t>(value >> (8 * i));
  return Prng(seed);
}

void Prng::Refill() {
  state_->Generate(state_->buffer.data(), kBufferBlocks);
  state_->pos = 0;
}

void Prng::Fill(MutableByteSpan out) {
  if (out.empty()) return;  // its data() may be null, which memcpy forbids
  State& s = *state_;
  uint8_t* dst = out.data();
  size_t len = out.size();
  // Bytes already generated come first, so the stream stays in order.
  const size_t buffered = std::min(len, kBufferLen - s.pos);
  std::memcpy(dst, s.buffer.data() + s.pos, buffered);
  s.pos += buffered;
  if (buffered == len) return;
  dst += buffered;
  len -= buffered;
  // The buffer is now empty and `counter` is the next block of the stream.
  // Large requests take whole blocks straight into the output; the rest
  // (small reads, and the last partial block) comes from a refilled buffer,
  // so that a run of small reads costs one kernel call per buffer.
  if (len >= kBufferLen) {
    const size_t direct_blocks = len / 16;
    s.Generate(dst, direct_blocks);
    dst += 16 * direct_blocks;
    len -= 16 * direct_blocks;
  }
  if (len > 0) {
    Refill();
    std::memcpy(dst, s.buffer.data(), len);
    s.pos = len;
  }
}

void Prng::Fill(absl::Span<Block> out) {
  Fill(
      MutableByteSpan(reinterpret_cast<uint8_t*>(out.data()), 16 * out.size()));
}

Block Prng::NextBlock() {
  State& s = *state_;
  if (kBufferLen - s.pos >= 16) {  // the common case: no call to Fill
    const Block v = Block::FromBytes(s.buffer.data() + s.pos);
    s.pos += 16;
    return v;
  }
  uint8_t b[16];
  Fill(MutableByteSpan(b, 16));
  return Block::FromBytes(b);
}

uint64_t Prng::NextU64() {
  State& s = *state_;
  if (kBufferLen - s.pos >= 8) {
    const uint64_t v = LoadLe64(s.buffer.data() + s.pos);
    s.pos += 8;
    return v;
  }
  uint8_t b[8];
  Fill(MutableByteSpan(b, 8));
  return LoadLe64(b);
}

uint64_t Prng::Uniform(uint64_t bound) {
  // v * bound / 2^64 is uniform once the draws whose low half falls below
  // 2^64 mod bound are rejected (Lemire 2019); the one division is on the
  // public bound.
  const uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const unsigned __int128 m =
        static_cast<unsigned __int128>(NextU64()) * bound;
    if (static_cast<uint64_t>(m) >= threshold)
      return static_cast<uint64_t>(m >> 64);
  }
}

Seed Prng::NewSeed() {
  Seed seed;
  Fill(seed.span());
  return seed;
}

}  // namespace liaison::crypto
