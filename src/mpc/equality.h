// Batched private equality test (PEQT) with XOR-shared output: for each
// i, party 0 holds y_i and party 1 holds x_i (σ-bit strings), and they end
// with XOR shares of [x_i = y_i]. It is the comparison step of circuit-PSI
// (Chandran, Gupta, Shah, "Circuit-PSI with Linear Complexity via Relaxed
// Batch OPPRF", PETS 2022, section 5; the same chunked tree as the
// millionaires' protocol of Rathee et al., "CrypTFlow2", CCS 2020).
//
// Protocol, with C = ⌈σ/q⌉ chunks: C − 1 of q bits and the last of
// q_C = σ − (C − 1)·q ≤ q bits.
//  1. Leaves: for each i and chunk c, party 1 draws a random bit s_ic and
//     offers the table T[v] = s_ic ⊕ [v = x_ic] in a 1-out-of-2^q OT
//     (mpc/one_of_n_ot.h, OneOfNBitOtExtendSend: the random OTs hashed
//     piece by piece straight into the tables) in which party 0 chooses
//     y_ic: party 0 gets s_ic ⊕ [x_ic = y_ic]; party 1 keeps s_ic. σ
//     random OTs per i, party 1 the sender; a shorter last chunk is a
//     batch of 1-out-of-2^q_C OTs in the same OT extension and message
//     (OneOfNBatch). Instances are in chunk-major
//     order, n padded to a multiple of 64 per chunk, so that party 0's
//     output bits are already the chunk vectors the tree works on.
//  2. First AND layer, without triples (q ≤ 5): chunk k < h = ⌊C/2⌋ is
//     paired with k' = k + C − h. The tables carry a second bit,
//     t_c ⊕ s_partner(c)·[v = x_c] for a random t_c, so that party 0 gets
//     w_c = t_c ⊕ s_partner·[y_c = x_c]; then w_k ⊕ w_k' ⊕ r_k·r_k' (party
//     0, r its leaf bits) and s_k·s_k' ⊕ t_k ⊕ t_k' (party 1) are shares of
//     e_k·e_k' (the correlated first layer of Rathee et al.).
//  3. Tree: the C − h remaining results are ANDed in ⌈log2(C − h)⌉ layers
//     of batched GMW AND gates (mpc/and_gates.h), C − 1 − h ANDs per i
//     (two random OTs each, one each way).
//
// Security model: semi-honest. Rounds: the leaf OTs and the triples'
// OTs at once (party 1 → 0 the columns of its triple batch, party 0 → 1
// those of the leaves and of its triple batch, then 1 → 0 the tables:
// the triples do not depend on the leaves), then the AND layers (one
// flight each way each).
// Bytes per compared pair (n rounded up to a multiple of 64; when q ∤ σ
// also fewer than lcm(q, q_C) padding OTs per call), with SoftSpoken k
// (mpc/ot_pair.h) and A = C − 1 − h ANDs: party 0 σ·16/k (leaf OT
// columns) + A·(16/k + 1/4) (triples and AND openings); party 1
// (C − 1)·2^(q+1)/8 + max(2^(q_C+1)/8, 1) (two-bit tables) + A·(16/k +
// 1/4). For σ = 61, q = 4, k = 4 (C = 16, q_C = 1, A = 7): 274 and 91
// bytes; for σ = 64: 286 and 94.
// Leakage: none beyond n, σ and q; no branch or memory index depends on
// the values or the shares.
#ifndef LIAISON_MPC_EQUALITY_H_
#define LIAISON_MPC_EQUALITY_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/prng.h"
#include "mpc/ot_pair.h"
#include "mpc/shares.h"
#include "net/channel.h"

namespace liaison::mpc {

struct EqualityParams {
  int sigma = 64;  // bits compared, 1..64
  int q = 4;       // chunk bits, 1..6 (mpc/one_of_n_ot.h)
  int num_threads = 1;
};

// PrivateEquality returns this party's XOR shares of [x_i = y_i] for all
// i < values.size(), packed (bits past the count are zero). `values` are
// y (party 0) or x (party 1); bits at σ and above are ignored. Both
// parties call it with the same number of values and equal params.
// Errors: InvalidArgument for bad params; DataLoss for peer messages of
// the wrong length; the OT extension's and the channel's errors.
absl::StatusOr<SecretWords> PrivateEquality(OtPair& ots, net::Channel& channel,
                                            absl::Span<const uint64_t> values,
                                            const EqualityParams& params,
                                            crypto::Prng& prng);

}  // namespace liaison::mpc

#endif  // LIAISON_MPC_EQUALITY_H_
