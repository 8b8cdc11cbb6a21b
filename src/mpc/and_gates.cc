#include "mpc/and_gates.h"

#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "mpc/internal/wire.h"

namespace liaison::mpc {

absl::StatusOr<AndTriples> AndTriples::Generate(OtPair& ots, net::Channel& channel,
                                                size_t num_words, crypto::Prng& prng,
                                                int num_threads) {
  const size_t n = num_words * 64;
  AndTriples t;
  t.b_ = SecretWords(num_words);
  prng.Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(t.b_.data()), num_words * 8));
  const ot::SecretBits choices = ot::SecretBits::FromWords(t.b_.span(), n);
  LIAISON_ASSIGN_OR_RETURN(BothRotWords rots,
                           ExtendBothWaysWords(ots, channel, choices, n, prng, num_threads));
  t.a_ = SecretWords(num_words);
  t.c_ = SecretWords(num_words);
  ParallelFor(num_words, num_threads, 256, [&](size_t begin, size_t end) {
    for (size_t w = begin; w < end; ++w) {
      uint64_t a = 0, u = 0, v = 0;
      for (size_t k = 0; k < 64; ++k) {
        const size_t i = w * 64 + k;
        const uint64_t m0 = rots.theirs.m0[i] & 1, m1 = rots.theirs.m1[i] & 1;
        a |= (m0 ^ m1) << k;
        u |= m0 << k;
        v |= (rots.mine[i] & 1) << k;
      }
      t.a_[w] = a;
      t.c_[w] = (a & t.b_[w]) ^ u ^ v;
    }
  });
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
