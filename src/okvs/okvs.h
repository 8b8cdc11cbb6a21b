// Oblivious key-value store (OKVS) of Raghuraman and Rindal, "Blazing Fast
// PSI from Improved OKVS and Subfield VOLE" (CCS 2022, ePrint 2022/320),
// with the paper's clustering ("Baxos", section 2.1).
//
// Encode(keys, values) returns a vector P of m blocks with Decode(P, key_i)
// = value_i. Decoding is linear: Decode(P, k) = <row(k), P>, where row(k) is
// public given the seed and has, inside the key's bin, `weight` ones in the
// sparse part and the powers d, d^2, ..., d^ĝ of a key-dependent
// GF(2^128) element d in the dense part (the paper's "field row", which
// needs ĝ dense columns instead of ĝ + λ binary ones). RR22 PSI needs
// Decode(ΔP) = Δ·Decode(P), so the VOLE must use the same field:
// crypto/gf128.h's (x^128 + x^7 + x^2 + x + 1, bit i of a Block is the
// coefficient of x^i).
//
// Layout. Keys are hashed to num_bins bins; each bin is an independent
// PaXoS of sparse_size + dense_size cells, stored contiguously, bins one
// after the other (m = num_bins · (sparse_size + dense_size)). A decode
// reads `weight` random cells of one bin (a cache line each) and the bin's
// ĝ dense cells (one or two lines per bin, which stay cached).
//
// Parameters (OkvsParams::ForItems), for statistical security λ = ssp:
//  * bin capacity N: the smallest N with
//      num_bins · Pr[Binomial(n, 1/num_bins) > N] <= 2^-(λ+1);
//  * each bin is a PaXoS sized for N items at λ_bin = λ + 1 + ⌈log2 num_bins⌉
//    (one bin: λ_bin = λ), so that, by a union bound, Encode fails with
//    probability at most 2^-λ over the choice of seed. (volePSI bounds the
//    bins at 2^-(λ + log2 num_bins) and each PaXoS at 2^-λ, about
//    num_bins · 2^-λ in total; m differs by less than 0.1%.)
//  * weight 3: sparse_size = ⌈e·N⌉ with e from the paper's fits (equations 2
//    and 3: phase transition at e* = 1.223, slope
//    log2(λ/e) = 0.555 log2 N + 2.336), dense_size = ĝ =
//    ⌊λ_bin / log2(e·N)⌋ (section 3.2);
//  * weight 2: e = 2, ĝ = ⌈λ_bin / α + 1.9⌉ with α = 7.529/(log2 N - 2.556)
//    + 0.61 (section 3.1, equation 1);
//  * the fits hold for 2^6 <= N <= 2^30. For N < 2^6 items per bin we use
//    `weight` sparse columns and ĝ = N dense columns: the system is then a
//    Vandermonde system in the distinct d's and never fails.
// With the default 2^16 expected items per bin, m/n is 1.244 at n = 2^16,
// 1.281 at n = 2^20, 1.284 at n = 2^22 (weight 3).
//
// Duplicated keys are rejected: Encode returns InvalidArgument (two equal
// keys give two equal rows, which always end up in the unpeelable core,
// where they are detected at no cost to the common path).
//
// Side channels: encoding and decoding read and write memory at positions
// derived from the keys, as every sparse OKVS does; run them where no
// adversary shares the CPU caches.
#ifndef LIAISON_OKVS_OKVS_H_
#define LIAISON_OKVS_OKVS_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "crypto/block.h"
#include "crypto/prng.h"

namespace liaison::okvs {

// kDefaultBinItems is the expected number of items per bin that ForItems
// aims for. Larger bins waste fewer cells on the bin-capacity margin (m/n
// 1.28 at 2^16 against 1.35 at 2^14) at the cost of cache locality.
inline constexpr uint64_t kDefaultBinItems = uint64_t{1} << 16;

// OkvsParams fixes the shape of an OKVS. Both parties must use the same
// values (ForItems is deterministic in its arguments).
struct OkvsParams {
  uint64_t num_items = 0;     // n, the number of key-value pairs encoded
  int weight = 3;             // ones per row in the sparse part: 2 or 3
  int ssp = 40;               // Encode fails with probability <= 2^-ssp
  uint64_t num_bins = 1;      // independent PaXoS instances
  uint64_t bin_size = 0;      // expected items per bin, ⌈n / num_bins⌉
  uint64_t bin_capacity = 0;  // most items a bin may receive
  uint64_t sparse_size = 0;   // m', sparse cells per bin
  uint64_t dense_size = 0;    // ĝ, dense GF(2^128) cells per bin

