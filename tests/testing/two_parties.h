// Runs a two-party protocol in one process: party a on the calling thread,
// party b on its own, over a LocalPair whose ends may be wrapped (e.g. in a
// FaultyChannel) to play a failing link. Each party's end is closed when
// its function returns an error, as a process would on exit, so the other
// never waits; every end gets a timeout, so a protocol that fails to stop
// fails the test with DeadlineExceeded instead of hanging.
//
//   auto [a, b] = testing::RunPair<PsiResult>(
//       [&](net::Channel& ch) { return ProtoA(params).Run(ch, items_a, prng_a); },
//       [&](net::Channel& ch) { return ProtoB(params).Run(ch, items_b, prng_b); });
#ifndef LIAISON_TESTING_TWO_PARTIES_H_
#define LIAISON_TESTING_TWO_PARTIES_H_

#include <functional>
#include <future>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/channel.h"

namespace liaison::testing {

struct PairOptions {
  // wrap_a / wrap_b, when set, return the channel each party uses.
  std::function<std::unique_ptr<net::Channel>(std::unique_ptr<net::Channel>)> wrap_a, wrap_b;
  absl::Duration timeout = absl::Seconds(120);
};

template <typename T>
using PartyFn = std::function<absl::StatusOr<T>(net::Channel&)>;

// RunPair runs `a` and `b` concurrently and returns both results.
template <typename T>
std::pair<absl::StatusOr<T>, absl::StatusOr<T>> RunPair(const PartyFn<T>& a, const PartyFn<T>& b,
                                                        const PairOptions& options = {}) {
  auto [ca, cb] = net::LocalPair();
  if (options.wrap_a) ca = options.wrap_a(std::move(ca));
  if (options.wrap_b) cb = options.wrap_b(std::move(cb));
  ca->SetTimeout(options.timeout);
  cb->SetTimeout(options.timeout);
  auto fb = std::async(std::launch::async, [&b, ch = cb.get()] {
    absl::StatusOr<T> r = b(*ch);
    if (!r.ok()) ch->Close();
    return r;
  });
  absl::StatusOr<T> ra = a(*ca);
  if (!ra.ok()) ca->Close();
  absl::StatusOr<T> rb = fb.get();
  return {std::move(ra), std::move(rb)};
}

}  // namespace liaison::testing

#endif  // LIAISON_TESTING_TWO_PARTIES_H_
