// Constant-time check of AES-128 (crypto/aes.h), GF(2^128) (crypto/gf128.h)
// and Prng, run under valgrind's memcheck (the "ctgrind" technique, as in
// x25519_constant_time_check.cc): keys, seeds, plaintexts, field elements
// and exponents are marked undefined, so memcheck reports every branch
// taken on, and every address computed from, data derived from them. The
// program exits non-zero under valgrind if there is one.
//
// Valgrind executes AES-NI and PCLMULQDQ but not AVX-512, so the portable
// and xmm backends are checked here; the VAES and VPCLMULQDQ kernels have
// the same structure (branches and addresses from the block count only)
// and are compared against the portable code by the unit tests.
#include <valgrind/memcheck.h>

#include <cstdio>
#include <vector>

#include "crypto/aes.h"
#include "crypto/block.h"
#include "crypto/gf128.h"
#include "crypto/internal/aes_internal.h"
#include "crypto/internal/gf128_internal.h"
#include "crypto/prng.h"

namespace liaison::crypto {
namespace {

void Secret(const void* p, size_t len) {
  VALGRIND_MAKE_MEM_UNDEFINED(const_cast<void*>(p), len);
}

void Public(const void* p, size_t len) {
  VALGRIND_MAKE_MEM_DEFINED(const_cast<void*>(p), len);
}

template <typename T>
void PublicVector(const std::vector<T>& v) {
  Public(v.data(), v.size() * sizeof(T));
}

// Checksum folds outputs into one public value to print, so the work is
// not optimised away and the run shows what it computed.
uint64_t checksum = 0;
void Fold(absl::Span<const Block> blocks) {
  Public(blocks.data(), blocks.size() * sizeof(Block));
  for (const Block& b : blocks) checksum = checksum * 31 + (b.lo ^ b.hi);
}

void CheckAes(internal::AesImpl impl) {
  Prng prng = Prng::FromTestSeed(0x6374677269640002);
  Block key = prng.NextBlock();
  std::vector<Block> in(37);
  prng.Fill(absl::MakeSpan(in));
  uint64_t start = prng.NextU64(), hi = prng.NextU64();
  Secret(&key, sizeof(key));
  Secret(in.data(), in.size() * sizeof(Block));
  Secret(&start, sizeof(start));
  Secret(&hi, sizeof(hi));

  std::array<Block, 11> round_keys;
  internal::ExpandKeyWith(impl, key, round_keys);
  Fold(round_keys);
  const Aes128 aes(key);  // the selected backend's expansion
  std::vector<Block> out(in.size());
  internal::EncryptBlocksWith(impl, aes, in, absl::MakeSpan(out));
  Fold(out);
  internal::CtrKeystreamWith(
      impl, aes, hi, start, reinterpret_cast<uint8_t*>(out.data()), out.size());
  Fold(out);
  internal::CrHashWith(impl, in, absl::MakeSpan(out));
  Fold(out);
  internal::TccrHashWith(impl, in, start, absl::MakeSpan(out));
  Fold(out);
}

void CheckGf128(internal::Gf128Impl impl) {
  Prng prng = Prng::FromTestSeed(0x6374677269640003);
  std::vector<Block> a(21), b(21);
  prng.Fill(absl::MakeSpan(a));
  prng.Fill(absl::MakeSpan(b));
  a[5] = kZeroBlock;  // the inverse of zero takes no other path
  uint64_t e = prng.NextU64();
  Secret(a.data(), a.size() * sizeof(Block));
  Secret(b.data(), b.size() * sizeof(Block));
  Secret(&e, sizeof(e));

  std::vector<Block> out(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const Gf128Unreduced w = internal::Gf128MulUnreducedWith(impl, a[i], b[i]);
    out[i] = internal::Gf128MulWith(impl, a[i], b[i]) ^
             internal::Gf128ReduceWith(impl, w);
  }
  Fold(out);
  const Block inv[2] = {internal::Gf128InverseWith(impl, a[0]),
                        internal::Gf128InverseWith(impl, a[5])};
  Fold(inv);
  const Block pow = internal::Gf128PowWith(impl, a[1], e);
  Fold(absl::MakeConstSpan(&pow, 1));
  const Gf128Unreduced ip =
      internal::Gf128InnerProductUnreducedWith(impl, a, b);
  const Block ip_blocks[2] = {ip.lo, ip.hi};
  Fold(ip_blocks);
  internal::Gf128MulBlocksWith(impl, a, b, absl::MakeSpan(out));
  Fold(out);
}

void CheckPrng() {
  // The seed is secret; reads of every size go through the buffer and the
  // direct path.
  Seed seed;
  for (size_t i = 0; i < seed.size(); ++i)
    seed.data()[i] = static_cast<uint8_t>(i * 7 + 3);
  Secret(seed.data(), seed.size());
  Prng prng(seed);
  std::vector<Block> blocks(300);
  prng.Fill(absl::MakeSpan(blocks));
  Fold(blocks);
  std::vector<uint8_t> bytes(1001);
  prng.Fill(absl::MakeSpan(bytes));
  PublicVector(bytes);
  const Block next[2] = {prng.NextBlock(), Block(0, prng.NextU64())};
  Fold(next);
}

int Run() {
  using internal::AesImpl;
  using internal::Gf128Impl;
  for (AesImpl impl : {AesImpl::kPortable, AesImpl::kAesNi}) {
    if (!internal::AesImplAvailable(impl)) continue;
    CheckAes(impl);
    std::printf("aes %s checked\n", internal::AesImplName(impl));
  }
  for (Gf128Impl impl : {Gf128Impl::kPortable, Gf128Impl::kPclmul}) {
    if (!internal::Gf128ImplAvailable(impl)) continue;
    CheckGf128(impl);
    std::printf("gf128 %s checked\n", internal::Gf128ImplName(impl));
  }
  CheckPrng();
  std::printf("prng (%s) checked; checksum %016llx\n", AesBackend(),
              static_cast<unsigned long long>(checksum));
  return 0;
}

}  // namespace
}  // namespace liaison::crypto

int main() { return liaison::crypto::Run(); }
