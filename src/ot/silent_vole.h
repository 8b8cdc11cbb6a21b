// Silent VOLE over GF(2^128): n pseudorandom VOLE correlations from
// O(t·log(N/t)) OTs, the correlation of RR22 PSI (volePSI's convention).
//
//   receiver: A, C ∈ GF(2^128)^n (C pseudorandom);  sender: Δ, B;
//   A_i = B_i ⊕ C_i·Δ for every i (GF(2^128) product, crypto/gf128.h).
//
// Papers: Boyle, Couteau, Gilboa, Ishai, Kohl, Rindal, Scholl, "Efficient
// Two-Round OT Extension and Silent Non-Interactive Secure Computation"
// (CCS 2019) — the primal/dual-LPN PCG; Raghuraman, Rindal, Tanguy,
// "Expand-Convolute Codes for Pseudorandom Correlation Generators from
// LPN" (Crypto 2023) — the code (ot/lpn/ex_conv_code.h); structure as in
// libOTe's SilentVoleSender/Receiver (semi-honest mode). Written from those
// descriptions, not copied.
//
// Construction. With t noise positions (noise_weight) and N = t·D
// (D = max(2, ceil(expansion·n / t)) leaves per section):
//  1. One OT-extension set-up (ot/ot_extension.h, semi-honest SoftSpoken);
//     the VOLE sender is the OT-extension sender and Δ is its Δ.
//  2. One ExtendCot of 128·t + t·d OTs, d = ceil(log2 D): the first 128·t
//     give the noisy VOLE (ot/noisy_vole.h) a_j = b_j ⊕ c_j·Δ for t random
//     receiver elements c_j; the rest, hashed into random OTs, drive the
//     regular PPRF (ot/pprf.h) with one tree per section, punctured at the
//     receiver's random α_j ∈ [0, D).
//  3. The sender, with leaves s (all N), sends the PPRF level sums and
//     γ_j = b_j ⊕ Σ_{i ∈ section j} s_i. The receiver, with all leaves but
//     s_{α_j}, sets Â_{jD+α_j} = γ_j ⊕ a_j ⊕ Σ_{i ≠ α_j} s_i = s_{α_j} ⊕ c_j·Δ
//     and Ĉ_{jD+α_j} = c_j (Ĉ zero elsewhere), so Â = B̂ ⊕ Ĉ·Δ with B̂ = s
//     and Ĉ a regular noise vector of weight t.
//  4. Both apply the ExConv dual encoding G (k = n, code size N) and keep
//     the first n: A = G·Â, B = G·B̂, C = G·Ĉ. G is GF(2)-linear, so the
//     correlation survives; C is pseudorandom under dual LPN.
//
// Parameters (defaults) and their sources. ExConv7x24, expansion 2 (rate
// 1/2), as libOTe's default MultType::ExConv7x24 for silent VOLE; libOTe's
// ConfigureCode gives for it, with its minimum-distance estimate δ = 0.15,
// t = −λ / log2(1 − 2δ) rounded up to a multiple of 8 = 248 for λ = 128
// (ot/lpn/ex_conv_code.h quotes the same). We use t = 496 = 2·248: the
// ExConv code here is binary, whereas libOTe multiplies by a field constant
// in the convolution for GF(2^128) VOLE; with a binary code and
// GF(2^128)-valued noise, any GF(2)-linear projection GF(2^128) → GF(2)
// yields a binary dual-LPN instance in which each noise position survives
// with probability 1/2, i.e. expected weight t/2, so t is doubled to keep
// the binary instance at libOTe's 128-bit weight (see the caution in
// ex_conv_code.h). SoftSpoken k = 8 for the t·(128 + d) base COTs (2 bytes
// per OT).
//
// Security model: semi-honest (LPN as above, the OT extension's
// semi-honest security, GGM with fixed-key AES as random permutations,
// TCCR hash). Not malicious: libOTe's malicious mode (a consistency check
// on the PPRF and noisy VOLE) is not implemented; a malicious party can
// make the outputs inconsistent or, for the sender, learn a predicate of
// the α_j by selective failure.
//
// Rounds: the OT set-up (base OTs one flight each way at once; then
// receiver → sender the SoftSpoken corrections), receiver → sender the COT
// columns (one flight), sender → receiver the PPRF sums and γ (one flight).
// Bytes at the defaults, besides 4-byte frames: receiver → sender 32 (base
// OT) + 3,584 (SoftSpoken k = 8) + 31 (header) + 2·t·(128 + d) rounded up
// to whole 128-OT blocks; sender → receiver 8,192 (base OT) +
// 16·t·(2d + 1). For n = 2^20 (d = 13): 143,699 and 222,472 bytes
// (measured, bench/vole_bench.cc; 109 ms for both parties on 2 cores).
//
// What each party learns: the receiver A, C and nothing about Δ; the sender
// Δ, B and nothing about C; both learn n and the parameters. No branch or
// memory index depends on Δ, the α_j, the c_j or any output.
#ifndef LIAISON_OT_SILENT_VOLE_H_
#define LIAISON_OT_SILENT_VOLE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "crypto/block.h"
#include "crypto/prng.h"
#include "net/channel.h"
#include "ot/lpn/ex_conv_code.h"
#include "ot/pprf.h"
#include "ot/secret_blocks.h"

