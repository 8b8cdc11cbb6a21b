// Exact differential-privacy samplers (dp/sampler.h): discrete Laplace and
// discrete Gaussian samples per second at several scales, through
// SampleNoise as a protocol would call it, plus the 95% half-width
// computation (dp/interval.h) that a job report costs.
//
// Every sampling benchmark reports items_per_second (samples) and
// sec_per_item. Measured with `build/bench/liaison_dp_bench` (Release) on
// this 2-core machine, CPU time of one core (the machine was shared, load
// about 7, so wall time was about twice this), samples per second:
//   discrete Laplace  scale 1: 17.4M, 10: 11.5M, 1000: 16.2M,
//                     10^6: 16.0M, 1000/7: 16.3M
//   discrete Gaussian σ 1: 2.5M, 10: 2.7M, 1000: 3.0M, 10^6: 2.6M
// against a target of 10^5 samples/s. The Laplace loop stays in 128-bit
// integers; the Gaussian's acceptance test uses GMP integers. The two
// 95% half-widths of a Gaussian report cost up to about 2 ms at σ = 2000
// (the pmf is summed term by term up to there) and microseconds above.
#include <benchmark/benchmark.h>
#include <gmpxx.h>

#include <cstdint>
#include <string>
#include <thread>

#include "crypto/prng.h"
#include "dp/interval.h"
#include "dp/sampler.h"

namespace liaison::dp {
namespace {

constexpr uint64_t kBenchSeed = 0x62656e63682d6470;

void SetPerItem(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations());
  state.counters["sec_per_item"] =
      benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate |
                                benchmark::Counter::kInvert);
}

void RunNoise(benchmark::State& state, const NoiseParams& params) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kBenchSeed);
  for (auto _ : state) {
    SecretNoise noise = SampleNoise(params, prng);
    benchmark::DoNotOptimize(noise.value());
  }
  SetPerItem(state);
}

// Laplace scale state.range(0) / state.range(1).
void BM_DiscreteLaplace(benchmark::State& state) {
  const mpq_class scale(mpz_class(static_cast<unsigned long>(state.range(0))),
                        mpz_class(static_cast<unsigned long>(state.range(1))));
  RunNoise(state, *NoiseParams::DiscreteLaplace(scale));
}
BENCHMARK(BM_DiscreteLaplace)
    ->Args({1, 1})
    ->Args({10, 1})
    ->Args({1000, 1})
    ->Args({1000000, 1})
    ->Args({1000, 7})
    ->ArgNames({"scale_num", "scale_den"});

// Gaussian with σ = state.range(0), i.e. σ² = σ·σ.
void BM_DiscreteGaussian(benchmark::State& state) {
  const mpz_class sigma(static_cast<unsigned long>(state.range(0)));
  RunNoise(state, *NoiseParams::DiscreteGaussian(mpq_class(sigma * sigma)));
}
BENCHMARK(BM_DiscreteGaussian)
    ->Arg(1)
    ->Arg(10)
    ->Arg(1000)
    ->Arg(1000000)
    ->ArgNames({"sigma"});

// The report's half-widths (one and two noises) for a Gaussian with σ =
// state.range(0): the pmf sum grows with σ up to σ = 2000.
void BM_GaussianHalfWidths(benchmark::State& state) {
  const mpz_class sigma(static_cast<unsigned long>(state.range(0)));
  const NoiseParams params =
      *NoiseParams::DiscreteGaussian(mpq_class(sigma * sigma));
  for (auto _ : state) {
    benchmark::DoNotOptimize(HalfWidth95(params));
    benchmark::DoNotOptimize(HalfWidth95OfTwo(params));
  }
}
BENCHMARK(BM_GaussianHalfWidths)
    ->Arg(10)
    ->Arg(1000)
    ->Arg(2000)
    ->Arg(2001)
    ->Arg(1000000)
    ->ArgNames({"sigma"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace liaison::dp

int main(int argc, char** argv) {
  benchmark::AddCustomContext(
      "cores", std::to_string(std::thread::hardware_concurrency()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
