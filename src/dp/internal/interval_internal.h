// The pieces of dp/interval.h, exposed for its tests: each computes the
// smallest h >= 0 with P(|noise| <= h) >= `level` (e.g. 0.95L).
#ifndef LIAISON_DP_INTERNAL_INTERVAL_INTERNAL_H_
#define LIAISON_DP_INTERNAL_INTERVAL_INTERNAL_H_

#include <cstdint>

namespace liaison::dp::internal {

// kGaussianSumLimit is the largest σ for which the discrete Gaussian pmf is
// summed term by term (about 14·σ terms); above it the tail comes
// from the Euler-Maclaurin formula.
inline constexpr long double kGaussianSumLimit = 2000;

// LaplaceHalfWidth is for one (num_noises == 1) or the sum of two
// (num_noises == 2) discrete Laplace noises of scale `scale`, closed form.
int64_t LaplaceHalfWidth(long double scale, int num_noises, long double level);

// GaussianHalfWidthBySum sums the discrete Gaussian pmf term by term.
int64_t GaussianHalfWidthBySum(long double sigma2, long double level);

// GaussianHalfWidthByIntegral uses the Euler-Maclaurin tail sum and
// Z = σ·sqrt(2π); for σ above a few hundred it agrees with the sum.
int64_t GaussianHalfWidthByIntegral(long double sigma2, long double level);

// GaussianPairHalfWidthByConvolution convolves two discrete Gaussian pmfs
// (O(σ²) work: for small σ).
int64_t GaussianPairHalfWidthByConvolution(long double sigma2,
                                           long double level);

}  // namespace liaison::dp::internal

#endif  // LIAISON_DP_INTERNAL_INTERVAL_INTERNAL_H_
