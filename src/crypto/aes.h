// AES-128 for the symmetric-key protocols: keyed encryption of many blocks
// at once (a PRG in counter mode, OT extension, OKVS hashing) and the
// fixed-key permutation behind the correlation-robust hashes. The widest
// implementation the CPU offers is chosen once per process at run time:
// VAES with AVX-512 (four blocks per instruction), AES-NI, or a portable
// constant-time fallback (bitsliced, no tables). All three give identical
// results, and none branches on or indexes memory with keys or data.
//
// Blocks are the byte strings AES sees (FIPS 197 byte order); Block(hi, lo)
// is the 16 bytes lo little-endian then hi little-endian (crypto/block.h).
//
// Speed on the development machine (AMD EPYC Zen 5, one core; figures in
// bench/aes_bench.cc): 0.29 ns per block (55 GB/s) with VAES, 1.15 ns
// (14 GB/s) with AES-NI, 1.2 us portable. Batches pay: a single-block
// call costs dispatch and a stack scrub on top of the AES latency.
//
// Secrets left behind: each kernel overwrites its stack frame and clears
// the vector registers after the call, so expanded keys do not outlive
// their Aes128 in dead stack (tests/crypto/aes_test.cc checks it).
#ifndef LIAISON_CRYPTO_AES_H_
#define LIAISON_CRYPTO_AES_H_

#include <array>
#include <cstdint>

#include "absl/types/span.h"
#include "crypto/block.h"

namespace liaison::crypto {

// Aes128 holds an expanded AES-128 key. Expansion costs about as much as
// encrypting a few blocks, so keep one per key. Thread-safe for concurrent
// Encrypt calls (it is immutable after construction). Round keys are wiped on
// destruction.
class Aes128 {
 public:
  explicit Aes128(const Block& key);
  ~Aes128();
  Aes128(const Aes128&) = default;
  Aes128& operator=(const Aes128&) = default;

  // Encrypt returns AES-128_key(in).
  Block Encrypt(const Block& in) const;
  // EncryptBlocks sets out[i] = AES-128_key(in[i]). `in` and `out` have
  // equal sizes (the process aborts otherwise: a caller bug) and are either
  // the same array or disjoint.
  void EncryptBlocks(absl::Span<const Block> in, absl::Span<Block> out) const;
  // EncryptCounter sets out[i] = AES-128_key(Block(0, start + i)): counter
  // mode keystream, the core of the PRG. The counter is the low word only
  // and wraps modulo 2^64 (it never carries into the high word), so it is
  // not SP 800-38A's big-endian 128-bit counter.
  void EncryptCounter(uint64_t start, absl::Span<Block> out) const;

  const std::array<Block, 11>& round_keys() const { return round_keys_; }

 private:
  std::array<Block, 11> round_keys_;
};

// EncryptCounterMany sets out[j·blocks + i] = AES-128_{keys[j]}(Block(0,
// start + i)) for every j < keys.size() and i < blocks: EncryptCounter for
// many keys at the same position, in one call (SoftSpoken's leaf PRGs:
// the per-call cost is paid once, and two keys' blocks are in flight
// together). out.size() must be keys.size()·blocks (the process aborts
// otherwise).
void EncryptCounterMany(absl::Span<const Aes128> keys, uint64_t start, size_t blocks,
                        absl::Span<Block> out);

// FixedKeyAes is AES-128 under a public constant key, modelled as a random
// permutation π (Guo, Katz, Wang, Yu 2020). The key is the bytes
// 24 3f 6a 88 85 a3 08 d3 13 19 8a 2e 03 70 73 44, the first 128 bits of
// the fractional part of π (nothing up the sleeve), i.e.
// Block(0x447370032e8a1913, 0xd308a385886a3f24). Changing it changes every
// protocol transcript. Thread-safe; built on first use.
const Aes128& FixedKeyAes();

// CrHash is the correlation-robust hash H(x) = π(x) ⊕ x (GKWY20, MMO mode),
// applied to many blocks: out[i] = π(in[i]) ⊕ in[i]. `in` and `out` have
// equal sizes and are the same array or disjoint. Thread-safe.
void CrHash(absl::Span<const Block> in, absl::Span<Block> out);

// TccrHash is the tweakable circular correlation-robust hash
// H(x, i) = π(π(x) ⊕ i) ⊕ π(x) (GKWY20), with tweak i = tweak_start + index
// as the Block(0, i) (wrapping modulo 2^64). OT extension uses it to derive
// messages from correlated blocks. Sizes and aliasing as for CrHash.
// Thread-safe.
void TccrHash(absl::Span<const Block> in, uint64_t tweak_start,
              absl::Span<Block> out);

// DaviesMeyerHash sets out[i] = AES-128_{key[i]}(in[i]) ⊕ in[i]: the
// Davies–Meyer compression function, a two-input hash H(key, in) with a
// fresh key schedule per element. In the ideal-cipher model for AES every
// output is uniform and tied to one (key, in) query the adversary must
// have made, which is what the malicious RR22 OPRF (psi/rr22_oprf.h)
// needs of its random oracle H(Decode(...) ⊕ w, x) (volePSI's choice too).
// The three spans have equal sizes (the process aborts otherwise); `out`
// may be `key` or `in`. Thread-safe; about one key expansion and one
// encryption per element.
void DaviesMeyerHash(absl::Span<const Block> key, absl::Span<const Block> in,
                     absl::Span<Block> out);

// AesBackend names the implementation in use ("vaes512", "aesni" or
// "portable"); LIAISON_NO_AVX512=1 rules out vaes512 and LIAISON_NO_AESNI=1
// forces portable (each when set to anything but "" or "0"), so tests can
// cover every path. Decided once per process.
const char* AesBackend();

}  // namespace liaison::crypto

#endif  // LIAISON_CRYPTO_AES_H_
