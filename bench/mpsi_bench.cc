// Multi-party PSI benchmarks (mpsi/mpsi.h): all n parties in one process,
// each on its own thread over a full mesh of LocalPairs, sharing the
// machine's cores (the figure the targets are stated for).
// Reports wall seconds, bytes sent by the leader and by the busiest member,
// their total, the process's core seconds and its peak RSS (all parties
// and their inputs; run one size per process for a per-size figure).
//
//   BM_MpsiIntersection/n/log2m: n parties with 2^log2m items each, a
//   quarter of them common to all, the rest distinct.
//   BM_Quorum/n/log2m/t: the same sets, over-threshold PSI with threshold t.
//   BM_QuorumCount/n/log2m/t: the same, count-only (no noise: drawing it
//   happens before the run and costs microseconds); t = n is the
//   intersection cardinality.
#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/thread_pool.h"
#include "benchmark/benchmark.h"
#include "crypto/prng.h"
#include "mpsi/mpsi.h"
#include "mpsi/quorum.h"
#include "net/channel.h"

namespace liaison {
namespace {

using crypto::Block;

double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec * 1e-6;
}

double PeakRssMb() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

// Items: fixed seed 1 (logged here): n lists of m, the first `common`
// common to all, the rest distinct.
std::vector<std::vector<Block>> MakeItems(int n, size_t m, size_t common) {
  std::vector<std::vector<Block>> items(n);
  crypto::Prng prng = crypto::Prng::FromTestSeed(1);
  std::vector<Block> shared(common);
  prng.Fill(absl::MakeSpan(shared));
  for (int i = 0; i < n; ++i) {
    items[i] = shared;
    items[i].resize(m);
    prng.Fill(absl::MakeSpan(items[i]).subspan(common));
  }
  return items;
}

// RunMesh runs party(i, channels) for n parties over a full mesh of
// LocalPairs, each on its own thread, and sets the counters: bytes sent by
// party 0 and by the busiest other party, the total, core seconds and peak
// RSS. party returns the size of its result, which must be `want`.
void RunMesh(benchmark::State& state, int n, size_t want,
             const std::function<absl::StatusOr<size_t>(int, absl::Span<net::Channel* const>)>&
                 party) {
  uint64_t leader_sent = 0, member_sent_max = 0, total_sent = 0;
  double cpu = 0;
  for (auto _ : state) {
    std::vector<std::vector<std::unique_ptr<net::Channel>>> ends(n);
    for (auto& row : ends) row.resize(n);
    for (int i = 0; i < n; ++i) {
      for (int j = i + 1; j < n; ++j) {
        auto [a, b] = net::LocalPair();
        ends[i][j] = std::move(a);
        ends[j][i] = std::move(b);
      }
    }
    std::vector<absl::StatusOr<size_t>> results(n, size_t{0});
    const double cpu0 = CpuSeconds();
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        std::vector<net::Channel*> channels(n, nullptr);
        for (int j = 0; j < n; ++j) channels[j] = ends[i][j].get();
        results[i] = party(i, channels);
      });
    }
    for (std::thread& t : threads) t.join();
    cpu += CpuSeconds() - cpu0;
    for (int i = 0; i < n; ++i) {
      if (!results[i].ok() || *results[i] != want) {
        state.SkipWithError(results[i].ok() ? "wrong result"
                                            : std::string(results[i].status().message()).c_str());
        return;
      }
    }
    leader_sent = member_sent_max = total_sent = 0;
    for (int i = 0; i < n; ++i) {
      uint64_t sent = 0;
      for (const auto& c : ends[i]) sent += c ? c->bytes_sent() : 0;
      total_sent += sent;
      if (i == 0) {
        leader_sent = sent;
      } else {
        member_sent_max = std::max(member_sent_max, sent);
      }
    }
  }
  state.counters["leader_MB_sent"] = static_cast<double>(leader_sent) / 1e6;
  state.counters["member_MB_sent_max"] = static_cast<double>(member_sent_max) / 1e6;
  state.counters["total_MB_sent"] = static_cast<double>(total_sent) / 1e6;
  state.counters["core_s"] = cpu / static_cast<double>(state.iterations());
  state.counters["peak_rss_mb"] = PeakRssMb();
}

