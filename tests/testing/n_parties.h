// Runs an n-party protocol in one process: each party on its own thread,
// over a full mesh of LocalPairs (one pair per two parties).
//
//   auto results = testing::RunNParties<std::vector<uint64_t>>(
//       5, [&](int party, absl::Span<net::Channel* const> channels) {
//         crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + party);
//         return Proto(params).Run(party, channels, sets[party], prng);
//       });
//
// channels[party] is null; channels[j] is the party's end towards j. A test
// may wrap any end (NPartyOptions::wrap), e.g. in a FaultyChannel, to play
// a failing link. When a party's function returns an error the harness
// closes all of that party's ends at once (from its own thread, so no end is
// touched by two threads), which every peer sees as Unavailable on that
// link; a protocol that closes its own channels on error (as mpsi/ does)
// then carries the failure to everyone. Every end also gets a timeout
// (NPartyOptions::timeout), so that a protocol that fails to stop makes the
// test fail with DeadlineExceeded instead of hanging.
#ifndef LIAISON_TESTING_N_PARTIES_H_
#define LIAISON_TESTING_N_PARTIES_H_

#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/channel.h"
#include "testing/faulty_channel.h"

namespace liaison::testing {

struct NPartyOptions {
  // wrap, when set, is called once per end (from, to) before the run and
  // returns the channel party `from` uses towards `to`.
  std::function<std::unique_ptr<net::Channel>(int from, int to, std::unique_ptr<net::Channel>)>
      wrap;
  absl::Duration timeout = absl::Seconds(120);
};

// NPartyMesh holds the ends: ends[i][j] is party i's end towards j (null
// for i == j). Its byte counters stay readable after a run.
struct NPartyMesh {
  std::vector<std::vector<std::unique_ptr<net::Channel>>> ends;

  // BytesSent is everything party i sent, on all its ends.
  uint64_t BytesSent(int i) const {
    uint64_t total = 0;
    for (const auto& c : ends[i]) total += c ? c->bytes_sent() : 0;
    return total;
  }
};

inline NPartyMesh MakeMesh(int n, const NPartyOptions& options = {}) {
  NPartyMesh mesh;
  mesh.ends.resize(n);
  for (auto& row : mesh.ends) row.resize(n);
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      auto [a, b] = net::LocalPair();
      if (options.wrap) {
        a = options.wrap(i, j, std::move(a));
        b = options.wrap(j, i, std::move(b));
      }
      a->SetTimeout(options.timeout);
      b->SetTimeout(options.timeout);
      mesh.ends[i][j] = std::move(a);
      mesh.ends[j][i] = std::move(b);
    }
  }
  return mesh;
}

// RunNParties runs fn(party, channels) for every party on its own thread
// over `mesh` and returns the n results in party order.
template <typename T>
std::vector<absl::StatusOr<T>> RunNParties(
    NPartyMesh& mesh,
    const std::function<absl::StatusOr<T>(int party, absl::Span<net::Channel* const>)>& fn) {
  const int n = static_cast<int>(mesh.ends.size());
  std::vector<absl::StatusOr<T>> results(n, absl::UnknownError("party did not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      std::vector<net::Channel*> channels(n, nullptr);
      for (int j = 0; j < n; ++j) channels[j] = mesh.ends[i][j].get();
      absl::StatusOr<T> r = fn(i, channels);
      if (!r.ok()) {
        for (net::Channel* c : channels) {
          if (c != nullptr) c->Close();
        }
      }
      results[i] = std::move(r);
    });
  }
  for (std::thread& t : threads) t.join();
  return results;
}

// RunNParties with a fresh mesh of n parties.
template <typename T>
std::vector<absl::StatusOr<T>> RunNParties(
    int n, const std::function<absl::StatusOr<T>(int party, absl::Span<net::Channel* const>)>& fn,
    const NPartyOptions& options = {}) {
  NPartyMesh mesh = MakeMesh(n, options);
  return RunNParties<T>(mesh, fn);
}

// FaultOn returns options whose mesh puts party `from`'s end towards `to`
// behind a FaultyChannel injecting `fault`, with a 60 s timeout.
inline NPartyOptions FaultOn(int from, int to, Fault fault) {
  NPartyOptions o;
  o.timeout = absl::Seconds(60);
  o.wrap = [=](int f, int t, std::unique_ptr<net::Channel> c) -> std::unique_ptr<net::Channel> {
    if (f == from && t == to) return std::make_unique<FaultyChannel>(std::move(c), fault);
    return c;
  };
  return o;
}

}  // namespace liaison::testing

#endif  // LIAISON_TESTING_N_PARTIES_H_
