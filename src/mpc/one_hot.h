// Oblivious rotation of XOR-shared one-hot vectors: the counting step of
// the over-threshold PSI (mpsi/quorum.h), and a general tool for
// computing any function of a small secret-shared sum.
//
// A vector of M = 2^q bits (q ≤ 4, so M ≤ 16) is XOR-shared among some
// holders; an additive share β ∈ Z_M held by one party R (the rotator)
// rotates it: position p moves to p + β mod M. Starting from the one-hot
// vector of a value a and rotating by β_1, β_2, … gives the one-hot vector
// of a + Σβ_i mod M, and any function f of that sum is then a local
// GF(2)-linear map of the shares: f = ⊕_p v[p]·f(p). No AND gate is
// needed, which makes a small-domain threshold test (is the number of
// holders ≥ t?) far cheaper than a comparison circuit.
//
// One rotation between a holder H (share s) and R (choice β): a
// 1-out-of-M oblivious transfer of M-bit messages, H offering
// T_v = rot(s, v) ⊕ r for v < M with a fresh random r, which H keeps as
// its new share; R learns T_β = rot(s, β) ⊕ r. R XORs what it receives
// from every holder (and its own rotated share, if it holds one). The OT
// is Naor–Pinkas's reduction of 1-out-of-2^q to q random OTs ("Oblivious
// Transfer and Polynomial Evaluation", STOC 1999), as in mpc/one_of_n_ot.h:
// the random OT messages (128 bits) are used as one-time pads, bit by bit,
// so each instance takes G·q random OTs with G = ⌈M² / 128⌉ (1 for M ≤ 8,
// 2 for M = 16): group g of q OTs pads the entries v with ⌊v·M / 128⌋ = g.
//
// Security model: semi-honest, given random OTs (mpc/ot_pair.h). What
// each side learns: R learns rot(s, β) ⊕ r, uniform to it since r is
// fresh; H learns nothing (it only receives OT-extension columns). The
// entries R did not choose are padded with OT messages it lacks. No
// branch or memory index depends on a share, a choice or a message
// (selections are masked; shifts by secret amounts are constant-time on
// the CPUs we build for).
// Rounds: one OT-extension flight R → H, then one flight of tables H → R.
// Bytes per instance: R 16/k · G·q (OT columns, k the SoftSpoken
// parameter: 3 bytes at M = 8, 8 at M = 16 for k = 4); H ⌈M²/8⌉ (the masked
// tables: 8 bytes at M = 8, 32 at M = 16).
#ifndef LIAISON_MPC_ONE_HOT_H_
#define LIAISON_MPC_ONE_HOT_H_

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

// kMaxOneHotBits is the largest q: vectors of up to 16 positions.
inline constexpr int kMaxOneHotBits = 4;

// RotateLeft returns the low M = 2^q bits of `v` rotated by `amount` (mod
// M): bit p moves to bit (p + amount) mod M. Constant-time in both.
inline uint64_t RotateLeft(uint64_t v, int q, uint64_t amount) {
  const unsigned m = 1u << q;
  const uint64_t mask = (m >= 64) ? ~uint64_t{0} : (uint64_t{1} << m) - 1;
  const unsigned a = static_cast<unsigned>(amount & (m - 1));
  v &= mask;
  // (v >> (m − a)) with a = 0 would shift by m: split it in two shifts.
  return ((v << a) | ((v >> 1) >> (m - 1 - a))) & mask;
}

// OneHotRotateHold is H's side for shares.size() instances: shares[i] is
// H's share (low M bits) of vector i. Returns H's new shares (fresh random
// words). The peer calls OneHotRotateChoose with as many amounts at the
// same point. Errors: InvalidArgument for q outside [1, kMaxOneHotBits];
// the OT extension's and the channel's errors.
absl::StatusOr<SecretWords> OneHotRotateHold(OtPair& ots, net::Channel& channel, int q,
                                             absl::Span<const uint64_t> shares,
                                             crypto::Prng& prng, int num_threads);

// OneHotRotateChoose is R's side: amounts[i] (reduced mod M) rotates
// vector i; returns rot(s_i, amounts[i]) ⊕ r_i for the holder's s_i and
// r_i. Errors as OneHotRotateHold; DataLoss for a table message of the
// wrong length.
absl::StatusOr<SecretWords> OneHotRotateChoose(OtPair& ots, net::Channel& channel, int q,
                                               absl::Span<const uint64_t> amounts,
                                               crypto::Prng& prng, int num_threads);

}  // namespace liaison::mpc

#endif  // LIAISON_MPC_ONE_HOT_H_