void BM_MpsiIntersection(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const size_t m = size_t{1} << state.range(1);
  const std::vector<std::vector<Block>> items = MakeItems(n, m, m / 4);
  RunMesh(state, n, m / 4,
          [&](int i, absl::Span<net::Channel* const> channels) -> absl::StatusOr<size_t> {
            crypto::Prng prng = crypto::Prng::FromTestSeed(100 + i);
            mpsi::MpsiParams params;
            params.num_threads = 1;
            auto got = mpsi::MultipartyIntersection(params).Run(i, channels, items[i], prng);
            if (!got.ok()) return got.status();
            return got->size();
          });
}
BENCHMARK(BM_MpsiIntersection)
    ->ArgNames({"n", "log2m"})
    ->Args({2, 16})->Args({2, 20})->Args({3, 12})->Args({3, 16})->Args({5, 16})->Args({10, 16})->Args({3, 20})->Args({5, 20})
    ->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

// BM_Quorum/n/log2m/t: over-threshold PSI (mpsi/quorum.h), counts shown;
// a quarter of the items common to all (so they qualify for any t), the
// rest held by one party. The protocol's work does not depend on the data.
void BM_Quorum(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const size_t m = size_t{1} << state.range(1);
  const int t = static_cast<int>(state.range(2));
  const std::vector<std::vector<Block>> items = MakeItems(n, m, m / 4);
  RunMesh(state, n, m / 4,
          [&](int i, absl::Span<net::Channel* const> channels) -> absl::StatusOr<size_t> {
            crypto::Prng prng = crypto::Prng::FromTestSeed(200 + i);
            mpsi::QuorumParams params;
            params.threshold = t;
            params.num_threads = 1;
            auto got = mpsi::Quorum(params).Run(i, channels, items[i], prng);
            if (!got.ok()) return got.status();
            return got->indices.size();
          });
}
BENCHMARK(BM_Quorum)
    ->ArgNames({"n", "log2m", "t"})
    ->Args({3, 12, 2})->Args({3, 16, 2})->Args({5, 16, 3})->Args({10, 16, 3})->Args({5, 20, 3})
    ->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

// BM_QuorumCount/n/log2m/t: the count-only variant (section 4.6) on the
// sets of BM_Quorum: every party learns m/4 (or, for t = 1, the union's
// size).
void BM_QuorumCount(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const size_t m = size_t{1} << state.range(1);
  const int t = static_cast<int>(state.range(2));
  const std::vector<std::vector<Block>> items = MakeItems(n, m, m / 4);
  const size_t want = t == 1 ? m / 4 + n * (m - m / 4) : m / 4;
  RunMesh(state, n, want,
          [&](int i, absl::Span<net::Channel* const> channels) -> absl::StatusOr<size_t> {
            crypto::Prng prng = crypto::Prng::FromTestSeed(200 + i);
            mpsi::QuorumParams params;
            params.threshold = t;
            params.count_only = true;
            params.num_threads = 1;
            auto got = mpsi::Quorum(params).Count(i, channels, items[i], mpsi::QuorumNoise(), prng);
            if (!got.ok()) return got.status();
            return static_cast<size_t>(got->estimate);
          });
}
BENCHMARK(BM_QuorumCount)
    ->ArgNames({"n", "log2m", "t"})
    ->Args({3, 12, 2})->Args({3, 16, 2})->Args({5, 16, 3})->Args({5, 16, 5})->Args({10, 16, 3})
    ->Args({5, 20, 3})
    ->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace liaison

int main(int argc, char** argv) {
  benchmark::AddCustomContext("cores", std::to_string(liaison::DefaultThreads()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
