// AES-128 throughput for the symmetric-key protocols, per backend
// (vaes512, aesni, portable): EncryptBlocks, EncryptCounter, CrHash and
// TccrHash over batches of 1024 blocks (16 KiB, in L1) and 65536 blocks
// (1 MiB, in L2), key expansion, and crypto::Prng (on the process's
// selected backend: run with LIAISON_NO_AVX512=1 or LIAISON_NO_AESNI=1 for
// the others).
//
// bytes_per_second is the data rate (16 bytes per block; TccrHash costs two
// AES calls per block); ns_per_block is the time per block on one core.
// The context lines name the selected backend and the machine's cores.
//
// Measured on the 2-core AMD EPYC development machine (Zen 5, CPU family
// 26), one core, GCC 12 -O3, CPU time per block (Google Benchmark's "G/s"
// is GiB/s; GB/s below is 10^9 bytes):
//
//                      vaes512            aesni             portable
//   EncryptBlocks   0.29 ns  55 GB/s   1.15 ns  13.9 GB/s   1.16 us  14 MB/s
//   EncryptCounter  0.32 ns  50 GB/s   1.15 ns  13.9 GB/s   1.18 us  14 MB/s
//   CrHash          0.30 ns  53 GB/s   1.19 ns  13.4 GB/s   1.17 us  14 MB/s
//   TccrHash        0.63 ns  25 GB/s   2.40 ns   6.7 GB/s   2.3 us    7 MB/s
//   key expansion        (AES-NI) 42 ns                     4.6 us
//   Prng Fill (1 MiB)        50 GB/s           13.9 GB/s             15 MB/s
//   Prng NextBlock / NextU64 1.8 / 1.4 ns; Aes128::Encrypt of one block
//   17.5 ns as a dependent chain (AES latency, dispatch and scrub).
//
// 65536-block batches (1 MiB, L2) are within 5% of the 1024-block ones.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "crypto/aes.h"
#include "crypto/block.h"
#include "crypto/internal/aes_internal.h"
#include "crypto/prng.h"

