// RR22 OKVS (okvs/okvs.h): encoding and decoding n random keys at n = 2^16,
// 2^20, 2^22 on 1 and 2 threads. Reports items_per_second and sec_per_item
// (wall clock), m_per_n (the expansion: P holds m_per_n · n blocks of 16
// bytes, what RR22 derandomises through the VOLE) and okvs_bytes, the size
// of P. The OKVS is local computation: no bytes are sent. The context lines
// name the AES and GF(2^128) backends and the machine's cores.
//
//   build/bench/liaison_okvs_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crypto/aes.h"
#include "crypto/block.h"
#include "crypto/gf128.h"
#include "okvs/okvs.h"

namespace liaison::okvs {
namespace {

using crypto::Block;

constexpr uint64_t kBenchSeed = 0x6f6b76732d62;  // "okvs-b"

struct Inputs {
  OkvsParams params;
  std::vector<Block> keys;
  std::vector<Block> values;
  std::vector<Block> okvs;
};

// GetInputs builds (once per size) random keys and values and their OKVS.
const Inputs& GetInputs(size_t n) {
  static std::vector<std::pair<size_t, Inputs>> cache;
  for (const auto& [size, inputs] : cache) {
    if (size == n) return inputs;
  }
  Inputs in;
  in.params = OkvsParams::ForItems(n);
  std::mt19937_64 rng(kBenchSeed + n);
  in.keys.resize(n);
  in.values.resize(n);
  for (Block& k : in.keys) k = Block(rng(), rng());
  for (Block& v : in.values) v = Block(rng(), rng());
  in.okvs.resize(in.params.size());
  if (!OkvsEncode(in.params, Block(0, 1), in.keys, in.values, absl::MakeSpan(in.okvs), 2).ok()) {
    std::abort();
  }
  cache.emplace_back(n, std::move(in));
  return cache.back().second;
}

// SetCounters reports the rate (wall clock), its inverse (seconds per item:
// "41.3n" reads 41.3 ns), the expansion and the size of P.
void SetCounters(benchmark::State& state, const Inputs& in) {
  const double n = static_cast<double>(in.keys.size());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(in.keys.size()));
  state.counters["sec_per_item"] = benchmark::Counter(
      n, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["m_per_n"] = in.params.expansion();
  state.counters["okvs_bytes"] = static_cast<double>(in.params.size() * 16);
}

void BM_OkvsEncode(benchmark::State& state) {
  const Inputs& in = GetInputs(static_cast<size_t>(state.range(0)));
  const int threads = static_cast<int>(state.range(1));
  std::vector<Block> out(in.params.size());
  uint64_t seed = 0;
  for (auto _ : state) {
    const absl::Status status = OkvsEncode(in.params, Block(0, ++seed), in.keys, in.values,
                                           absl::MakeSpan(out), threads);
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, in);
}

void BM_OkvsDecode(benchmark::State& state) {
  const Inputs& in = GetInputs(static_cast<size_t>(state.range(0)));
  const int threads = static_cast<int>(state.range(1));
  std::vector<Block> values(in.keys.size());
  for (auto _ : state) {
    OkvsDecode(in.params, Block(0, 1), in.okvs, in.keys, absl::MakeSpan(values), threads);
    benchmark::DoNotOptimize(values.data());
  }
  if (values != in.values) state.SkipWithError("decoding mismatch");
  SetCounters(state, in);
}

void Sizes(benchmark::internal::Benchmark* b) {
  for (int64_t log_n : {16, 20, 22}) {
    for (int64_t threads : {1, 2}) b->Args({int64_t{1} << log_n, threads});
  }
  b->ArgNames({"n", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_OkvsEncode)->Apply(Sizes);
BENCHMARK(BM_OkvsDecode)->Apply(Sizes);

}  // namespace
}  // namespace liaison::okvs

int main(int argc, char** argv) {
  benchmark::AddCustomContext("aes_backend", liaison::crypto::AesBackend());
  benchmark::AddCustomContext("gf128_backend", liaison::crypto::Gf128Backend());
  benchmark::AddCustomContext("cores", std::to_string(std::thread::hardware_concurrency()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
