#include "crypto/gf128.h"

#include <cstdlib>
#include <string>

#include "base/log.h"
#include "crypto/internal/aes_internal.h"
#include "crypto/internal/gf128_internal.h"
#include "crypto/internal/gf128_kernels.h"

namespace liaison::crypto {

namespace internal {
namespace {

const Gf128Kernels& Kernels(Gf128Impl impl) {
  switch (impl) {
#if LIAISON_HAVE_VPCLMUL512_KERNELS
    case Gf128Impl::kVpclmul512: {
      // Single products stay on xmm: a zmm instruction buys nothing for
      // one element. Built on first use, so no static initialisation order
      // between this file and gf128_pclmul.cc matters.
      static const Gf128Kernels kernels = {
          kPclmulGf128Kernels.mul_wide, kPclmulGf128Kernels.reduce,
          kPclmulGf128Kernels.mul, Vpclmul512MulBlocks, Vpclmul512InnerProduct};
      return kernels;
    }
#endif
#if LIAISON_HAVE_PCLMUL_KERNELS
    case Gf128Impl::kPclmul:
      return kPclmulGf128Kernels;
#endif
    case Gf128Impl::kPortable:
      return kPortableGf128Kernels;
    default:
      break;
  }
  Log(LogLevel::kError, "GF(2^128): requested backend is not compiled in");
  std::abort();
}

const Gf128Kernels& Selected() {
  static const Gf128Kernels& kernels = Kernels(SelectedGf128Impl());
  return kernels;
}

const uint64_t* Words(const Block& b) { return &b.lo; }
uint64_t* Words(Block& b) { return &b.lo; }
// Block is {lo, hi}, 16 bytes with no padding (static_assert in block.h),
// so &lo addresses both words and an array of Blocks is an array of words.
const uint64_t* Words(const Block* b) { return &b->lo; }
uint64_t* Words(Block* b) { return &b->lo; }

Block Mul(const Gf128Kernels& k, const Block& a, const Block& b) {
  Block out;
  k.mul(Words(a), Words(b), Words(out));
  return out;
}

Gf128Unreduced MulUnreduced(const Gf128Kernels& k, const Block& a,
                            const Block& b) {
  uint64_t w[4];
  k.mul_wide(Words(a), Words(b), w);
  return {Block(w[1], w[0]), Block(w[3], w[2])};
}

Block Reduce(const Gf128Kernels& k, const Gf128Unreduced& wide) {
  const uint64_t w[4] = {wide.lo.lo, wide.lo.hi, wide.hi.lo, wide.hi.hi};
  Block out;
  k.reduce(w, Words(out));
  return out;
}

// SquareTimes returns a^(2^n).
Block SquareTimes(const Gf128Kernels& k, Block a, int n) {
  for (int i = 0; i < n; ++i) a = Mul(k, a, a);
  return a;
}

Block Pow(const Gf128Kernels& k, const Block& a, uint64_t e) {
  // Left to right, always multiplying and keeping the product or not by a
  // mask, so the exponent's bits steer no branch.
  Block r(0, 1);
  for (int i = 63; i >= 0; --i) {
    r = Mul(k, r, r);
    const Block t = Mul(k, r, a);
    const Block keep = Block::AllOnesIf(e >> i);
    r = (t & keep) | (r & ~keep);
  }
  return r;
}

Block Inverse(const Gf128Kernels& k, const Block& a) {
  // a^(2^128 - 2) = (a^(2^127 - 1))^2, with b_n = a^(2^n - 1) built by
  // b_(m+n) = b_m^(2^n) * b_n (Itoh-Tsujii) along 1, 2, 3, 6, 7, 14, 15,
  // 30, 31, 62, 63, 126, 127: 12 multiplications, 127 squarings.
  const Block b1 = a;
  const Block b2 = Mul(k, SquareTimes(k, b1, 1), b1);
  const Block b3 = Mul(k, SquareTimes(k, b2, 1), b1);
  const Block b6 = Mul(k, SquareTimes(k, b3, 3), b3);
  const Block b7 = Mul(k, SquareTimes(k, b6, 1), b1);
  const Block b14 = Mul(k, SquareTimes(k, b7, 7), b7);
  const Block b15 = Mul(k, SquareTimes(k, b14, 1), b1);
  const Block b30 = Mul(k, SquareTimes(k, b15, 15), b15);
  const Block b31 = Mul(k, SquareTimes(k, b30, 1), b1);
  const Block b62 = Mul(k, SquareTimes(k, b31, 31), b31);
  const Block b63 = Mul(k, SquareTimes(k, b62, 1), b1);
  const Block b126 = Mul(k, SquareTimes(k, b63, 63), b63);
  const Block b127 = Mul(k, SquareTimes(k, b126, 1), b1);
  return Mul(k, b127, b127);
}

void CheckSizes(size_t a, size_t b, const char* what) {
  if (a != b) {
    // A caller bug that would read or write out of bounds; there is no
    // status to return it in.
    Log(LogLevel::kError, std::string(what) + ": sizes differ");
    std::abort();
  }
}

Gf128Unreduced InnerProductUnreduced(const Gf128Kernels& k,
                                     absl::Span<const Block> a,
                                     absl::Span<const Block> b) {
  CheckSizes(a.size(), b.size(), "Gf128InnerProduct");
  uint64_t acc[4] = {0, 0, 0, 0};
  if (!a.empty())
    k.inner_product(Words(a.data()), Words(b.data()), a.size(), acc);
  return {Block(acc[1], acc[0]), Block(acc[3], acc[2])};
}

void MulBlocks(const Gf128Kernels& k, absl::Span<const Block> a,
               absl::Span<const Block> b, absl::Span<Block> out) {
  CheckSizes(a.size(), b.size(), "Gf128MulBlocks");
  CheckSizes(a.size(), out.size(), "Gf128MulBlocks");
  if (a.empty()) return;
  k.mul_blocks(Words(a.data()), Words(b.data()), Words(out.data()), a.size());
}

}  // namespace

const char* Gf128ImplName(Gf128Impl impl) {
  switch (impl) {
    case Gf128Impl::kVpclmul512:
      return "vpclmul512";
    case Gf128Impl::kPclmul:
      return "pclmul";
    case Gf128Impl::kPortable:
      break;
  }
  return "portable";
}

bool Gf128ImplAvailable(Gf128Impl impl) {
  switch (impl) {
    case Gf128Impl::kPortable:
      return true;
    case Gf128Impl::kPclmul:
#if LIAISON_HAVE_PCLMUL_KERNELS
      return CpuHasPclmul();
#else
      return false;
#endif
    case Gf128Impl::kVpclmul512:
#if LIAISON_HAVE_VPCLMUL512_KERNELS
      return CpuHasVpclmul512();
#else
      return false;
#endif
  }
  return false;
}

Gf128Impl SelectedGf128Impl() {
  static const Gf128Impl impl = [] {
    if (EnvFlagSet("LIAISON_NO_PCLMUL")) return Gf128Impl::kPortable;
    if (!EnvFlagSet("LIAISON_NO_AVX512") &&
        Gf128ImplAvailable(Gf128Impl::kVpclmul512)) {
      return Gf128Impl::kVpclmul512;
    }
    if (Gf128ImplAvailable(Gf128Impl::kPclmul)) return Gf128Impl::kPclmul;
    return Gf128Impl::kPortable;
  }();
  return impl;
}

Block Gf128MulWith(Gf128Impl impl, const Block& a, const Block& b) {
  return Mul(Kernels(impl), a, b);
}
Gf128Unreduced Gf128MulUnreducedWith(Gf128Impl impl, const Block& a,
                                     const Block& b) {
  return MulUnreduced(Kernels(impl), a, b);
}
Block Gf128ReduceWith(Gf128Impl impl, const Gf128Unreduced& wide) {
  return Reduce(Kernels(impl), wide);
}
Block Gf128PowWith(Gf128Impl impl, const Block& a, uint64_t e) {
  return Pow(Kernels(impl), a, e);
}
Block Gf128InverseWith(Gf128Impl impl, const Block& a) {
  return Inverse(Kernels(impl), a);
}
Gf128Unreduced Gf128InnerProductUnreducedWith(Gf128Impl impl,
                                              absl::Span<const Block> a,
                                              absl::Span<const Block> b) {
  return InnerProductUnreduced(Kernels(impl), a, b);
}
void Gf128MulBlocksWith(Gf128Impl impl, absl::Span<const Block> a,
                        absl::Span<const Block> b, absl::Span<Block> out) {
  MulBlocks(Kernels(impl), a, b, out);
}

}  // namespace internal

Block Gf128Mul(const Block& a, const Block& b) {
  return internal::Mul(internal::Selected(), a, b);
}

Gf128Unreduced Gf128MulUnreduced(const Block& a, const Block& b) {
  return internal::MulUnreduced(internal::Selected(), a, b);
}

Block Gf128Reduce(const Gf128Unreduced& wide) {
  return internal::Reduce(internal::Selected(), wide);
}

Block Gf128Pow(const Block& a, uint64_t e) {
  return internal::Pow(internal::Selected(), a, e);
}

Block Gf128Inverse(const Block& a) {
  return internal::Inverse(internal::Selected(), a);
}

Block Gf128InnerProduct(absl::Span<const Block> a, absl::Span<const Block> b) {
  return Gf128Reduce(
      internal::InnerProductUnreduced(internal::Selected(), a, b));
}

Gf128Unreduced Gf128InnerProductUnreduced(absl::Span<const Block> a,
                                          absl::Span<const Block> b) {
  return internal::InnerProductUnreduced(internal::Selected(), a, b);
}

void Gf128MulBlocks(absl::Span<const Block> a, absl::Span<const Block> b,
                    absl::Span<Block> out) {
  internal::MulBlocks(internal::Selected(), a, b, out);
}

const char* Gf128Backend() {
  return internal::Gf128ImplName(internal::SelectedGf128Impl());
}

}  // namespace liaison::crypto
