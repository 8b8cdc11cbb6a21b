// Field arithmetic mod 2^255 - 19: the portable code, and the IFMA kernel
// against it at the edges of its input range.
#include "crypto/internal/fe25519.h"

#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/internal/x25519_internal.h"
#include "crypto/prng.h"
#include "gtest/gtest.h"

namespace liaison::crypto::internal {
namespace {

constexpr uint64_t kSeed = 0x4665323535313921;

std::string Hex(const Fe& a) {
  uint8_t b[32];
  FeToBytes(b, a);
  return ToHex(ByteSpan(b, 32));
}

Fe FeFromU64(uint64_t v) {
  return FeCarry(Fe{{v & kFeMask51, v >> 51, 0, 0, 0}});
}

// RandomLimbs returns limbs below 2^bits each: a valid, possibly loose,
// representation of some field element.
Fe RandomLimbs(Prng& prng, int bits) {
  Fe a;
  for (auto& limb : a.v) limb = prng.NextU64() >> (64 - bits);
  return a;
}

// PMinus returns p - v as a tight element.
Fe PMinus(uint64_t v) { return FeCarry(FeSub(FeZero(), FeFromU64(v))); }

TEST(Fe25519Test, ToBytesIsCanonicalNearThePrime) {
  // p - 1, p, p + 1 and 2^255 - 1 as limbs below 2^51.
  const uint64_t m = kFeMask51;
  EXPECT_EQ(Hex(Fe{{m - 19, m, m, m, m}}),
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  EXPECT_EQ(Hex(Fe{{m - 18, m, m, m, m}}), std::string(64, '0'));
  EXPECT_EQ(Hex(Fe{{m - 17, m, m, m, m}}),
            "0100000000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(Hex(Fe{{m, m, m, m, m}}),
            "1200000000000000000000000000000000000000000000000000000000000000");
  // Loose limbs far above 2^51 still encode their residue.
  const Fe loose{{(uint64_t{1} << 54) - 1, (uint64_t{1} << 54) - 1, 0, 0, 0}};
  EXPECT_EQ(Hex(loose), Hex(FeMul(loose, FeOne())));
}

TEST(Fe25519Test, FromBigEndian48MatchesHornerReduction) {
  Prng prng = Prng::FromTestSeed(kSeed);
  for (int trial = 0; trial < 200; ++trial) {
    uint8_t in[48];
    prng.Fill(MutableByteSpan(in, sizeof(in)));
    if (trial == 0) std::fill(in, in + 48, 0xff);  // 2^384 - 1
    if (trial == 1) std::fill(in, in + 48, 0x00);
    Fe expected = FeZero();
    for (uint8_t byte : in) {
      expected = FeCarry(FeAdd(FeMulSmall(expected, 256), FeFromU64(byte)));
    }
    EXPECT_EQ(Hex(FeFromBigEndian48(in)), Hex(expected)) << trial;
  }
}

TEST(Fe25519Test, InvertGivesInverseAndZeroForZero) {
  Prng prng = Prng::FromTestSeed(kSeed + 1);
  for (int i = 0; i < 50; ++i) {
    const Fe a = RandomLimbs(prng, 54);
    EXPECT_EQ(Hex(FeMul(a, FeInvert(a))), Hex(FeOne()));
  }
  EXPECT_EQ(Hex(FeInvert(FeZero())), Hex(FeZero()));
}

TEST(Fe25519Test, BatchInvertHandlesZerosInPlace) {
  Prng prng = Prng::FromTestSeed(kSeed + 2);
  std::vector<Fe> z(37), scratch(37);
  for (size_t i = 0; i < z.size(); ++i) {
    z[i] = (i % 5 == 0) ? FeZero() : RandomLimbs(prng, 52);
  }
  z[7] = Fe{{kFeMask51 - 18, kFeMask51, kFeMask51, kFeMask51, kFeMask51}};  // p
  const std::vector<Fe> original = z;
  FeBatchInvert(z.data(), scratch.data(), z.size());
  for (size_t i = 0; i < z.size(); ++i) {
    EXPECT_EQ(Hex(z[i]), Hex(FeInvert(original[i]))) << i;
  }
}

TEST(Fe25519Test, EulerCriterion) {
  EXPECT_EQ(Hex(FePowHalfPMinus1(FeZero())), Hex(FeZero()));
  EXPECT_EQ(Hex(FePowHalfPMinus1(FeOne())), Hex(FeOne()));
  EXPECT_EQ(Hex(FePowHalfPMinus1(FeFromU64(4))), Hex(FeOne()));
  // p = 5 mod 8: 2 is a non-square and -1 a square.
  EXPECT_EQ(Hex(FePowHalfPMinus1(FeFromU64(2))), Hex(PMinus(1)));
  EXPECT_EQ(Hex(FePowHalfPMinus1(PMinus(1))), Hex(FeOne()));
  Prng prng = Prng::FromTestSeed(kSeed + 3);
  for (int i = 0; i < 20; ++i) {
    const Fe a = RandomLimbs(prng, 51);
    EXPECT_EQ(Hex(FePowHalfPMinus1(FeSq(a))), Hex(FeOne()));
    EXPECT_EQ(Hex(FePowHalfPMinus1(FeMul(FeFromU64(2), FeSq(a)))),
              Hex(PMinus(1)));
  }
}

TEST(Fe25519IfmaTest, EulerCriterionMatchesPortableAtTheInputBounds) {
  if (!Avx512IfmaAvailable())
    GTEST_SKIP() << "this CPU or OS has no AVX-512 IFMA";
  Prng prng = Prng::FromTestSeed(kSeed + 4);
  std::vector<Fe> in;
  const uint64_t max52 = (uint64_t{1} << 52) - 1;
  in.push_back(FeZero());
  in.push_back(FeOne());
  in.push_back(PMinus(1));
  in.push_back(FeFromU64(2));
  in.push_back(
      Fe{{max52, max52, max52, max52, max52}});  // largest accepted limbs
  in.push_back(
      Fe{{kFeMask51 - 18, kFeMask51, kFeMask51, kFeMask51, kFeMask51}});  // p
  for (int i = 0; i < 200; ++i) in.push_back(RandomLimbs(prng, 52));
  for (int i = 0; i < 50; ++i) in.push_back(FeSq(RandomLimbs(prng, 52)));
  std::vector<uint64_t> limbs;
  for (const Fe& a : in) limbs.insert(limbs.end(), a.v, a.v + 5);
  std::vector<uint64_t> out(limbs.size());
  PowHalfPMinus1BatchWith(X25519Impl::kAvx512Ifma, limbs.data(), out.data(),
                          in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const Fe got{{out[5 * i], out[5 * i + 1], out[5 * i + 2], out[5 * i + 3],
                  out[5 * i + 4]}};
    // The kernel promises canonical limbs, so compare them directly too.
    const Fe want = FeCanonical(FePowHalfPMinus1(in[i]));
    for (int j = 0; j < 5; ++j)
      EXPECT_EQ(got.v[j], want.v[j]) << "element " << i;
  }
}

}  // namespace
}  // namespace liaison::crypto::internal
