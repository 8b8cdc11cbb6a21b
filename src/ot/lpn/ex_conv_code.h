// The Expand-Convolute (ExConv) code: the public, fast linear compression map
// of silent (pseudorandom-correlation) VOLE and OT under the dual-LPN
// assumption. Both parties expand short seeds (GGM punctured PRFs) into a
// long vector that is sparse regular noise plus a correlation, and compress
// it with this code into the pseudorandom VOLE / OT correlations.
//
// Paper: Raghuraman, Rindal, Tanguy, "Expand-Convolute Codes for
// Pseudorandom Correlation Generators from LPN" (Crypto 2023, eprint
// 2023/882). The construction follows libOTe's ExConvCode
// (osu-crypto/libOTe, libOTe/Tools/ExConvCode/), including two features of
// its current version beyond the uniform-expander, single-convolution code
// its own header describes: about half of the expander's taps are
// "regular" (one per region, below), and the convolution is applied twice
// with independent coefficients (libOTe: it "guards against a weakness when
// the expander expands into a small region", e.g. near the end, where one
// pass mixes little). It was written from that description, not copied; its
// pseudorandom choices come from AES-128 in counter mode (crypto/aes.h), so
// it is NOT bit-compatible with libOTe: both parties must run this code.
//
// The map. Let x be the n-element input (elements of GF(2), GF(2)^8 or
// GF(2^128); addition is XOR), k the message size, m = n - k, and
// d = x[k, n) (the "parity" part). DualEncode computes in place
//
//   y[i] = x[i] ⊕ Σ_{j < W} d''[idx(i, j)]     for i in [0, k),
//
// where d'' = Conv_2(Conv_1(d)) and idx is the expander (both below). This
// is y = G·x for the systematic k × n binary matrix G = [I_k | B·A_2·A_1]
// (B the k × m expander, A_p the m × m convolutions), i.e. the transpose of
// the ExConv generator matrix applied to x, which is what dual-LPN needs.
// Because G is a binary matrix the map is GF(2)-linear and commutes with
// multiplication by any field element: G·(a ⊕ b) = G·a ⊕ G·b and
// G·(x·Δ) = (G·x)·Δ, so a VOLE correlation c = b ⊕ a·Δ (a in GF(2)^n or
// GF(2^128)^n) becomes G·c = G·b ⊕ (G·a)·Δ, and the bit and block forms of
// the same code agree (a subfield VOLE / COT stays correlated).
//
// Convolution p (p = 1, 2), window w (accumulator_window) and
// w' = min(w, m - 2) (= w whenever m ≥ w + 2; the convolution is the
// identity when m ≤ 1):
//
//   for i = 0, 1, ..., m - 1 in order:
//     for t = 1..w': if c_p(i, t) = 1: d[(i + t) mod m] ^= d[i]
//     d[(i + w' + 1) mod m] ^= d[i]
//
// a banded recursive ("convolutional", as in recursive convolutional codes)
// accumulation whose fixed last diagonal keeps the chain connected, and
// whose last rows wrap around to the start so that no position is weakly
// mixed. The coefficient c_p(i, t) is bit t - 1 of the little-endian 32-bit
// word i of stream p (below).
//
// Expander: each output i has W = expander_weight (7) taps. With
// R = W - floor(W / 2) and region size s = floor(m / R): if s ≥ 1, tap j < R
// is regular, idx(i, j) = j·s + floor(u·s / 2^32), one tap in each of the
// R equal regions of d (libOTe's regularExpander); the other taps, and all
// taps if s = 0, are uniform,
// idx(i, j) = floor(u·m / 2^32). Here u is the little-endian 32-bit word
// i·W + j of stream 3. Taps may repeat; a repeated tap cancels (XOR), as in
// libOTe.
//
// Streams: stream s (s = 1, 2, 3) is AES-128 in counter mode,
// AES_{K_s}(Block(0, 0)) || AES_{K_s}(Block(0, 1)) || ... (the
// crypto::Aes128::EncryptCounter keystream from 0), under the key
// K_s = AES_seed(Block(s, 0)) (Block(hi, lo) as in crypto/block.h), where
// seed is the public seed of the code. The whole map is a deterministic
// public function of (k, n, W, w, seed); nothing here is secret except the
// vectors it is applied to.
//
// Parameters for 128-bit security. The paper's named instances, used by
// libOTe as MultType::ExConv7x24 (libOTe's default) and ExConv21x24:
// rate 1/2 (n = 2k), convolution window 24, expander weight 7 (fast) or 21
// (conservative). libOTe (libOTe/Tools/ExConvCode and ConfigureCode.cpp)
// estimates their relative pseudo-minimum distance as 0.15 and 0.20 and
// sets the regular noise weight (number of PPRF points) to
// t = -λ / log2(1 - 2·δ), at least 40 (64 if n < 512), rounded up to a
// multiple of 8: t = 248 (ExConv7x24) and t = 176 (ExConv21x24) for
// λ = 128 (libOTe/Tools/ConfigureCode: getRegNoiseWeight, ExConvConfigure).
// Its noise vector then has n = t·s elements, s = max(4, ceil(2k / t)
// rounded up to even) the PPRF domain size, not exactly 2k: pass that n as
// code_size. The defaults of ExConvParams are ExConv7x24. Those figures
// assume n ≥ 2k; the code accepts any n > k.
//
// GF(2^128) caution, for the VOLE author: with a binary G and noise in
// GF(2^128), any GF(2)-linear projection GF(2^128) → GF(2) maps the instance
// to a binary dual-LPN instance whose noise keeps each nonzero position with
// probability 1/2. libOTe therefore multiplies by a fixed field constant
// inside its convolution when it runs a full GF(2^128) VOLE (CoeffCtxGF128::
// mulConst in libOTe/Tools/CoeffCtx.h), which this binary code does not do
// (it must not, for the bit and subfield forms to agree). Choose the noise
// weight with that in mind.
//
// Cost. A convolution pass is sequential; it runs on 8-row tiles with
// AVX-512 GFNI affine transforms where the CPU has them (each tile's 8×8
// GF(2) mixing matrices are built once and applied to all 128 bit planes of
// the blocks at once: about 0.7 ns per row and pass), and a portable
// row-by-row loop otherwise (about 10 ns); both give identical results
// (LIAISON_NO_AVX512=1 forces the portable loop). The expander dominates:
// W random reads per output spread over the whole parity part, bound by
// cache and memory latency (about 1 ns per read while the parity part fits
// in the last-level cache, 2-3 ns beyond); it runs on `num_threads` threads
// over output ranges, one vector after the other. A pair of vectors uses one
// thread per vector for the convolutions. Coefficients and taps are
// regenerated with AES in L1-sized batches (about 1.3 ns per output);
// storing the taps instead would take 4·W bytes per output for no measured
// gain. Memory: the bit forms copy the n - k parity bits; beyond that, a
// few tens of KiB per thread. Figures: bench/lpn_bench.cc; on the 2-core
// development machine (AMD EPYC, AVX-512 GFNI), k = 2^20, n = 2k: about
// 9 ms for one block vector on one thread (6 ms on two), 20 ms (13 ms) for
// a pair, 6.5 ms (4 ms) for bits. Allocating the vectors on huge pages
// (MADV_HUGEPAGE before first touch) saved a further 12% at k = 2^22.
#ifndef LIAISON_OT_LPN_EX_CONV_CODE_H_
#define LIAISON_OT_LPN_EX_CONV_CODE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/block.h"

