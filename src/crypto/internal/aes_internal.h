// Internal entry points of crypto/aes.h: backend selection, the CPU feature
// checks shared with crypto/gf128.h, the general counter-mode keystream that
// crypto::Prng uses, and every public operation on an explicit backend so
// that the tests can compare all of them in one process.
#ifndef LIAISON_CRYPTO_INTERNAL_AES_INTERNAL_H_
#define LIAISON_CRYPTO_INTERNAL_AES_INTERNAL_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "base/cpu.h"  // EnvFlagSet, which the dispatchers share
#include "crypto/aes.h"
#include "crypto/block.h"

namespace liaison::crypto::internal {

enum class AesImpl { kPortable, kAesNi, kVaes512 };

// AesImplName is the name AesBackend() reports for `impl`.
const char* AesImplName(AesImpl impl);

// AesImplAvailable reports whether this binary has the kernels for `impl`
// and the CPU and OS can run them (kPortable: always; kAesNi: AES in CPUID;
// kVaes512: AES, VAES, AVX-512F in CPUID and opmask and zmm state enabled in
// XCR0). It ignores the environment variables.
bool AesImplAvailable(AesImpl impl);

// SelectedAesImpl is the backend the public functions use, decided once per
// process: the widest available one, except that LIAISON_NO_AESNI forces
// kPortable and LIAISON_NO_AVX512 rules out kVaes512 (each when set to
// anything but "" or "0").
AesImpl SelectedAesImpl();

// CpuHasPclmul and CpuHasVpclmul512 report the carry-less multiply
// instructions for crypto/gf128 (VPCLMULQDQ together with AVX-512F and zmm
// state in XCR0). They ignore the environment variables.
bool CpuHasPclmul();
bool CpuHasVpclmul512();

// ExpandKeyWith writes the key schedule of `key` computed by `impl`'s code
// (kVaes512 uses the AES-NI expansion); `impl` must be available.
void ExpandKeyWith(AesImpl impl, const Block& key,
                   std::array<Block, 11>& round_keys);

// The *With functions are the public operations on the given backend, which
// must be available. Sizes must match as in aes.h (the process aborts
// otherwise).
void EncryptBlocksWith(AesImpl impl, const Aes128& aes,
                       absl::Span<const Block> in, absl::Span<Block> out);
void EncryptCounterWith(AesImpl impl, const Aes128& aes, uint64_t start,
                        absl::Span<Block> out);
void EncryptCounterManyWith(AesImpl impl, absl::Span<const Aes128> keys, uint64_t start,
                            size_t blocks, absl::Span<Block> out);
void CrHashWith(AesImpl impl, absl::Span<const Block> in,
                absl::Span<Block> out);
void TccrHashWith(AesImpl impl, absl::Span<const Block> in,
                  uint64_t tweak_start, absl::Span<Block> out);
void DaviesMeyerHashWith(AesImpl impl, absl::Span<const Block> key,
                         absl::Span<const Block> in, absl::Span<Block> out);

// CtrKeystreamWith writes `num_blocks` blocks of counter-mode keystream to
// `out` (no alignment needed): block i is AES-128_key(Block(hi, start + i)),
// the low word wrapping modulo 2^64. EncryptCounter is the case hi = 0.
void CtrKeystreamWith(AesImpl impl, const Aes128& aes, uint64_t hi,
                      uint64_t start, uint8_t* out, size_t num_blocks);

// CtrKeystream is CtrKeystreamWith on SelectedAesImpl().
void CtrKeystream(const Aes128& aes, uint64_t hi, uint64_t start, uint8_t* out,
                  size_t num_blocks);

}  // namespace liaison::crypto::internal

#endif  // LIAISON_CRYPTO_INTERNAL_AES_INTERNAL_H_
