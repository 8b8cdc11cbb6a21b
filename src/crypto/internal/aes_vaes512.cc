// AES-128 with VAES on zmm registers: each VAESENC works on four blocks.
// Built with -mvaes -mavx512f (and -maes); used only after aes.cc has
// checked CPUID and that the OS saves zmm state. Eight zmm (32 blocks) are
// kept in flight to cover the instruction latency; the last 1..3 blocks use
// masked loads and stores, so no byte outside the caller's buffers is
// touched. Only raw pointers and intrinsics here: see aes_kernels.h.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "crypto/internal/aes_kernels.h"

namespace liaison::crypto::internal {
namespace {

constexpr int kRounds = 10;
constexpr size_t kWide = 8;  // zmm registers in flight

// Broadcast4 copies a block to the four lanes. The zero-masked form because
// GCC 12's plain _mm512_broadcast_i32x4 trips -Wuninitialized.
inline __m512i Broadcast4(__m128i x) {
  return _mm512_maskz_broadcast_i32x4(0xFFFF, x);
}

struct Keys {
  __m512i k[kRounds + 1];
  explicit Keys(const uint8_t* rk) {
    for (int r = 0; r <= kRounds; ++r) {
      k[r] = Broadcast4(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(rk + 16 * r)));
    }
  }
};

// Mask of the 64-bit lanes of the first m (0..4) blocks.
inline __mmask8 BlockMask(size_t m) {
  return static_cast<__mmask8>((1u << (2 * m)) - 1);
}

// Load reads m blocks (4 for a full register) from p, zero-filling the rest.
inline __m512i Load(const uint8_t* p, size_t m) {
  return m == 4 ? _mm512_loadu_si512(p)
                : _mm512_maskz_loadu_epi64(BlockMask(m), p);
}
inline void Store(uint8_t* p, __m512i v, size_t m) {
  if (m == 4) {
    _mm512_storeu_si512(p, v);
  } else {
    _mm512_mask_storeu_epi64(p, BlockMask(m), v);
  }
}

template <size_t N>
inline void EncryptN(const Keys& keys, __m512i* b) {
  for (size_t i = 0; i < N; ++i) b[i] = _mm512_xor_si512(b[i], keys.k[0]);
  for (int r = 1; r < kRounds; ++r) {
    for (size_t i = 0; i < N; ++i) b[i] = _mm512_aesenc_epi128(b[i], keys.k[r]);
  }
  for (size_t i = 0; i < N; ++i)
    b[i] = _mm512_aesenclast_epi128(b[i], keys.k[kRounds]);
}

// Scrub overwrites what a kernel left behind: its stack frame (spilled
// round keys and blocks) and all 32 vector registers. ScrubStack's frame
// takes the place of the finished kernel's below the same caller;
// kScrubBytes covers the largest kernel frame (about 530 bytes with GCC 12,
// alignment included) and the 128-byte red zone
// (AesTest.KernelsLeaveNoRoundKeysInDeadStack checks it). About 4 ns per
// call; see aes_ni.cc for why.
constexpr size_t kScrubBytes = 1024;

[[gnu::noinline]] void ScrubStack() {
  alignas(64) uint8_t buf[kScrubBytes];
  const __m512i zero = _mm512_setzero_si512();
  for (size_t i = 0; i < kScrubBytes; i += 64) {
    _mm512_store_si512(buf + i, zero);
    // Keeps GCC from turning the loop into REP STOS (10 ns to start) and
    // the stores from being dropped although buf dies here.
    __asm__ volatile("" : : "r"(buf + i) : "memory");
  }
}

inline void Scrub() {
  ScrubStack();
  // The EVEX xmm forms zero all 512 bits of zmm16-31 without a 512-bit
  // operation; VZEROALL then clears zmm0-15 and leaves the upper state
  // clean for the SSE code that follows.
  __asm__ volatile(
      "vpxord %%xmm16, %%xmm16, %%xmm16\n\tvpxord %%xmm17, %%xmm17, %%xmm17\n\t"
      "vpxord %%xmm18, %%xmm18, %%xmm18\n\tvpxord %%xmm19, %%xmm19, %%xmm19\n\t"
      "vpxord %%xmm20, %%xmm20, %%xmm20\n\tvpxord %%xmm21, %%xmm21, %%xmm21\n\t"
      "vpxord %%xmm22, %%xmm22, %%xmm22\n\tvpxord %%xmm23, %%xmm23, %%xmm23\n\t"
      "vpxord %%xmm24, %%xmm24, %%xmm24\n\tvpxord %%xmm25, %%xmm25, %%xmm25\n\t"
      "vpxord %%xmm26, %%xmm26, %%xmm26\n\tvpxord %%xmm27, %%xmm27, %%xmm27\n\t"
      "vpxord %%xmm28, %%xmm28, %%xmm28\n\tvpxord %%xmm29, %%xmm29, %%xmm29\n\t"
      "vpxord %%xmm30, %%xmm30, %%xmm30\n\tvpxord %%xmm31, %%xmm31, %%xmm31\n\t"
      "vzeroall"
      :
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16",
        "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24",
        "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
}

// Apply runs step<N>(first_block, m) over n blocks: N full registers at a
// time, then single registers, the last holding m = 1..4 blocks. The
// branches depend on n only.
template <typename Step>
inline void Apply(size_t n, Step step) {
  size_t i = 0;
  for (; i + 4 * kWide <= n; i += 4 * kWide)
    step.template operator()<kWide>(i, 4);
  for (; i < n; i += 4) step.template operator()<1>(i, n - i < 4 ? n - i : 4);
}

// CounterBlocks returns blocks (hi, start + i .. start + i + 3).
inline __m512i CounterBlocks(__m512i base, size_t i) {
  return _mm512_add_epi64(base,
                          _mm512_set_epi64(0, static_cast<long long>(i + 3), 0,
                                           static_cast<long long>(i + 2), 0,
                                           static_cast<long long>(i + 1), 0,
                                           static_cast<long long>(i)));
}

inline __m512i Broadcast(uint64_t hi, uint64_t lo) {
  return Broadcast4(
      _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo)));
}

