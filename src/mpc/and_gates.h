// Batched AND gates on XOR-shared bits (GMW; Goldreich, Micali, Wigderson,
// STOC 1987) with Beaver triples (Beaver, Crypto 1991) made from random
// OTs, two per triple (Asharov, Lindell, Schneider, Zohner, "More
// Efficient Oblivious Transfer and Extensions for Faster Secure
// Computation", CCS 2013, section 5).
//
// Triples. With one random OT each way — party p the sender of (m0, m1)
// and the receiver of m_{b_p} for a random choice b_p — let a_p = m0 ⊕ m1
// (one bit of each message), u_p = m0 and v_p = m_{b_p}. Then
// u_p ⊕ v_{1-p} = a_p·b_{1-p}, so c_p = a_p·b_p ⊕ u_p ⊕ v_p are shares of
// c = (a_0 ⊕ a_1)·(b_0 ⊕ b_1).
// AND. To multiply x and y, both open d = x ⊕ a and e = y ⊕ b; then
// z_p = c_p ⊕ d·b_p ⊕ e·a_p (⊕ d·e for party 0) are shares of x·y.
//
// Security model: semi-honest. Rounds: a triple batch is two OT-extension
// flights (mpc/ot_pair.h, 128 OTs per word of triples each way); an AND
// layer is one flight each way at once. Bytes: each party sends 16 bytes
// per 64 ANDs (d and e) plus, for the triples, an OT extension's columns
// (16/k bytes per OT, 64 OTs per word). Leakage: none — d and e are
// one-time padded by the triple. Bits are handled as whole words: no
// branch or index depends on a share.
#ifndef LIAISON_MPC_AND_GATES_H_
#define LIAISON_MPC_AND_GATES_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/prng.h"
#include "mpc/ot_pair.h"
#include "mpc/shares.h"
#include "net/channel.h"

namespace liaison::mpc {

// AndTriples is one party's share of a batch of packed AND triples, used
// in order by And. Move-only.
class AndTriples {
 public:
  AndTriples() = default;

  // Generate makes 64·num_words triples over `ots` (both parties call it
  // with equal num_words ≥ 1). Errors: the OT extension's.
  static absl::StatusOr<AndTriples> Generate(OtPair& ots, net::Channel& channel,
                                             size_t num_words, crypto::Prng& prng,
                                             int num_threads);

  // Generate in steps, for callers that interleave the two OT batches
  // with other flights: Begin draws this party's b for 64·num_words
  // triples; SendHalf is the batch in which this party is the OT sender
  // (its a and u), ReceiveHalf the one in which it is the receiver with
  // choices b (its v); both parties run both halves, each half in step
  // with the peer's opposite half; Finish makes c. Generate is Begin, the
  // halves with party 0 sending first, and Finish. Errors: the OT
  // extension's; FailedPrecondition for Finish before both halves.
  static AndTriples Begin(size_t num_words, crypto::Prng& prng);
  absl::Status SendHalf(OtPair& ots, net::Channel& channel, crypto::Prng& prng,
                        int num_threads);
  absl::Status ReceiveHalf(OtPair& ots, net::Channel& channel, crypto::Prng& prng,
                           int num_threads);
  absl::Status Finish();

  // remaining_words is the number of triple words not yet used.
  size_t remaining_words() const { return a_.size() - next_; }

  // Take hands out the next `num_words` words of (a, b, c) shares.
  struct View {
    absl::Span<const uint64_t> a, b, c;
  };
  View Take(size_t num_words);

  // InsecureShares exposes all shares (a, b, c), for tests.
  View InsecureShares() const { return {a_.span(), b_.span(), c_.span()}; }

 private:
  SecretWords a_, b_, c_;
  SecretWords u_;  // until Finish: m0's bits of our sender batch
  bool sent_ = false, received_ = false;
  size_t next_ = 0;
};

// And returns this party's shares of x ∧ y, word by word (x.size() ==
// y.size()), using x.size() words of `triples`. One flight each way.
// Errors: InvalidArgument for unequal sizes; FailedPrecondition if the
// triples run out; DataLoss for a peer message of the wrong length;
// transport errors as the channel gives them.
absl::StatusOr<SecretWords> And(net::Channel& channel, int party, AndTriples& triples,
                                absl::Span<const uint64_t> x,
                                absl::Span<const uint64_t> y, int num_threads);

}  // namespace liaison::mpc

#endif  // LIAISON_MPC_AND_GATES_H_
