// Products of an XOR-shared bit with 64-bit values, as additive shares
// modulo 2^64: bit-to-arithmetic conversion (B2A) and bit × value, the
// last step of circuit-PSI with aggregate output (counts and sums over the
// intersection). One random OT per bit and direction, in the style of the
// OT-based multiplication of Gilboa ("Two Party RSA Key Generation",
// Crypto 1999) and ABY's B2A (Demmler, Schneider, Zohner, NDSS 2015).
//
// Kernel (party P is the OT sender and holds values w; the peer Q the OT
// receiver): e = e_P ⊕ e_Q, so e·w = e_P·w + e_Q·δ with δ = (1 − 2e_P)·w.
// From a random OT with Q's choice e_Q — P has (m0, m1), Q has m_{e_Q} —
// P sends y = m0 + δ − m1 (64-bit lanes of the messages), Q outputs
// m_{e_Q} + e_Q·y = m0 + e_Q·δ and P outputs e_P·w − m0. Both sums are
// modulo 2^64.
//
// Security model: semi-honest. Rounds: one OT-extension flight Q → P,
// then P → Q the corrections. Bytes: Q 16/k per bit (OT columns,
// mpc/ot_pair.h), P 8 per bit and value lane. Leakage: none (y is padded
// by m1, which Q does not hold when e_Q = 0, and by m0 otherwise); no
// branch or index depends on a bit, a value or a share.
#ifndef LIAISON_MPC_BIT_PRODUCT_H_
#define LIAISON_MPC_BIT_PRODUCT_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/prng.h"
#include "mpc/ot_pair.h"
#include "mpc/shares.h"
#include "net/channel.h"

namespace liaison::mpc {

// kMaxLanes is the number of 64-bit values one OT carries.
inline constexpr int kMaxLanes = 2;

// BitTimesOwnValuesSend is P's side of the kernel for `num_bits` bits:
// `my_bits` are P's XOR shares (packed), `values` holds num_lanes·num_bits
// words (value l of bit i at l·num_bits + i), num_lanes = values.size() /
// num_bits in [1, 2]. Returns P's additive shares of e_i·w_{l,i}, in the
// layout of `values`. Errors: InvalidArgument for bad sizes; the OT
// extension's and the channel's errors.
absl::StatusOr<SecretWords> BitTimesOwnValuesSend(OtPair& ots, net::Channel& channel,
                                                  absl::Span<const uint64_t> my_bits,
                                                  size_t num_bits,
                                                  absl::Span<const uint64_t> values,
                                                  crypto::Prng& prng, int num_threads);

// BitTimesOwnValuesReceive is Q's side: Q's shares of the same products
// (num_lanes·num_bits words). Errors as above; DataLoss for a peer message
// of the wrong length.
absl::StatusOr<SecretWords> BitTimesOwnValuesReceive(OtPair& ots, net::Channel& channel,
                                                     absl::Span<const uint64_t> my_bits,
                                                     size_t num_bits, int num_lanes,
                                                     crypto::Prng& prng, int num_threads);

// BitsToArithmetic (B2A) returns this party's additive shares of the
// shared bits e_i themselves (party 0 is the OT sender with w = 1).
absl::StatusOr<SecretWords> BitsToArithmetic(OtPair& ots, net::Channel& channel,
                                             absl::Span<const uint64_t> my_bits,
                                             size_t num_bits, crypto::Prng& prng,
                                             int num_threads);

// BitTimesSharedValue returns this party's additive shares of e_i·v_i,
// where e_i is XOR-shared and v_i additively shared (`my_values`,
// num_bits words): the kernel once in each direction, party 0 the sender
// first.
absl::StatusOr<SecretWords> BitTimesSharedValue(OtPair& ots, net::Channel& channel,
                                                absl::Span<const uint64_t> my_bits,
                                                size_t num_bits,
                                                absl::Span<const uint64_t> my_values,
                                                crypto::Prng& prng, int num_threads);

// BitAndSharedWords returns this party's XOR shares of e_i·w_i (w_i where
// e_i = 1, zero otherwise), for XOR-shared bits e_i (`my_bits`, packed)
// and XOR-shared 64-bit words w_i (`my_words`, num_bits of them), as XOR
// shares: with e = e_0 ⊕ e_1 and w = w_0 ⊕ w_1,
//   e·w = e_0·w_0 ⊕ e_1·w_1 ⊕ e_0·w_1 ⊕ e_1·w_0,
// the local terms computed locally and each cross term from one random OT
// in which the word's holder is the OT sender (it sends z = m0 ⊕ m1 ⊕ w
// and keeps m0; the other, choosing its bit e_p, keeps m_{e_p} ⊕ e_p·z).
// Whatever a deviating peer sends, the result stays a word of the shared
// form: its bits can be wrong, its width cannot grow. Rounds: the two OT
// batches (ExtendBothWaysWords), then the corrections, party 0's first.
// Bytes: each party 16/k per bit (OT columns) + 8 per bit. Errors:
// InvalidArgument for bad sizes; the OT extension's and the channel's
// errors; DataLoss for a correction of the wrong length.
absl::StatusOr<SecretWords> BitAndSharedWords(OtPair& ots, net::Channel& channel,
                                              absl::Span<const uint64_t> my_bits,
                                              size_t num_bits,
                                              absl::Span<const uint64_t> my_words,
                                              crypto::Prng& prng, int num_threads);

}  // namespace liaison::mpc

#endif  // LIAISON_MPC_BIT_PRODUCT_H_
