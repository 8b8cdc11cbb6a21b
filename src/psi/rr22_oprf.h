// The VOLE-based OPRF of RR22 (Raghuraman, Rindal, "Blazing Fast PSI from
// Improved OKVS and Subfield VOLE", CCS 2022, Figure 4; volePSI's RsOprf),
// semi-honest, on 128-bit keys. It is the engine of rr22-psi
// (psi/rr22_psi.h) and of the PSI protocols with secret-shared output.
//
// The receiver R holds n distinct keys y_i and learns F(y_i); the sender S
// learns nothing about the y_i and can afterwards evaluate F on any key.
//  1. A silent VOLE of length m = okvs size for n keys (ot/silent_vole.h):
//     R gets (A, C), S gets (Δ, B), A = B ⊕ C·Δ.
//  2. R encodes P = OKVS(y ↦ h(y)), h = CrHash (fixed-key AES), under a
//     fresh OKVS seed and sends the seed and P ⊕ C.
//     R's outputs are F(y) = CrHash(Decode(A, y)).
//  3. S sets B' = B ⊕ Δ·(P ⊕ C) = A ⊕ Δ·P and evaluates
//     F(x) = CrHash(Decode(B', x) ⊕ Δ·h(x)): equal to R's F(y) when x = y
//     (Decode is linear and Decode(P, y) = h(y)), pseudo-random to R
//     otherwise, as Δ is hidden from R by the VOLE.
//
// Security model: semi-honest, in the random permutation model for
// fixed-key AES, under the LPN assumption of the silent VOLE. What each
// party learns: R learns F on its own keys and nothing else about F; S
// learns n and nothing else about the keys (P ⊕ C is uniformly random to
// it, C being pseudo-random under LPN).
//
// Malicious mode (Rr22OprfParams::malicious; RR22's malicious variant as
// volePSI's RsOprf runs it with mMalicious, written from that description;
// the paper's PDF was not available to us as text). Changes:
//  a. The silent VOLE runs in its malicious mode (ot/silent_vole.h): the
//     malicious OT extension protects S against a cheating R, the
//     consistency check protects R against a cheating S (selective-failure
//     leakage only, as stated there).
//  b. A coin toss for a public w: S draws w_S and sends the commitment
//     SHA-256(label ‖ w_S) before the VOLE; R draws w_R after the VOLE and
//     sends it with the OKVS seed; S opens w_S once all of P ⊕ C is in; R
//     checks the opening (DataLoss otherwise). w = w_S ⊕ w_R is uniform if
//     either side is honest, and fixed only after the VOLE and P.
//  c. The outputs hash the input with the decoded value:
//     F(y) = H(Decode(A, y) ⊕ w, y) on R's side and
//     F(x) = H(Decode(B', x) ⊕ Δ·h(x) ⊕ w, x) on S's side, with
//     H(u, v) = AES-128_u(v) ⊕ v (Davies–Meyer, crypto::DaviesMeyerHash).
// Why (the argument of RR22 and RS21, in brief): H takes x as input, so
// every output value is tied to one query (u, x) on the random oracle,
// which lets a simulator read off which items a malicious party evaluated.
// A malicious S: each value it later sends (psi/rr22_psi.h sends full 128
// bits in malicious mode) either comes from a query (u, x), which names x,
// or matches R's outputs with probability 2^-128; S learns nothing about
// Y, as in the semi-honest case, up to the VOLE's selective-failure bit.
// A malicious R: its F(y) can equal S's value only at the u that
// S computes, Decode(A, y) ⊕ Δ·(Decode(P', y) ⊕ h(y)) ⊕ w, which R can
// compute without Δ only when Decode(P', y) = h(y) for the P' it sent; so
// R's effective key set is {y : Decode(P', y) = h(y)}. With h a random
// oracle and the OKVS rows a random function of y, a fixed P' satisfies
// such an equation for at most m linearly independent keys plus each other
// key with probability 2^-128: R's set is extracted from P', and has at
// most m ≈ 1.28·n keys (not exactly n: the malicious functionality of
// RR22 lets a malicious R use a slightly larger set). This is the
// "random-oracle OKVS" requirement: the row positions and h must behave
// as random functions of the key even for an R that chooses the OKVS
// seed. w enters every output and is unknown to R until P' is sent, so no
// query R makes before fixing P' can hit an output.
// Assumptions: the ideal-cipher model for AES (H as Davies–Meyer; the
// OKVS row hashing, keyed by the seed R picks), the random-permutation
// model for fixed-key AES (h = CrHash; the VOLE's GGM tree and TCCR),
// SHA-256 as a random oracle (the commitment and the VOLE check), and LPN
// under the selective-failure leakage of the malicious silent VOLE. Why
// Davies–Meyer and not SHA-256 for H: it is the function volePSI uses, it
// costs one AES key expansion and one encryption per item (a SHA-256 call
// per item through OpenSSL costs more), and in the ideal-cipher model its outputs are
// uniform and bound to the queried (u, x), which is all the extraction
// argument uses; its known deviation from a random oracle (fixed points
// chosen through inverse queries) still goes through such a query.
// What the malicious mode does not prevent: either side may choose its
// input freely (R up to m keys) or abort at any point; S may choose Δ
// (the VOLE functionality allows it) without effect on privacy.
//
#ifndef LIAISON_PSI_RR22_OPRF_H_
#define LIAISON_PSI_RR22_OPRF_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "crypto/block.h"
#include "crypto/prng.h"
#include "net/channel.h"
#include "okvs/okvs.h"
#include "crypto/secret_blocks.h"
#include "psi/psi.h"

