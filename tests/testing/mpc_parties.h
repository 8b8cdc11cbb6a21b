// Runs a two-party mpc/ computation in one process: each party on its own
// thread over LocalPair, with its OtPair set up first.
#ifndef LIAISON_TESTING_MPC_PARTIES_H_
#define LIAISON_TESTING_MPC_PARTIES_H_

#include <functional>
#include <future>
#include <utility>

#include "absl/status/statusor.h"
#include "crypto/prng.h"
#include "mpc/ot_pair.h"
#include "net/channel.h"

namespace liaison::mpc::testing {

// RunTwoParties calls fn(party, ots, channel, prng) for parties 0 and 1
// concurrently, after setting up their OtPairs (in `security` mode), and
// returns both results.
template <typename T>
std::pair<absl::StatusOr<T>, absl::StatusOr<T>> RunTwoParties(
    uint64_t seed,
    const std::function<absl::StatusOr<T>(int, OtPair&, net::Channel&, crypto::Prng&)>& fn,
    ot::Security security = ot::Security::kSemiHonest) {
  auto [c0, c1] = net::LocalPair();
  auto run = [&fn, seed, security](int party, net::Channel& ch) -> absl::StatusOr<T> {
    crypto::Prng prng = crypto::Prng::FromTestSeed(seed * 2 + party);
    ot::OtExtensionParams params = DefaultOtParams(1);
    params.security = security;
    OtPair ots(party, params);
    absl::Status st = ots.SetUp(ch, prng);
    if (!st.ok()) return st;
    return fn(party, ots, ch, prng);
  };
  auto f1 = std::async(std::launch::async, [&] { return run(1, *c1); });
  absl::StatusOr<T> r0 = run(0, *c0);
  if (!r0.ok()) c0->Close();
  absl::StatusOr<T> r1 = f1.get();
  return {std::move(r0), std::move(r1)};
}

}  // namespace liaison::mpc::testing

#endif  // LIAISON_TESTING_MPC_PARTIES_H_
