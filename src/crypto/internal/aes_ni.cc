// AES-128 with AES-NI on xmm registers. Built with -maes (and nothing
// wider); used only after aes.cc has checked CPUID. Eight independent blocks
// are kept in flight so that the AESENC latency (4 cycles on current cores,
// two issued per cycle) is hidden. Only raw pointers and intrinsics here:
// see aes_kernels.h for why.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "crypto/internal/aes_kernels.h"

namespace liaison::crypto::internal {
namespace {

constexpr int kRounds = 10;
constexpr size_t kWide = 8;  // blocks in flight

struct Keys {
  __m128i k[kRounds + 1];
  explicit Keys(const uint8_t* rk) {
    for (int r = 0; r <= kRounds; ++r) {
      k[r] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rk + 16 * r));
    }
  }
};

inline __m128i Load(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
inline void Store(uint8_t* p, __m128i v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}

// EncryptN encrypts N blocks in place, round by round across the blocks.
template <size_t N>
inline void EncryptN(const Keys& keys, __m128i* b) {
  for (size_t i = 0; i < N; ++i) b[i] = _mm_xor_si128(b[i], keys.k[0]);
  for (int r = 1; r < kRounds; ++r) {
    for (size_t i = 0; i < N; ++i) b[i] = _mm_aesenc_si128(b[i], keys.k[r]);
  }
  for (size_t i = 0; i < N; ++i)
    b[i] = _mm_aesenclast_si128(b[i], keys.k[kRounds]);
}

// ExpandStep derives round key i + 1 from round key i and
// AESKEYGENASSIST(round key i, rcon), whose word 3 is
// SubWord(RotWord(w3)) ^ rcon.
inline __m128i ExpandStep(__m128i key, __m128i assist) {
  assist = _mm_shuffle_epi32(assist, 0xFF);
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  return _mm_xor_si128(key, assist);
}

// Scrub overwrites what a kernel left behind: its stack frame (spilled
// round keys and blocks) and the xmm registers. ScrubStack's frame takes
// the place of the finished kernel's below the same caller; kScrubBytes
// covers the largest kernel frame (272 bytes with GCC 12), its saved
// registers and the 128-byte red zone, with room to spare
// (AesTest.KernelsLeaveNoRoundKeysInDeadStack checks it). About 6 ns per
// call, paid because the expanded keys of Prng and OT seeds are long-lived
// secrets that should not outlive their Aes128 in dead stack.
constexpr size_t kScrubBytes = 640;

[[gnu::noinline]] void ScrubStack() {
  alignas(16) uint8_t buf[kScrubBytes];
  const __m128i zero = _mm_setzero_si128();
  for (size_t i = 0; i < kScrubBytes; i += 16) {
    _mm_store_si128(reinterpret_cast<__m128i*>(buf + i), zero);
    // Keeps GCC from turning the loop into REP STOS (10 ns to start) and
    // the stores from being dropped although buf dies here.
    __asm__ volatile("" : : "r"(buf + i) : "memory");
  }
}

inline void Scrub() {
  ScrubStack();
  __asm__ volatile(
      "pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\t"
      "pxor %%xmm3, %%xmm3\n\tpxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
      "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\tpxor %%xmm8, %%xmm8\n\t"
      "pxor %%xmm9, %%xmm9\n\tpxor %%xmm10, %%xmm10\n\tpxor %%xmm11, "
      "%%xmm11\n\t"
      "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\tpxor %%xmm14, "
      "%%xmm14\n\t"
      "pxor %%xmm15, %%xmm15"
      :
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

// Apply runs `step` on all n blocks: N at a time, then one at a time.
// step<N>(first_index, blocks) processes blocks [first, first + N).
template <typename Step>
inline void Apply(size_t n, Step step) {
  size_t i = 0;
  for (; i + kWide <= n; i += kWide) step.template operator()<kWide>(i);
  for (; i < n; ++i) step.template operator()<1>(i);
}

[[gnu::noinline]] void NiEncryptBlocksWork(const uint8_t* rk, const uint8_t* in,
                                           uint8_t* out, size_t n) {
  const Keys keys(rk);
  Apply(n, [&]<size_t N>(size_t i) {
    __m128i b[N];
    for (size_t j = 0; j < N; ++j) b[j] = Load(in + 16 * (i + j));
    EncryptN<N>(keys, b);
    for (size_t j = 0; j < N; ++j) Store(out + 16 * (i + j), b[j]);
  });
}

[[gnu::noinline]] void NiCounterWork(const uint8_t* rk, uint64_t hi,
                                     uint64_t start, uint8_t* out, size_t n) {
  const Keys keys(rk);
  // Lane 0 (bytes 0..7) counts; the 64-bit add wraps modulo 2^64 and never
  // carries into `hi`.
  const __m128i base =
      _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(start));
  Apply(n, [&]<size_t N>(size_t i) {
    __m128i b[N];
    for (size_t j = 0; j < N; ++j) {
      b[j] =
          _mm_add_epi64(base, _mm_set_epi64x(0, static_cast<long long>(i + j)));
    }
    EncryptN<N>(keys, b);
    for (size_t j = 0; j < N; ++j) Store(out + 16 * (i + j), b[j]);
  });
}

[[gnu::noinline]] void NiCrHashWork(const uint8_t* rk, const uint8_t* in,
                                    uint8_t* out, size_t n) {
  const Keys keys(rk);
  Apply(n, [&]<size_t N>(size_t i) {
    __m128i x[N], b[N];
    for (size_t j = 0; j < N; ++j) b[j] = x[j] = Load(in + 16 * (i + j));
    EncryptN<N>(keys, b);
    for (size_t j = 0; j < N; ++j)
      Store(out + 16 * (i + j), _mm_xor_si128(b[j], x[j]));
  });
}

[[gnu::noinline]] void NiTccrHashWork(const uint8_t* rk, const uint8_t* in,
                                      uint64_t tweak, uint8_t* out, size_t n) {
  // Two passes per chunk, y = π(x) into `out` and then
  // out = π(y ^ tweak) ^ y, so that each pass keeps eight independent blocks
  // in flight; one pass doing both waits for the first encryption's
  // latency before starting the second (2.75 against 2.3 ns per block).
  // Chunks of 256 blocks stay in L1 between the passes.
  constexpr size_t kChunk = 256;
  const Keys keys(rk);
  const __m128i base = _mm_set_epi64x(0, static_cast<long long>(tweak));
  for (size_t c = 0; c < n; c += kChunk) {
    const size_t len = n - c < kChunk ? n - c : kChunk;
    const uint8_t* src = in + 16 * c;
    uint8_t* dst = out + 16 * c;
    Apply(len, [&]<size_t N>(size_t i) {
      __m128i y[N];
      for (size_t j = 0; j < N; ++j) y[j] = Load(src + 16 * (i + j));
      EncryptN<N>(keys, y);
      for (size_t j = 0; j < N; ++j) Store(dst + 16 * (i + j), y[j]);
    });
    Apply(len, [&]<size_t N>(size_t i) {
      __m128i y[N], b[N];
      for (size_t j = 0; j < N; ++j) {
        y[j] = Load(dst + 16 * (i + j));
        const __m128i t = _mm_add_epi64(
            base, _mm_set_epi64x(0, static_cast<long long>(c + i + j)));
        b[j] = _mm_xor_si128(y[j], t);
      }
      EncryptN<N>(keys, b);
      for (size_t j = 0; j < N; ++j)
        Store(dst + 16 * (i + j), _mm_xor_si128(b[j], y[j]));
    });
  }
}

[[gnu::noinline]] void NiDaviesMeyerWork(const uint8_t* key, const uint8_t* in,
                                         uint8_t* out, size_t n) {
  // Each block's key schedule is computed round by round as its encryption
  // goes, for eight blocks at once: AESKEYGENASSIST and AESENC of different
  // blocks overlap, so a block costs a few ns instead of a stored schedule
  // (expand, store, reload) per block.
  Apply(n, [&]<size_t N>(size_t i) {
    __m128i k[N], x[N], b[N];
    for (size_t j = 0; j < N; ++j) {
      k[j] = Load(key + 16 * (i + j));
      x[j] = Load(in + 16 * (i + j));
      b[j] = _mm_xor_si128(x[j], k[j]);
    }
#define LIAISON_AES_DM_ROUND(rcon)                                    \
  for (size_t j = 0; j < N; ++j) {                                     \
    k[j] = ExpandStep(k[j], _mm_aeskeygenassist_si128(k[j], rcon));    \
    b[j] = _mm_aesenc_si128(b[j], k[j]);                               \
  }
    LIAISON_AES_DM_ROUND(0x01)
    LIAISON_AES_DM_ROUND(0x02)
    LIAISON_AES_DM_ROUND(0x04)
    LIAISON_AES_DM_ROUND(0x08)
    LIAISON_AES_DM_ROUND(0x10)
    LIAISON_AES_DM_ROUND(0x20)
    LIAISON_AES_DM_ROUND(0x40)
    LIAISON_AES_DM_ROUND(0x80)
    LIAISON_AES_DM_ROUND(0x1B)
#undef LIAISON_AES_DM_ROUND
    for (size_t j = 0; j < N; ++j) {
      k[j] = ExpandStep(k[j], _mm_aeskeygenassist_si128(k[j], 0x36));
      b[j] = _mm_aesenclast_si128(b[j], k[j]);
      Store(out + 16 * (i + j), _mm_xor_si128(b[j], x[j]));
    }
  });
}

// The entry points: the work in its own frame, then the scrub.
void NiEncryptBlocks(const uint8_t* rk, const uint8_t* in, uint8_t* out,
                     size_t n) {
  NiEncryptBlocksWork(rk, in, out, n);
  Scrub();
}
void NiCounter(const uint8_t* rk, uint64_t hi, uint64_t start, uint8_t* out,
               size_t n) {
  NiCounterWork(rk, hi, start, out, n);
  Scrub();
}
void NiCounterMany(const uint8_t* rks, size_t num_keys, uint64_t start,
                   uint8_t* out, size_t n) {
  for (size_t j = 0; j < num_keys; ++j) {
    NiCounterWork(rks + 176 * j, 0, start, out + 16 * n * j, n);
  }
  Scrub();
}
void NiCrHash(const uint8_t* rk, const uint8_t* in, uint8_t* out, size_t n) {
  NiCrHashWork(rk, in, out, n);
  Scrub();
}
void NiTccrHash(const uint8_t* rk, const uint8_t* in, uint64_t tweak,
                uint8_t* out, size_t n) {
  NiTccrHashWork(rk, in, tweak, out, n);
  Scrub();
}

[[gnu::noinline]] void ExpandKeyWork(const uint8_t* key, uint8_t* rk) {
  __m128i k = Load(key);
  Store(rk, k);
  // AESKEYGENASSIST takes its round constant as an immediate, hence the
  // unrolled sequence.
#define LIAISON_AES_EXPAND(i, rcon)                      \
  k = ExpandStep(k, _mm_aeskeygenassist_si128(k, rcon)); \
  Store(rk + 16 * (i), k)
  LIAISON_AES_EXPAND(1, 0x01);
  LIAISON_AES_EXPAND(2, 0x02);
  LIAISON_AES_EXPAND(3, 0x04);
  LIAISON_AES_EXPAND(4, 0x08);
  LIAISON_AES_EXPAND(5, 0x10);
  LIAISON_AES_EXPAND(6, 0x20);
  LIAISON_AES_EXPAND(7, 0x40);
  LIAISON_AES_EXPAND(8, 0x80);
  LIAISON_AES_EXPAND(9, 0x1B);
  LIAISON_AES_EXPAND(10, 0x36);
#undef LIAISON_AES_EXPAND
}

}  // namespace

void AesNiExpandKey(const uint8_t* key, uint8_t* rk) {
  ExpandKeyWork(key, rk);
  Scrub();
}

void AesNiDaviesMeyer(const uint8_t* key, const uint8_t* in, uint8_t* out,
                      size_t n) {
  NiDaviesMeyerWork(key, in, out, n);
  Scrub();
}

const AesKernels kAesNiKernels = {
    AesNiExpandKey, NiEncryptBlocks, NiCounter,        NiCrHash,
    NiTccrHash,     NiCounterMany,   AesNiDaviesMeyer,
};

}  // namespace liaison::crypto::internal
