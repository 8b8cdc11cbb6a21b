#include "mpc/one_hot.h"

#include <algorithm>
#include <cstring>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "crypto/secret_blocks.h"

namespace liaison::mpc {
namespace {

// Shape of one rotation instance for vectors of M = 2^q bits. Its table
// is M entries of M bits, entry v at bits [v·M, v·M + M) of W words; word
// w is padded by half w % 2 of the key block of group w / 2, each group
// being q random OTs with the instance's choice bits.
struct Shape {
  explicit Shape(int q_in)
      : q(q_in), m(1u << q_in), words(std::max(1u, m * m / 64)), groups((words + 1) / 2),
        ots(static_cast<size_t>(groups) * q_in), table_len(std::max<size_t>(1, m * m / 8)),
        mask(m >= 64 ? ~uint64_t{0} : (uint64_t{1} << m) - 1) {}
  int q;
  unsigned m;          // positions
  unsigned words;      // W: 64-bit words of a table
  unsigned groups;     // G: key blocks (of q OTs each) per instance
  size_t ots;          // random OTs per instance
  size_t table_len;    // bytes of one masked table on the wire
  uint64_t mask;
};

// kInstancesPerMessage bounds a tables message to 2 MiB (32 bytes an
// instance at most).
constexpr size_t kInstancesPerMessage = size_t{1} << 16;

absl::Status CheckQ(int q) {
  if (q < 1 || q > kMaxOneHotBits) {
    return absl::InvalidArgumentError(StrCat("one-hot rotation: q = ", q, " outside [1, ",
                                             kMaxOneHotBits, "]"));
  }
  return absl::OkStatus();
}

// Mask returns all ones when a == b, zero otherwise, without a branch.
uint64_t EqMask(uint64_t a, uint64_t b) {
  const uint64_t d = a ^ b;
  return ((d | (0 - d)) >> 63) - 1;
}

}  // namespace

absl::StatusOr<SecretWords> OneHotRotateHold(OtPair& ots, net::Channel& channel, int q,
                                             absl::Span<const uint64_t> shares,
                                             crypto::Prng& prng, int num_threads) {
  LIAISON_RETURN_IF_ERROR(CheckQ(q));
  const Shape sh(q);
  const size_t n = shares.size();
  SecretWords fresh(n);
  if (n == 0) return fresh;
  prng.Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(fresh.data()), n * 8));
  for (size_t i = 0; i < n; ++i) fresh[i] &= sh.mask;
  // tables[i·W + w]: word w of instance i's masked table.
  SecretWords tables(n * sh.words);
  LIAISON_RETURN_IF_ERROR(ots.SendRotBlockPieces(
      channel, n * sh.ots, sh.ots, prng, num_threads,
      [&](size_t first, absl::Span<crypto::Block> m0, absl::Span<crypto::Block> m1) {
        const size_t i0 = first / sh.ots;
        // keys[g·M + v] = ⊕_j m_{v_j}[g·q + j], built by doubling: the keys
        // of the v with bit j set are those without it ⊕ (m0 ⊕ m1)[j].
        crypto::Block keys[2 * 16];
        for (size_t k = 0; k * sh.ots < m0.size(); ++k) {
          const size_t i = i0 + k;
          const uint64_t s = shares[i];
          for (unsigned g = 0; g < sh.groups; ++g) {
            crypto::Block* key = keys + g * sh.m;
            key[0] = crypto::kZeroBlock;
            for (int j = 0; j < q; ++j) key[0] ^= m0[k * sh.ots + g * q + j];
            for (int j = 0; j < q; ++j) {
              const size_t o = k * sh.ots + g * q + j;
              const crypto::Block d = m0[o] ^ m1[o];
              for (unsigned v = 0; v < (1u << j); ++v) key[v + (1u << j)] = key[v] ^ d;
            }
          }
          for (unsigned v = 0; v < sh.m; ++v) {
            const unsigned w = v * sh.m / 64;
            const crypto::Block key = keys[(w / 2) * sh.m + v];
            const uint64_t pad = w % 2 == 0 ? key.lo : key.hi;  // v is public
            const unsigned shift = (v * sh.m) % 64;
            const uint64_t entry = (RotateLeft(s, q, v) ^ fresh[i] ^ (pad >> shift)) & sh.mask;
            tables[i * sh.words + w] |= entry << shift;
          }
        }
        SecureWipe(keys, sizeof(keys));
      }));
  for (size_t b = 0; b < n; b += kInstancesPerMessage) {
    const size_t e = std::min(n, b + kInstancesPerMessage);
    ByteWriter w((e - b) * sh.table_len);
    const size_t len = std::min<size_t>(8, sh.table_len);  // bytes of each word
    for (size_t i = b; i < e; ++i) {
      for (unsigned v = 0; v < sh.words; ++v) {
        const uint64_t word = tables[i * sh.words + v];
        uint8_t bytes[8];
        for (size_t k = 0; k < len; ++k) bytes[k] = static_cast<uint8_t>(word >> (8 * k));
        w.Raw(ByteSpan(bytes, len));
      }
    }
    LIAISON_RETURN_IF_ERROR(channel.Send(w.Take()));
  }
  return fresh;
}

