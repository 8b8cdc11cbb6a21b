#include "crypto/gf128.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "crypto/block.h"
#include "crypto/internal/aes_internal.h"
#include "crypto/internal/gf128_internal.h"
#include "crypto/prng.h"
#include "crypto/vector_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::crypto {
namespace {

using internal::Gf128Impl;

// Fixed seed: a failure replays exactly.
constexpr uint64_t kSeed = 0x4746283231382900;

const Block kOne(0, 1);

std::vector<Gf128Impl> AvailableImpls() {
  std::vector<Gf128Impl> impls;
  for (Gf128Impl impl :
       {Gf128Impl::kPortable, Gf128Impl::kPclmul, Gf128Impl::kVpclmul512}) {
    if (internal::Gf128ImplAvailable(impl)) impls.push_back(impl);
  }
  return impls;
}

// RefMulWide is the textbook shift-and-xor product, bit by bit.
Gf128Unreduced RefMulWide(const Block& a, const Block& b) {
  uint64_t w[4] = {0, 0, 0, 0};
  for (int i = 0; i < 128; ++i) {
    if (!b.Bit(i)) continue;
    for (int j = 0; j < 128; ++j) {
      if (a.Bit(j)) w[(i + j) / 64] ^= uint64_t{1} << ((i + j) % 64);
    }
  }
  return {Block(w[1], w[0]), Block(w[3], w[2])};
}

// RefMul is Horner's rule on the bits of b, reducing after each doubling:
// an algorithm independent of the kernels' (reduce at the end).
Block RefMul(const Block& a, const Block& b) {
  Block r;
  for (int i = 127; i >= 0; --i) {
    const bool carry = (r.hi >> 63) != 0;
    r = Block((r.hi << 1) | (r.lo >> 63), r.lo << 1);
    if (carry) r.lo ^= 0x87;
    if (b.Bit(i)) r ^= a;
  }
  return r;
}

// Element parses the vector files' big-endian hex (hi digits first).
Block Element(const std::string& hex) {
  EXPECT_EQ(hex.size(), 32u) << hex;
  return Block(std::stoull(hex.substr(0, 16), nullptr, 16),
               std::stoull(hex.substr(16, 16), nullptr, 16));
}

Gf128Unreduced Wide(const std::string& hex) {
  EXPECT_EQ(hex.size(), 64u) << hex;
  return {Element(hex.substr(32)), Element(hex.substr(0, 32))};
}

bool SameWide(const Gf128Unreduced& x, const Gf128Unreduced& y) {
  return x.lo == y.lo && x.hi == y.hi;
}

std::vector<Block> RandomBlocks(Prng& prng, size_t n) {
  std::vector<Block> v(n);
  prng.Fill(absl::MakeSpan(v));
  return v;
}

TEST(Gf128Test, SelectionHonoursEnvironment) {
  EXPECT_STREQ(Gf128Backend(),
               internal::Gf128ImplName(internal::SelectedGf128Impl()));
  EXPECT_TRUE(internal::Gf128ImplAvailable(internal::SelectedGf128Impl()));
  if (::liaison::EnvFlagSet("LIAISON_NO_PCLMUL")) {
    EXPECT_STREQ(Gf128Backend(), "portable");
  } else if (::liaison::EnvFlagSet("LIAISON_NO_AVX512")) {
    EXPECT_STRNE(Gf128Backend(), "vpclmul512");
  } else if (internal::Gf128ImplAvailable(Gf128Impl::kVpclmul512)) {
    EXPECT_STREQ(Gf128Backend(), "vpclmul512");
  }
}

TEST(Gf128Test, ReferenceAgreesWithItself) {
  // The two reference algorithms, and the defining identity x^128 = 0x87.
  EXPECT_EQ(RefMul(Block(0, 2), Block(uint64_t{1} << 63, 0)), Block(0, 0x87));
  Prng prng = Prng::FromTestSeed(kSeed);
  for (int i = 0; i < 50; ++i) {
    const Block a = prng.NextBlock(), b = prng.NextBlock();
    const Gf128Unreduced w = RefMulWide(a, b);
    // Reduce the wide product with RefMul: hi * x^128 + lo = hi * 0x87 + lo.
    EXPECT_EQ(RefMul(w.hi, Block(0, 0x87)) ^ w.lo, RefMul(a, b));
  }
}

TEST(Gf128Test, KnownAnswersOnEveryBackend) {
  const auto vectors = testing::ReadVectorFile("tests/vectors/gf128/gf128.txt");
  ASSERT_EQ(vectors.size(), 25u);
  for (Gf128Impl impl : AvailableImpls()) {
    SCOPED_TRACE(internal::Gf128ImplName(impl));
    for (const auto& v : vectors) {
      const std::string& op = v.at("op");
      const Block a = Element(v.at("a"));
      if (op == "mul") {
        const Block b = Element(v.at("b"));
        EXPECT_EQ(internal::Gf128MulWith(impl, a, b), Element(v.at("product")))
            << v.at("a");
        EXPECT_EQ(internal::Gf128MulWith(impl, b, a), Element(v.at("product")))
            << v.at("a");
        EXPECT_TRUE(SameWide(internal::Gf128MulUnreducedWith(impl, a, b),
                             Wide(v.at("wide"))));
        EXPECT_EQ(internal::Gf128ReduceWith(impl, Wide(v.at("wide"))),
                  Element(v.at("product")));
      } else if (op == "pow") {
        EXPECT_EQ(internal::Gf128PowWith(impl, a,
                                         std::stoull(v.at("e"), nullptr, 16)),
                  Element(v.at("result")))
            << v.at("a") << " ^ " << v.at("e");
      } else {
        ASSERT_EQ(op, "inverse");
        EXPECT_EQ(internal::Gf128InverseWith(impl, a), Element(v.at("result")))
            << v.at("a");
      }
    }
  }
}

TEST(Gf128Test, MatchesBitByBitReferenceOnRandomInputs) {
  Prng prng = Prng::FromTestSeed(kSeed + 1);
  std::vector<std::pair<Block, Block>> cases;
  for (int i = 0; i < 300; ++i)
    cases.push_back({prng.NextBlock(), prng.NextBlock()});
  // Sparse and extreme operands: single bits at the word edges, all ones.
  for (int i : {0, 1, 62, 63, 64, 65, 120, 127}) {
    for (int j : {0, 63, 64, 127}) {
      Block a, b;
      (i < 64 ? a.lo : a.hi) = uint64_t{1} << (i % 64);
      (j < 64 ? b.lo : b.hi) = uint64_t{1} << (j % 64);
      cases.push_back({a, b});
      cases.push_back({a ^ kAllOnesBlock, b});
    }
  }
  cases.push_back({kAllOnesBlock, kAllOnesBlock});
  for (Gf128Impl impl : AvailableImpls()) {
    SCOPED_TRACE(internal::Gf128ImplName(impl));
    for (const auto& [a, b] : cases) {
      const Gf128Unreduced want_wide = RefMulWide(a, b);
      ASSERT_EQ(internal::Gf128MulWith(impl, a, b), RefMul(a, b))
          << a.ToHex() << " " << b.ToHex();
      ASSERT_TRUE(
          SameWide(internal::Gf128MulUnreducedWith(impl, a, b), want_wide));
      ASSERT_EQ(internal::Gf128ReduceWith(impl, want_wide), RefMul(a, b));
    }
  }
}

TEST(Gf128Test, FieldAxiomsHold) {
  Prng prng = Prng::FromTestSeed(kSeed + 2);
  for (Gf128Impl impl : AvailableImpls()) {
    SCOPED_TRACE(internal::Gf128ImplName(impl));
    auto mul = [impl](const Block& x, const Block& y) {
      return internal::Gf128MulWith(impl, x, y);
    };
    for (int i = 0; i < 100; ++i) {
      const Block a = prng.NextBlock(), b = prng.NextBlock(),
                  c = prng.NextBlock();
      EXPECT_EQ(mul(a, b), mul(b, a));
      EXPECT_EQ(mul(mul(a, b), c), mul(a, mul(b, c)));
      EXPECT_EQ(mul(a, b ^ c), mul(a, b) ^ mul(a, c));
      EXPECT_EQ(mul(a, kOne), a);
      EXPECT_EQ(mul(a, kZeroBlock), kZeroBlock);
      const Block inv = internal::Gf128InverseWith(impl, a);
      EXPECT_EQ(mul(a, inv), kOne) << a.ToHex();
      EXPECT_EQ(internal::Gf128InverseWith(impl, inv), a);
      // Unreduced products are linear: reduce once after summing.
      const Gf128Unreduced sum = internal::Gf128MulUnreducedWith(impl, a, b) ^
                                 internal::Gf128MulUnreducedWith(impl, a, c);
      EXPECT_EQ(internal::Gf128ReduceWith(impl, sum), mul(a, b ^ c));
    }
    EXPECT_EQ(internal::Gf128InverseWith(impl, kZeroBlock), kZeroBlock);
    EXPECT_EQ(internal::Gf128InverseWith(impl, kOne), kOne);
  }
}

TEST(Gf128Test, PowMatchesRepeatedMultiplication) {
  Prng prng = Prng::FromTestSeed(kSeed + 3);
  for (Gf128Impl impl : AvailableImpls()) {
    SCOPED_TRACE(internal::Gf128ImplName(impl));
    const Block a = prng.NextBlock();
    Block power = kOne;
    for (uint64_t e = 0; e < 40; ++e) {
      EXPECT_EQ(internal::Gf128PowWith(impl, a, e), power) << e;
      power = internal::Gf128MulWith(impl, power, a);
    }
    const uint64_t e1 = prng.NextU64() >> 1, e2 = prng.NextU64() >> 1;
    EXPECT_EQ(internal::Gf128PowWith(impl, a, e1 + e2),
              internal::Gf128MulWith(impl, internal::Gf128PowWith(impl, a, e1),
                                     internal::Gf128PowWith(impl, a, e2)));
    // Frobenius: a^(2^128) = a, as (a^(2^64))^(2^64) with 2^64 = 2 * 2^63.
    const auto pow_2_64 = [&](const Block& x) {
      const Block y = internal::Gf128PowWith(impl, x, uint64_t{1} << 63);
      return internal::Gf128MulWith(impl, y, y);
    };
    EXPECT_EQ(pow_2_64(pow_2_64(a)), a);
  }
}

constexpr size_t kSizes[] = {0,  1,  2,  3,  4,  5,  7,  8,   9,
                             11, 12, 15, 16, 17, 31, 33, 100, 1001};

TEST(Gf128Test, InnerProductMatchesSumOfProducts) {
  Prng prng = Prng::FromTestSeed(kSeed + 4);
  for (size_t n : kSizes) {
    SCOPED_TRACE(n);
    const std::vector<Block> a = RandomBlocks(prng, n),
                             b = RandomBlocks(prng, n);
    Gf128Unreduced want_wide;
    Block want;
    for (size_t i = 0; i < n; ++i) {
      want_wide ^= RefMulWide(a[i], b[i]);
      want ^= RefMul(a[i], b[i]);
    }
    for (Gf128Impl impl : AvailableImpls()) {
      SCOPED_TRACE(internal::Gf128ImplName(impl));
      const Gf128Unreduced got =
          internal::Gf128InnerProductUnreducedWith(impl, a, b);
      EXPECT_TRUE(SameWide(got, want_wide));
      EXPECT_EQ(internal::Gf128ReduceWith(impl, got), want);
    }
    EXPECT_EQ(Gf128InnerProduct(a, b), want);
    EXPECT_TRUE(SameWide(Gf128InnerProductUnreduced(a, b), want_wide));
  }
}

TEST(Gf128Test, MulBlocksMatchesMulInAndOutOfPlace) {
  Prng prng = Prng::FromTestSeed(kSeed + 5);
  for (size_t n : kSizes) {
    SCOPED_TRACE(n);
    const std::vector<Block> a = RandomBlocks(prng, n),
                             b = RandomBlocks(prng, n);
    std::vector<Block> want(n);
    for (size_t i = 0; i < n; ++i) want[i] = RefMul(a[i], b[i]);
    for (Gf128Impl impl : AvailableImpls()) {
      SCOPED_TRACE(internal::Gf128ImplName(impl));
      // One guard block on each side of the output.
      std::vector<Block> out(n + 2, kAllOnesBlock);
      internal::Gf128MulBlocksWith(impl, a, b,
                                   absl::MakeSpan(out).subspan(1, n));
      EXPECT_EQ(out.front(), kAllOnesBlock);
      EXPECT_EQ(out.back(), kAllOnesBlock);
      EXPECT_EQ(std::vector<Block>(out.begin() + 1, out.end() - 1), want);
      std::vector<Block> in_place = a;
      internal::Gf128MulBlocksWith(impl, in_place, b, absl::MakeSpan(in_place));
      EXPECT_EQ(in_place, want);
    }
    std::vector<Block> got(n);
    Gf128MulBlocks(a, b, absl::MakeSpan(got));
    EXPECT_EQ(got, want);
  }
}

TEST(Gf128Test, PublicFunctionsMatchTheSelectedBackend) {
  Prng prng = Prng::FromTestSeed(kSeed + 6);
  const Gf128Impl impl = internal::SelectedGf128Impl();
  const Block a = prng.NextBlock(), b = prng.NextBlock();
  EXPECT_EQ(Gf128Mul(a, b), RefMul(a, b));
  EXPECT_TRUE(SameWide(Gf128MulUnreduced(a, b), RefMulWide(a, b)));
  EXPECT_EQ(Gf128Reduce(RefMulWide(a, b)), RefMul(a, b));
  EXPECT_EQ(Gf128Pow(a, 12345), internal::Gf128PowWith(impl, a, 12345));
  EXPECT_EQ(Gf128Mul(Gf128Inverse(a), a), kOne);
}

TEST(Gf128DeathTest, MismatchedSizesAbort) {
  std::vector<Block> a(3), b(2), out(3);
  EXPECT_DEATH(Gf128InnerProduct(a, b), "sizes differ");
  EXPECT_DEATH(Gf128MulBlocks(a, b, absl::MakeSpan(out)), "sizes differ");
  EXPECT_DEATH(Gf128MulBlocks(a, a, absl::MakeSpan(b)), "sizes differ");
}

}  // namespace
}  // namespace liaison::crypto
