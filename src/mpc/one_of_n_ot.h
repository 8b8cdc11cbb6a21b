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
// Messages of b = 2 bits (q ≤ 5) are two tables side by side: entry v of
// table l is padded with bit l·2^q + v of the messages, again used once.
//
// Security model: semi-honest, given random OTs (mpc/ot_pair.h). Rounds:
// one flight, sender → receiver. Bytes: b·2^q / 8 per instance (one byte
// if that is less), in messages of at most 8 MiB. Leakage: the receiver learns
// T_i[c_i] only; the sender learns nothing. No branch or memory index
// depends on a table, a choice or a message (shifts by the secret c_i are
// constant-time on the CPUs we build for).
#ifndef LIAISON_MPC_ONE_OF_N_OT_H_
#define LIAISON_MPC_ONE_OF_N_OT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/block.h"
#include "crypto/prng.h"
#include "mpc/ot_pair.h"
#include "mpc/shares.h"
#include "net/channel.h"

namespace liaison::mpc {

// kMaxOneOfNBits is the largest q: a table fits one 64-bit word.
inline constexpr int kMaxOneOfNBits = 6;

// OneOfNBitOtSend sends tables.size() masked tables (bit l·2^q + v of
// tables[i] is bit l of T_i[v], for l < message_bits; higher bits are
// ignored). Instance i uses the ROT
// messages m0/m1[i·q + j], j < q (their low 64 bits, as
// OtPair::SendRotWords gives them), which must be the sender side of the
// OTs whose choice bits the receiver took from c_i (bit j of c_i for
// index i·q + j). Errors: InvalidArgument for q outside [1, 6],
// message_bits outside [1, 2] or message_bits·2^q > 64, or spans of the
// wrong size; transport errors as the channel gives them.
absl::Status OneOfNBitOtSend(net::Channel& channel, int q,
                             absl::Span<const uint64_t> tables,
                             absl::Span<const uint64_t> m0,
                             absl::Span<const uint64_t> m1, int num_threads,
                             int message_bits = 1);

// OneOfNBitOtReceive receives `num_instances` tables and returns the bits
// T_i[c_i], packed in message_bits planes: bit l of T_i[c_i] is bit
// l·64·⌈n/64⌉ + i of the result. c_i is bits [i·q, i·q + q) of
// `choice_bits` (packed, as the ROT choice bits), and mc[i·q + j] the
// chosen ROT message. Errors: InvalidArgument for q outside [1, 6] or
// spans too short; DataLoss for a message of the wrong length; transport
// errors as the channel gives them.
absl::StatusOr<SecretWords> OneOfNBitOtReceive(net::Channel& channel, int q,
                                               size_t num_instances,
                                               absl::Span<const uint64_t> choice_bits,
                                               absl::Span<const uint64_t> mc,
                                               int num_threads, int message_bits = 1);

// OneOfNBitOtExtendSend is OneOfNBitOtSend together with the random OTs
// it consumes: it extends q·tables.size() OTs as their sender
// (OtPair::SendRotPieces) and masks each table as soon as its messages
// are hashed, so the messages are never held for the whole batch. The
// wire is that of OtPair::SendRotWords followed by OneOfNBitOtSend, and
// the peer calls OneOfNBitOtExtendReceive (or ReceiveRotWords and then
// OneOfNBitOtReceive). Errors: InvalidArgument as OneOfNBitOtSend; the
// OT extension's and the channel's errors.
absl::Status OneOfNBitOtExtendSend(OtPair& ots, net::Channel& channel, int q,
                                   absl::Span<const uint64_t> tables, crypto::Prng& prng,
                                   int num_threads, int message_bits = 1);

// OneOfNBitOtExtendReceive is the receiver's side: it extends the q·n
// OTs with the choice bits of `choice_bits` (packed as for
// OneOfNBitOtReceive), keeps one pad word per instance instead of q
// messages, then receives the tables. Returns as OneOfNBitOtReceive;
// errors as OneOfNBitOtReceive and the OT extension's.
absl::StatusOr<SecretWords> OneOfNBitOtExtendReceive(OtPair& ots, net::Channel& channel,
                                                     int q, size_t num_instances,
                                                     absl::Span<const uint64_t> choice_bits,
                                                     crypto::Prng& prng, int num_threads,
                                                     int message_bits = 1);

// OneOfNBatch is one run of instances with the same q in a fused call:
// for the sender, `data` holds num_instances tables; for the receiver, the
// packed choices (q bits per instance, as for OneOfNBitOtReceive).
struct OneOfNBatch {
  int q = 0;
  size_t num_instances = 0;
  absl::Span<const uint64_t> data;
};

// OneOfNBitOtExtendSend and OneOfNBitOtExtendReceive for several batches
// (each of its own q, all with message_bits) in one OT extension and one
// message of tables: batch b's OTs start at a multiple of the lcm of the
// q's (the OTs in between are padding with choice 0), and the tables
// message is the batches' masked tables one after the other, each in the
// layout of OneOfNBitOtSend. The receiver gets one result per batch, as
// OneOfNBitOtReceive returns it. Errors: InvalidArgument for no batch, an
// empty one, a bad shape or a span of the wrong size; the OT extension's
// and the channel's errors; DataLoss for a message of the wrong length.
absl::Status OneOfNBitOtExtendSend(OtPair& ots, net::Channel& channel,
                                   absl::Span<const OneOfNBatch> batches, crypto::Prng& prng,
                                   int num_threads, int message_bits);
absl::StatusOr<std::vector<SecretWords>> OneOfNBitOtExtendReceive(
    OtPair& ots, net::Channel& channel, absl::Span<const OneOfNBatch> batches,
    crypto::Prng& prng, int num_threads, int message_bits);

// OneOfNBitOtExtendReceive in two steps, for callers that put other
// flights between the OT extension and the tables: OneOfNBitOtExtendPads
// extends the OTs and returns the receiver's pad words (one per instance,
// batch after batch); OneOfNBitOtReceiveTables then receives the tables
// message and returns what OneOfNBitOtExtendReceive returns. Errors as
// there.
absl::StatusOr<SecretWords> OneOfNBitOtExtendPads(OtPair& ots, net::Channel& channel,
                                                  absl::Span<const OneOfNBatch> batches,
                                                  crypto::Prng& prng, int num_threads);
absl::StatusOr<std::vector<SecretWords>> OneOfNBitOtReceiveTables(
    net::Channel& channel, absl::Span<const OneOfNBatch> batches, const SecretWords& pads,
    int num_threads, int message_bits);

}  // namespace liaison::mpc

#endif  // LIAISON_MPC_ONE_OF_N_OT_H_
