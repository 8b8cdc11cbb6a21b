// Prng is the cryptographically secure pseudo-random generator every protocol
// takes by reference: AES-128 in counter mode (crypto/aes.h, so VAES or
// AES-NI where the CPU has them) keyed by a 32-byte seed. In production it
// is seeded from the operating system's CSPRNG; tests seed it with a fixed,
// logged value so that runs are reproducible.
//
// The stream: seed bytes 0..15 are the AES-128 key k, bytes 16..23 the
// initial counter c and bytes 24..31 a nonce h (both little-endian), and the
// output is AES_k(Block(h, c)) || AES_k(Block(h, c + 1)) || ..., i.e.
// internal::CtrKeystream(k, h, c). The counter would repeat after 2^64
// blocks (2^68 bytes), far beyond any use. Every read takes the next bytes
// of this one stream, so the output depends only on the seed and the total
// number of bytes taken before, not on how the reads were split (Fill of
// 32 bytes == two NextBlock == four NextU64). As a PRF-based generator its
// output is indistinguishable from random up to about q^2 / 2^128 after q
// blocks (AES-128's 128-bit key; 2^-48 after 2^40 blocks). It has no
// backtracking resistance: whoever reads the state can rewind the stream,
// as with the seed itself.
//
// Speed (bench/aes_bench.cc, one Zen 5 core): bulk Fill about 50 GB/s with
// VAES and 14 GB/s with AES-NI; NextBlock and NextU64 under 2 ns.
#ifndef LIAISON_CRYPTO_PRNG_H_
#define LIAISON_CRYPTO_PRNG_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/types/span.h"
#include "base/bytes.h"
#include "base/secret.h"
#include "crypto/block.h"

namespace liaison::crypto {

using Seed = SecretArray<32>;

// Prng is not thread-safe: give each thread its own (see NewSeed).
class Prng {
 public:
  // Prng expands `seed`. The seed is copied and wiped with the generator.
  explicit Prng(const Seed& seed);
  ~Prng();
  Prng(Prng&&) noexcept;
  Prng& operator=(Prng&&) noexcept;
  Prng(const Prng&) = delete;
  Prng& operator=(const Prng&) = delete;

  // FromOsEntropy seeds a generator from the operating system's CSPRNG.
  static Prng FromOsEntropy();
  // FromTestSeed seeds a generator from a 64-bit value, for tests and
  // benchmarks only: the value must be logged so a failure can be replayed.
  static Prng FromTestSeed(uint64_t seed);

  // Fill writes the next out.size() bytes of the stream to `out`. Whole
  // blocks are generated straight into `out` (no alignment needed), so bulk
  // requests run at the AES counter-mode speed.
  void Fill(MutableByteSpan out);
  // Fill writes the next 16 * out.size() bytes of the stream to `out`.
  void Fill(absl::Span<Block> out);
  // NextBlock returns the next 16 bytes of the stream as a Block.
  Block NextBlock();
  // NextU64 returns the next 8 bytes of the stream, little-endian.
  uint64_t NextU64();
  // Uniform returns a value uniformly distributed in [0, bound); bound > 0.
  // Lemire's multiply-and-reject method: no division touches the random
  // values (64-bit division time varies with its operands on some CPUs),
  // and the running time depends on `bound` and on rejected draws, not on
  // the value returned.
  uint64_t Uniform(uint64_t bound);
  // NewSeed draws a fresh seed, e.g. to give each worker thread its own Prng.
  Seed NewSeed();

 private:
  void Refill();
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace liaison::crypto

#endif  // LIAISON_CRYPTO_PRNG_H_
