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

// TableLayout is the wire layout of the masked tables for (q, b).
struct TableLayout {
  TableLayout(int q_in, int b) : q(q_in), tbits(TableBits(q_in, b)) {
    tmask = tbits == 64 ? ~uint64_t{0} : (uint64_t{1} << tbits) - 1;
    per_word = static_cast<size_t>(64 / tbits);
  }
  size_t NumWords(size_t n) const { return (n + per_word - 1) / per_word; }
  int q;
  int tbits;
  uint64_t tmask;
  size_t per_word;
};

// Pad returns ⊕_j (entries of OT j's message 1 where bit j of the entry
// is set, of message 0 elsewhere): the sender's pads of all entries.
inline uint64_t Pad(int q, const uint64_t* m0, const uint64_t* m1) {
  uint64_t pad = 0;
  for (int j = 0; j < q; ++j) {
    pad ^= (m0[j] & ~kEntryMask[j]) | (m1[j] & kEntryMask[j]);
  }
  return pad;
}

// MaskTables ORs the masked tables of instances [first, first +
// tables.size()) into `msg` (m0, m1: their q messages each). Callers give
// disjoint ranges whole words, or run it on one thread.
void MaskTables(const TableLayout& l, size_t first, absl::Span<const uint64_t> tables,
                absl::Span<const uint64_t> m0, absl::Span<const uint64_t> m1,
                absl::Span<uint64_t> msg) {
  for (size_t k = 0; k < tables.size(); ++k) {
    const size_t i = first + k;
    const uint64_t pad = Pad(l.q, &m0[k * l.q], &m1[k * l.q]);
    msg[i / l.per_word] |= ((tables[k] ^ pad) & l.tmask) << ((i % l.per_word) * l.tbits);
  }
}

// Unmask returns the receiver's bits from the masked tables `msg` and its
// pad words (⊕_j of its chosen messages), one per instance.
SecretWords Unmask(const TableLayout& l, int message_bits, size_t n,
                   absl::Span<const uint64_t> choice_bits, absl::Span<const uint64_t> msg,
                   absl::Span<const uint64_t> pads, int num_threads) {
  const size_t nw = NumWords(n);
  SecretWords out(static_cast<size_t>(message_bits) * nw);
  const uint64_t second = uint64_t{1} << l.q;
  ParallelFor(nw, num_threads, 64, [&](size_t begin, size_t end) {
    for (size_t w = begin; w < end; ++w) {
      uint64_t word0 = 0, word1 = 0;
      const size_t last = std::min(n, (w + 1) * 64);
      for (size_t i = w * 64; i < last; ++i) {
        const uint64_t c = internal::GetBits(choice_bits, i * l.q, l.q);
        const uint64_t x = (msg[i / l.per_word] >> ((i % l.per_word) * l.tbits)) ^ pads[i];
        word0 |= ((x >> c) & 1) << (i % 64);
        word1 |= ((x >> (second + c)) & 1) << (i % 64);
      }
      out[w] = word0;
      if (message_bits == 2) out[nw + w] = word1;
    }
  });
  return out;
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
  const TableLayout layout(q, message_bits);
  std::vector<uint64_t> msg(layout.NumWords(n), 0);
  ParallelFor(msg.size(), num_threads, 256, [&](size_t begin, size_t end) {
    const size_t first = begin * layout.per_word;
    const size_t last = std::min(n, end * layout.per_word);
    MaskTables(layout, first, tables.subspan(first, last - first),
               m0.subspan(first * q, (last - first) * q),
               m1.subspan(first * q, (last - first) * q), absl::MakeSpan(msg));
  });
  return internal::SendWords(channel, msg);
}

absl::Status OneOfNBitOtExtendSend(OtPair& ots, net::Channel& channel, int q,
                                   absl::Span<const uint64_t> tables, crypto::Prng& prng,
                                   int num_threads, int message_bits) {
  if (!ValidShape(q, message_bits)) {
    return absl::InvalidArgumentError("1-out-of-2^q OT needs 1 <= q <= 6, b·2^q <= 64");
  }
  const size_t n = tables.size();
  if (n == 0) return absl::InvalidArgumentError("1-out-of-2^q OT needs a table");
  const TableLayout layout(q, message_bits);
  // A piece is a whole number of message words, so that pieces write
  // disjoint words.
  const size_t group = static_cast<size_t>(q) * layout.per_word;
  std::vector<uint64_t> msg(layout.NumWords(n), 0);
  LIAISON_RETURN_IF_ERROR(ots.SendRotPieces(
      channel, n * q, group, prng, num_threads,
      [&](size_t first_ot, absl::Span<const uint64_t> m0, absl::Span<const uint64_t> m1) {
        const size_t first = first_ot / q;
        MaskTables(layout, first, tables.subspan(first, m0.size() / q), m0, m1,
                   absl::MakeSpan(msg));
      }));
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
  const TableLayout layout(q, message_bits);
  std::vector<uint64_t> msg(layout.NumWords(n));
  LIAISON_RETURN_IF_ERROR(internal::RecvWords(channel, absl::MakeSpan(msg), "1-of-N OT"));
  SecretWords pads(n);
  ParallelFor(n, num_threads, 4096, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      uint64_t x = 0;
      for (int j = 0; j < q; ++j) x ^= mc[i * q + j];
      pads[i] = x;
    }
  });
  return Unmask(layout, message_bits, n, choice_bits, msg, pads.span(), num_threads);
}

absl::StatusOr<SecretWords> OneOfNBitOtExtendReceive(OtPair& ots, net::Channel& channel,
                                                     int q, size_t num_instances,
                                                     absl::Span<const uint64_t> choice_bits,
                                                     crypto::Prng& prng, int num_threads,
                                                     int message_bits) {
  if (!ValidShape(q, message_bits)) {
    return absl::InvalidArgumentError("1-out-of-2^q OT needs 1 <= q <= 6, b·2^q <= 64");
  }
  const size_t n = num_instances;
  if (n == 0) return absl::InvalidArgumentError("1-out-of-2^q OT needs a choice");
  const TableLayout layout(q, message_bits);
  if (choice_bits.size() < NumWords(n * q)) {
    return absl::InvalidArgumentError("1-out-of-2^q OT needs q choice bits per instance");
  }
  const ot::SecretBits bits = ot::SecretBits::FromWords(choice_bits, n * q);
  SecretWords pads(n);
  LIAISON_RETURN_IF_ERROR(ots.ReceiveRotPieces(
      channel, bits, static_cast<size_t>(q) * layout.per_word, prng, num_threads,
      [&](size_t first_ot, absl::Span<const uint64_t> mc) {
        for (size_t k = 0; k < mc.size() / q; ++k) {
          uint64_t x = 0;
          for (int j = 0; j < q; ++j) x ^= mc[k * q + j];
          pads[first_ot / q + k] = x;
        }
      }));
  std::vector<uint64_t> msg(layout.NumWords(n));
  LIAISON_RETURN_IF_ERROR(internal::RecvWords(channel, absl::MakeSpan(msg), "1-of-N OT"));
  return Unmask(layout, message_bits, n, choice_bits, msg, pads.span(), num_threads);
}

}  // namespace liaison::mpc
