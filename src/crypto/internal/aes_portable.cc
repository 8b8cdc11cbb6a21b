// Portable AES-128, bitsliced so that nothing is looked up in a table: the
// S-box is computed as the GF(2^8) inverse x^254 followed by the affine map,
// on eight 64-bit "planes" that each hold one bit of 64 bytes (four blocks).
// Every operation is an AND, XOR or fixed shift on whole words, so the time
// and the memory addresses touched depend only on the number of blocks.
//
// Layout of the planes: plane j holds bit j of every state byte; the byte in
// row r, column c of block b (FIPS-197 state, byte index 4c + r) sits at bit
// 16r + 4c + b. A row is then a 16-bit lane, so ShiftRows rotates lanes and
// MixColumns combines a word with itself rotated by 16, 32 and 48 bits.
//
// Speed is secondary here (about 1 µs per four blocks); it serves CPUs
// without AES-NI and cross-checks the hardware paths in the tests.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/secret.h"
#include "crypto/internal/aes_kernels.h"

namespace liaison::crypto::internal {
namespace {

constexpr int kRounds = 10;
constexpr size_t kLanes = 4;  // blocks per bitsliced batch

using Planes = uint64_t[8];

uint64_t Load64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

void Store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

constexpr uint64_t RotR(uint64_t x, int n) {
  return (x >> n) | (x << (64 - n));
}

// Transpose8x8 transposes the 8x8 bit matrix whose row q is byte q of `x`
// (bit 8q + j <-> bit 8j + q).
uint64_t Transpose8x8(uint64_t x) {
  uint64_t t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAull;
  x ^= t ^ (t << 7);
  t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCull;
  x ^= t ^ (t << 14);
  t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ull;
  x ^= t ^ (t << 28);
  return x;
}

// PlanePosition is the bit of a plane that holds byte `k` of block `b`.
constexpr int PlanePosition(int b, int k) {
  return 16 * (k & 3) + 4 * (k >> 2) + b;
}

// Scratch holds every temporary of the bitsliced rounds, so that one wipe
// at the end of a kernel call clears all key- and data-dependent values
// from the stack (wiping each helper's locals would cost more than the
// arithmetic).
struct Scratch {
  uint8_t bytes[64];
  uint64_t product[15];
  Planes x2, x3, x6, x12, x15, t, inv, rot, sum;
  Scratch() = default;
  ~Scratch() { SecureWipe(this, sizeof(*this)); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

// Pack converts four blocks (64 bytes, block b at in + 16b) to planes.
void Pack(const uint8_t* in, Planes s, Scratch& w) {
  uint8_t* p = w.bytes;
  for (int b = 0; b < 4; ++b) {
    for (int k = 0; k < 16; ++k) p[PlanePosition(b, k)] = in[16 * b + k];
  }
  for (int j = 0; j < 8; ++j) s[j] = 0;
  for (int q = 0; q < 8; ++q) {
    const uint64_t x = Transpose8x8(Load64(p + 8 * q));
    for (int j = 0; j < 8; ++j) s[j] |= ((x >> (8 * j)) & 0xFF) << (8 * q);
  }
}

// Unpack is the inverse of Pack.
void Unpack(const Planes s, uint8_t* out, Scratch& w) {
  uint8_t* p = w.bytes;
  for (int q = 0; q < 8; ++q) {
    uint64_t x = 0;
    for (int j = 0; j < 8; ++j) x |= ((s[j] >> (8 * q)) & 0xFF) << (8 * j);
    Store64(p + 8 * q, Transpose8x8(x));
  }
  for (int b = 0; b < 4; ++b) {
    for (int k = 0; k < 16; ++k) out[16 * b + k] = p[PlanePosition(b, k)];
  }
}

// Reduce folds the product coefficients p[8..14] back below x^8 with
// x^8 = x^4 + x^3 + x + 1 (the AES polynomial), highest first so that
// folds landing at 8 or above are folded again.
void Reduce(uint64_t p[15], Planes r) {
  for (int k = 14; k >= 8; --k) {
    p[k - 8] ^= p[k];
    p[k - 7] ^= p[k];
    p[k - 5] ^= p[k];
    p[k - 4] ^= p[k];
  }
  for (int j = 0; j < 8; ++j) r[j] = p[j];
}

// GfMul sets r = a * b in GF(2^8); r may alias a or b.
void GfMul(const Planes a, const Planes b, Planes r, Scratch& w) {
  uint64_t* p = w.product;
  for (int k = 0; k < 15; ++k) p[k] = 0;
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) p[i + j] ^= a[i] & b[j];
  }
  Reduce(p, r);
}

// GfSquare sets r = a^2; r may alias a. Squaring is linear in
// characteristic 2: coefficient i moves to 2i.
void GfSquare(const Planes a, Planes r, Scratch& w) {
  uint64_t* p = w.product;
  for (int k = 0; k < 15; ++k) p[k] = 0;
  for (int i = 0; i < 8; ++i) p[2 * i] = a[i];
  Reduce(p, r);
}

// SubBytes applies the AES S-box to every byte: inversion as x^254 (which
// maps 0 to 0, as the S-box requires) by the chain 2, 3, 6, 12, 15, 30, 60,
// 120, 240, 252, 254, then the affine map with constant 0x63.
void SubBytes(Planes s, Scratch& w) {
  GfSquare(s, w.x2, w);
  GfMul(w.x2, s, w.x3, w);
  GfSquare(w.x3, w.x6, w);
  GfSquare(w.x6, w.x12, w);
  GfMul(w.x12, w.x3, w.x15, w);
  GfSquare(w.x15, w.t, w);     // x^30
  GfSquare(w.t, w.t, w);       // x^60
  GfSquare(w.t, w.t, w);       // x^120
  GfSquare(w.t, w.t, w);       // x^240
  GfMul(w.t, w.x12, w.t, w);   // x^252
  GfMul(w.t, w.x2, w.inv, w);  // x^254
  const uint64_t* inv = w.inv;
  for (int i = 0; i < 8; ++i) {
    s[i] = inv[i] ^ inv[(i + 4) & 7] ^ inv[(i + 5) & 7] ^ inv[(i + 6) & 7] ^
           inv[(i + 7) & 7];
  }
  // 0x63 has bits 0, 1, 5 and 6.
  s[0] = ~s[0];
  s[1] = ~s[1];
  s[5] = ~s[5];
  s[6] = ~s[6];
}

// ShiftRows rotates row r (the 16-bit lane r) left by r columns, i.e. the
// lane right by 4r bits.
void ShiftRows(Planes s) {
  for (int j = 0; j < 8; ++j) {
    const uint64_t x = s[j];
    s[j] = (x & 0x000000000000FFFFull) | ((x >> 4) & 0x000000000FFF0000ull) |
           ((x << 12) & 0x00000000F0000000ull) |
           ((x >> 8) & 0x000000FF00000000ull) |
           ((x << 8) & 0x0000FF0000000000ull) |
           ((x >> 12) & 0x000F000000000000ull) |
           ((x << 4) & 0xFFF0000000000000ull);
  }
}

// MixColumns computes 2a[r] ^ 3a[r+1] ^ a[r+2] ^ a[r+3] as
// xtime(a[r] ^ a[r+1]) ^ a[r+1] ^ a[r+2] ^ a[r+3]; rotating a plane right by
// 16 bits brings row r + 1 to row r.
void MixColumns(Planes s, Scratch& w) {
  uint64_t* t = w.rot;
  uint64_t* u = w.sum;
  for (int j = 0; j < 8; ++j) {
    t[j] = RotR(s[j], 16);
    u[j] = s[j] ^ t[j];
  }
  // xtime(u): multiply by x, folding u7 with x^8 = x^4 + x^3 + x + 1.
  const uint64_t h = u[7];
  const uint64_t x[8] = {h,        u[0] ^ h, u[1], u[2] ^ h,
                         u[3] ^ h, u[4],     u[5], u[6]};
  for (int j = 0; j < 8; ++j)
    s[j] = x[j] ^ t[j] ^ RotR(s[j], 32) ^ RotR(s[j], 48);
}

void AddRoundKey(Planes s, const Planes k) {
  for (int j = 0; j < 8; ++j) s[j] ^= k[j];
}

// Context is one kernel call's state: the key schedule in planes (each
// round key in all four lanes), the state planes, two 64-byte buffers and
// the scratch, all wiped on destruction.
struct Context {
  uint64_t keys[kRounds + 1][8];
  Planes state;
  uint8_t a[64];
  uint8_t b[64];
  Scratch w;