namespace liaison::psi {

// Rr22OprfParams are this side's settings; okvs_bin_items must be equal on
// both sides.
struct Rr22OprfParams {
  int num_threads = 0;  // 0: all hardware threads
  // chunk_len is the number of blocks of P ⊕ C per message R sends.
  size_t chunk_len = size_t{1} << 16;
  uint64_t okvs_bin_items = okvs::kDefaultBinItems;
  // malicious selects the malicious-secure mode (the file comment); both
  // sides must agree (a mismatch shows as DataLoss or FailedPrecondition
  // from the first message that differs).
  bool malicious = false;
  ProgressFn progress;  // optional; phases "vole+encoding", "evaluating"
};

// Rr22OprfReceiver computes F on its keys. Not thread-safe.
class Rr22OprfReceiver {
 public:
  explicit Rr22OprfReceiver(Rr22OprfParams params) : params_(std::move(params)) {}

  // Run sets out[i] = F(keys[i]). `keys` must be distinct and non-empty
  // and `out` must have keys.size() blocks. Errors: InvalidArgument for
  // duplicate keys (reported after the VOLE: the OKVS encoding detects
  // them; okvs::IsDuplicateKeysError tells this case from the others), an empty key list, `out` of the wrong size or a chunk length that
  // does not fit the channel; the silent VOLE's errors (DataLoss,
  // FailedPrecondition, Unavailable, ...) as it returns them; in malicious
  // mode DataLoss when the sender fails the VOLE check or its opening of w
  // does not match its commitment (a possible attack).
  absl::Status Run(net::Channel& channel, absl::Span<const crypto::Block> keys,
                   absl::Span<crypto::Block> out, crypto::Prng& prng) const;

 private:
  Rr22OprfParams params_;
};

// Rr22OprfSender holds the OPRF key after Run and evaluates F. Eval may be
// called from several threads at once after Run returned; Run is not
// thread-safe.
class Rr22OprfSender {
 public:
  explicit Rr22OprfSender(Rr22OprfParams params) : params_(std::move(params)) {}

  // Run plays the sender against a receiver with `num_receiver_keys` ≥ 1
  // keys that sends its P ⊕ C in messages of `peer_chunk_len` blocks (the
  // last one shorter). Errors: InvalidArgument for zero keys or a zero
  // chunk length; DataLoss for a message of the wrong length; the silent
  // VOLE's errors (in malicious mode DataLoss when the receiver fails the
  // OT extension's check); transport errors as the channel gives them.
  absl::Status Run(net::Channel& channel, uint64_t num_receiver_keys,
                   uint64_t peer_chunk_len, crypto::Prng& prng);

  // Eval sets out[i] = F(keys[i]), on num_threads threads. Requires a
  // successful Run; `out` has keys.size() blocks.
  void Eval(absl::Span<const crypto::Block> keys,
            absl::Span<crypto::Block> out) const;

  // Clear wipes the key; Eval must not be called afterwards.
  void Clear();

 private:
  Rr22OprfParams params_;
  okvs::OkvsParams okvs_;
  crypto::Block okvs_seed_;
  crypto::SecretBlock delta_;
  crypto::SecretBlock w_;  // malicious mode: w = w_S ⊕ w_R
  crypto::UninitSecretBlocks b_prime_{0};
};

}  // namespace liaison::psi

#endif  // LIAISON_PSI_RR22_OPRF_H_