  // bin_slots is the number of cells of one bin.
  uint64_t bin_slots() const { return sparse_size + dense_size; }
  // size is m, the number of blocks of P.
  uint64_t size() const { return num_bins * bin_slots(); }
  // expansion is m / n (0 for n = 0).
  double expansion() const;

  // Validate returns InvalidArgument unless weight is 2 or 3, ssp is in
  // [1, 128], num_items < 2^32, num_bins >= 1, weight <= sparse_size < 2^32,
  // dense_size <= 1024 and bin_capacity < 2^32.
  absl::Status Validate() const;

  // ForItems returns the parameters above for `num_items` items, about
  // `target_bin_items` items per bin. weight must be 2 or 3 and ssp in
  // [1, 128] (otherwise the result fails Validate).
  static OkvsParams ForItems(uint64_t num_items, int weight = 3, int ssp = 40,
                             uint64_t target_bin_items = kDefaultBinItems);
};

// OkvsEncode solves for P (`out`, params.size() blocks) such that
// OkvsDecode(params, seed, P, {keys[i]}) == {values[i]} for every i.
// keys and values hold params.num_items entries each; keys must be
// distinct, and are expected to be uniformly random (the caller hashes its
// items). `seed` is the public hash seed both parties agree on.
//
// The cells of P that no key pins are, without `prng`, a public
// pseudo-random fill derived from `seed` (the dense cells are zero unless
// the system needs them, except in the all-dense layout where they are
// filled too). P is then a deterministic function of (params, seed, keys,
// values), independent of num_threads, and a key that was not encoded
// decodes to a pseudo-random value; but P does not hide the keys if
// published. With `prng`, every free cell (dense ones included) is fresh
// randomness, so that for uniformly random values P is uniformly random and
// independent of the keys: the obliviousness that OPPRF-style uses need.
// `prng` is used from the calling thread only.
//
// Returns OK; InvalidArgument for invalid params, wrong span sizes or
// duplicated keys; FailedPrecondition when the random system cannot be
// solved (a bin overflows or a PaXoS fails, probability <= 2^-ssp over the
// seed): the caller retries with a fresh seed. On error `out` is
// unspecified. Uses up to `num_threads` threads (values below 1 mean 1).
// Memory besides the inputs and `out`: 32 bytes per item, plus per thread
// about 1.5 MB with the default bins (3.7 MB with `prng`).
// DuplicateKeysError is the InvalidArgument that OkvsEncode returns for
// duplicated keys, with `message`. It carries a payload that
// IsDuplicateKeysError recognises, so that a caller can reword that case
// (by returning DuplicateKeysError with its own message) and pass every
// other InvalidArgument through as it is.
absl::Status DuplicateKeysError(std::string_view message);
bool IsDuplicateKeysError(const absl::Status& status);

absl::Status OkvsEncode(const OkvsParams& params, const crypto::Block& seed,
                        absl::Span<const crypto::Block> keys,
                        absl::Span<const crypto::Block> values, absl::Span<crypto::Block> out,
                        int num_threads, crypto::Prng* prng = nullptr);

// OkvsDecode sets values[i] = Decode(okvs, keys[i]) for every i, using up
// to `num_threads` threads. Requires params.Validate() to be OK,
// okvs.size() == params.size() and keys.size() == values.size(); the
// process aborts otherwise (check the size of a P received from a peer
// first). Any key may be decoded, encoded or not.
void OkvsDecode(const OkvsParams& params, const crypto::Block& seed,
                absl::Span<const crypto::Block> okvs, absl::Span<const crypto::Block> keys,
                absl::Span<crypto::Block> values, int num_threads);

}  // namespace liaison::okvs

#endif  // LIAISON_OKVS_OKVS_H_
