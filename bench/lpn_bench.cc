// ExConv dual encoding (ot/lpn/ex_conv_code.h), ExConv7x24 at rate 1/2:
// k = 2^20 and 2^22 outputs from n = 2k inputs, for a block vector (the
// VOLE sender), a pair of block vectors (the GF(2^128) VOLE receiver), a
// packed bit vector, and bits with blocks (the subfield VOLE / COT
// receiver); on each convolution kernel and on 1 and 2 threads.
//
// ns_per_output is wall time per output element (per k, not per n); the
// context lines name the machine's cores and the selected kernels. Local
// computation only: nothing is sent.
//
// Measured on the 2-core AMD EPYC development machine (AVX-512 + GFNI,
// 32 MiB L3, another engineer's jobs sometimes on the other core), with
// build-lpn/bench/liaison_lpn_bench --benchmark_min_time=0.3s,
// ns_per_output, 1 thread / 2 threads:
//
//   avx512gfni      k = 2^20        k = 2^22
//   blocks          8.6 / 5.7       24.6 / 13.3
//   pair            19.4 / 12.1     48.9 / 26.2
//   bits            6.2 / 4.0       6.5 / 4.1
//   bits+blocks     14.2 / 8.3      29.9 / 16.7
//   portable (2^20): blocks 28.5 / 25.1, pair 61 / 55, bits 13 / 11.
//
// The expander's random reads dominate (about 80% at 2^20): W = 7 reads
// per output into a parity part of 16 MiB (2^20) or 64 MiB (2^22), hence
// the jump once it no longer fits in the last-level cache. The tile
// convolution costs about 0.7 ns per row and pass (1.4 ms for both passes
// of one vector at 2^20); generating the taps (AES and arithmetic) about
// 1.3 ns per output.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/types/span.h"
#include "crypto/aes.h"
#include "crypto/block.h"
#include "crypto/prng.h"
#include "ot/lpn/ex_conv_code.h"
#include "ot/lpn/internal/ex_conv_internal.h"

namespace liaison::ot {
namespace {

using crypto::Block;
using internal::ExConvImpl;

constexpr uint64_t kBenchSeed = 0x62656e63684c504e;

enum class Vectors { kBlocks, kPair, kBits, kBitsAndBlocks };

ExConvCode MakeCode(uint64_t k) {
  ExConvParams params;
  params.num_messages = k;
  return *ExConvCode::Create(params);
}

void BM_Encode(benchmark::State& state, ExConvImpl impl, Vectors which) {
  if (!internal::ExConvImplAvailable(impl)) {
    state.SkipWithError("kernel not available on this CPU or build");
    return;
  }
  const uint64_t k = static_cast<uint64_t>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const ExConvCode code = MakeCode(k);
  const uint64_t n = code.code_size();
  crypto::Prng prng = crypto::Prng::FromTestSeed(kBenchSeed);
  std::vector<Block> x, y;
  std::vector<uint8_t> bits;
  internal::EncodeVectors v;
  if (which != Vectors::kBits) {
    x.resize(n);
    prng.Fill(absl::MakeSpan(x));
    v.blocks[0] = absl::MakeSpan(x);
  }
  if (which == Vectors::kPair) {
    y.resize(n);
    prng.Fill(absl::MakeSpan(y));
    v.blocks[1] = absl::MakeSpan(y);
  }
  if (which == Vectors::kBits || which == Vectors::kBitsAndBlocks) {
    bits.resize((n + 7) / 8);
    prng.Fill(absl::MakeSpan(bits));
    v.bits = absl::MakeSpan(bits);
  }
  // Encoding in place again and again times the same work: the running
  // time does not depend on the values.
  double total_ns = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (!internal::DualEncodeWith(impl, code, v, threads).ok()) {
      state.SkipWithError("encode failed");
      return;
    }
    benchmark::ClobberMemory();
    total_ns += std::chrono::duration<double, std::nano>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  }
  // A plain number (wall time per output), not a rate.
  state.counters["ns_per_output"] =
      total_ns /
      (static_cast<double>(state.iterations()) * static_cast<double>(k));
}

void Args(benchmark::internal::Benchmark* b) {
  for (int64_t log_k : {20, 22}) {
    for (int64_t threads : {1, 2}) b->Args({int64_t{1} << log_k, threads});
  }
  b->ArgNames({"k", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

#define LIAISON_LPN_BENCH(kernel, impl)                                 \
  BENCHMARK_CAPTURE(BM_Encode, blocks_##kernel, impl, Vectors::kBlocks) \
      ->Apply(Args);                                                    \
  BENCHMARK_CAPTURE(BM_Encode, pair_##kernel, impl, Vectors::kPair)     \
      ->Apply(Args);                                                    \
  BENCHMARK_CAPTURE(BM_Encode, bits_##kernel, impl, Vectors::kBits)     \
      ->Apply(Args);                                                    \
  BENCHMARK_CAPTURE(BM_Encode, bits_and_blocks_##kernel, impl,          \
                    Vectors::kBitsAndBlocks)                            \
      ->Apply(Args);

LIAISON_LPN_BENCH(avx512gfni, ExConvImpl::kAvx512Gfni)
LIAISON_LPN_BENCH(portable, ExConvImpl::kPortable)

}  // namespace
}  // namespace liaison::ot

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext(
      "cores", std::to_string(std::thread::hardware_concurrency()));
  benchmark::AddCustomContext("exconv_kernel",
                              liaison::ot::internal::ExConvImplName(
                                  liaison::ot::internal::SelectedExConvImpl()));
  benchmark::AddCustomContext("aes_backend", liaison::crypto::AesBackend());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
