// Silent VOLE over GF(2^128) (ot/silent_vole.h) and silent COT
// (ot/silent_cot.h, t = 248, same code) at their default parameters
// (ExConv7x24, expansion 2, t = 552, SoftSpoken k = 8, 2 threads per
// party): n = 2^20, 1.3·2^20 (the RR22 PSI VOLE length at 2^20 items) and
// 2^22. Both parties run in one process over net::LocalPair, the sender on
// a second thread, so the wall time is that of the whole protocol with the
// two parties sharing the machine's cores (stated in the context lines).
// Counters: bytes each party sent (frames included).
//
// Run: build-vole/bench/liaison_vole_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <cstdint>
#include <future>
#include <string>
#include <thread>

#include "crypto/prng.h"
#include "net/channel.h"
#include "ot/silent_cot.h"
#include "ot/silent_vole.h"

namespace liaison::ot {
namespace {

constexpr uint64_t kBenchSeed = 0x62656e6368564f4c;

// RunBoth times one run of Sender and Receiver over a LocalPair.
template <typename Sender, typename Receiver, typename Params>
void RunBoth(benchmark::State& state, const Params& params, const char* what) {
  const size_t n = static_cast<size_t>(state.range(0));
  uint64_t sender_bytes = 0, receiver_bytes = 0;
  for (auto _ : state) {
    auto [to_receiver, to_sender] = net::LocalPair();
    auto sent = std::async(std::launch::async, [&, ch = to_receiver.get()] {
      crypto::Prng prng = crypto::Prng::FromTestSeed(kBenchSeed);
      return Sender(params).Run(*ch, n, prng);
    });
    crypto::Prng prng = crypto::Prng::FromTestSeed(kBenchSeed + 1);
    auto got = Receiver(params).Run(*to_sender, n, prng);
    auto s = sent.get();
    if (!got.ok() || !s.ok()) {
      state.SkipWithError(what);
      return;
    }
    sender_bytes = to_receiver->bytes_sent();
    receiver_bytes = to_sender->bytes_sent();
    benchmark::DoNotOptimize(&*got);
  }
  state.counters["sender_bytes"] = static_cast<double>(sender_bytes);
  state.counters["receiver_bytes"] = static_cast<double>(receiver_bytes);
  state.counters["ns_per_output"] = benchmark::Counter(
      static_cast<double>(n) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_SilentVole(benchmark::State& state) {
  RunBoth<SilentVoleSender, SilentVoleReceiver>(state, SilentVoleParams{},
                                                "silent VOLE failed");
}

// BM_SilentVoleMalicious: the malicious OT extension and the consistency
// check (ot/silent_vole.h).
void BM_SilentVoleMalicious(benchmark::State& state) {
  SilentVoleParams params;
  params.malicious = true;
  RunBoth<SilentVoleSender, SilentVoleReceiver>(state, params,
                                                "malicious silent VOLE failed");
}

void BM_SilentCot(benchmark::State& state) {
  RunBoth<SilentCotSender, SilentCotReceiver>(state, SilentCotParams{},
                                              "silent COT failed");
}

BENCHMARK(BM_SilentCot)
    ->ArgName("n")
    ->Arg(1 << 20)
    ->Arg(1 << 24)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK(BM_SilentVoleMalicious)
    ->ArgName("n")
    ->Arg(1 << 20)
    ->Arg(1363149)  // 1.3·2^20
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK(BM_SilentVole)
    ->ArgName("n")
    ->Arg(1 << 20)
    ->Arg(1363149)  // 1.3·2^20
    ->Arg(1 << 22)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace liaison::ot

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("hardware_threads",
                              std::to_string(std::thread::hardware_concurrency()));
  benchmark::AddCustomContext("threads_per_party", "2");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
