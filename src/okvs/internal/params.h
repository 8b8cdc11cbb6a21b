// The parameter formulas behind okvs::OkvsParams: the expansion e and the
// gap bound ĝ fitted by Raghuraman and Rindal (CCS 2022, section 3), and the
// balls-into-bins bound that sizes the bins. Kept apart so that the tests can
// check each formula against the paper's numbers.
#ifndef LIAISON_OKVS_INTERNAL_PARAMS_H_
#define LIAISON_OKVS_INTERNAL_PARAMS_H_

#include <cstdint>

namespace liaison::okvs::internal {

// kMinFittedItems is the smallest number of items per PaXoS for which the
// paper's fits were measured (2^6). Below it OkvsParams switches to the
// all-dense layout described in okvs.h.
inline constexpr uint64_t kMinFittedItems = 64;

// SparseExpansion returns e = m'/n for a PaXoS of `n` items with row weight
// `weight` >= 3 failing with probability at most 2^-ssp, from the paper's
// equations (2) and (3): the phase-transition point (e*, -9.2) with
// e* = 1.223 (w = 3), 1.293 (w = 4), 0.1485 w + 0.6845 (w >= 5), and the
// slope log2(λ/e) = 0.555 log2 n + 0.093 w'^3 - 1.01 w'^2 + 2.925 w' - 0.133
// (w' = log2 w). For weight 2 it returns 2 (section 3.1). `n` >= 2.
double SparseExpansion(double n, int weight, int ssp);

// GapBound returns ĝ, the number of dense columns: for weight >= 3,
// floor(ssp / ((w - 2) log2(e n))) (end of section 3.2); for weight 2,
// ceil(ssp / α + 1.9) with α = 7.529 / (log2 n - 2.556) + 0.61 (equation 1).
// `n` >= kMinFittedItems.
uint64_t GapBound(double n, double expansion, int weight, int ssp);

// Log2BinOverflow returns log2 of the union bound
// num_bins * Pr[Binomial(num_items, 1/num_bins) > capacity], the
// probability that some bin receives more than `capacity` of `num_items`
// uniformly hashed items. Exact binomial terms, summed in log space.
double Log2BinOverflow(uint64_t num_items, uint64_t num_bins, uint64_t capacity);

// BinCapacity returns the smallest capacity with
// Log2BinOverflow(num_items, num_bins, capacity) <= -sec.
uint64_t BinCapacity(uint64_t num_items, uint64_t num_bins, int sec);

}  // namespace liaison::okvs::internal

#endif  // LIAISON_OKVS_INTERNAL_PARAMS_H_
