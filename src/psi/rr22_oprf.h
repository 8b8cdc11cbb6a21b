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
// Rounds: the silent VOLE's flights, then one flight R → S (OKVS seed and
// P ⊕ C in messages of chunk_len blocks). Bytes: R 16 + 16·m plus the VOLE
// receiver's (about 0.14 MB at m ≈ 2^20); S the VOLE sender's (about
// 0.22 MB). m ≈ 1.28·n with the default bins (okvs/okvs.h).
// Memory: R about 16·(3·m/n + 2) bytes per key at its peak (P, A, C, the
// values), S 16·m bytes of key state (B') for as long as it evaluates.
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
#include "ot/secret_blocks.h"
#include "psi/ecdh_psi.h"  // ProgressFn

namespace liaison::psi {

// Rr22OprfParams are this side's settings; okvs_bin_items must be equal on
// both sides.
struct Rr22OprfParams {
  int num_threads = 0;  // 0: all hardware threads
  // chunk_len is the number of blocks of P ⊕ C per message R sends.
  size_t chunk_len = size_t{1} << 16;
  uint64_t okvs_bin_items = okvs::kDefaultBinItems;
  ProgressFn progress;  // optional; phases "vole+encoding", "evaluating"
};

// Rr22OprfReceiver computes F on its keys. Not thread-safe.
class Rr22OprfReceiver {
 public:
  explicit Rr22OprfReceiver(Rr22OprfParams params) : params_(std::move(params)) {}

  // Run sets out[i] = F(keys[i]). `keys` must be distinct and non-empty
  // and `out` must have keys.size() blocks. Errors: InvalidArgument for
  // duplicate keys (reported after the VOLE: the OKVS encoding detects
  // them), an empty key list, `out` of the wrong size or a chunk length that
  // does not fit the channel; the silent VOLE's errors (DataLoss,
  // FailedPrecondition, Unavailable, ...) as it returns them.
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
  // VOLE's errors; transport errors as the channel gives them.
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
  ot::SecretBlock delta_;
  ot::SecretBlocks b_prime_;
};

}  // namespace liaison::psi

#endif  // LIAISON_PSI_RR22_OPRF_H_