[[gnu::noinline]] void VaesEncryptBlocksWork(const uint8_t* rk,
                                             const uint8_t* in, uint8_t* out,
                                             size_t n) {
  const Keys keys(rk);
  Apply(n, [&]<size_t N>(size_t i, size_t m) {
    __m512i b[N];
    for (size_t j = 0; j < N; ++j) b[j] = Load(in + 16 * (i + 4 * j), m);
    EncryptN<N>(keys, b);
    for (size_t j = 0; j < N; ++j) Store(out + 16 * (i + 4 * j), b[j], m);
  });
}

[[gnu::noinline]] void VaesCounterWork(const uint8_t* rk, uint64_t hi,
                                       uint64_t start, uint8_t* out, size_t n) {
  const Keys keys(rk);
  const __m512i base = Broadcast(hi, start);
  Apply(n, [&]<size_t N>(size_t i, size_t m) {
    __m512i b[N];
    for (size_t j = 0; j < N; ++j) b[j] = CounterBlocks(base, i + 4 * j);
    EncryptN<N>(keys, b);
    for (size_t j = 0; j < N; ++j) Store(out + 16 * (i + 4 * j), b[j], m);
  });
}

[[gnu::noinline]] void VaesCrHashWork(const uint8_t* rk, const uint8_t* in,
                                      uint8_t* out, size_t n) {
  const Keys keys(rk);
  Apply(n, [&]<size_t N>(size_t i, size_t m) {
    __m512i x[N], b[N];
    for (size_t j = 0; j < N; ++j) b[j] = x[j] = Load(in + 16 * (i + 4 * j), m);
    EncryptN<N>(keys, b);
    for (size_t j = 0; j < N; ++j)
      Store(out + 16 * (i + 4 * j), _mm512_xor_si512(b[j], x[j]), m);
  });
}

[[gnu::noinline]] void VaesTccrHashWork(const uint8_t* rk, const uint8_t* in,
                                        uint64_t tweak, uint8_t* out,
                                        size_t n) {
  // One pass: 32 blocks in flight already cover the latency between the two
  // encryptions (the two-pass form of aes_ni.cc measured 4% slower here).
  const Keys keys(rk);
  const __m512i base = Broadcast(0, tweak);
  Apply(n, [&]<size_t N>(size_t i, size_t m) {
    __m512i y[N], b[N];
    for (size_t j = 0; j < N; ++j) y[j] = Load(in + 16 * (i + 4 * j), m);
    EncryptN<N>(keys, y);  // y = π(x)
    for (size_t j = 0; j < N; ++j)
      b[j] = _mm512_xor_si512(y[j], CounterBlocks(base, i + 4 * j));
    EncryptN<N>(keys, b);  // b = π(π(x) ^ tweak)
    for (size_t j = 0; j < N; ++j)
      Store(out + 16 * (i + 4 * j), _mm512_xor_si512(b[j], y[j]), m);
  });
}

