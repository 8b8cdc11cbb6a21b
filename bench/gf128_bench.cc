// GF(2^128) costs per backend (vpclmul512, pclmul, portable): a single
// multiplication as a dependent chain (latency, as in Horner evaluation)
// and as independent calls (throughput), the batched inner product with one
// reduction, element-wise batches, and the inverse and power.
//
// ns_per_mul is the time per multiplication on one core. The context lines
// name the selected backend and the machine's cores.
//
// Measured on the 2-core AMD EPYC development machine (Zen 5), one core,
// GCC 12 -O3, CPU time per multiplication:
//
//                              vpclmul512   pclmul    portable
//   Gf128Mul, dependent chain    11.8 ns    11.8 ns    136 ns
//   Gf128Mul, independent         4.0 ns     3.9 ns    137 ns
//   Gf128MulUnreduced + ^=        3.4 ns     3.4 ns    133 ns
//   Gf128InnerProduct (1024)     0.41 ns    1.42 ns    142 ns
//   Gf128MulBlocks (1024)        0.59 ns    2.78 ns    137 ns
//   Gf128Inverse                  1.5 us     1.5 us     20 us
//   Gf128Pow (64-bit exponent)    1.5 us     1.5 us     18 us
//
// Single products go through one indirect call each, hence 4 ns against
// 0.4 ns in a batch: loops over many elements should use the batched calls.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "crypto/block.h"
#include "crypto/gf128.h"
#include "crypto/internal/gf128_internal.h"
#include "crypto/prng.h"

namespace liaison::crypto {
namespace {

using internal::Gf128Impl;

constexpr uint64_t kBenchSeed = 0x62656e6368474631;

bool SkipIfUnavailable(benchmark::State& state, Gf128Impl impl) {
  if (internal::Gf128ImplAvailable(impl)) return false;
  state.SkipWithError("backend not available on this CPU or build");
  return true;
}

void SetPerMul(benchmark::State& state, int64_t muls_per_iteration) {
  const double muls = static_cast<double>(muls_per_iteration) *
                      static_cast<double>(state.iterations());
  state.counters["ns_per_mul"] = benchmark::Counter(
      muls * 1e-9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

std::vector<Block> RandomBlocks(size_t n, uint64_t salt) {
  Prng prng = Prng::FromTestSeed(kBenchSeed + salt);
  std::vector<Block> v(n);
  prng.Fill(absl::MakeSpan(v));
  return v;
}

void BM_Gf128MulLatency(benchmark::State& state, Gf128Impl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  const std::vector<Block> v = RandomBlocks(2, 0);
  Block acc = v[0];
  for (auto _ : state) {
    for (int i = 0; i < 64; ++i) acc = internal::Gf128MulWith(impl, acc, v[1]);
  }
  benchmark::DoNotOptimize(acc);
  SetPerMul(state, 64);
}

void BM_Gf128MulThroughput(benchmark::State& state, Gf128Impl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  const std::vector<Block> a = RandomBlocks(64, 1), b = RandomBlocks(64, 2);
  std::vector<Block> out(64);
  for (auto _ : state) {
    for (size_t i = 0; i < 64; ++i)
      out[i] = internal::Gf128MulWith(impl, a[i], b[i]);
    benchmark::ClobberMemory();
  }
  SetPerMul(state, 64);
}

void BM_Gf128MulUnreducedAccumulate(benchmark::State& state, Gf128Impl impl) {
  // The caller-side inner product: unreduced products summed, one reduce.
  if (SkipIfUnavailable(state, impl)) return;
  const std::vector<Block> a = RandomBlocks(64, 3), b = RandomBlocks(64, 4);
  for (auto _ : state) {
    Gf128Unreduced sum;
    for (size_t i = 0; i < 64; ++i)
      sum ^= internal::Gf128MulUnreducedWith(impl, a[i], b[i]);
    benchmark::DoNotOptimize(internal::Gf128ReduceWith(impl, sum));
  }
  SetPerMul(state, 64);
}

void BM_Gf128InnerProduct(benchmark::State& state, Gf128Impl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<Block> a = RandomBlocks(n, 5), b = RandomBlocks(n, 6);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        internal::Gf128InnerProductUnreducedWith(impl, a, b));
  }
  SetPerMul(state, state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          state.range(0) * 32);
}

void BM_Gf128MulBlocks(benchmark::State& state, Gf128Impl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<Block> a = RandomBlocks(n, 7), b = RandomBlocks(n, 8);
  std::vector<Block> out(n);
  for (auto _ : state) {
    internal::Gf128MulBlocksWith(impl, a, b, absl::MakeSpan(out));
    benchmark::ClobberMemory();
  }
  SetPerMul(state, state.range(0));
}

void BM_Gf128Inverse(benchmark::State& state, Gf128Impl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  Block a = RandomBlocks(1, 9)[0];
  for (auto _ : state) a = internal::Gf128InverseWith(impl, a) ^ Block(0, 1);
  benchmark::DoNotOptimize(a);
}

void BM_Gf128Pow(benchmark::State& state, Gf128Impl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  Block a = RandomBlocks(1, 10)[0];
  uint64_t e = 0x9e3779b97f4a7c15;
  for (auto _ : state) {
    a = internal::Gf128PowWith(impl, a, e);
    e += 2;
  }
  benchmark::DoNotOptimize(a);
}

#define LIAISON_GF128_BENCH(fn)                              \
  BENCHMARK_CAPTURE(fn, vpclmul512, Gf128Impl::kVpclmul512); \
  BENCHMARK_CAPTURE(fn, pclmul, Gf128Impl::kPclmul);         \
  BENCHMARK_CAPTURE(fn, portable, Gf128Impl::kPortable)

LIAISON_GF128_BENCH(BM_Gf128MulLatency);
LIAISON_GF128_BENCH(BM_Gf128MulThroughput);
LIAISON_GF128_BENCH(BM_Gf128MulUnreducedAccumulate);
BENCHMARK_CAPTURE(BM_Gf128InnerProduct, vpclmul512, Gf128Impl::kVpclmul512)
    ->Arg(64)
    ->Arg(1024)
    ->Arg(65536);
BENCHMARK_CAPTURE(BM_Gf128InnerProduct, pclmul, Gf128Impl::kPclmul)
    ->Arg(1024)
    ->Arg(65536);
BENCHMARK_CAPTURE(BM_Gf128InnerProduct, portable, Gf128Impl::kPortable)
    ->Arg(1024);
BENCHMARK_CAPTURE(BM_Gf128MulBlocks, vpclmul512, Gf128Impl::kVpclmul512)
    ->Arg(1024)
    ->Arg(65536);
BENCHMARK_CAPTURE(BM_Gf128MulBlocks, pclmul, Gf128Impl::kPclmul)->Arg(1024);
BENCHMARK_CAPTURE(BM_Gf128MulBlocks, portable, Gf128Impl::kPortable)->Arg(1024);
LIAISON_GF128_BENCH(BM_Gf128Inverse);
LIAISON_GF128_BENCH(BM_Gf128Pow);

}  // namespace
}  // namespace liaison::crypto

int main(int argc, char** argv) {
  benchmark::AddCustomContext("gf128_backend", liaison::crypto::Gf128Backend());
  benchmark::AddCustomContext(
      "cores", std::to_string(std::thread::hardware_concurrency()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
