// Cuckoo hashing (receiver) and simple hashing (sender) of 128-bit item
// keys into bins, for the PSI protocols with secret-shared output
// (psi/shared_output_psi.h).
//
// Each key has three distinct candidate bins h_0(k), h_1(k), h_2(k) out of
// B, derived from two AES-128 blocks of the key under a public seed (see
// CuckooHasher). Cuckoo hashing places every key of a set in one of its
// candidate bins, at most one key per bin, by random-walk insertion with a
// bounded number of evictions; there is no stash: a set that does not fit
// is an error (FailedPrecondition), never a silently dropped item.
//
// Parameters (CuckooParams::ForItems). B = max(⌈e·n⌉, min_bins) with
// e = max(1.27, (λ + log2 n + 256) / 240): the stash-less failure bound for
// three hash functions fitted experimentally by Pinkas, Schneider,
// Tkachenko, Yanai ("Efficient Circuit-based PSI with Linear
// Communication", Eurocrypt 2019, section 5; the 1.27·n bins that
// Chandran, Gupta, Shah use in "Circuit-PSI with Linear Complexity",
// PETS 2022) and, as the fit λ = 240·e − log2 n − 256, in cryptoTools'
// CuckooIndex::selectParams, which volePSI's circuit PSI uses. For λ = 40
// that is e = 1.275 at n = 2^10, 1.30 at 2^16, 1.317 at 2^20 and 1.325 at
// 2^22. The fit is for large n; small sets are governed by small
// configurations (k keys whose 3k candidates fall in fewer than k bins),
// which distinct candidate bins rule out for k ≤ 3 and which min_bins =
// 512 bounds below 2^-42 for k = 4 (about 9·n^4/B^9) and k = 5 at the
// sizes where the minimum applies (n ≤ 403).
//
// Side channels: the placement depends on the receiver's own keys only
// (and on the public seed); the memory accesses of insertion reveal
// nothing to the peer, which never sees them.
#ifndef LIAISON_PSI_INTERNAL_CUCKOO_H_
#define LIAISON_PSI_INTERNAL_CUCKOO_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/aes.h"
#include "crypto/block.h"

namespace liaison::psi::internal {

// kNumCuckooHashes is the number of candidate bins per key.
inline constexpr int kNumCuckooHashes = 3;

struct CuckooParams {
  uint64_t num_items = 0;
  uint64_t num_bins = 0;

  // ForItems returns B for `num_items` keys at statistical security `ssp`.
  // `expansion` > 0 replaces e (tests use tiny values to make insertion
  // fail); `min_bins` is the floor (at least 3).
  static CuckooParams ForItems(uint64_t num_items, int ssp = 40, double expansion = 0,
                               uint64_t min_bins = 512);
};

// CuckooHasher maps keys to their three distinct candidate bins out of
// num_bins ≥ 3: with a = AES_s(k) and b = AES_s(k ⊕ 1) under the seed s,
// h_0 = ⌊a.lo·B / 2^64⌋, h_1 from a.hi over the B − 1 other bins and h_2
// from b.lo over the remaining B − 2 (multiply-shift ranges; their bias
// is below B / 2^64). Thread-safe.
class CuckooHasher {
 public:
  CuckooHasher(const crypto::Block& seed, uint64_t num_bins);

  // Bins sets out[3i + j] = h_j(keys[i]) (out has 3·keys.size() entries),
  // on `num_threads` threads.
  void Bins(absl::Span<const crypto::Block> keys, absl::Span<uint32_t> out,
            int num_threads) const;

 private:
  crypto::Aes128 aes_;
  uint64_t num_bins_;
};

// kEmptyBin marks a bin without a key in a CuckooTable.
inline constexpr uint64_t kEmptyBin = ~uint64_t{0};

// CuckooInsert places keys[i] (candidates bins[3i..3i+2]) into a table of
// num_bins bins: entry b is 4·i + j if key i sits in bin b = h_j, or
// kEmptyBin. `walk_seed` drives the random walk. Errors: InvalidArgument
// if two keys are equal (okvs::DuplicateKeysError); FailedPrecondition if some key could not be
// placed within max_evictions evictions (the set does not fit this
// table: probability ≤ 2^-ssp at the default parameters).
absl::StatusOr<std::vector<uint64_t>> CuckooInsert(absl::Span<const crypto::Block> keys,
                                                   absl::Span<const uint32_t> bins,
                                                   uint64_t num_bins, uint64_t walk_seed,
                                                   size_t max_evictions = 1000);

}  // namespace liaison::psi::internal

#endif  // LIAISON_PSI_INTERNAL_CUCKOO_H_