  explicit Context(const uint8_t* rk) {
    for (int r = 0; r <= kRounds; ++r) {
      for (size_t j = 0; j < kLanes; ++j)
        std::memcpy(a + 16 * j, rk + 16 * r, 16);
      Pack(a, keys[r], w);
    }
  }
  ~Context() {
    SecureWipe(keys, sizeof(keys));
    SecureWipe(state, sizeof(state));
    SecureWipe(a, sizeof(a));
    SecureWipe(b, sizeof(b));
  }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Encrypt4 encrypts the four blocks at `in` (64 bytes) into `out`; they
  // may be the same buffer.
  void Encrypt4(const uint8_t* in, uint8_t* out) {
    Pack(in, state, w);
    AddRoundKey(state, keys[0]);
    for (int r = 1; r < kRounds; ++r) {
      SubBytes(state, w);
      ShiftRows(state);
      MixColumns(state, w);
      AddRoundKey(state, keys[r]);
    }
    SubBytes(state, w);
    ShiftRows(state);
    AddRoundKey(state, keys[kRounds]);
    Unpack(state, out, w);
  }

  // LoadPadded copies m <= 4 blocks from `in` to `a`, zero-padded.
  void LoadPadded(const uint8_t* in, size_t m) {
    std::memset(a, 0, sizeof(a));
    std::memcpy(a, in, 16 * m);
  }
};

size_t BatchSize(size_t n, size_t i) { return n - i < kLanes ? n - i : kLanes; }

[[gnu::noinline]] void PortableEncryptBlocksWork(const uint8_t* rk,
                                                 const uint8_t* in,
                                                 uint8_t* out, size_t n) {
  Context c(rk);
  for (size_t i = 0; i < n; i += kLanes) {
    const size_t m = BatchSize(n, i);
    c.LoadPadded(in + 16 * i, m);
    c.Encrypt4(c.a, c.b);
    std::memcpy(out + 16 * i, c.b, 16 * m);
  }
}

[[gnu::noinline]] void PortableCounterWork(const uint8_t* rk, uint64_t hi,
                                           uint64_t start, uint8_t* out,
                                           size_t n) {
  Context c(rk);
  for (size_t i = 0; i < n; i += kLanes) {
    const size_t m = BatchSize(n, i);
    for (size_t j = 0; j < kLanes; ++j) {
      Store64(c.a + 16 * j, start + i + j);
      Store64(c.a + 16 * j + 8, hi);
    }
    c.Encrypt4(c.a, c.b);
    std::memcpy(out + 16 * i, c.b, 16 * m);
  }
}

[[gnu::noinline]] void PortableCrHashWork(const uint8_t* rk, const uint8_t* in,
                                          uint8_t* out, size_t n) {
  Context c(rk);
  for (size_t i = 0; i < n; i += kLanes) {
    const size_t m = BatchSize(n, i);
    c.LoadPadded(in + 16 * i, m);
    c.Encrypt4(c.a, c.b);
    for (size_t j = 0; j < 64; ++j) c.b[j] ^= c.a[j];
    std::memcpy(out + 16 * i, c.b, 16 * m);
  }
}

[[gnu::noinline]] void PortableTccrHashWork(const uint8_t* rk,
                                            const uint8_t* in, uint64_t tweak,
                                            uint8_t* out, size_t n) {
  Context c(rk);
  for (size_t i = 0; i < n; i += kLanes) {
    const size_t m = BatchSize(n, i);
    c.LoadPadded(in + 16 * i, m);
    c.Encrypt4(c.a, c.b);  // b = π(x)
    std::memcpy(c.a, c.b, 64);
    for (size_t j = 0; j < kLanes; ++j) {
      Store64(c.a + 16 * j, Load64(c.a + 16 * j) ^ (tweak + i + j));
    }
    c.Encrypt4(c.a, c.a);  // a = π(π(x) ^ tweak)
    for (size_t j = 0; j < 64; ++j) c.b[j] ^= c.a[j];
    std::memcpy(out + 16 * i, c.b, 16 * m);
  }
}

// SubWord applies the S-box to the four bytes of `w` (key schedule), with
// the same bitsliced circuit: byte b in lane bit b of each plane.
void SubWord(uint8_t word[4], Scratch& w) {
  Planes s = {0};
  for (int b = 0; b < 4; ++b) {
    for (int j = 0; j < 8; ++j) s[j] |= uint64_t{(word[b] >> j) & 1u} << b;
  }
  SubBytes(s, w);
  for (int b = 0; b < 4; ++b) {
    uint8_t v = 0;
    for (int j = 0; j < 8; ++j)
      v |= static_cast<uint8_t>(((s[j] >> b) & 1) << j);
    word[b] = v;
  }
  SecureWipe(s, sizeof(s));
}

// PortableExpandKey is FIPS-197 section 5.2 for Nk = 4.
[[gnu::noinline]] void PortableExpandKeyWork(const uint8_t* key, uint8_t* rk) {
  static constexpr uint8_t kRcon[10] = {0x01, 0x02, 0x04, 0x08, 0x10,
                                        0x20, 0x40, 0x80, 0x1B, 0x36};
  std::memcpy(rk, key, 16);
  Scratch w;
  uint8_t t[4];
  for (int i = 4; i < 4 * (kRounds + 1); ++i) {
    std::memcpy(t, rk + 4 * (i - 1), 4);
    if (i % 4 == 0) {  // depends on the position only
      const uint8_t first = t[0];
      t[0] = t[1];
      t[1] = t[2];
      t[2] = t[3];
      t[3] = first;
      SubWord(t, w);
      t[0] ^= kRcon[i / 4 - 1];
    }
    for (int j = 0; j < 4; ++j) rk[4 * i + j] = rk[4 * (i - 4) + j] ^ t[j];
  }
  SecureWipe(t, sizeof(t));
}

[[gnu::noinline]] void PortableDaviesMeyerWork(const uint8_t* key,
                                               const uint8_t* in, uint8_t* out,
                                               size_t n) {
  uint8_t rk[176];
  uint8_t x[16];
  for (size_t i = 0; i < n; ++i) {
    PortableExpandKeyWork(key + 16 * i, rk);
    std::memcpy(x, in + 16 * i, 16);
    PortableEncryptBlocksWork(rk, x, out + 16 * i, 1);
    for (size_t j = 0; j < 16; ++j) out[16 * i + j] ^= x[j];
  }
  SecureWipe(rk, sizeof(rk));
  SecureWipe(x, sizeof(x));
}

// ScrubStack overwrites the stack a kernel has just used: Context is wiped
// by its destructor, but the compiler may also have spilled key or state
// words to other slots of the frame. ScrubStack's frame takes the place of
// the finished kernel's (the largest is about 2 KiB).
constexpr size_t kScrubBytes = 4096;

[[gnu::noinline]] void ScrubStack() {
  uint8_t buf[kScrubBytes];
  SecureWipe(buf, sizeof(buf));
}

// The entry points: the work in its own frame, then the scrub.
void PortableEncryptBlocks(const uint8_t* rk, const uint8_t* in, uint8_t* out,
                           size_t n) {
  PortableEncryptBlocksWork(rk, in, out, n);
  ScrubStack();
}
void PortableCounter(const uint8_t* rk, uint64_t hi, uint64_t start,
                     uint8_t* out, size_t n) {
  PortableCounterWork(rk, hi, start, out, n);
  ScrubStack();
}
void PortableCounterMany(const uint8_t* rks, size_t num_keys, uint64_t start,
                         uint8_t* out, size_t n) {
  for (size_t j = 0; j < num_keys; ++j) {
    PortableCounterWork(rks + 176 * j, 0, start, out + 16 * n * j, n);
  }
  ScrubStack();
}
void PortableCrHash(const uint8_t* rk, const uint8_t* in, uint8_t* out,
                    size_t n) {
  PortableCrHashWork(rk, in, out, n);
  ScrubStack();
}
void PortableTccrHash(const uint8_t* rk, const uint8_t* in, uint64_t tweak,
                      uint8_t* out, size_t n) {
  PortableTccrHashWork(rk, in, tweak, out, n);
  ScrubStack();
}
void PortableExpandKey(const uint8_t* key, uint8_t* rk) {
  PortableExpandKeyWork(key, rk);
  ScrubStack();
}
void PortableDaviesMeyer(const uint8_t* key, const uint8_t* in, uint8_t* out,
                         size_t n) {
  PortableDaviesMeyerWork(key, in, out, n);
  ScrubStack();
}

}  // namespace

const AesKernels kPortableAesKernels = {
    PortableExpandKey, PortableEncryptBlocks, PortableCounter,
    PortableCrHash,    PortableTccrHash,      PortableCounterMany,
    PortableDaviesMeyer,
};

}  // namespace liaison::crypto::internal
