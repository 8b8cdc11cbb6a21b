// How far off a noised answer can be: the 95% interval half-width of the
// noise, computed from its exact distribution. Reporting only: these
// functions use floating point (long double), and nothing they return
// feeds the samplers.
//
// The half-width h is the smallest integer with P(|N| <= h) >= 95%: the
// released value lies within ±h of the true value in at least 95% of
// releases. Both noises are symmetric around 0, so the interval is
// [true - h, true + h] around the truth and [released - h, released + h] is a
// 95% confidence interval for the truth.
//
// Two noises. In the count and sum protocol (psi/private_aggregate.h) each
// party adds its own full-strength noise to what it reveals to the other,
// so a receiver's release carries ONE noise (the peer's): report
// HalfWidth95. HalfWidth95OfTwo is for a release that carries both
// parties' noises (e.g. a value opened to a third party).
//
// How it is computed:
//  - discrete Laplace, scale b, q = exp(-1/b): P(|N| > h) = 2q^(h+1)/(1+q);
//    for the sum of two, P(|N1+N2| > h) = 2q^m((mu + q)/(1+q)^2 +
//    (1+q^2)/(1+q)^3) with m = h+1, u = 1-q (from the pmf
//    ((1-q)/(1+q))^2 q^|k| (|k| + (1+q^2)/(1-q^2))). Closed forms, any b.
//  - discrete Gaussian, σ² : the pmf exp(-x^2/2σ²)/Z summed term by term
//    for σ <= 2000; above, the tail sum by the
//    Euler-Maclaurin formula and Z = σ·sqrt(2π) (Poisson summation: exact to
//    a relative e^(-2π²σ²)). For the sum of two: the pmf of N1 + N2 is that
//    of a discrete Gaussian with variance parameter 2σ² up to a relative
//    error below 3·e^(-π²σ²) (Poisson summation again; 10^-38 at σ² = 9),
//    so for σ² >= 9 the half-width of that is used; below, an exact
//    convolution of the two pmfs.
#ifndef LIAISON_DP_INTERVAL_H_
#define LIAISON_DP_INTERVAL_H_

#include <cstdint>

#include "dp/sampler.h"

namespace liaison::dp {

// HalfWidth95 returns the smallest h >= 0 with P(|N| <= h) >= 0.95 for one
// noise N drawn with `params`.
int64_t HalfWidth95(const NoiseParams& params);

// HalfWidth95OfTwo returns the smallest h >= 0 with P(|N1 + N2| <= h) >=
// 0.95 for two independent noises drawn with `params` (one per party).
int64_t HalfWidth95OfTwo(const NoiseParams& params);

}  // namespace liaison::dp

#endif  // LIAISON_DP_INTERVAL_H_
