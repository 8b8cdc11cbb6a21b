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
// libOTe's SilentVoleSender/Receiver (and its malicious check, below). Written from those
// descriptions, not copied.
//
// Construction. With t noise positions (noise_weight) and N = t·D
// (D = max(2, ceil(expansion·n / t)) leaves per section):
//  1. One OT-extension set-up (ot/ot_extension.h, SoftSpoken, semi-honest
//     or malicious as the mode);
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
// ConfigureCode estimates its relative minimum distance as δ = 0.15
// (ot/lpn/ex_conv_code.h). The noise weight follows the standard
// linear-test estimate, written for the noise we really have. The ExConv
// code here is binary (libOTe multiplies by a field constant in the
// convolution for GF(2^128) VOLE; ours must stay binary for the bit and
// subfield forms to agree), and the noise is GF(2^128)-valued, so the
// attacker's best linear test is a GF(2)-linear one: a test vector of
// relative weight δ hits the noise position of a regular section with
// probability δ, and a hit makes the tested bit uniform (a nonzero
// GF(2^128) value projects to a uniform bit) instead of flipping it. Each
// section keeps a bias of 1 − δ (binary noise: 1 − 2δ), and the t sections
// together (1 − δ)^t, so the estimate is
//     λ = −t·log2(1 − δ)
// bits (SilentVoleLinearTestBits). For λ ≥ 128 at δ = 0.15, t ≥ 545.9: we
// use t = 552 (a multiple of 8), 129.4 bits. (The earlier t = 496 = 2·248,
// chosen by halving t under the binary formula −t·log2(1 − 2δ), gives only
// 116.3 bits by this estimate.) SoftSpoken k = 8 for the t·(128 + d) base
// COTs (2 bytes per OT).
//
// Security models (SilentVoleParams::malicious; both sides must agree).
//
// Semi-honest (the default): LPN as above, the OT extension's semi-honest
// security, GGM with fixed-key AES as random permutations, TCCR hash. A
// cheating party can make the outputs inconsistent undetected or, as the
// sender, learn a predicate of the α_j by selective failure.
//
// Malicious (the consistency check of Ferret / Wolverine as libOTe's
// SilentVoleSender/Receiver run it with SilentSecType::Malicious; Yang,
// Weng, Lan, Zhang, Wang, "Ferret" (CCS 2020, §4) — written from those
// descriptions, not copied). Three changes:
//  a. The OT extension runs in its malicious mode (ot/ot_extension.h:
//     SoftSpoken's malicious protocol with the revised KOS check, same k):
//     the VOLE sender, as the OT-extension sender, checks the receiver's
//     columns and fails with DataLoss if they are inconsistent.
//  b. The receiver draws a challenge x ∈ GF(2^128) up front and makes the
//     noisy VOLE one element longer: c* = Σ_j x^(pos_j + 1)·c_j with
//     pos_j = j·D + α_j, giving a* = b* ⊕ c*·Δ (128 more COTs).
//  c. After the sender's PPRF message (sums and γ, which fix its B̂), the
//     receiver reveals x; the sender answers H(Σ_i x^(i+1)·B̂_i ⊕ b*) over
//     the N pre-encoding positions, and the receiver compares it in
//     constant time with H(Σ_i x^(i+1)·Â_i ⊕ a*), failing with DataLoss on
//     a mismatch. H is SHA-256 with a domain label (a random oracle).
// Honest parties agree because Σ x^(i+1)·Ĉ_i = c*, so the Δ terms cancel.
//
// What the check guarantees (the receiver is the checking side). The
// sender's messages (level sums and γ_j) fix, for every possible choice of
// the α_j, the receiver's Â(α); write Â(α) = B̂ ⊕ Ĉ(α)·Δ ⊕ E(α), where B̂ is
// what an honest sender with the same roots would hold and E(α) the error
// its deviation causes (E = 0 for an honest sender). The receiver accepts
// iff the answer is H(Σ_i x^(i+1)·B̂_i ⊕ b* ⊕ Σ_i x^(i+1)·E_i(α)); the
// sender knows everything in it but α, and E was fixed before x was
// revealed, so for two α with different E(α) the two sums are distinct
// polynomials of degree ≤ N + 1 in x and agree with probability at most
// (N + 1)/2^128. The sender can therefore bet on one error pattern E* and
// passes exactly when E(α) = E* (up to that probability and the 2^-128 of
// guessing a SHA-256 output); then A = B ⊕ C·Δ holds for the receiver's
// own C and the sender's B' = B̂ ⊕ E* (encoded), which it knows. The
// deviation that survives is selective failure: the sender learns one
// predicate P(α_1..α_t) = [E(α) = E*] of its choice (for example, a wrong
// sum on one level of one tree is harmless iff that path goes the other
// way), and is caught with probability 1 − Pr[P]: learning k bits about
// the noise positions costs a 1 − 2^-k chance of a DataLoss. The dual-LPN
// instance must stay hard under that leakage; this is the standard
// assumption of malicious Ferret / silent VOLE (Boyle et al. CCS 2019 §5;
// Ferret; libOTe), and it is why the noise weight is not lowered.
// Against a malicious receiver: the OT-extension check (a) binds it to
// consistent choice bits, up to the "leaky Δ" of ot_extension.h (it may
// learn c bits of Δ at the price of a 1 − 2^-c chance of being caught);
// its other choices (inconsistent PPRF choice bits, any c_j, a wrong c*
// or x) only choose its own noise or fail its own check. The sender's
// answer is hashed precisely so that it tells such a receiver nothing:
// unhashed, Σ x^(i+1)·B̂_i ⊕ b* = its own sum ⊕ e·Δ for an e it controls
// would reveal Δ; hashed, it only lets it test guesses of Δ offline.
// A malicious sender may still choose Δ (any value, zero included) and its
// B: as in the ideal malicious VOLE functionality, the check only
// guarantees that the receiver's (A, C) is consistent with them.
// What the check does not cover: it is one-directional. A sender that
// fails the OT-extension check closes the channel and the receiver sees
// Unavailable; a receiver whose check fails returns DataLoss and closes,
// and the sender (which has already returned) learns it only from the
// next protocol step failing.
//
// Rounds: the OT set-up (base OTs one flight each way at once; then
// receiver → sender the SoftSpoken corrections), receiver → sender the COT
// columns (one flight), sender → receiver the PPRF sums and γ (one flight).
// Malicious mode adds the OT extension's check (sender → receiver χ seed,
// receiver → sender its answer) and the VOLE check (receiver → sender x,
// sender → receiver the 32-byte answer): four flights more.
// Bytes at the defaults, besides 4-byte frames: receiver → sender 32 (base
// OT) + 3,584 (SoftSpoken k = 8) + 31 (header) + 2·t·(128 + d) rounded up
// to whole 128-OT blocks; sender → receiver 8,192 (base OT) +
// 16·t·(2d + 1). For n = 2^20 (t = 552, d = 12): 158,291 and 229,000
// bytes (bench/vole_bench.cc; times in the README).
// Malicious mode adds, receiver → sender, 2·128 bytes (the extra noisy
// element) + 256 (one more OT block of the check) + 2,064 (the OT check
// answer) + 16 (x); sender → receiver 16 (χ seed) + 32 (answer). Work: the
// check is 2 GF(2^128) products per position of N on each side (N ≈ 2n).
// At n = 2^20 (BM_SilentVoleMalicious, t = 552): 160,891 and 229,056
// bytes; times in the README.
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
#include "crypto/secret_blocks.h"