absl::StatusOr<SecretWords> OneHotRotateChoose(OtPair& ots, net::Channel& channel, int q,
                                               absl::Span<const uint64_t> amounts,
                                               crypto::Prng& prng, int num_threads) {
  LIAISON_RETURN_IF_ERROR(CheckQ(q));
  const Shape sh(q);
  const size_t n = amounts.size();
  SecretWords out(n);
  if (n == 0) return out;
  crypto::SecretBits choices(n * sh.ots);
  for (size_t i = 0; i < n; ++i) {
    for (unsigned g = 0; g < sh.groups; ++g) {
      for (int j = 0; j < q; ++j) {
        choices.Set(i * sh.ots + g * q + j, static_cast<uint8_t>((amounts[i] >> j) & 1));
      }
    }
  }
  // pads[i·W + w]: half w % 2 of the XOR of our chosen messages of group
  // w / 2.
  SecretWords pads(n * sh.groups * 2);
  LIAISON_RETURN_IF_ERROR(ots.ReceiveRotBlockPieces(
      channel, choices, sh.ots, prng, num_threads,
      [&](size_t first, absl::Span<crypto::Block> mc) {
        const size_t i0 = first / sh.ots;
        for (size_t k = 0; k * sh.ots < mc.size(); ++k) {
          for (unsigned g = 0; g < sh.groups; ++g) {
            crypto::Block key = crypto::kZeroBlock;
            for (int j = 0; j < q; ++j) key ^= mc[k * sh.ots + g * q + j];
            pads[(i0 + k) * sh.groups * 2 + 2 * g] = key.lo;
            pads[(i0 + k) * sh.groups * 2 + 2 * g + 1] = key.hi;
          }
        }
      }));
  for (size_t b = 0; b < n; b += kInstancesPerMessage) {
    const size_t e = std::min(n, b + kInstancesPerMessage);
    const size_t want = (e - b) * sh.table_len;
    LIAISON_ASSIGN_OR_RETURN(Bytes msg, net::RecvAtMost(channel, want));
    if (msg.size() != want) {
      return absl::DataLossError(StrCat("one-hot rotation: a tables message is ", msg.size(),
                                        " bytes, expected ", want));
    }
    const size_t len = std::min<size_t>(8, sh.table_len);
    for (size_t i = b; i < e; ++i) {
      const uint64_t c = amounts[i] & (sh.m - 1);
      const uint64_t chosen_word = c * sh.m / 64;
      uint64_t picked = 0;
      for (unsigned v = 0; v < sh.words; ++v) {
        uint64_t word = 0;
        const uint8_t* p = msg.data() + (i - b) * sh.table_len + v * len;
        for (size_t k = 0; k < len; ++k) word |= static_cast<uint64_t>(p[k]) << (8 * k);
        picked ^= EqMask(v, chosen_word) & (word ^ pads[i * sh.groups * 2 + v]);
      }
      out[i] = (picked >> ((c * sh.m) % 64)) & sh.mask;
    }
  }
  return out;
}

}  // namespace liaison::mpc
