#include "mpc/equality.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "mpc/and_gates.h"
#include "mpc/internal/wire.h"
#include "mpc/one_of_n_ot.h"

namespace liaison::mpc {
namespace {

uint64_t LowMask(int bits) { return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }

// qmask2 masks one table of 2^q entries.
uint64_t qmask2(int q) { return LowMask(1 << q); }

// PackChunks returns the choice bits of `num_chunks` chunks of leaf OTs
// in chunk-major order: instance k·N + i (N = 64·⌈n/64⌉) chooses bits
// [first_bit + k·width, first_bit + (k + 1)·width) of values[i]; the
// padding instances i ≥ n choose 0.
SecretWords PackChunks(absl::Span<const uint64_t> values, int first_bit, size_t num_chunks,
                       int width, int num_threads) {
  const size_t n = values.size();
  const size_t per_chunk = NumWords(n) * 64;
  const uint64_t mask = LowMask(width);
  // Pieces of 64 instances are 64·width bits: whole words.
  SecretWords out(NumWords(num_chunks * per_chunk * width));
  ParallelFor(num_chunks * per_chunk / 64, num_threads, 64, [&](size_t begin, size_t end) {
    for (size_t piece = begin; piece < end; ++piece) {
      const size_t k = piece / (per_chunk / 64);
      const size_t i0 = piece % (per_chunk / 64) * 64;
      const size_t last = std::min(n, i0 + 64);
      for (size_t i = i0; i < last; ++i) {
        const uint64_t v = (values[i] >> (first_bit + k * width)) & mask;
        const size_t pos = (k * per_chunk + i) * width;
        out[pos / 64] |= v << (pos % 64);
        if (pos % 64 + width > 64) out[pos / 64 + 1] |= v >> (64 - pos % 64);
      }
    }
  });
  return out;
}

}  // namespace

absl::StatusOr<SecretWords> PrivateEquality(OtPair& ots, net::Channel& channel,
                                            absl::Span<const uint64_t> values,
                                            const EqualityParams& params,
                                            crypto::Prng& prng) {
  const int sigma = params.sigma, q = params.q, threads = params.num_threads;
  if (q < 1 || q > kMaxOneOfNBits || sigma < 1 || sigma > 64) {
    return absl::InvalidArgumentError("private equality needs 1 <= q <= 6 and sigma <= 64");
  }
  const size_t n = values.size();
  // C chunks: C − 1 of q bits, the last of q_last ≤ q bits.
  const size_t num_chunks = static_cast<size_t>((sigma + q - 1) / q);
  const int q_last = sigma - static_cast<int>(num_chunks - 1) * q;
  const size_t num_full = q_last == q ? num_chunks : num_chunks - 1;
  auto width = [&](size_t c) { return c < num_full ? q : q_last; };
  const size_t w = NumWords(n);
  if (n == 0) return SecretWords();

  // Leaf results, chunk-major: chunk c of item i is bit i of words
  // [c·w, (c + 1)·w). The leaf OT instances are in the same order, padded
  // to N = 64·w items per chunk, so the receiver's output planes are
  // already in this layout. The first AND layer pairs chunk k < h with
  // chunk k + C − h (h = C/2); with two-bit tables (q ≤ 5) it costs no
  // triples: party 1 adds to the table of each paired chunk a second bit
  // t_c ⊕ s_partner·[v = x_c], from which party 0's w_c, w_partner and
  // r_k·r_k' and party 1's s_k·s_k' ⊕ t_k ⊕ t_k' are shares of e_k·e_k'
  // (CrypTFlow2's correlated first layer). A shorter last chunk is a
  // second batch of 1-out-of-2^q_last OTs in the same OT extension.
  const size_t per_chunk = w * 64;
  const size_t h0 = num_chunks / 2;
  const bool free_layer = h0 > 0 && q <= kMaxOneOfNBits - 1;
  const int message_bits = free_layer ? 2 : 1;
  auto partner = [&](size_t c) -> size_t {  // public: depends on C only
    if (c < h0) return c + num_chunks - h0;
    if (c >= num_chunks - h0) return c - (num_chunks - h0);
    return c;  // the middle chunk of an odd C has none
  };
  // After the free layer the first C − h0 vectors are the ones left; the
  // tree folds the last h into the first h, c/2 ANDs per word at width c.
  const size_t first = free_layer ? num_chunks - h0 : num_chunks;
  size_t triple_words = 0;
  for (size_t c = first; c > 1; c -= c / 2) triple_words += (c / 2) * w;
  // The triples do not depend on the leaves: their OT batches travel with
  // the leaf OTs (party 1's columns before its tables, party 0's after its
  // leaf columns), so a batch costs no flights for them.
  AndTriples triples = AndTriples::Begin(triple_words, prng);
  SecretWords cur;
  if (ots.party() == 0) {
    cur = SecretWords(static_cast<size_t>(message_bits) * num_chunks * w);
    // One batch of q-bit chunks and, when shorter, one of the last chunk,
    // in one OT extension.
    const SecretWords full = PackChunks(values, 0, num_full, q, threads);
    const SecretWords last =
        num_full < num_chunks
            ? PackChunks(values, static_cast<int>(num_full) * q, 1, q_last, threads)
            : SecretWords();
    std::vector<OneOfNBatch> batches;
    if (num_full > 0) batches.push_back({q, num_full * per_chunk, full.span()});
    if (num_full < num_chunks) batches.push_back({q_last, per_chunk, last.span()});
    LIAISON_ASSIGN_OR_RETURN(SecretWords pads,
                             OneOfNBitOtExtendPads(ots, channel, batches, prng, threads));
    std::vector<SecretWords> got;
    if (ots.malicious()) {
      // Each checked extension is a round trip, so the batches run in the
      // same order on both sides: leaves and tables, then the triples.
      LIAISON_ASSIGN_OR_RETURN(
          got, OneOfNBitOtReceiveTables(channel, batches, pads, threads, message_bits));
      if (triple_words > 0) {
        LIAISON_RETURN_IF_ERROR(triples.SendHalf(ots, channel, prng, threads));
        LIAISON_RETURN_IF_ERROR(triples.ReceiveHalf(ots, channel, prng, threads));
        LIAISON_RETURN_IF_ERROR(triples.Finish());
      }
    } else {
      if (triple_words > 0) {
        LIAISON_RETURN_IF_ERROR(triples.ReceiveHalf(ots, channel, prng, threads));
        LIAISON_RETURN_IF_ERROR(triples.SendHalf(ots, channel, prng, threads));
        LIAISON_RETURN_IF_ERROR(triples.Finish());
      }
      LIAISON_ASSIGN_OR_RETURN(
          got, OneOfNBitOtReceiveTables(channel, batches, pads, threads, message_bits));
    }
    // Batch results go to chunks [c0, c0 + k) of each plane.
    for (size_t b = 0, c0 = 0; b < got.size(); ++b) {
      const size_t k = batches[b].num_instances / per_chunk;
      for (int l = 0; l < message_bits; ++l) {
        std::memcpy(cur.data() + l * num_chunks * w + c0 * w, got[b].data() + l * k * w,
                    k * w * 8);
      }
      c0 += k;
    }
    if (free_layer) {
      const size_t plane = num_chunks * w;
      for (size_t k = 0; k < h0; ++k) {
        const size_t kk = partner(k);
        for (size_t i = 0; i < w; ++i) {
          cur[k * w + i] = cur[plane + k * w + i] ^ cur[plane + kk * w + i] ^
                           (cur[k * w + i] & cur[kk * w + i]);
        }
      }
    }
  } else {
    if (triple_words > 0 && !ots.malicious()) {
      LIAISON_RETURN_IF_ERROR(triples.ReceiveHalf(ots, channel, prng, threads));
    }
    cur = SecretWords(num_chunks * w);
    prng.Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(cur.data()), cur.size() * 8));
    SecretWords t(free_layer ? num_chunks * w : 0);
    if (free_layer) {
      prng.Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(t.data()), t.size() * 8));
    }
    // Chunk c's tables at c·N (the last, when shorter, in a batch of its own).
    SecretWords tables(num_chunks * per_chunk);
    std::vector<size_t> partners(num_chunks);
    for (size_t c = 0; c < num_chunks; ++c) partners[c] = partner(c);
    // 64 items (one word of each chunk's bits) at a time.
    ParallelFor(w, threads, 16, [&](size_t begin, size_t end) {
      for (size_t wi = begin; wi < end; ++wi) {
        for (size_t c = 0; c < num_chunks; ++c) {
          const int bits = width(c);
          const uint64_t xmask = LowMask(bits), tmask = qmask2(bits);
          const int shift2 = 1 << bits;
          const uint64_t sw = cur[c * w + wi];
          const uint64_t pw = cur[partners[c] * w + wi];
          const uint64_t tw = free_layer ? t[c * w + wi] : 0;
          uint64_t* out = &tables[c * per_chunk + wi * 64];
          for (size_t j = 0; j < 64; ++j) {
            const size_t i = wi * 64 + j;
            const uint64_t value = i < n ? values[i] : 0;  // public bound
            const uint64_t hit = uint64_t{1} << ((value >> (c * q)) & xmask);
            uint64_t table = ((0 - ((sw >> j) & 1)) ^ hit) & tmask;
            if (free_layer) {
              const uint64_t mixed = (0 - ((tw >> j) & 1)) ^ ((0 - ((pw >> j) & 1)) & hit);
              table |= (mixed & tmask) << shift2;
            }
            out[j] = table;
          }
        }
      }
    });
    std::vector<OneOfNBatch> batches;
    if (num_full > 0) {
      batches.push_back({q, num_full * per_chunk, tables.span().subspan(0, num_full * per_chunk)});
    }
    if (num_full < num_chunks) {
      batches.push_back({q_last, per_chunk, tables.span().subspan(num_full * per_chunk)});
    }
    LIAISON_RETURN_IF_ERROR(
        OneOfNBitOtExtendSend(ots, channel, batches, prng, threads, message_bits));
    if (triple_words > 0) {
      if (ots.malicious()) {
        LIAISON_RETURN_IF_ERROR(triples.ReceiveHalf(ots, channel, prng, threads));
      }
      LIAISON_RETURN_IF_ERROR(triples.SendHalf(ots, channel, prng, threads));
      LIAISON_RETURN_IF_ERROR(triples.Finish());
    }
    if (free_layer) {
      for (size_t k = 0; k < h0; ++k) {
        const size_t kk = partner(k);
        for (size_t i = 0; i < w; ++i) {
          cur[k * w + i] = (cur[k * w + i] & cur[kk * w + i]) ^ t[k * w + i] ^ t[kk * w + i];
        }
      }
    }
  }
  // The AND tree.
  for (size_t c = first; c > 1; c -= c / 2) {
    const size_t h = c / 2;
    LIAISON_ASSIGN_OR_RETURN(
        SecretWords z, And(channel, ots.party(), triples, cur.span().subspan(0, h * w),
                           cur.span().subspan((c - h) * w, h * w), threads));
    std::memcpy(cur.data(), z.data(), h * w * 8);
  }
  SecretWords out(w);
  std::memcpy(out.data(), cur.data(), w * 8);
  if (n % 64 != 0) out[w - 1] &= LowMask(static_cast<int>(n % 64));
  return out;
}

}  // namespace liaison::mpc
