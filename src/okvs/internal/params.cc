#include "okvs/internal/params.h"

#include <algorithm>
#include <cmath>

namespace liaison::okvs::internal {

double SparseExpansion(double n, int weight, int ssp) {
  if (weight == 2) return 2.0;
  const double log_n = std::log2(n);
  const double log_w = std::log2(static_cast<double>(weight));
  double transition;  // e*, where the linear trend lines meet λ = -9.2
  if (weight == 3) {
    transition = 1.223;
  } else if (weight == 4) {
    transition = 1.293;
  } else {
    transition = 0.1485 * weight + 0.6845;
  }
  const double log_slope = 0.555 * log_n + 0.093 * std::pow(log_w, 3) -
                           1.01 * std::pow(log_w, 2) + 2.925 * log_w - 0.133;
  const double slope = std::exp2(log_slope);  // λ per unit of e
  // λ = slope * e + b, through (e*, -9.2).
  const double intercept = -9.2 - slope * transition;
  return (ssp - intercept) / slope;
}

uint64_t GapBound(double n, double expansion, int weight, int ssp) {
  if (weight == 2) {
    const double alpha = 7.529 / (std::log2(n) - 2.556) + 0.61;
    return static_cast<uint64_t>(std::ceil(ssp / alpha + 1.9));
  }
  return static_cast<uint64_t>(
      std::floor(ssp / ((weight - 2) * std::log2(expansion * n))));
}

double Log2BinOverflow(uint64_t num_items, uint64_t num_bins, uint64_t capacity) {
  if (capacity >= num_items) return -INFINITY;  // cannot overflow
  if (num_bins <= 1) return 0.0;                // the one bin holds them all
  const double n = static_cast<double>(num_items);
  const double p = 1.0 / static_cast<double>(num_bins);
  const double log_p = std::log(p);
  const double log_q = std::log1p(-p);
  // Terms k = capacity + 1, capacity + 2, ... by the ratio
  // pmf(k + 1) / pmf(k) = (n - k) / (k + 1) * p / q, scaled by the first
  // term; they fall geometrically once k is past the mean.
  double k = static_cast<double>(capacity + 1);
  const double log_first = std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1) +
                           k * log_p + (n - k) * log_q;
  double sum = 0.0;
  double term = 1.0;
  const double ratio_pq = p / (1.0 - p);
  for (uint64_t i = capacity + 1; i <= num_items; ++i) {
    sum += term;
    const double kk = static_cast<double>(i);
    term *= (n - kk) / (kk + 1) * ratio_pq;
    if (term < sum * 1e-18) break;
  }
  return (log_first + std::log(sum)) / std::log(2.0) + std::log2(static_cast<double>(num_bins));
}

uint64_t BinCapacity(uint64_t num_items, uint64_t num_bins, int sec) {
  if (num_bins <= 1) return num_items;
  const double target = -static_cast<double>(sec);
  // The mean is a lower bound and num_items an upper bound; the overflow
  // probability falls monotonically in between.
  uint64_t lo = num_items / num_bins;
  uint64_t hi = num_items;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (Log2BinOverflow(num_items, num_bins, mid) <= target) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

}  // namespace liaison::okvs::internal