namespace liaison::ot {

// kDefaultExConvSeed is the public seed of the code when none is given: the
// 16 bytes "liaison/ExConv/1" (Block(hi, lo), little-endian words). Any
// fixed value chosen without knowledge of a weakness will do (libOTe fixes
// one too); changing it changes every VOLE/OT output, so both parties must
// use the same one.
inline constexpr crypto::Block kDefaultExConvSeed{0x312f766e6f437845,
                                                  0x2f6e6f736961696c};

// ExConvParams are the public parameters of an ExConv code. The defaults are
// ExConv7x24 at rate 1/2.
struct ExConvParams {
  // num_messages is k, the number of outputs (correlations). At least 1.
  uint64_t num_messages = 0;
  // expansion is n / k when code_size is 0. At least 2.
  uint64_t expansion = 2;
  // code_size is n, the input (noise vector) length; 0 means
  // expansion · num_messages. Must exceed num_messages and be below 2^32.
  uint64_t code_size = 0;
  // expander_weight is W, the taps per output; 1 to 255.
  uint32_t expander_weight = 7;
  // accumulator_window is w, the random band of each convolution; 0 to 31.
  uint32_t accumulator_window = 24;
  // seed selects the code (public).
  crypto::Block seed = kDefaultExConvSeed;
};

// ExConvCode is a configured code. It is immutable after Create and
// thread-safe: any number of threads may encode with one instance at once.
class ExConvCode {
 public:
  // Create checks `params` and returns the code, or InvalidArgument naming
  // the parameter that is out of range.
  static absl::StatusOr<ExConvCode> Create(const ExConvParams& params);

