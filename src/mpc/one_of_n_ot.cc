#include "mpc/one_of_n_ot.h"

#include <algorithm>
#include <numeric>
#include <utility>
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

namespace {

// FusedLayout places the OTs of fused batches: batch b's n_b·q_b OTs start
// at start[b], a multiple of `group` = lcm of the q_b (the OTs between
// batches are padding, choice 0, unused), so that every piece of
// SendRotPieces / ReceiveRotPieces holds whole instances.
struct FusedLayout {
  explicit FusedLayout(absl::Span<const OneOfNBatch> batches) {
    for (const OneOfNBatch& b : batches) group = std::lcm(group, static_cast<size_t>(b.q));
    for (const OneOfNBatch& b : batches) {
      start.push_back(num_ots);
      first_instance.push_back(num_instances);
      num_ots += (b.num_instances * b.q + group - 1) / group * group;
      num_instances += b.num_instances;
    }
  }
  // ForEach calls fn(batch, first instance in the batch, count, offset
  // into the piece) for the instances of piece [first, first + len).
  template <typename Fn>
  void ForEach(absl::Span<const OneOfNBatch> batches, size_t first, size_t len,
               const Fn& fn) const {
    for (size_t b = 0; b < batches.size(); ++b) {
      const size_t end_b = start[b] + batches[b].num_instances * batches[b].q;
      const size_t lo = std::max(first, start[b]), hi = std::min(first + len, end_b);
      if (lo >= hi) continue;
      const size_t q = static_cast<size_t>(batches[b].q);
      fn(b, (lo - start[b]) / q, (hi - lo) / q, lo - first);
    }
  }
  size_t group = 1;
  size_t num_ots = 0;
  size_t num_instances = 0;
  std::vector<size_t> start, first_instance;
};

absl::Status CheckBatches(absl::Span<const OneOfNBatch> batches, int message_bits,
                          bool sender) {
  if (batches.empty()) return absl::InvalidArgumentError("1-out-of-2^q OT needs a batch");
  for (const OneOfNBatch& b : batches) {
    if (!ValidShape(b.q, message_bits)) {
      return absl::InvalidArgumentError("1-out-of-2^q OT needs 1 <= q <= 6, b·2^q <= 64");
    }
    if (b.num_instances == 0 ||
        (sender ? b.data.size() != b.num_instances
                : b.data.size() < NumWords(b.num_instances * b.q))) {
      return absl::InvalidArgumentError("1-out-of-2^q OT batch of the wrong size");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status OneOfNBitOtExtendSend(OtPair& ots, net::Channel& channel,
                                   absl::Span<const OneOfNBatch> batches, crypto::Prng& prng,
                                   int num_threads, int message_bits) {
  LIAISON_RETURN_IF_ERROR(CheckBatches(batches, message_bits, true));
  const FusedLayout fused(batches);
  // Masked tables, one word per instance, then packed for the wire.
  std::vector<uint64_t> masked(fused.num_instances);
  LIAISON_RETURN_IF_ERROR(ots.SendRotPieces(
      channel, fused.num_ots, fused.group, prng, num_threads,
      [&](size_t first_ot, absl::Span<const uint64_t> m0, absl::Span<const uint64_t> m1) {
        fused.ForEach(batches, first_ot, m0.size(),
                      [&](size_t b, size_t first, size_t count, size_t offset) {
                        const int q = batches[b].q;
                        for (size_t k = 0; k < count; ++k) {
                          const size_t at = offset + k * q;
                          masked[fused.first_instance[b] + first + k] =
                              batches[b].data[first + k] ^ Pad(q, &m0[at], &m1[at]);
                        }
                      });
      }));
  std::vector<uint64_t> msg;
  for (size_t b = 0; b < batches.size(); ++b) {
    const TableLayout layout(batches[b].q, message_bits);
    const size_t n = batches[b].num_instances, base = msg.size();
    msg.resize(base + layout.NumWords(n), 0);
    for (size_t i = 0; i < n; ++i) {
      msg[base + i / layout.per_word] |= (masked[fused.first_instance[b] + i] & layout.tmask)
                                         << ((i % layout.per_word) * layout.tbits);
    }
  }
  return internal::SendWords(channel, msg);
}

absl::StatusOr<SecretWords> OneOfNBitOtExtendPads(OtPair& ots, net::Channel& channel,
                                                  absl::Span<const OneOfNBatch> batches,
                                                  crypto::Prng& prng, int num_threads) {
  LIAISON_RETURN_IF_ERROR(CheckBatches(batches, 1, false));
  const FusedLayout fused(batches);
  // The batches' choice bits at their starts (which need not be
  // word-aligned), a word at a time.
  SecretWords choice_words(NumWords(fused.num_ots) + 1);
  for (size_t b = 0; b < batches.size(); ++b) {
    const size_t len = batches[b].num_instances * batches[b].q;
    for (size_t i = 0; i < len; i += 64) {
      const size_t pos = fused.start[b] + i;
      uint64_t v = batches[b].data[i / 64];
      if (len - i < 64) v &= (uint64_t{1} << (len - i)) - 1;
      choice_words[pos / 64] |= v << (pos % 64);
      if (pos % 64 != 0) choice_words[pos / 64 + 1] |= v >> (64 - pos % 64);
    }
  }
  const crypto::SecretBits bits = crypto::SecretBits::FromWords(choice_words.span(), fused.num_ots);
  SecretWords pads(fused.num_instances);
  LIAISON_RETURN_IF_ERROR(ots.ReceiveRotPieces(
      channel, bits, fused.group, prng, num_threads,
      [&](size_t first_ot, absl::Span<const uint64_t> mc) {
        fused.ForEach(batches, first_ot, mc.size(),
                      [&](size_t b, size_t first, size_t count, size_t offset) {
                        const int q = batches[b].q;
                        for (size_t k = 0; k < count; ++k) {
                          uint64_t x = 0;
                          for (int j = 0; j < q; ++j) x ^= mc[offset + k * q + j];
                          pads[fused.first_instance[b] + first + k] = x;
                        }
                      });
      }));
  return pads;
}

absl::StatusOr<std::vector<SecretWords>> OneOfNBitOtReceiveTables(
    net::Channel& channel, absl::Span<const OneOfNBatch> batches, const SecretWords& pads,
    int num_threads, int message_bits) {
  LIAISON_RETURN_IF_ERROR(CheckBatches(batches, message_bits, false));
  const FusedLayout fused(batches);
  if (pads.size() != fused.num_instances) {
    return absl::InvalidArgumentError("1-out-of-2^q OT: pads of other batches");
  }
  size_t total_words = 0;
  for (const OneOfNBatch& b : batches) {
    total_words += TableLayout(b.q, message_bits).NumWords(b.num_instances);
  }
  std::vector<uint64_t> msg(total_words);
  LIAISON_RETURN_IF_ERROR(internal::RecvWords(channel, absl::MakeSpan(msg), "1-of-N OT"));
  std::vector<SecretWords> out;
  size_t at = 0;
  for (size_t b = 0; b < batches.size(); ++b) {
    const TableLayout layout(batches[b].q, message_bits);
    const size_t n = batches[b].num_instances, words = layout.NumWords(n);
    out.push_back(Unmask(layout, message_bits, n, batches[b].data,
                         absl::MakeSpan(msg).subspan(at, words),
                         pads.span().subspan(fused.first_instance[b], n), num_threads));
    at += words;
  }
  return out;
}

absl::StatusOr<std::vector<SecretWords>> OneOfNBitOtExtendReceive(
    OtPair& ots, net::Channel& channel, absl::Span<const OneOfNBatch> batches,
    crypto::Prng& prng, int num_threads, int message_bits) {
  LIAISON_RETURN_IF_ERROR(CheckBatches(batches, message_bits, false));
  LIAISON_ASSIGN_OR_RETURN(SecretWords pads,
                           OneOfNBitOtExtendPads(ots, channel, batches, prng, num_threads));
  return OneOfNBitOtReceiveTables(channel, batches, pads, num_threads, message_bits);
}

absl::Status OneOfNBitOtExtendSend(OtPair& ots, net::Channel& channel, int q,
                                   absl::Span<const uint64_t> tables, crypto::Prng& prng,
                                   int num_threads, int message_bits) {
  const OneOfNBatch batch{q, tables.size(), tables};
  return OneOfNBitOtExtendSend(ots, channel, absl::MakeConstSpan(&batch, 1), prng, num_threads,
                               message_bits);
}

absl::StatusOr<SecretWords> OneOfNBitOtExtendReceive(OtPair& ots, net::Channel& channel,
                                                     int q, size_t num_instances,
                                                     absl::Span<const uint64_t> choice_bits,
                                                     crypto::Prng& prng, int num_threads,
                                                     int message_bits) {
  const OneOfNBatch batch{q, num_instances, choice_bits};
  LIAISON_ASSIGN_OR_RETURN(std::vector<SecretWords> out,
                           OneOfNBitOtExtendReceive(ots, channel, absl::MakeConstSpan(&batch, 1),
                                                    prng, num_threads, message_bits));
  return std::move(out[0]);
}

}  // namespace liaison::mpc