namespace liaison::crypto {
namespace {

using internal::AesImpl;

constexpr uint64_t kBenchSeed = 0x62656e6368414553;

bool SkipIfUnavailable(benchmark::State& state, AesImpl impl) {
  if (internal::AesImplAvailable(impl)) return false;
  state.SkipWithError("backend not available on this CPU or build");
  return true;
}

void SetPerBlock(benchmark::State& state, int64_t blocks_per_iteration) {
  const int64_t blocks =
      blocks_per_iteration * static_cast<int64_t>(state.iterations());
  state.SetBytesProcessed(16 * blocks);
  state.counters["ns_per_block"] = benchmark::Counter(
      static_cast<double>(blocks) * 1e-9,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

std::vector<Block> RandomBlocks(size_t n) {
  Prng prng = Prng::FromTestSeed(kBenchSeed);
  std::vector<Block> v(n);
  prng.Fill(absl::MakeSpan(v));
  return v;
}

void BM_EncryptBlocks(benchmark::State& state, AesImpl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  const Aes128 aes(Block(1, 2));
  std::vector<Block> data = RandomBlocks(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    internal::EncryptBlocksWith(impl, aes, data, absl::MakeSpan(data));
    benchmark::ClobberMemory();
  }
  SetPerBlock(state, state.range(0));
}

void BM_EncryptCounter(benchmark::State& state, AesImpl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  const Aes128 aes(Block(1, 2));
  std::vector<Block> out(static_cast<size_t>(state.range(0)));
  uint64_t start = 0;
  for (auto _ : state) {
    internal::EncryptCounterWith(impl, aes, start, absl::MakeSpan(out));
    start += out.size();
    benchmark::ClobberMemory();
  }
  SetPerBlock(state, state.range(0));
}

void BM_CrHash(benchmark::State& state, AesImpl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  std::vector<Block> data = RandomBlocks(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    internal::CrHashWith(impl, data, absl::MakeSpan(data));
    benchmark::ClobberMemory();
  }
  SetPerBlock(state, state.range(0));
}

void BM_TccrHash(benchmark::State& state, AesImpl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  std::vector<Block> data = RandomBlocks(static_cast<size_t>(state.range(0)));
  uint64_t tweak = 0;
  for (auto _ : state) {
    internal::TccrHashWith(impl, data, tweak, absl::MakeSpan(data));
    tweak += data.size();
    benchmark::ClobberMemory();
  }
  SetPerBlock(state, state.range(0));
}

void BM_ExpandKey(benchmark::State& state, AesImpl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  std::array<Block, 11> round_keys;
  Block key(3, 4);
  for (auto _ : state) {
    internal::ExpandKeyWith(impl, key, round_keys);
    key.lo ^= round_keys[10].lo;
    benchmark::DoNotOptimize(round_keys);
  }
  state.counters["ns_per_key"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 1e-9,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

#define LIAISON_AES_BENCH(fn)                                               \
  BENCHMARK_CAPTURE(fn, vaes512, AesImpl::kVaes512)->Arg(1024)->Arg(65536); \
  BENCHMARK_CAPTURE(fn, aesni, AesImpl::kAesNi)->Arg(1024)->Arg(65536);     \
  BENCHMARK_CAPTURE(fn, portable, AesImpl::kPortable)->Arg(1024)

LIAISON_AES_BENCH(BM_EncryptBlocks);
LIAISON_AES_BENCH(BM_EncryptCounter);
LIAISON_AES_BENCH(BM_CrHash);
LIAISON_AES_BENCH(BM_TccrHash);
BENCHMARK_CAPTURE(BM_ExpandKey, aesni, AesImpl::kAesNi);
BENCHMARK_CAPTURE(BM_ExpandKey, portable, AesImpl::kPortable);

// One block through the public Aes128::Encrypt (selected backend): the
// cost of the per-call dispatch and of the stack and register scrub.
void BM_EncryptSingle(benchmark::State& state) {
  const Aes128 aes(Block(1, 2));
  Block b(3, 4);
  for (auto _ : state) b = aes.Encrypt(b);
  benchmark::DoNotOptimize(b);
  SetPerBlock(state, 1);
}
BENCHMARK(BM_EncryptSingle);

// Prng on the selected backend: bulk Fill of bytes and blocks, and the
// small reads protocols make one at a time.
void BM_PrngFillBytes(benchmark::State& state) {
  Prng prng = Prng::FromTestSeed(kBenchSeed);
  Bytes out(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    prng.Fill(MutableByteSpan(out));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          state.range(0));
}
BENCHMARK(BM_PrngFillBytes)->Arg(64)->Arg(16384)->Arg(1 << 20);

void BM_PrngFillBlocks(benchmark::State& state) {
  Prng prng = Prng::FromTestSeed(kBenchSeed);
  std::vector<Block> out(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    prng.Fill(absl::MakeSpan(out));
    benchmark::ClobberMemory();
  }
  SetPerBlock(state, state.range(0));
}
BENCHMARK(BM_PrngFillBlocks)->Arg(1024)->Arg(65536);

void BM_PrngNextBlock(benchmark::State& state) {
  Prng prng = Prng::FromTestSeed(kBenchSeed);
  for (auto _ : state) benchmark::DoNotOptimize(prng.NextBlock());
  SetPerBlock(state, 1);
}
BENCHMARK(BM_PrngNextBlock);

void BM_PrngNextU64(benchmark::State& state) {
  Prng prng = Prng::FromTestSeed(kBenchSeed);
  for (auto _ : state) benchmark::DoNotOptimize(prng.NextU64());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 8);
}
BENCHMARK(BM_PrngNextU64);

}  // namespace
}  // namespace liaison::crypto

int main(int argc, char** argv) {
  benchmark::AddCustomContext("aes_backend", liaison::crypto::AesBackend());
  benchmark::AddCustomContext(
      "cores", std::to_string(std::thread::hardware_concurrency()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
