#include "mpc/bit_product.h"

#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "mpc/internal/wire.h"

namespace liaison::mpc {
namespace {

uint64_t Lane(const crypto::Block& b, size_t l) { return l == 0 ? b.lo : b.hi; }

}  // namespace

absl::StatusOr<SecretWords> BitTimesOwnValuesSend(OtPair& ots, net::Channel& channel,
                                                  absl::Span<const uint64_t> my_bits,
                                                  size_t num_bits,
                                                  absl::Span<const uint64_t> values,
                                                  crypto::Prng& prng, int num_threads) {
  const size_t n = num_bits;
  if (n == 0) return SecretWords();
  const size_t lanes = values.size() / n;
  if (lanes < 1 || lanes > kMaxLanes || values.size() != lanes * n ||
      my_bits.size() < NumWords(n)) {
    return absl::InvalidArgumentError("bit product: bad sizes");
  }
  std::vector<uint64_t> msg(lanes * n);
  SecretWords out(lanes * n);
  if (lanes == 1) {
    // One lane: the low words of the OT messages, hashed and used piece by
    // piece while in cache (the same OTs and wire as SendRot's), without
    // arrays of 32 bytes an OT.
    LIAISON_RETURN_IF_ERROR(ots.SendRotPieces(
        channel, n, 1, prng, num_threads,
        [&](size_t first, absl::Span<const uint64_t> m0, absl::Span<const uint64_t> m1) {
          for (size_t k = 0; k < m0.size(); ++k) {
            const size_t i = first + k;
            const uint64_t e = 0 - GetBit(my_bits, i);
            const uint64_t w = values[i];
            msg[i] = m0[k] + (w - (e & (2 * w))) - m1[k];
            out[i] = (e & w) - m0[k];
          }
        }));
    LIAISON_RETURN_IF_ERROR(internal::SendWords(channel, msg));
    return out;
  }
  LIAISON_ASSIGN_OR_RETURN(ot::RotSenderOutput rots, ots.SendRot(channel, n, prng));
  ParallelFor(n, num_threads, 4096, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const uint64_t e = 0 - GetBit(my_bits, i);  // all ones or zero
      for (size_t l = 0; l < lanes; ++l) {
        const uint64_t w = values[l * n + i];
        const uint64_t x0 = Lane(rots.m0[i], l), r = Lane(rots.m1[i], l);
        const uint64_t delta = w - (e & (2 * w));
        msg[l * n + i] = x0 + delta - r;
        out[l * n + i] = (e & w) - x0;
      }
    }
  });
  LIAISON_RETURN_IF_ERROR(internal::SendWords(channel, msg));
  return out;
}

absl::StatusOr<SecretWords> BitTimesOwnValuesReceive(OtPair& ots, net::Channel& channel,
                                                     absl::Span<const uint64_t> my_bits,
                                                     size_t num_bits, int num_lanes,
                                                     crypto::Prng& prng, int num_threads) {
  const size_t n = num_bits;
  if (n == 0) return SecretWords();
  if (num_lanes < 1 || num_lanes > kMaxLanes || my_bits.size() < NumWords(n)) {
    return absl::InvalidArgumentError("bit product: bad sizes");
  }
  const size_t lanes = static_cast<size_t>(num_lanes);
  const crypto::SecretBits choices = crypto::SecretBits::FromWords(my_bits, n);
  if (lanes == 1) {
    LIAISON_ASSIGN_OR_RETURN(SecretWords m,
                             ots.ReceiveRotWords(channel, choices, prng, num_threads));
    std::vector<uint64_t> msg(n);
    LIAISON_RETURN_IF_ERROR(internal::RecvWords(channel, absl::MakeSpan(msg), "bit product"));
    for (size_t i = 0; i < n; ++i) m[i] += (0 - GetBit(my_bits, i)) & msg[i];
    return m;
  }
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks m, ots.ReceiveRot(channel, choices, prng));
  std::vector<uint64_t> msg(lanes * n);
  LIAISON_RETURN_IF_ERROR(internal::RecvWords(channel, absl::MakeSpan(msg), "bit product"));
  SecretWords out(lanes * n);
  ParallelFor(n, num_threads, 4096, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const uint64_t e = 0 - GetBit(my_bits, i);
      for (size_t l = 0; l < lanes; ++l) {
        out[l * n + i] = Lane(m[i], l) + (e & msg[l * n + i]);
      }
    }
  });
  return out;
}

