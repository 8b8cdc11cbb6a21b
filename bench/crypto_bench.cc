// Curve25519 costs per point for ECDH PSI, where each party spends one
// hash-to-curve and two scalar multiplications per item: our X25519 (single
// and batched, portable and AVX-512 IFMA) and hash-to-curve, next to
// libsodium's ristretto255 and X25519 and OpenSSL's EVP X25519.
//
// Every benchmark reports items_per_second and sec_per_item (per point, one
// core; "2.7u" reads 2.7 microseconds). The context lines name the backend
// and the machine's cores.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "crypto/internal/x25519_internal.h"
#include "crypto/prng.h"
#include "crypto/x25519.h"

namespace liaison::crypto {
namespace {

using internal::X25519Impl;

constexpr uint64_t kBenchSeed = 0x62656e6368323535;

MontPoint RandomPoint(Prng& prng) {
  MontPoint p;
  prng.Fill(absl::MakeSpan(p));
  return p;
}

// SetPerItem reports the rate and its inverse, seconds of CPU per item.
void SetPerItem(benchmark::State& state, int64_t items_per_iteration) {
  state.SetItemsProcessed(state.iterations() * items_per_iteration);
  state.counters["sec_per_item"] =
      benchmark::Counter(static_cast<double>(items_per_iteration),
                         benchmark::Counter::kIsIterationInvariantRate |
                             benchmark::Counter::kInvert);
}

bool SkipIfUnavailable(benchmark::State& state, X25519Impl impl) {
  if (impl == X25519Impl::kAvx512Ifma && !internal::Avx512IfmaAvailable()) {
    state.SkipWithError("no AVX-512 IFMA on this machine");
    return true;
  }
  return false;
}

void BM_X25519Single(benchmark::State& state) {
  Prng prng = Prng::FromTestSeed(kBenchSeed);
  const X25519Scalar k = X25519Scalar::Random(prng);
  MontPoint u = RandomPoint(prng);
  for (auto _ : state) {
    u = X25519(k, u);  // chained, so the calls cannot overlap
    benchmark::DoNotOptimize(u);
  }
  SetPerItem(state, 1);
}
BENCHMARK(BM_X25519Single);

void BM_X25519Batch(benchmark::State& state, X25519Impl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  Prng prng = Prng::FromTestSeed(kBenchSeed);
  const X25519Scalar k = X25519Scalar::Random(prng);
  std::vector<MontPoint> points(static_cast<size_t>(state.range(0)));
  for (auto& u : points) u = RandomPoint(prng);
  for (auto _ : state) {
    internal::X25519BatchWith(impl, k, points, absl::MakeSpan(points));
    benchmark::ClobberMemory();
  }
  SetPerItem(state, state.range(0));
}
BENCHMARK_CAPTURE(BM_X25519Batch, Avx512Ifma, X25519Impl::kAvx512Ifma)
    ->Arg(1)
    ->Arg(8)
    ->Arg(64)
    ->Arg(1024);
BENCHMARK_CAPTURE(BM_X25519Batch, Portable, X25519Impl::kPortable)
    ->Arg(1)
    ->Arg(1024);

// Items as PSI sees them: short strings such as IP addresses and domains.
std::vector<std::string> MakeItems(size_t n) {
  std::vector<std::string> items(n);
  for (size_t i = 0; i < n; ++i) {
    items[i] = "host-" + std::to_string(i * 7919) + ".example.org";
  }
  return items;
}

std::vector<ByteSpan> Spans(const std::vector<std::string>& items) {
  std::vector<ByteSpan> spans;
  spans.reserve(items.size());
  for (const auto& item : items) spans.push_back(AsBytes(item));
  return spans;
}

constexpr char kDst[] = "liaison-bench-ecdh-psi-v1";

void BM_HashToCurve25519Single(benchmark::State& state) {
  const std::vector<std::string> items = MakeItems(1024);
  size_t i = 0;
  for (auto _ : state) {
    MontPoint p = HashToCurve25519(AsBytes(items[i++ & 1023]),
                                   AsBytes(std::string(kDst)));
    benchmark::DoNotOptimize(p);
  }
  SetPerItem(state, 1);
}
BENCHMARK(BM_HashToCurve25519Single);

void BM_HashToCurve25519Batch(benchmark::State& state, X25519Impl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  const std::vector<std::string> items =
      MakeItems(static_cast<size_t>(state.range(0)));
  const std::vector<ByteSpan> msgs = Spans(items);
  std::vector<MontPoint> out(msgs.size());
  for (auto _ : state) {
    internal::HashToCurve25519BatchWith(impl, msgs, AsBytes(std::string(kDst)),
                                        absl::MakeSpan(out));
    benchmark::ClobberMemory();
  }
  SetPerItem(state, state.range(0));
}
BENCHMARK_CAPTURE(BM_HashToCurve25519Batch, Avx512Ifma, X25519Impl::kAvx512Ifma)
    ->Arg(1024);
BENCHMARK_CAPTURE(BM_HashToCurve25519Batch, Portable, X25519Impl::kPortable)
    ->Arg(1024);

// One party's curve work per ECDH-PSI item: hash its items and blind them,
// then blind the peer's already-blinded items (here: its own again).
void BM_EcdhPsiPartyPerItem(benchmark::State& state, X25519Impl impl) {
  if (SkipIfUnavailable(state, impl)) return;
  Prng prng = Prng::FromTestSeed(kBenchSeed);
  const X25519Scalar k = X25519Scalar::Random(prng);
  const std::vector<std::string> items =
      MakeItems(static_cast<size_t>(state.range(0)));
  const std::vector<ByteSpan> msgs = Spans(items);
  std::vector<MontPoint> points(msgs.size());
  for (auto _ : state) {
    internal::HashToCurve25519BatchWith(impl, msgs, AsBytes(std::string(kDst)),
                                        absl::MakeSpan(points));
    internal::X25519BatchWith(impl, k, points, absl::MakeSpan(points));
    internal::X25519BatchWith(impl, k, points, absl::MakeSpan(points));
    benchmark::ClobberMemory();
  }
  SetPerItem(state, state.range(0));
}
BENCHMARK_CAPTURE(BM_EcdhPsiPartyPerItem, Avx512Ifma, X25519Impl::kAvx512Ifma)
    ->Arg(1024);
BENCHMARK_CAPTURE(BM_EcdhPsiPartyPerItem, Portable, X25519Impl::kPortable)
    ->Arg(1024);

// --- Reference points -----------------------------------------------------

void BM_SodiumRistretto255ScalarMult(benchmark::State& state) {
  if (sodium_init() < 0) {
    state.SkipWithError("sodium_init failed");
    return;
  }
  uint8_t scalar[crypto_core_ristretto255_SCALARBYTES];
  uint8_t point[crypto_core_ristretto255_BYTES];
  crypto_core_ristretto255_scalar_random(scalar);
  crypto_core_ristretto255_random(point);
  for (auto _ : state) {
    if (crypto_scalarmult_ristretto255(point, scalar, point) != 0) {
      state.SkipWithError("identity");
      break;
    }
    benchmark::DoNotOptimize(point);
  }
  SetPerItem(state, 1);
}
BENCHMARK(BM_SodiumRistretto255ScalarMult);

void BM_SodiumRistretto255FromHash(benchmark::State& state) {
  if (sodium_init() < 0) {
    state.SkipWithError("sodium_init failed");
    return;
  }
  // The usual hash-to-group: SHA-512 of the item, then the from_hash map.
  const std::vector<std::string> items = MakeItems(1024);
  uint8_t hash[crypto_core_ristretto255_HASHBYTES];
  uint8_t point[crypto_core_ristretto255_BYTES];
  size_t i = 0;
  for (auto _ : state) {
    const std::string& item = items[i++ & 1023];
    crypto_hash_sha512(hash, reinterpret_cast<const uint8_t*>(item.data()),
                       item.size());
    crypto_core_ristretto255_from_hash(point, hash);
    benchmark::DoNotOptimize(point);
  }
  SetPerItem(state, 1);
}
BENCHMARK(BM_SodiumRistretto255FromHash);

void BM_SodiumX25519ScalarMult(benchmark::State& state) {
  if (sodium_init() < 0) {
    state.SkipWithError("sodium_init failed");
    return;
  }
  Prng prng = Prng::FromTestSeed(kBenchSeed);
  MontPoint scalar = RandomPoint(prng);
  MontPoint u = RandomPoint(prng);
  for (auto _ : state) {
    if (crypto_scalarmult(u.data(), scalar.data(), u.data()) != 0) {
      state.SkipWithError("all-zero output");
      break;
    }
    benchmark::DoNotOptimize(u);
  }
  SetPerItem(state, 1);
}
BENCHMARK(BM_SodiumX25519ScalarMult);

// BM_OpensslX25519Derive measures EVP_PKEY_derive alone (peer key already
// parsed and set); WithPeer adds parsing the peer's 32 bytes into an
// EVP_PKEY and setting it, as a PSI party would per item.
void BM_OpensslX25519Derive(benchmark::State& state, bool with_peer_setup) {
  Prng prng = Prng::FromTestSeed(kBenchSeed);
  const MontPoint scalar = RandomPoint(prng);
  const MontPoint u = RandomPoint(prng);
  EVP_PKEY* priv =
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, scalar.data(), 32);
  EVP_PKEY* peer =
      EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, u.data(), 32);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(priv, nullptr);
  if (priv == nullptr || peer == nullptr || ctx == nullptr ||
      EVP_PKEY_derive_init(ctx) != 1 ||
      EVP_PKEY_derive_set_peer(ctx, peer) != 1) {
    state.SkipWithError("OpenSSL X25519 setup failed");
  } else {
    MontPoint out;
    for (auto _ : state) {
      if (with_peer_setup) {
        EVP_PKEY* p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr,
                                                  out.data(), 32);
        EVP_PKEY_derive_set_peer(ctx, p);
        EVP_PKEY_free(p);
      }
      size_t len = out.size();
      if (EVP_PKEY_derive(ctx, out.data(), &len) != 1) {
        state.SkipWithError("derive failed");
        break;
      }
      benchmark::DoNotOptimize(out);
    }
    SetPerItem(state, 1);
  }
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(peer);
  EVP_PKEY_free(priv);
}
BENCHMARK_CAPTURE(BM_OpensslX25519Derive, DeriveOnly, false);
BENCHMARK_CAPTURE(BM_OpensslX25519Derive, WithPeer, true);

}  // namespace
}  // namespace liaison::crypto

int main(int argc, char** argv) {
  benchmark::AddCustomContext("x25519_backend",
                              liaison::crypto::X25519Backend());
  benchmark::AddCustomContext(
      "avx512ifma_available",
      liaison::crypto::internal::Avx512IfmaAvailable() ? "yes" : "no");
  benchmark::AddCustomContext(
      "cores", std::to_string(std::thread::hardware_concurrency()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
