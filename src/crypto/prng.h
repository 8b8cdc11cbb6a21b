// Prng is the cryptographically secure pseudo-random generator every protocol
// takes by reference: AES-256 in counter mode keyed by a 32-byte seed. In
// production it is seeded from the operating system's CSPRNG; tests seed it
// with a fixed, logged value so that runs are reproducible.
#ifndef LIAISON_CRYPTO_PRNG_H_
#define LIAISON_CRYPTO_PRNG_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/bytes.h"
#include "base/secret.h"

namespace liaison::crypto {

using Seed = SecretArray<32>;

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

  // Fill writes pseudo-random bytes to `out`.
  void Fill(MutableByteSpan out);
  uint64_t NextU64();
  // Uniform returns a value uniformly distributed in [0, bound); bound > 0.
  // Rejection sampling: the running time depends on `bound` and on the
  // random stream, not on any other secret.
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
