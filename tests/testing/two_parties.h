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
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/channel.h"

namespace liaison::testing {

struct PairOptions {
  // wrap_a / wrap_b, when set, return the channel each party uses.
  std::function<std::unique_ptr<net::Channel>(std::unique_ptr<net::Channel>)> wrap_a, wrap_b;
  absl::Duration timeout = absl::Seconds(120);
  // after, when set, sees both ends (as the parties used them) once both
  // returned: to read their byte and message counters.
  std::function<void(const net::Channel& a, const net::Channel& b)> after;
};

template <typename T>
using PartyFn = std::function<absl::StatusOr<T>(net::Channel&)>;

// RunOnEnds runs `a` on the calling thread over `end_a` and `b` on its own
// over `end_b` (two ends of one channel the caller keeps, e.g. across
// several runs of a session) and returns both results, as a pair of
// whatever each returns (a Status or a StatusOr). An end whose party fails
// is closed.
template <typename FA, typename FB>
auto RunOnEnds(net::Channel& end_a, net::Channel& end_b, FA&& a, FB&& b) {
  auto fb = std::async(std::launch::async, [&b, &end_b] {
    auto r = b(end_b);
    if (!r.ok()) end_b.Close();
    return r;
  });
  auto ra = a(end_a);
  if (!ra.ok()) end_a.Close();
  auto rb = fb.get();
  return std::make_pair(std::move(ra), std::move(rb));
}

// RunPair runs `a` and `b` concurrently over a new LocalPair (RunOnEnds)
// and returns both results; party b may return another type than a (an OT
// sender's and receiver's outputs).
template <typename TA, typename TB = TA>
std::pair<absl::StatusOr<TA>, absl::StatusOr<TB>> RunPair(
    const std::type_identity_t<PartyFn<TA>>& a, const std::type_identity_t<PartyFn<TB>>& b,
    const PairOptions& options = {}) {
  auto [ca, cb] = net::LocalPair();
  if (options.wrap_a) ca = options.wrap_a(std::move(ca));
  if (options.wrap_b) cb = options.wrap_b(std::move(cb));
  ca->SetTimeout(options.timeout);
  cb->SetTimeout(options.timeout);
  auto result = RunOnEnds(*ca, *cb, a, b);
  if (options.after) options.after(*ca, *cb);
  return result;
}

// Done is the result of a party whose protocol returns only a Status:
// `return Done(proto.Run(ch, ...));` makes it a PartyFn<Ok>.
struct Ok {};
inline absl::StatusOr<Ok> Done(const absl::Status& s) {
  if (!s.ok()) return s;
  return Ok{};
}

}  // namespace liaison::testing

#endif  // LIAISON_TESTING_TWO_PARTIES_H_
