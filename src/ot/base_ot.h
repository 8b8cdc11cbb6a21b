// Base OT: random 1-out-of-2 oblivious transfers from public-key
// cryptography, the seeds of OT extension (ot/ot_extension.h).
//
// Paper: Masny, Rindal, "Endemic Oblivious Transfer" (CCS 2019), the
// one-round OT built from Diffie–Hellman key agreement and a Feistel-like
// "programmable once" encoding of the receiver's key, instantiated on
// ristretto255 (libsodium), as in libOTe's MasnyRindal, with domain-separated
// hashes. Per OT i, with G the generator and H_i a hash onto the group:
//
//   sender:    a ← Z_ℓ,  A = a·G                                  → A
//   receiver:  x ← Z_ℓ,  B = x·G,  r_{1-b} ← random point,
//              r_b = B − H_i(r_{1-b})                            → (r_0, r_1)
//   sender:    K_j = a·(r_j + H_i(r_{1-j})),  m_j = KDF(i, j, A, r_0, r_1, K_j)
//   receiver:  m_b = KDF(i, b, A, r_0, r_1, x·A)
//
// (r_0, r_1) is a pair of uniform points whatever b is, so the sender learns
// nothing about b; the receiver knows the discrete logarithm of r_b +
// H_i(r_{1-b}) = B and, H_i being a random oracle, of no other evaluation, so
// it learns m_b only. Chou–Orlandi's "simplest OT" (2015) is not used: its
// receiver message depends on the sender's (two sequential flights), and it
// is not UC-secure as claimed: the simulator cannot extract a malicious
// receiver's choice (Genç, Iovino, Rial, "The Simplest Protocol for
// Oblivious Transfer" Revisited, 2017), which the fixes (Hauck–Loss 2017;
// the POPF-based OT of McQuoid–Rosulek–Roy 2021, which generalises MR19)
// repair at some cost.
//
// Security model: malicious, UC-secure *endemic* OT in the random-oracle
// model under the computational Diffie–Hellman assumption in ristretto255
// (MR19). Endemic means a corrupt party may choose its own
// outputs (a corrupt sender its m_0, m_1; a corrupt receiver its m_b) but
// learns nothing about the honest party's; that is exactly what OT extension
// needs of its base OTs. An honest party checks every point it receives
// (canonical 32-byte ristretto255 encoding, not the identity) and every
// shared point (not the identity), and fails with DataLoss otherwise.
//
// Rounds: one flight per side, sent concurrently (neither message depends on
// the other's): the sender's 32-byte A, the receiver's 64·n bytes of
// (r_0, r_1) pairs. Bytes sent: sender 32, receiver 64·n, plus the channel's
// 4-byte frame header each. Work: sender 2n hashes to the group and 2n + 1
// scalar multiplications; receiver 2n hashes to the group and 2n scalar
// multiplications, spread over `num_threads`.
//
// What each party learns: the sender learns n and nothing about the choice
// bits; the receiver learns n and m_{b_i}[i] and nothing about
// m_{1-b_i}[i]. The receiver's running time does not depend on its choice
// bits (they select by masks, never by branches or indices).
//
// Wire grammar (no header: the lengths are fixed by n, which both callers
// must agree on; a disagreement is a length mismatch, hence DataLoss):
//   sender → receiver:   A                      32 bytes
//   receiver → sender:   (r_0[i] ‖ r_1[i]) for i = 0..n-1, 64·n bytes
#ifndef LIAISON_OT_BASE_OT_H_
#define LIAISON_OT_BASE_OT_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "crypto/prng.h"
#include "net/channel.h"
#include "crypto/secret_blocks.h"

namespace liaison::ot {

using crypto::Block;

struct BaseOtParams {
  // num_threads spreads the scalar multiplications; 0 means all hardware
  // threads.
  int num_threads = 1;
};

// BaseOtSenderOutput holds the sender's random messages: m0[i], m1[i].
struct BaseOtSenderOutput {
  crypto::SecretBlocks m0;
  crypto::SecretBlocks m1;
};

// BaseOtSender is the sender side. Run is const and may be called from
// several threads at once on different channels.
class BaseOtSender {
 public:
  explicit BaseOtSender(BaseOtParams params = {}) : params_(params) {}

  // Run performs `num_ots` random OTs over `channel` and returns the sender's
  // messages. Errors: InvalidArgument if the receiver's message for
  // `num_ots` would not fit the channel's message limit; DataLoss if the
  // receiver's message has the wrong length or holds a point that is not a
  // canonical non-identity ristretto255 encoding, or if a shared point is
  // the identity; transport errors (Unavailable, DeadlineExceeded) as the
  // channel gives them.
  absl::StatusOr<BaseOtSenderOutput> Run(net::Channel& channel, size_t num_ots,
                                         crypto::Prng& prng) const;

 private:
  BaseOtParams params_;
};

// BaseOtReceiver is the receiver side. Run is const and may be called from
// several threads at once on different channels.
class BaseOtReceiver {
 public:
  explicit BaseOtReceiver(BaseOtParams params = {}) : params_(params) {}

  // Run performs choices.size() random OTs over `channel`; element i of the
  // result is the sender's message m_{choices[i]}[i]. Errors: InvalidArgument
  // if the message for that many OTs would not fit the channel's limit;
  // DataLoss if the sender's A has the wrong length or is not a canonical
  // non-identity ristretto255 encoding; transport errors as the channel
  // gives them.
  absl::StatusOr<crypto::SecretBlocks> Run(net::Channel& channel, const crypto::SecretBits& choices,
                                   crypto::Prng& prng) const;

 private:
  BaseOtParams params_;
};

}  // namespace liaison::ot

#endif  // LIAISON_OT_BASE_OT_H_
