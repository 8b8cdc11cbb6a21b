// InsecureNoiseFreeAggregate makes a psi::PrivateAggregate that adds NO
// noise, so that tests can check the aggregates are exact. It exists only
// here, under tests/testing/: nothing in src/ can reach the noise-free
// constructor, and its header announces "no noise", which every normal
// PrivateAggregate refuses (FailedPrecondition) before any PSI message.
#ifndef LIAISON_TESTS_TESTING_INSECURE_AGGREGATE_H_
#define LIAISON_TESTS_TESTING_INSECURE_AGGREGATE_H_

#include <utility>

#include "psi/private_aggregate.h"

namespace liaison::testing {

class InsecureNoiseFreeAggregate {
 public:
  // Make returns a PrivateAggregate with `params` that draws and adds no
  // noise. Tests only.
  static psi::PrivateAggregate Make(psi::PrivateAggregateParams params) {
    return psi::PrivateAggregate(std::move(params), /*insecure_noise_free=*/true);
  }
};

}  // namespace liaison::testing

#endif  // LIAISON_TESTS_TESTING_INSECURE_AGGREGATE_H_
