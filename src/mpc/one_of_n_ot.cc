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

// Layout of the masked tables on the wire: b·2^q bits each, packed
// 64 / (b·2^q) to a word (one per byte when smaller, padded to 8 bits).
int TableBits(int q, int b) { return std::max(b << q, 8); }

bool ValidShape(int q, int b) {
  return q >= 1 && q <= kMaxOneOfNBits && b >= 1 && b <= 2 && (b << q) <= 64;
}

}  // namespace

absl::Status OneOfNBitOtSend(net::Channel& channel, int q,
                             absl::Span<const uint64_t> tables,
                             absl::Span<const uint64_t> m0,
                             absl::Span<const uint64_t> m1, int num_threads,
                             int message_bits) {
  if (!ValidShape(q, message_bits)) {
    return absl::InvalidArgumentError("1-out-of-2^q OT needs 1 <= q <= 6, b·2^q <= 64");
  }
  const size_t n = tables.size();
  if (m0.size() != n * q || m1.size() != n * q) {
    return absl::InvalidArgumentError("1-out-of-2^q OT needs q ROTs per table");
  }
  const int tbits = TableBits(q, message_bits);
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
          const uint64_t a = m0[i * q + j], b = m1[i * q + j];
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
                                               absl::Span<const uint64_t> mc,
                                               int num_threads, int message_bits) {
  if (!ValidShape(q, message_bits)) {
    return absl::InvalidArgumentError("1-out-of-2^q OT needs 1 <= q <= 6, b·2^q <= 64");
  }
  const size_t n = num_instances;
  if (mc.size() != n * q || choice_bits.size() < NumWords(n * q)) {
    return absl::InvalidArgumentError("1-out-of-2^q OT needs q ROTs per choice");
  }
  const int tbits = TableBits(q, message_bits);
  const size_t per_word = 64 / tbits;
  std::vector<uint64_t> msg((n + per_word - 1) / per_word);
  LIAISON_RETURN_IF_ERROR(internal::RecvWords(channel, absl::MakeSpan(msg), "1-of-N OT"));
  const size_t nw = NumWords(n);
  SecretWords out(static_cast<size_t>(message_bits) * nw);
  ParallelFor(nw, num_threads, 64, [&](size_t begin, size_t end) {
    for (size_t w = begin; w < end; ++w) {
      uint64_t word0 = 0, word1 = 0;
      const size_t last = std::min(n, (w + 1) * 64);
      for (size_t i = w * 64; i < last; ++i) {
        const uint64_t c = internal::GetBits(choice_bits, i * q, q);
        uint64_t x = msg[i / per_word] >> ((i % per_word) * tbits);
        for (int j = 0; j < q; ++j) x ^= mc[i * q + j];
        word0 |= ((x >> c) & 1) << (i % 64);
        if (message_bits == 2) word1 |= ((x >> ((uint64_t{1} << q) + c)) & 1) << (i % 64);
      }
      out[w] = word0;
      if (message_bits == 2) out[nw + w] = word1;
    }
  });
  return out;
}

}  // namespace liaison::mpc
