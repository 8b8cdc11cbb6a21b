#include "mpc/and_gates.h"

#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "mpc/internal/wire.h"

namespace liaison::mpc {

AndTriples AndTriples::Begin(size_t num_words, crypto::Prng& prng) {
  AndTriples t;
  t.b_ = SecretWords(num_words);
  prng.Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(t.b_.data()), num_words * 8));
  t.a_ = SecretWords(num_words);
  t.c_ = SecretWords(num_words);
  t.u_ = SecretWords(num_words);
  return t;
}

// The messages are used for one bit each, 64 OTs to a word: pieces of
// whole words go straight into a and u (sender) or c, holding v until
// Finish (receiver).
absl::Status AndTriples::SendHalf(OtPair& ots, net::Channel& channel, crypto::Prng& prng,
                                  int num_threads) {
  LIAISON_RETURN_IF_ERROR(ots.SendRotPieces(
      channel, a_.size() * 64, 64, prng, num_threads,
      [&](size_t first, absl::Span<const uint64_t> m0, absl::Span<const uint64_t> m1) {
        for (size_t k = 0; k < m0.size() / 64; ++k) {
          uint64_t a = 0, u = 0;
          for (size_t j = 0; j < 64; ++j) {
            a |= ((m0[k * 64 + j] ^ m1[k * 64 + j]) & 1) << j;
            u |= (m0[k * 64 + j] & 1) << j;
          }
          a_[first / 64 + k] = a;
          u_[first / 64 + k] = u;
        }
      }));
  sent_ = true;
  return absl::OkStatus();
}

absl::Status AndTriples::ReceiveHalf(OtPair& ots, net::Channel& channel, crypto::Prng& prng,
                                     int num_threads) {
  const crypto::SecretBits choices = crypto::SecretBits::FromWords(b_.span(), b_.size() * 64);
  LIAISON_RETURN_IF_ERROR(ots.ReceiveRotPieces(
      channel, choices, 64, prng, num_threads, [&](size_t first, absl::Span<const uint64_t> mc) {
        for (size_t k = 0; k < mc.size() / 64; ++k) {
          uint64_t v = 0;
          for (size_t j = 0; j < 64; ++j) v |= (mc[k * 64 + j] & 1) << j;
          c_[first / 64 + k] = v;
        }
      }));
  received_ = true;
  return absl::OkStatus();
}

absl::Status AndTriples::Finish() {
  if (!sent_ || !received_) {
    return absl::FailedPreconditionError("AND triples: both OT batches first");
  }
  for (size_t w = 0; w < c_.size(); ++w) c_[w] ^= (a_[w] & b_[w]) ^ u_[w];
  u_ = SecretWords();
  return absl::OkStatus();
}

absl::StatusOr<AndTriples> AndTriples::Generate(OtPair& ots, net::Channel& channel,
                                                size_t num_words, crypto::Prng& prng,
                                                int num_threads) {
  AndTriples t = Begin(num_words, prng);
  LIAISON_RETURN_IF_ERROR(RunBothWays(
      ots, [&] { return t.SendHalf(ots, channel, prng, num_threads); },
      [&] { return t.ReceiveHalf(ots, channel, prng, num_threads); }));
  LIAISON_RETURN_IF_ERROR(t.Finish());
  return t;
}

AndTriples::View AndTriples::Take(size_t num_words) {
  View v{a_.span().subspan(next_, num_words), b_.span().subspan(next_, num_words),
         c_.span().subspan(next_, num_words)};
  next_ += num_words;
  return v;
}

absl::StatusOr<SecretWords> And(net::Channel& channel, int party, AndTriples& triples,
                                absl::Span<const uint64_t> x,
                                absl::Span<const uint64_t> y, int num_threads) {
  const size_t n = x.size();
  if (y.size() != n) return absl::InvalidArgumentError("AND of unequal lengths");
  if (triples.remaining_words() < n) {
    return absl::FailedPreconditionError("out of AND triples");
  }
  const AndTriples::View t = triples.Take(n);
  // Our d ‖ e (public once sent), then the peer's.
  std::vector<uint64_t> mine(2 * n), theirs(2 * n);
  ParallelFor(n, num_threads, 1024, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      mine[i] = x[i] ^ t.a[i];
      mine[n + i] = y[i] ^ t.b[i];
    }
  });
  LIAISON_RETURN_IF_ERROR(internal::SendWords(channel, mine));
  LIAISON_RETURN_IF_ERROR(internal::RecvWords(channel, absl::MakeSpan(theirs), "AND"));
  const uint64_t p0 = party == 0 ? ~uint64_t{0} : 0;
  SecretWords z(n);
  ParallelFor(n, num_threads, 1024, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const uint64_t d = mine[i] ^ theirs[i];
      const uint64_t e = mine[n + i] ^ theirs[n + i];
      z[i] = t.c[i] ^ (d & t.b[i]) ^ (e & t.a[i]) ^ (d & e & p0);
    }
  });
  return z;
}

}  // namespace liaison::mpc
