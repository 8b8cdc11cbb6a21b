// The AES-128 kernels behind crypto/aes.h, one set per backend. They take
// raw pointers only, so that the files compiled with AES-NI or AVX-512
// enabled pull in no inline functions from other headers: an inline
// function emitted there with AVX-512 instructions could be the copy the
// linker keeps for the whole program and then fault on an older CPU.
//
// Conventions shared by every kernel:
//   rk       the 11 round keys, 176 bytes, in FIPS-197 byte order (the
//            expanded key as AES-NI loads it);
//   in, out  n 16-byte blocks, no alignment required; in == out is allowed,
//            any other overlap is not;
//   counter  block i of a keystream is the Block (hi = `hi`, lo = start + i
//            mod 2^64), i.e. bytes 0..7 are start + i little-endian and
//            bytes 8..15 are `hi` little-endian;
//   tweak    TccrHash's tweak for block i is the Block (0, tweak + i).
// All are constant time: no branch or memory index depends on key or data.
#ifndef LIAISON_CRYPTO_INTERNAL_AES_KERNELS_H_
#define LIAISON_CRYPTO_INTERNAL_AES_KERNELS_H_

#include <cstddef>
#include <cstdint>

namespace liaison::crypto::internal {

// AesKernels is the table of one backend's entry points.
struct AesKernels {
  // expand_key writes the 176-byte key schedule of the 16-byte `key`.
  void (*expand_key)(const uint8_t* key, uint8_t* rk);
  // encrypt_blocks sets out[i] = AES(in[i]).
  void (*encrypt_blocks)(const uint8_t* rk, const uint8_t* in, uint8_t* out,
                         size_t n);
  // counter sets out[i] = AES(Block(hi, start + i)).
  void (*counter)(const uint8_t* rk, uint64_t hi, uint64_t start, uint8_t* out,
                  size_t n);
  // cr_hash sets out[i] = AES(in[i]) ^ in[i].
  void (*cr_hash)(const uint8_t* rk, const uint8_t* in, uint8_t* out, size_t n);
  // tccr_hash sets out[i] = AES(AES(in[i]) ^ Block(0, tweak + i)) ^ AES(in[i]).
  void (*tccr_hash)(const uint8_t* rk, const uint8_t* in, uint64_t tweak,
                    uint8_t* out, size_t n);
  // counter_many runs `counter` (hi = 0) for num_keys key schedules at
  // rks + 176·j, writing key j's n blocks at out + 16·n·j, with one scrub
  // for the whole call (VAES keeps two keys' blocks in flight).
  void (*counter_many)(const uint8_t* rks, size_t num_keys, uint64_t start,
                       uint8_t* out, size_t n);
  // davies_meyer sets out[i] = AES_{key[i]}(in[i]) ^ in[i], one key
  // schedule per block (`key` holds n 16-byte keys); out may be key or in.
  void (*davies_meyer)(const uint8_t* key, const uint8_t* in, uint8_t* out,
                       size_t n);
};

// The portable, table-free bitsliced implementation; always present.
extern const AesKernels kPortableAesKernels;

#if LIAISON_HAVE_AESNI_KERNELS
// AES-NI, eight blocks in flight (internal/aes_ni.cc, built with -maes).
extern const AesKernels kAesNiKernels;
// AesNiExpandKey and AesNiDaviesMeyer are kAesNiKernels' expand_key and
// davies_meyer, shared with the VAES table.
void AesNiExpandKey(const uint8_t* key, uint8_t* rk);
void AesNiDaviesMeyer(const uint8_t* key, const uint8_t* in, uint8_t* out,
                      size_t n);
#endif

#if LIAISON_HAVE_VAES512_KERNELS
// VAES on zmm registers, four blocks per instruction
// (internal/aes_vaes512.cc, built with -mvaes -mavx512f). Its key expansion
// is AesNiExpandKey; the CPU check requires AES-NI as well.
extern const AesKernels kVaes512Kernels;
#endif

}  // namespace liaison::crypto::internal

#endif  // LIAISON_CRYPTO_INTERNAL_AES_KERNELS_H_