  // num_messages is k, the length of the output prefix.
  uint64_t num_messages() const { return k_; }
  // code_size is n, the length of the vectors encoded.
  uint64_t code_size() const { return n_; }
  uint32_t expander_weight() const { return weight_; }
  uint32_t accumulator_window() const { return window_; }
  const crypto::Block& seed() const { return seed_; }

  // DualEncode replaces x[0, k) by G·x (see the file comment). x has
  // exactly n elements, else InvalidArgument and x is untouched. x[k, n) is
  // left holding intermediate values (as secret as x; truncate or wipe it).
  // The expander uses up to `num_threads` threads (the caller's included).
  absl::Status DualEncode(absl::Span<crypto::Block> x,
                          int num_threads = 1) const;

  // DualEncodePair applies DualEncode to x and y (n elements each), the
  // VOLE receiver's noise and correlation vectors. On one thread both go
  // through each convolution pass together (coefficients and tile matrices
  // built once); on two or more the two convolutions run in parallel. The
  // expander then does one vector after the other (one vector's parity part
  // at a time is the cache-friendlier working set). x and y must not
  // overlap.
  absl::Status DualEncodePair(absl::Span<crypto::Block> x,
                              absl::Span<crypto::Block> y,
                              int num_threads = 1) const;

  // DualEncodeBits is DualEncode on a GF(2) vector of n bits packed
  // little-endian (element i is bit i % 8 of byte i / 8, as libOTe's
  // BitVector and the OT choice bits): `bits` has exactly ceil(n / 8) bytes.
  // Bits [0, k) become G·x; bits [k, n) are left unspecified; padding bits
  // past n in the last byte are not changed.
  absl::Status DualEncodeBits(absl::Span<uint8_t> bits,
                              int num_threads = 1) const;

  // DualEncodeBitsAndBlocks encodes a packed GF(2) vector and a block
  // vector with the same code, as DualEncodePair does two block vectors:
  // the subfield-VOLE / COT receiver's noise bits and correlated blocks.
  // Sizes as for DualEncodeBits and DualEncode.
  absl::Status DualEncodeBitsAndBlocks(absl::Span<uint8_t> bits,
                                       absl::Span<crypto::Block> blocks,
                                       int num_threads = 1) const;

  // DualEncodeBytes is DualEncode on n bytes, each an element of GF(2)^8
  // (eight independent GF(2) lanes; a 0/1 byte is a GF(2) element). It runs
  // the portable code only: pack single bits and use DualEncodeBits where
  // speed matters.
  absl::Status DualEncodeBytes(absl::Span<uint8_t> x,
                               int num_threads = 1) const;

 private:
  ExConvCode() = default;

  uint64_t k_ = 0;
  uint64_t n_ = 0;
  uint32_t weight_ = 0;
  uint32_t window_ = 0;
  crypto::Block seed_;
};

}  // namespace liaison::ot

#endif  // LIAISON_OT_LPN_EX_CONV_CODE_H_
