// Silent correlated OT: n random COTs from O(t·log(N/t)) OTs, the binary
// counterpart of the silent VOLE (ot/silent_vole.h), for protocols that
// need many random OTs (the equality tests and conversions of the PSI with
// secret-shared output, mpc/).
//
//   receiver: choice bits c ∈ {0,1}^n (pseudorandom) and t ∈ GF(2^128)^n;
//   sender:   Δ and q ∈ GF(2^128)^n;   t_i = q_i ⊕ c_i·Δ for every i.
//
// Papers: Boyle, Couteau, Gilboa, Ishai, Kohl, Rindal, Scholl, "Efficient
// Two-Round OT Extension and Silent Non-Interactive Secure Computation"
// (CCS 2019); Raghuraman, Rindal, Tanguy, "Expand-Convolute Codes for
// Pseudorandom Correlation Generators from LPN" (Crypto 2023); structure
// as libOTe's SilentOtExtSender/Receiver with choice-bit packing. Written
// from those descriptions, not copied.
//
// Construction. With t noise positions and N = t·D leaves:
//  1. One OT-extension set-up and one ExtendCot of t·d OTs (d = ⌈log2 D⌉),
//     hashed into random OTs for the regular PPRF (ot/pprf.h): one GGM tree
//     per section, punctured at the receiver's random α_j.
//  2. The sender draws its own Δ with lowest bit 1 (independent of the OT
//     extension's), clears the lowest bit of every leaf s_i, and sends the
//     PPRF level sums and γ_j = Δ ⊕ Σ_{i ∈ section j} s_i. The receiver sets
//     the punctured leaf to γ_j ⊕ Σ_{i ≠ α_j} s_i = s_{α_j} ⊕ Δ, so its
//     vector is B̂ ⊕ Ĉ·Δ with Ĉ the regular weight-t unit vectors.
//  3. Both apply the binary ExConv dual encoding (ot/lpn/ex_conv_code.h):
//     q = G·B̂, t = G·(B̂ ⊕ Ĉ·Δ), c = G·Ĉ, pseudorandom under dual LPN.
//     Because every leaf of the sender has lowest bit 0 and Δ has lowest
//     bit 1, the lowest bit of t_i is c_i: the receiver reads its choice
//     bits off t without encoding Ĉ (libOTe's "choice bit packing"). The
//     leaves keep 127 bits of entropy.
//
// Parameters: ExConv7x24, expansion 2, t = 248 (libOTe's ConfigureCode for
// λ = 128 with this code; here the noise is binary, so unlike the
// GF(2^128) VOLE no doubling is needed), SoftSpoken k = 8 for the base COTs.
//
// Security model: semi-honest (dual LPN, the OT extension's semi-honest
// security, GGM with fixed-key AES as a random permutation, TCCR hash). Not
// malicious: no consistency check.
//
// What each party learns: the receiver c and t and nothing about Δ; the
// sender Δ and q and nothing about c. Both learn n and the parameters. No
// branch or memory index depends on Δ, the α_j or the outputs.
//
// Rounds: the OT set-up, receiver → sender the COT columns, sender →
// receiver the PPRF sums and γ (one flight). Bytes, measured
// (bench/vole_bench.cc BM_SilentCot): n = 2^20 receiver 10,831, sender
// 123,272; n = 2^24 12,623 and 155,016 — they grow with log(n / t) only.
// Time, both parties in one process on 2 cores: 2^20 in 51 ms, 2^24 in
// 1.1 s (65 ns per COT).
// Memory: 16·N ≈ 32 bytes per output during the encoding; afterwards the
// receiver keeps 16 bytes per output (the vector is truncated in place),
// the sender's q is a 16-byte-per-output copy.
#ifndef LIAISON_OT_SILENT_COT_H_
#define LIAISON_OT_SILENT_COT_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "crypto/prng.h"
#include "net/channel.h"
#include "ot/lpn/ex_conv_code.h"
#include "ot/ot_extension.h"
#include "crypto/secret_blocks.h"

namespace liaison::ot {

using crypto::Block;

// kSilentCotNoiseWeight is the default t (see the file comment).
inline constexpr size_t kSilentCotNoiseWeight = 248;

// SilentCotParams are public and must be equal on both sides.
struct SilentCotParams {
  size_t noise_weight = kSilentCotNoiseWeight;
  uint64_t expansion = 2;
  uint32_t expander_weight = 7;
  uint32_t accumulator_window = 24;
  crypto::Block code_seed = kDefaultExConvSeed;
  int softspoken_k = 8;
  int num_threads = 2;
};

// SilentCotReceiverOutput is the receiver's side: c and t, t_i = q_i ⊕ c_i·Δ.
struct SilentCotReceiverOutput {
  crypto::SecretBits choices;
  crypto::UninitSecretBlocks t{0};
};

// SilentCotSender produces the sender's side (Δ, q) as a CotSenderOutput.
// Not thread-safe.
class SilentCotSender {
 public:
  explicit SilentCotSender(SilentCotParams params = {}) : params_(params) {}

  // Run produces n ≥ 1 correlations with a fresh Δ (lowest bit 1) from
  // `prng`. Errors: InvalidArgument for n = 0 or parameters out of range;
  // the OT extension's DataLoss / FailedPrecondition; Unavailable and other
  // transport errors as the channel gives them.
  absl::StatusOr<CotSenderOutput> Run(net::Channel& channel, size_t n,
                                      crypto::Prng& prng) const;

 private:
  SilentCotParams params_;
};

// SilentCotReceiver produces the receiver's side. Not thread-safe.
class SilentCotReceiver {
 public:
  explicit SilentCotReceiver(SilentCotParams params = {}) : params_(params) {}

  // Run produces n ≥ 1 correlations. Errors as SilentCotSender::Run, and
  // DataLoss if the sender's PPRF message has the wrong length.
  absl::StatusOr<SilentCotReceiverOutput> Run(net::Channel& channel, size_t n,
                                              crypto::Prng& prng) const;

 private:
  SilentCotParams params_;
};

}  // namespace liaison::ot

#endif  // LIAISON_OT_SILENT_COT_H_
