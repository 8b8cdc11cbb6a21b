// Oblivious-transfer benchmarks: base OT and OT extension (IKNP / KOS), both
// parties in one process over LocalPair, each on its own thread. Reports
// wall time per run, OTs per second, the bytes each party sent, and core
// time (user + system CPU of the whole process, both parties) per OT. The
// extension runs are timed without their one-off SetUp (128 base OTs),
// which BM_BaseOt measures (SoftSpoken's GGM trees add little to it).
// BM_Transpose times the 128×128 bit-matrix transpose kernels alone.
//
//   ninja -C build-ot liaison_ot_bench && build-ot/bench/liaison_ot_bench
#include <sys/resource.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "benchmark/benchmark.h"
#include "crypto/aes.h"
#include "crypto/gf128.h"
#include "net/channel.h"
#include "ot/base_ot.h"
#include "ot/internal/transpose.h"
#include "ot/ot_extension.h"

namespace liaison {
namespace {

using ot::Security;

double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec * 1e-6;
}

void BM_BaseOt(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  crypto::Prng choice_prng = crypto::Prng::FromTestSeed(3);
  crypto::SecretBits choices = crypto::SecretBits::Random(n, choice_prng);
  ot::BaseOtParams params{.num_threads = threads};
  uint64_t sent_s = 0, sent_r = 0;
  for (auto _ : state) {
    auto [a, b] = net::LocalPair();
    auto fs = std::async(std::launch::async, [&, ch = a.get()] {
      crypto::Prng prng = crypto::Prng::FromTestSeed(1);
      return ot::BaseOtSender(params).Run(*ch, n, prng);
    });
    crypto::Prng prng = crypto::Prng::FromTestSeed(2);
    auto r = ot::BaseOtReceiver(params).Run(*b, choices, prng);
    auto s = fs.get();
    if (!r.ok() || !s.ok()) {
      state.SkipWithError("base OT failed");
      return;
    }
    sent_s = a->bytes_sent();
    sent_r = b->bytes_sent();
  }
  state.counters["sender_bytes"] = static_cast<double>(sent_s);
  state.counters["receiver_bytes"] = static_cast<double>(sent_r);
  state.counters["threads_per_party"] = threads;
}
BENCHMARK(BM_BaseOt)
    ->Args({128, 1})
    ->Args({128, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(0.5);

enum class Kind { kCot, kRot };

void BM_Extend(benchmark::State& state, Security security, Kind kind) {
  const size_t n = size_t{1} << state.range(0);
  ot::OtExtensionParams params;
  params.security = security;
  params.num_threads = static_cast<int>(state.range(1));
  params.softspoken_k = static_cast<int>(state.range(2));
  crypto::Prng choice_prng = crypto::Prng::FromTestSeed(3);
  crypto::SecretBits choices = crypto::SecretBits::Random(n, choice_prng);
  uint64_t sent_s = 0, sent_r = 0;
  double cpu = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto [a, b] = net::LocalPair();
    ot::OtExtensionSender sender(params);
    ot::OtExtensionReceiver receiver(params);
    crypto::Prng sprng = crypto::Prng::FromTestSeed(1);
    crypto::Prng rprng = crypto::Prng::FromTestSeed(2);
    {
      auto fs = std::async(std::launch::async, [&] { return sender.SetUp(*a, sprng); });
      absl::Status r = receiver.SetUp(*b, rprng);
      if (!r.ok() || !fs.get().ok()) {
        state.SkipWithError("set-up failed");
        return;
      }
    }
    const uint64_t s0 = a->bytes_sent(), r0 = b->bytes_sent();
    state.ResumeTiming();
    const double cpu0 = CpuSeconds();
    bool ok = true;
    if (kind == Kind::kCot) {
      auto fs = std::async(std::launch::async, [&] { return sender.ExtendCot(*a, n, sprng); });
      auto r = receiver.ExtendCot(*b, choices, rprng);
      auto s = fs.get();
      ok = r.ok() && s.ok();
      benchmark::DoNotOptimize(r);
      benchmark::DoNotOptimize(s);
    } else {
      auto fs = std::async(std::launch::async, [&] { return sender.ExtendRot(*a, n, sprng); });
      auto r = receiver.ExtendRot(*b, choices, rprng);
      auto s = fs.get();
      ok = r.ok() && s.ok();
      benchmark::DoNotOptimize(r);
      benchmark::DoNotOptimize(s);
    }
    cpu += CpuSeconds() - cpu0;
    if (!ok) {
      state.SkipWithError("extension failed");
      return;
    }
    sent_s = a->bytes_sent() - s0;
    sent_r = b->bytes_sent() - r0;
  }
  state.counters["OTs_per_s"] = benchmark::Counter(static_cast<double>(n),
                                                   benchmark::Counter::kIsIterationInvariantRate);
  state.counters["sender_bytes"] = static_cast<double>(sent_s);
  state.counters["receiver_bytes"] = static_cast<double>(sent_r);
  state.counters["core_ns_per_OT"] =
      cpu / static_cast<double>(state.iterations()) / static_cast<double>(n) * 1e9;
  state.counters["threads_per_party"] = static_cast<double>(params.num_threads);
  state.counters["k"] = static_cast<double>(params.softspoken_k);
}

// Arguments: log2(OTs), threads per party, SoftSpoken k (1 = IKNP).
void CotArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"log2n", "threads", "k"});
  b->Args({20, 1, 1})->Args({20, 2, 1})->Args({24, 1, 1})->Args({24, 2, 1});
  b->Args({20, 1, 2})->Args({20, 1, 4})->Args({20, 1, 8})->Args({24, 1, 4});
  b->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);
}
void RotArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"log2n", "threads", "k"});
  b->Args({20, 1, 1})->Args({24, 1, 1})->Args({20, 1, 4});
  b->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);
}

