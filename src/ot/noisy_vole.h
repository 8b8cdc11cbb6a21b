// Noisy (base) VOLE over GF(2^128) from correlated OT: the few VOLE
// correlations a silent VOLE needs for its noise values.
//
// Papers: Gilboa, "Two Party RSA Key Generation" (Crypto 1999) — products
// from bit-wise OT; here in the correlated-OT form of Weng, Yang, Katz,
// Wang, "Wolverine" (S&P 2021, §3, "sVOLE from COT") and of libOTe's
// NoisyVoleSender/Receiver, which turns 128 correlated OTs with the global
// Δ of OT extension into one GF(2^128) VOLE correlation.
//
// The construction. OT extension (ot/ot_extension.h) gives, for each OT i,
// the extension sender q_i and the extension receiver t_i = q_i ⊕ b_i·Δ,
// where Δ is the sender's 128-bit secret, read as a GF(2^128) element. The
// VOLE receiver is the OT-extension receiver and picks the choice bits of
// 128 consecutive OTs 128·j .. 128·j + 127 to be the 128 bits of its field
// element c_j (bit k = coefficient of x^k, crypto/gf128.h). Then with the
// gadget g = (1, x, x^2, ..., x^127)
//
//   a_j = Σ_k x^k·t_{128j+k} = Σ_k x^k·q_{128j+k} ⊕ (Σ_k b_{128j+k}·x^k)·Δ
//       = b_j ⊕ c_j·Δ,
//
// so the receiver holds (a_j, c_j), the sender b_j = Σ_k x^k·q_{128j+k}
// and Δ: the correlation A = B ⊕ C·Δ of silent_vole.h. Because crypto::SecretBits
// packs bit i of the choice vector as bit i % 128 of block i / 128, c_j is
// exactly block j of the choice bits. This is the cheap way: the VOLE
// sender is the OT-extension sender (the bits of Δ are its base-OT
// choices), nothing is sent beyond the OT extension itself, and the cost is
// 128 COTs (16/softspoken_k bytes each) and 128 carry-less products per
// element on each side. The chosen-message Gilboa of libOTe's NoisyVole
// would send 16 bytes per OT more.
//
// Security model: that of the OT extension used. Semi-honest: the sender
// learns nothing about c_j (the COT hides the choice bits), the receiver
// nothing about Δ. With a malicious OT extension a malicious receiver can
// still choose inconsistent bits, which only means choosing another c_j: the
// correlation a_j = b_j ⊕ c_j·Δ holds for the c_j the bits spell, so this
// layer adds no check of its own (the leaky-Δ caveat of ot_extension.h's
// malicious COT applies).
//
// Rounds and bytes: those of one OtExtension ExtendCot of 128·m OTs (one
// flight receiver → sender, 16·128·m/softspoken_k bytes plus headers), after
// a SetUp. What each party learns: the receiver a_j (and its own c_j), the
// sender b_j (and its Δ); both learn m.
#ifndef LIAISON_OT_NOISY_VOLE_H_
#define LIAISON_OT_NOISY_VOLE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/prng.h"
#include "net/channel.h"
#include "ot/ot_extension.h"
#include "crypto/secret_blocks.h"

namespace liaison::ot {

using crypto::Block;

// kNoisyVoleOtsPerElement is the number of correlated OTs per VOLE element.
inline constexpr size_t kNoisyVoleOtsPerElement = 128;

// NoisyVoleCombine sets out[j] = Σ_k x^k·cot[128·j + k] for every j: the
// sender's b_j from its q_i, the receiver's a_j from its t_i. cot.size()
// must be 128·out.size() (the process aborts otherwise: a caller bug).
// Constant time; `out` must not overlap `cot`.
void NoisyVoleCombine(absl::Span<const Block> cot, absl::Span<Block> out);

// NoisyVoleSender is the party holding Δ: the OT-extension sender.
class NoisyVoleSender {
 public:
  // Run extends 128·num_elements correlated OTs over `ot` (which must be
  // set up, with the same parameters as the receiver's) and returns the
  // b_j; Δ is ot.delta(). Errors: those of OtExtensionSender::ExtendCot.
  absl::StatusOr<crypto::SecretBlocks> Run(net::Channel& channel, OtExtensionSender& ot,
                                   size_t num_elements, crypto::Prng& prng) const;
};

// NoisyVoleReceiver is the party holding the c_j: the OT-extension
// receiver.
class NoisyVoleReceiver {
 public:
  // Run returns a_j = b_j ⊕ c_j·Δ for the receiver's `c` (any elements,
  // zero allowed). `ot` must be set up. Errors: those of
  // OtExtensionReceiver::ExtendCot.
  absl::StatusOr<crypto::SecretBlocks> Run(net::Channel& channel, OtExtensionReceiver& ot,
                                   const crypto::SecretBlocks& c, crypto::Prng& prng) const;

  // ChoiceBits returns the 128·c.size() OT choice bits that spell `c`.
  static crypto::SecretBits ChoiceBits(absl::Span<const Block> c);
};

}  // namespace liaison::ot

#endif  // LIAISON_OT_NOISY_VOLE_H_
