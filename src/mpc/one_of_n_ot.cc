#include "mpc/one_of_n_ot.h"

#include <algorithm>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "mpc/internal/wire.h"

namespace liaison::mpc {
namespace {

using crypto::Block;

// kEntryMask[j] has bit v set iff bit j of v is set: the entries whose pad
// takes message 1 of OT j.
constexpr uint64_t kEntryMask[kMaxOneOfNBits] = {
    0xAAAAAAAAAAAAAAAAull, 0xCCCCCCCCCCCCCCCCull, 0xF0F0F0F0F0F0F0F0ull,
    0xFF00FF00FF00FF00ull, 0xFFFF0000FFFF0000ull, 0xFFFFFFFF00000000ull};

// Layout of the masked tables on the wire: 2^q bits each, packed
// 64 / 2^q to a word for q ≤ 6 (one per byte for q ≤ 3, whose tables are
// padded to 8 bits).
int TableBits(int q) { return std::max(1 << q, 8); }

}  // namespace

absl::Status OneOfNBitOtSend(net::Channel& channel, int q,
                             absl::Span<const uint64_t> tables,
                             absl::Span<const Block> m0,
                             absl::Span<const Block> m1, int num_threads) {
  if (q < 1 || q > kMaxOneOfNBits) {
    return absl::InvalidArgumentError("1-out-of-2^q OT needs 1 <= q <= 6");
  }
  const size_t n = tables.size();
  if (m0.size() != n * q || m1.size() != n * q) {
    return absl::InvalidArgumentError("1-out-of-2^q OT needs q ROTs per table");
  }
  const int tbits = TableBits(q);
  const uint64_t tmask = tbits == 64 ? ~uint64_t{0} : (uint64_t{1} << tbits) - 1;
  const size_t per_word = 64 / tbits;
  std::vector<uint64_t> msg((n + per_word - 1) / per_word, 0);
  ParallelFor(msg.size(), num_threads, 256, [&](size_t begin, size_t end) {
    for (size_t w = begin; w < end; ++w) {
      uint64_t word = 0;
      for (size_t k = 0; k < per_word; ++k) {
        const size_t i = w * per_word + k;
        if (i >= n) break;  // public bound
        uint64_t pad = 0;
        for (int j = 0; j < q; ++j) {
          const uint64_t a = m0[i * q + j].lo, b = m1[i * q + j].lo;
          pad ^= (a & ~kEntryMask[j]) | (b & kEntryMask[j]);
        }
        word |= ((tables[i] ^ pad) & tmask) << (k * tbits);
      }
      msg[w] = word;
    }
  });
  return internal::SendWords(channel, msg);
}

absl::StatusOr<SecretWords> OneOfNBitOtReceive(net::Channel& channel, int q,
                                               size_t num_instances,
                                               absl::Span<const uint64_t> choice_bits,
                                               absl::Span<const Block> mc,
                                               int num_threads) {
  if (q < 1 || q > kMaxOneOfNBits) {
    return absl::InvalidArgumentError("1-out-of-2^q OT needs 1 <= q <= 6");
  }
  const size_t n = num_instances;
  if (mc.size() != n * q || choice_bits.size() < NumWords(n * q)) {
    return absl::InvalidArgumentError("1-out-of-2^q OT needs q ROTs per choice");
  }
  const int tbits = TableBits(q);
  const size_t per_word = 64 / tbits;
  std::vector<uint64_t> msg((n + per_word - 1) / per_word);
  LIAISON_RETURN_IF_ERROR(internal::RecvWords(channel, absl::MakeSpan(msg), "1-of-N OT"));
  SecretWords out(NumWords(n));
  ParallelFor(out.size(), num_threads, 64, [&](size_t begin, size_t end) {
    for (size_t w = begin; w < end; ++w) {
      uint64_t word = 0;
      const size_t last = std::min(n, (w + 1) * 64);
      for (size_t i = w * 64; i < last; ++i) {
        const uint64_t c = internal::GetBits(choice_bits, i * q, q);
        uint64_t pad = 0;
        for (int j = 0; j < q; ++j) pad ^= mc[i * q + j].lo >> c;
        const uint64_t table = msg[i / per_word] >> ((i % per_word) * tbits);
        word |= (((table >> c) ^ pad) & 1) << (i % 64);
      }
      out[w] = word;
    }
  });
  return out;
}

}  // namespace liaison::mpc