absl::StatusOr<SecretWords> BitsToArithmetic(OtPair& ots, net::Channel& channel,
                                             absl::Span<const uint64_t> my_bits,
                                             size_t num_bits, crypto::Prng& prng,
                                             int num_threads) {
  if (ots.party() == 0) {
    const std::vector<uint64_t> ones(num_bits, 1);
    return BitTimesOwnValuesSend(ots, channel, my_bits, num_bits, ones, prng, num_threads);
  }
  return BitTimesOwnValuesReceive(ots, channel, my_bits, num_bits, 1, prng, num_threads);
}

absl::StatusOr<SecretWords> BitTimesSharedValue(OtPair& ots, net::Channel& channel,
                                                absl::Span<const uint64_t> my_bits,
                                                size_t num_bits,
                                                absl::Span<const uint64_t> my_values,
                                                crypto::Prng& prng, int num_threads) {
  if (my_values.size() != num_bits) {
    return absl::InvalidArgumentError("bit product: one value per bit");
  }
  SecretWords sent, received;
  if (ots.party() == 0) {
    LIAISON_ASSIGN_OR_RETURN(sent, BitTimesOwnValuesSend(ots, channel, my_bits, num_bits,
                                                         my_values, prng, num_threads));
    LIAISON_ASSIGN_OR_RETURN(received, BitTimesOwnValuesReceive(ots, channel, my_bits,
                                                                num_bits, 1, prng, num_threads));
  } else {
    LIAISON_ASSIGN_OR_RETURN(received, BitTimesOwnValuesReceive(ots, channel, my_bits,
                                                                num_bits, 1, prng, num_threads));
    LIAISON_ASSIGN_OR_RETURN(sent, BitTimesOwnValuesSend(ots, channel, my_bits, num_bits,
                                                         my_values, prng, num_threads));
  }
  for (size_t i = 0; i < num_bits; ++i) sent[i] += received[i];
  return sent;
}

absl::StatusOr<SecretWords> BitAndSharedWords(OtPair& ots, net::Channel& channel,
                                              absl::Span<const uint64_t> my_bits,
                                              size_t num_bits,
                                              absl::Span<const uint64_t> my_words,
                                              crypto::Prng& prng, int num_threads) {
  const size_t n = num_bits;
  if (n == 0) return SecretWords();
  if (my_words.size() != n || my_bits.size() < NumWords(n)) {
    return absl::InvalidArgumentError("bit and word: bad sizes");
  }
  const crypto::SecretBits choices = crypto::SecretBits::FromWords(my_bits, n);
  LIAISON_ASSIGN_OR_RETURN(BothRotWords rots,
                           ExtendBothWaysWords(ots, channel, choices, n, prng, num_threads));
  std::vector<uint64_t> z(n), peer_z(n);
  SecretWords out(n);
  ParallelFor(n, num_threads, 4096, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const uint64_t e = 0 - GetBit(my_bits, i);
      z[i] = rots.theirs.m0[i] ^ rots.theirs.m1[i] ^ my_words[i];
      out[i] = (e & my_words[i]) ^ rots.theirs.m0[i] ^ rots.mine[i];
    }
  });
  auto send = [&]() { return internal::SendWords(channel, z); };
  auto receive = [&]() {
    return internal::RecvWords(channel, absl::MakeSpan(peer_z), "bit and word correction");
  };
  LIAISON_RETURN_IF_ERROR(RunBothWays(ots, send, receive));
  ParallelFor(n, num_threads, 4096, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const uint64_t e = 0 - GetBit(my_bits, i);
      out[i] ^= e & peer_z[i];
    }
  });
  return out;
}

}  // namespace liaison::mpc