namespace liaison::ot {

using crypto::Block;

// kSilentVoleNoiseWeight is the default t (see the file comment).
inline constexpr size_t kSilentVoleNoiseWeight = 552;

// kExConv7x24MinDistance is libOTe's estimate δ of the ExConv7x24 code's
// relative minimum distance, the input of the noise-weight estimate.
inline constexpr double kExConv7x24MinDistance = 0.15;

// SilentVoleLinearTestBits is the linear-test security estimate of a
// GF(2^128)-noise dual-LPN instance with `noise_weight` regular sections
// under a binary code of relative minimum distance `min_distance`:
// −t·log2(1 − δ) (see the file comment). Public parameters only.
double SilentVoleLinearTestBits(size_t noise_weight,
                                double min_distance = kExConv7x24MinDistance);

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
  // malicious selects the malicious-secure mode (the file comment): the
  // malicious OT extension and the consistency check. Both sides must set
  // the same value; a mismatch fails in the OT extension's header check
  // (FailedPrecondition on the sender's side).
  bool malicious = false;
};

// SilentVoleSenderOutput is the sender's side: Δ and B.
struct SilentVoleSenderOutput {
  crypto::SecretBlock delta;
  crypto::UninitSecretBlocks b{0};
};

// SilentVoleReceiverOutput is the receiver's side: A and C, A = B ⊕ C·Δ.
struct SilentVoleReceiverOutput {
  crypto::UninitSecretBlocks a{0};
  crypto::UninitSecretBlocks c{0};
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
  // message (OT extension), and in malicious mode DataLoss when the
  // receiver fails the OT extension's check or sends a malformed challenge; Unavailable if the peer closed the channel;
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
  // DataLoss if the sender's PPRF message or check answer has the wrong
  // length or, in malicious mode, if the sender fails the consistency check
  // (a possible attack).
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