namespace liaison::ot {

// kSilentVoleNoiseWeight is the default t (see the file comment).
inline constexpr size_t kSilentVoleNoiseWeight = 496;

// SilentVoleParams are public and must be equal on both sides.
struct SilentVoleParams {
  // noise_weight is t, the number of noise positions (PPRF trees). At
  // least 1; lowering it below the default lowers security.
  size_t noise_weight = kSilentVoleNoiseWeight;
  // expansion is N / n before rounding N up to whole sections. At least 2.
  uint64_t expansion = 2;
  // expander_weight, accumulator_window and code_seed select the ExConv
  // code (ot/lpn/ex_conv_code.h).
  uint32_t expander_weight = 7;
  uint32_t accumulator_window = 24;
  crypto::Block code_seed = kDefaultExConvSeed;
  // softspoken_k is the OT extension's k (1..8).
  int softspoken_k = 8;
  // num_threads for the OT extension, the PPRF trees and the encoding;
  // 2 suits two parties sharing one 2-core machine.
  int num_threads = 2;
};

// SilentVoleSenderOutput is the sender's side: Δ and B.
struct SilentVoleSenderOutput {
  SecretBlock delta;
  SecretBlocks b;
};

// SilentVoleReceiverOutput is the receiver's side: A and C, A = B ⊕ C·Δ.
struct SilentVoleReceiverOutput {
  SecretBlocks a;
  SecretBlocks c;
};

// SilentVoleSender holds Δ. Not thread-safe; one object may serve several
// Run calls (each is an independent VOLE with a fresh Δ).
class SilentVoleSender {
 public:
  explicit SilentVoleSender(SilentVoleParams params = {}) : params_(params) {}

  // Run produces n ≥ 1 correlations; Δ is drawn from `prng` (as the OT
  // extension's Δ; a caller-chosen Δ is not supported). Errors:
  // InvalidArgument for n = 0, parameters out of range or N ≥ 2^32;
  // DataLoss / FailedPrecondition for a malformed or mismatched peer
  // message (OT extension); Unavailable if the peer closed the channel;
  // other transport errors as the channel gives them.
  absl::StatusOr<SilentVoleSenderOutput> Run(net::Channel& channel, size_t n,
                                             crypto::Prng& prng) const;

 private:
  SilentVoleParams params_;
};

// SilentVoleReceiver gets A and C. Not thread-safe.
class SilentVoleReceiver {
 public:
  explicit SilentVoleReceiver(SilentVoleParams params = {}) : params_(params) {}

  // Run produces n ≥ 1 correlations. Errors as SilentVoleSender::Run;
  // DataLoss if the sender's PPRF message has the wrong length.
  absl::StatusOr<SilentVoleReceiverOutput> Run(net::Channel& channel, size_t n,
                                               crypto::Prng& prng) const;

 private:
  SilentVoleParams params_;
};

// SilentVoleSectionSize returns D, the leaves per noise section, for n
// outputs (0 if the parameters are out of range).
size_t SilentVoleSectionSize(const SilentVoleParams& params, size_t n);

}  // namespace liaison::ot

#endif  // LIAISON_OT_SILENT_VOLE_H_