BENCHMARK_CAPTURE(BM_Extend, cot_semi_honest, Security::kSemiHonest, Kind::kCot)->Apply(CotArgs);
BENCHMARK_CAPTURE(BM_Extend, cot_malicious, Security::kMalicious, Kind::kCot)->Apply(CotArgs);
BENCHMARK_CAPTURE(BM_Extend, rot_semi_honest, Security::kSemiHonest, Kind::kRot)->Apply(RotArgs);
BENCHMARK_CAPTURE(BM_Extend, rot_malicious, Security::kMalicious, Kind::kRot)->Apply(RotArgs);

void BM_Transpose(benchmark::State& state, ot::internal::TransposeImpl impl) {
  if (!ot::internal::TransposeImplAvailable(impl)) {
    state.SkipWithError("not available on this CPU");
    return;
  }
  constexpr size_t kSquares = 16;  // the extension's working set: 16 squares
  std::vector<crypto::Block> in(128 * kSquares), out(128 * kSquares);
  for (size_t i = 0; i < in.size(); ++i) in[i] = crypto::Block(i * 0x9e3779b97f4a7c15ull, i);
  for (auto _ : state) {
    ot::internal::TransposeSquaresWith(impl, in.data(), kSquares, kSquares, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["OTs_per_s"] = benchmark::Counter(128.0 * kSquares,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_CAPTURE(BM_Transpose, portable, ot::internal::TransposeImpl::kPortable);
BENCHMARK_CAPTURE(BM_Transpose, sse2, ot::internal::TransposeImpl::kSse2);
BENCHMARK_CAPTURE(BM_Transpose, avx2, ot::internal::TransposeImpl::kAvx2);
BENCHMARK_CAPTURE(BM_Transpose, avx512, ot::internal::TransposeImpl::kAvx512);

}  // namespace
}  // namespace liaison

int main(int argc, char** argv) {
  benchmark::AddCustomContext("cores", std::to_string(liaison::DefaultThreads()));
  benchmark::AddCustomContext("aes_backend", liaison::crypto::AesBackend());
  benchmark::AddCustomContext("gf128_backend", liaison::crypto::Gf128Backend());
  benchmark::AddCustomContext(
      "transpose_backend",
      liaison::ot::internal::TransposeImplName(liaison::ot::internal::SelectedTransposeImpl()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