// VaesCounterManyWork: keys in pairs, each 16-block stretch of the two
// keys' streams as eight registers in flight (two sets of broadcast round
// keys); a last odd key and the tails of fewer than 16 blocks go through
// VaesCounterWork's loop.
[[gnu::noinline]] void VaesCounterManyWork(const uint8_t* rks, size_t num_keys,
                                           uint64_t start, uint8_t* out,
                                           size_t n) {
  const __m512i base = Broadcast(0, start);
  const size_t full = n / 16 * 16;
  size_t j = 0;
  for (; j + 2 <= num_keys && full > 0; j += 2) {
    const Keys ka(rks + 176 * j), kb(rks + 176 * (j + 1));
    uint8_t* oa = out + 16 * n * j;
    uint8_t* ob = oa + 16 * n;
    for (size_t i = 0; i < full; i += 16) {
      __m512i b[8];
      for (size_t r = 0; r < 4; ++r) {
        const __m512i c = CounterBlocks(base, i + 4 * r);
        b[r] = _mm512_xor_si512(c, ka.k[0]);
        b[4 + r] = _mm512_xor_si512(c, kb.k[0]);
      }
      for (int round = 1; round < kRounds; ++round) {
        for (size_t r = 0; r < 4; ++r) {
          b[r] = _mm512_aesenc_epi128(b[r], ka.k[round]);
          b[4 + r] = _mm512_aesenc_epi128(b[4 + r], kb.k[round]);
        }
      }
      for (size_t r = 0; r < 4; ++r) {
        b[r] = _mm512_aesenclast_epi128(b[r], ka.k[kRounds]);
        b[4 + r] = _mm512_aesenclast_epi128(b[4 + r], kb.k[kRounds]);
        _mm512_storeu_si512(oa + 16 * (i + 4 * r), b[r]);
        _mm512_storeu_si512(ob + 16 * (i + 4 * r), b[4 + r]);
      }
    }
    if (full < n) {
      VaesCounterWork(rks + 176 * j, 0, start + full, oa + 16 * full, n - full);
      VaesCounterWork(rks + 176 * (j + 1), 0, start + full, ob + 16 * full,
                      n - full);
    }
  }
  for (; j < num_keys; ++j) {
    VaesCounterWork(rks + 176 * j, 0, start, out + 16 * n * j, n);
  }
}

// The entry points: the work in its own frame, then the scrub.
void VaesEncryptBlocks(const uint8_t* rk, const uint8_t* in, uint8_t* out,
                       size_t n) {
  VaesEncryptBlocksWork(rk, in, out, n);
  Scrub();
}
void VaesCounter(const uint8_t* rk, uint64_t hi, uint64_t start, uint8_t* out,
                 size_t n) {
  VaesCounterWork(rk, hi, start, out, n);
  Scrub();
}
void VaesCounterMany(const uint8_t* rks, size_t num_keys, uint64_t start,
                     uint8_t* out, size_t n) {
  VaesCounterManyWork(rks, num_keys, start, out, n);
  Scrub();
}
void VaesCrHash(const uint8_t* rk, const uint8_t* in, uint8_t* out, size_t n) {
  VaesCrHashWork(rk, in, out, n);
  Scrub();
}
void VaesTccrHash(const uint8_t* rk, const uint8_t* in, uint64_t tweak,
                  uint8_t* out, size_t n) {
  VaesTccrHashWork(rk, in, tweak, out, n);
  Scrub();
}

}  // namespace

const AesKernels kVaes512Kernels = {
    AesNiExpandKey, VaesEncryptBlocks, VaesCounter,      VaesCrHash,
    VaesTccrHash,   VaesCounterMany,   AesNiDaviesMeyer,
};

}  // namespace liaison::crypto::internal
