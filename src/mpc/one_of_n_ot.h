// 1-out-of-2^q oblivious transfer of one-bit messages from q random
// 1-out-of-2 OTs: the leaf step of the private equality test (Chandran,
// Gupta, Shah, "Circuit-PSI with Linear Complexity via Relaxed Batch
// OPPRF", PETS 2022, after Naor–Pinkas's 1-out-of-N reduction, "Oblivious
// Transfer and Polynomial Evaluation", STOC 1999).
//
// For instance i the sender holds a table T_i of 2^q bits and the receiver
// a choice c_i ∈ [0, 2^q). They hold q random OTs (k0_j, k1_j) / k_{c_ij}
// whose choice bits are the bits of c_i. Every message k is a random
// 128-bit string, used as a one-time truth table: bit v of k is the pad of
// entry v. The sender's pad of entry v is K_v = ⊕_j bit_v(k_{v_j, j}), and
// it sends T_i ⊕ K (2^q bits). The receiver knows K_{c_i} and reads
// T_i[c_i]. For v ≠ c_i some j has v_j ≠ c_ij, and bit v of k_{v_j, j}
// (unknown to the receiver) appears in K_v and in no other pad: the pads
// of all entries but c_i are independent uniform bits to the receiver.
//
// Security model: semi-honest, given random OTs (mpc/ot_pair.h). Rounds:
// one flight, sender → receiver. Bytes: 2^q / 8 per instance (q ≤ 3: one
// byte), in messages of at most 8 MiB. Leakage: the receiver learns
// T_i[c_i] only; the sender learns nothing. No branch or memory index
// depends on a table, a choice or a message (shifts by the secret c_i are
// constant-time on the CPUs we build for).
#ifndef LIAISON_MPC_ONE_OF_N_OT_H_
#define LIAISON_MPC_ONE_OF_N_OT_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/block.h"
#include "mpc/shares.h"
#include "net/channel.h"

namespace liaison::mpc {

// kMaxOneOfNBits is the largest q: a table fits one 64-bit word.
inline constexpr int kMaxOneOfNBits = 6;

// OneOfNBitOtSend sends tables.size() masked tables (bit v of tables[i] is
// T_i[v]; bits at 2^q and above are ignored). Instance i uses the ROT
// messages m0/m1[i·q + j], j < q, which must be the sender side of the
// OTs whose choice bits the receiver took from c_i (bit j of c_i for
// index i·q + j). Errors: InvalidArgument for q outside [1, 6] or spans
// of the wrong size; transport errors as the channel gives them.
absl::Status OneOfNBitOtSend(net::Channel& channel, int q,
                             absl::Span<const uint64_t> tables,
                             absl::Span<const crypto::Block> m0,
                             absl::Span<const crypto::Block> m1, int num_threads);

// OneOfNBitOtReceive receives `num_instances` tables and returns the bits
// T_i[c_i], packed (bit i of the result). c_i is bits [i·q, i·q + q) of
// `choice_bits` (packed, as the ROT choice bits), and mc[i·q + j] the
// chosen ROT message. Errors: InvalidArgument for q outside [1, 6] or
// spans too short; DataLoss for a message of the wrong length; transport
// errors as the channel gives them.
absl::StatusOr<SecretWords> OneOfNBitOtReceive(net::Channel& channel, int q,
                                               size_t num_instances,
                                               absl::Span<const uint64_t> choice_bits,
                                               absl::Span<const crypto::Block> mc,
                                               int num_threads);

}  // namespace liaison::mpc

#endif  // LIAISON_MPC_ONE_OF_N_OT_H_
