// A batched OPRF with exactly one query per bin, from silent VOLE: the
// OPRF under the OPPRF of the PSI with secret-shared output
// (psi/shared_output_psi.h). Each bin b has its own function F_b; the
// receiver R learns F_b at the one key y_b it chose for bin b and nothing
// else about any F_b; the sender S can evaluate every F_b on any key.
//
// Why one query per bin matters. In a batch OPPRF the sender programs one
// target value per bin for all the keys that hash there. If a receiver
// could evaluate the function at two keys of the same bin (the RR22 OPRF
// lets it spend its queries on any keys), it would see two equal decoded
// values exactly when both items are in the sender's set, and so learn the
// membership of an item outright, with no help from the comparison. Here
// the bin fixes the function, and the receiver's message fixes its one
// point per function.
//
// Construction (the VOLE-based OPRF of Rindal–Schoppmann / RR22, one
// instance per bin instead of one OKVS over all keys; written from those
// descriptions):
//  1. A silent VOLE of length B (ot/silent_vole.h): R gets (A, C), S gets
//     (Δ, B), A_b = B_b ⊕ C_b·Δ.
//  2. R sends d_b = C_b ⊕ h(y_b) for every bin, h = CrHash (fixed-key AES).
//     S keeps K_b = B_b ⊕ Δ·d_b = A_b ⊕ Δ·h(y_b).
//  3. F_b(x) = G(K_b ⊕ Δ·h(x), x): for x = y_b that is G(A_b, y_b), which R
//     computes; for any other x the first input carries Δ·(h(x) ⊕ h(y_b)),
//     a nonzero multiple of the hidden Δ.
//     Semi-honest: G(u, x) = CrHash(u), the correlation-robust hash RR22's
//     semi-honest OPRF uses on the same kind of input. Malicious:
//     G(u, x) = AES-128_u(x) ⊕ x (Davies–Meyer, crypto::DaviesMeyerHash), as
//     RR22's malicious OPRF: every output is tied to one (u, x) query.
//
// Security model. Semi-honest: LPN (silent VOLE), fixed-key AES as a random
// permutation. Malicious (BinOprfParams::malicious): the silent VOLE runs
// in its malicious mode (the OT extension's check keeps a cheating R from
// learning Δ; the consistency check binds a cheating S's B to R's C, up to
// the selective-failure leakage stated in ot/silent_vole.h), and G is
// Davies–Meyer in the ideal-cipher model. A malicious R's effective query
// in bin b is the x with h(x) = d_b ⊕ C_b (read off its queries to h):
// at most one key per bin, whatever it sends. A malicious S may choose Δ
// and its B freely; it learns nothing about the y_b (d is uniform to it, C
// being pseudo-random under LPN).
//
// What each party learns: R: F_b(y_b) for every b; S: B and nothing about
// the keys. Rounds: the silent VOLE's flights, then R → S the d_b in
// chunks (one flight). Bytes: the VOLE's (about 0.37 MB at B ≈ 2^20) and
// 16·B from R. Work: R B hashes; S 2 GF(2^128) products and 2 hashes per
// evaluation (one of each per bin at set-up). Memory: S keeps 16·B bytes.
#ifndef LIAISON_PSI_BIN_OPRF_H_
#define LIAISON_PSI_BIN_OPRF_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "crypto/block.h"
#include "crypto/prng.h"
#include "net/channel.h"
#include "crypto/secret_blocks.h"

namespace liaison::psi {

// BinOprfParams: `malicious` must be equal on both sides (a mismatch fails
// in the OT extension's header check).
struct BinOprfParams {
  int num_threads = 0;                 // 0: all hardware threads
  size_t chunk_len = size_t{1} << 16;  // blocks of d per message R sends
  bool malicious = false;
};

// BinOprfReceiver is R. Not thread-safe.
class BinOprfReceiver {
 public:
  explicit BinOprfReceiver(BinOprfParams params) : params_(params) {}

  // Run sets out[b] = F_b(keys[b]) for every bin b (keys.size() ≥ 1 bins;
  // keys need not be distinct). Errors: InvalidArgument for no bins, `out`
  // of the wrong size or a chunk length that does not fit the channel; the
  // silent VOLE's errors as it returns them (DataLoss in malicious mode
  // when the sender fails its check).
  absl::Status Run(net::Channel& channel, absl::Span<const crypto::Block> keys,
                   absl::Span<crypto::Block> out, crypto::Prng& prng) const;

 private:
  BinOprfParams params_;
};

// BinOprfSender holds the functions after Run. Eval may run on several
// threads at once once Run returned.
class BinOprfSender {
 public:
  explicit BinOprfSender(BinOprfParams params) : params_(params) {}

  // Run plays S for `num_bins` ≥ 1 bins against a receiver that sends d in
  // messages of `peer_chunk_len` blocks. Errors: InvalidArgument for zero
  // bins or chunk length; DataLoss for a message of the wrong length; the
  // silent VOLE's errors (DataLoss in malicious mode when the receiver
  // fails the OT extension's check); transport errors.
  absl::Status Run(net::Channel& channel, uint64_t num_bins, uint64_t peer_chunk_len,
                   crypto::Prng& prng);

  // Eval sets out[i] = F_{bins[i]}(keys[i]). bins[i] < num_bins; the spans
  // have equal sizes (the process aborts otherwise).
  void Eval(absl::Span<const uint32_t> bins, absl::Span<const crypto::Block> keys,
            absl::Span<crypto::Block> out) const;

  // Clear wipes the key material.
  void Clear();

 private:
  BinOprfParams params_;
  crypto::SecretBlock delta_;
  crypto::UninitSecretBlocks k_{0};  // K_b = B_b ⊕ Δ·d_b
};

}  // namespace liaison::psi

#endif  // LIAISON_PSI_BIN_OPRF_H_
