#include "crypto/x25519.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/internal/x25519_internal.h"
#include "crypto/prng.h"
#include "crypto/vector_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::crypto {
namespace {

using internal::X25519Impl;

// Fixed seeds: a failure replays exactly.
constexpr uint64_t kSeed = 0x5832353531392d31;

MontPoint PointFromHex(const std::string& hex) {
  MontPoint p{};
  absl::StatusOr<Bytes> bytes = FromHex(hex);
  if (!bytes.ok() || bytes->size() != p.size()) {
    ADD_FAILURE() << "bad 32-byte hex: " << hex;
    return p;
  }
  std::copy(bytes->begin(), bytes->end(), p.begin());
  return p;
}

std::string Hex(const MontPoint& p) { return ToHex(p); }

MontPoint RandomPoint(Prng& prng) {
  MontPoint p;
  prng.Fill(absl::MakeSpan(p));
  return p;
}

// PointFromU64 encodes a small integer, little-endian.
MontPoint PointFromU64(uint64_t v) {
  MontPoint p{};
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
  return p;
}

// P is 2^255 - 19, little-endian.
MontPoint FieldPrime() {
  MontPoint p;
  p.fill(0xff);
  p[0] = 0xed;
  p[31] = 0x7f;
  return p;
}

// AddSmall returns p + v (no wrap beyond 2^256).
MontPoint AddSmall(MontPoint p, unsigned v) {
  for (auto& b : p) {
    v += b;
    b = static_cast<uint8_t>(v);
    v >>= 8;
  }
  return p;
}

// Points of small order (and their non-canonical encodings): X25519 of any
// clamped scalar and these is zero. The list libsodium rejects.
std::vector<MontPoint> SmallOrderPoints() {
  std::vector<MontPoint> points = {
      PointFromU64(0),
      PointFromU64(1),
      PointFromHex(
          "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
      PointFromHex(
          "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
      AddSmall(FieldPrime(), 0),  // p = 0
  };
  MontPoint p_minus_1 = FieldPrime();
  p_minus_1[0] = 0xec;
  points.push_back(p_minus_1);
  points.push_back(AddSmall(FieldPrime(), 1));  // p + 1 = 1
  // The same with bit 255 set, which X25519 ignores.
  const size_t n = points.size();
  for (size_t i = 0; i < n; ++i) {
    MontPoint q = points[i];
    q[31] |= 0x80;
    points.push_back(q);
  }
  return points;
}

std::string ImplName(const ::testing::TestParamInfo<X25519Impl>& info) {
  return info.param == X25519Impl::kAvx512Ifma ? "Avx512Ifma" : "Portable";
}

TEST(X25519Test, Rfc7748KnownAnswers) {
  const auto blocks =
      testing::ReadVectorFile("tests/vectors/x25519/rfc7748.txt");
  int single = 0, iterated = 0;
  for (const auto& block : blocks) {
    if (block.count("iterations") != 0) {
      const int iterations = std::stoi(block.at("iterations"));
      MontPoint k = PointFromU64(9);
      MontPoint u = k;
      for (int i = 0; i < iterations; ++i) {
        MontPoint r = X25519(X25519Scalar::FromBytes(k), u);
        u = k;
        k = r;
      }
      EXPECT_EQ(Hex(k), block.at("out")) << iterations << " iterations";
      ++iterated;
    } else {
      const MontPoint scalar = PointFromHex(block.at("scalar"));
      const MontPoint u = PointFromHex(block.at("u"));
      EXPECT_EQ(Hex(X25519(X25519Scalar::FromBytes(scalar), u)),
                block.at("out"))
          << "scalar " << block.at("scalar");
      ++single;
    }
  }
  EXPECT_EQ(single, 6);
  EXPECT_EQ(iterated, 2);
}

TEST(X25519Test, ScalarIsClampedAsRfc7748Says) {
  MontPoint ones;
  ones.fill(0xff);
  X25519Scalar a = X25519Scalar::FromBytes(ones);
  EXPECT_EQ(a.bytes().data()[0], 0xf8);
  EXPECT_EQ(a.bytes().data()[31], 0x7f);
  EXPECT_EQ(a.bytes().data()[15], 0xff);

  MontPoint zeros{};
  X25519Scalar b = X25519Scalar::FromBytes(zeros);
  EXPECT_EQ(b.bytes().data()[0], 0x00);
  EXPECT_EQ(b.bytes().data()[31], 0x40);

  Prng prng = Prng::FromTestSeed(kSeed);
  for (int i = 0; i < 64; ++i) {
    X25519Scalar r = X25519Scalar::Random(prng);
    EXPECT_EQ(r.bytes().data()[0] & 0x07, 0);
    EXPECT_EQ(r.bytes().data()[31] & 0xc0, 0x40);
  }
}

TEST(X25519Test, RandomScalarsDiffer) {
  Prng prng = Prng::FromTestSeed(kSeed);
  X25519Scalar a = X25519Scalar::Random(prng);
  X25519Scalar b = X25519Scalar::Random(prng);
  EXPECT_FALSE(ConstantTimeEqual(a.bytes().span(), b.bytes().span()));
}

TEST(X25519Test, IsCanonicalPointEdgeCases) {
  const MontPoint p = FieldPrime();
  MontPoint p_minus_1 = p;
  p_minus_1[0] = 0xec;
  MontPoint all_ones;  // 2^256 - 1
  all_ones.fill(0xff);
  MontPoint top_bit_cleared_ones = all_ones;  // 2^255 - 1
  top_bit_cleared_ones[31] = 0x7f;
  MontPoint nine_with_top_bit = PointFromU64(9);
  nine_with_top_bit[31] = 0x80;

  EXPECT_TRUE(IsCanonicalPoint(PointFromU64(0)));
  EXPECT_TRUE(IsCanonicalPoint(PointFromU64(9)));
  EXPECT_TRUE(IsCanonicalPoint(p_minus_1));
  EXPECT_FALSE(IsCanonicalPoint(p));
  EXPECT_FALSE(IsCanonicalPoint(AddSmall(p, 1)));
  EXPECT_FALSE(IsCanonicalPoint(AddSmall(p, 18)));  // 2^255 - 1
  EXPECT_FALSE(IsCanonicalPoint(top_bit_cleared_ones));
  EXPECT_FALSE(IsCanonicalPoint(all_ones));
  EXPECT_FALSE(IsCanonicalPoint(nine_with_top_bit));
}

TEST(X25519Test, OutputIsCanonical) {
  Prng prng = Prng::FromTestSeed(kSeed + 1);
  const X25519Scalar k = X25519Scalar::Random(prng);
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(IsCanonicalPoint(X25519(k, RandomPoint(prng))));
  }
}

TEST(X25519Test, NonCanonicalInputsActAsTheirResidues) {
  Prng prng = Prng::FromTestSeed(kSeed + 2);
  const X25519Scalar k = X25519Scalar::Random(prng);
  const MontPoint p = FieldPrime();
  for (unsigned v : {0u, 1u, 2u, 9u, 17u, 18u}) {
    MontPoint residue = PointFromU64(v);
    MontPoint plus_p = AddSmall(p, v);  // p + v < 2^255 for v <= 18
    MontPoint top_bit = residue;
    top_bit[31] |= 0x80;
    EXPECT_EQ(Hex(X25519(k, plus_p)), Hex(X25519(k, residue))) << v;
    EXPECT_EQ(Hex(X25519(k, top_bit)), Hex(X25519(k, residue))) << v;
  }
}

TEST(X25519Test, SmallOrderPointsGiveZero) {
  Prng prng = Prng::FromTestSeed(kSeed + 3);
  const X25519Scalar k = X25519Scalar::Random(prng);
  const MontPoint zero{};
  for (const MontPoint& u : SmallOrderPoints()) {
    EXPECT_EQ(Hex(X25519(k, u)), Hex(zero)) << Hex(u);
  }
}

TEST(X25519Test, MatchesLibsodiumScalarmult) {
  ASSERT_GE(sodium_init(), 0);
  Prng prng = Prng::FromTestSeed(kSeed + 4);
  for (int i = 0; i < 200; ++i) {
    MontPoint scalar = RandomPoint(prng);
    MontPoint u = RandomPoint(prng);
    MontPoint expected;
    // libsodium clamps the scalar and masks bit 255 of u, as RFC 7748 does;
    // it returns -1 only for an all-zero result, which random u never give.
    ASSERT_EQ(crypto_scalarmult(expected.data(), scalar.data(), u.data()), 0);
    EXPECT_EQ(Hex(X25519(X25519Scalar::FromBytes(scalar), u)), Hex(expected))
        << "iteration " << i;
  }
}

// OpensslX25519 derives the X25519 shared secret with OpenSSL's EVP API.
MontPoint OpensslX25519(const MontPoint& scalar, const MontPoint& u) {
  MontPoint out{};
  EVP_PKEY* priv =
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, scalar.data(), 32);
  EVP_PKEY* peer =
      EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, u.data(), 32);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(priv, nullptr);
  size_t len = out.size();
  bool ok = priv != nullptr && peer != nullptr && ctx != nullptr &&
            EVP_PKEY_derive_init(ctx) == 1 &&
            EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
            EVP_PKEY_derive(ctx, out.data(), &len) == 1 && len == out.size();
  EXPECT_TRUE(ok) << "OpenSSL X25519 derive failed";
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(peer);
  EVP_PKEY_free(priv);
  return out;
}

TEST(X25519Test, MatchesOpensslDerive) {
  Prng prng = Prng::FromTestSeed(kSeed + 5);
  for (int i = 0; i < 200; ++i) {
    MontPoint scalar = RandomPoint(prng);
    MontPoint u = RandomPoint(prng);
    EXPECT_EQ(Hex(X25519(X25519Scalar::FromBytes(scalar), u)),
              Hex(OpensslX25519(scalar, u)))
        << "iteration " << i;
  }
}

TEST(X25519Test, DiffieHellmanIsCommutativeOnHashedPoints) {
  Prng prng = Prng::FromTestSeed(kSeed + 6);
  const std::string dst = "liaison-test-x25519-commutativity";
  for (int i = 0; i < 20; ++i) {
    const X25519Scalar a = X25519Scalar::Random(prng);
    const X25519Scalar b = X25519Scalar::Random(prng);
    const std::string item = "indicator-" + std::to_string(i) + ".example";
    const MontPoint h = HashToCurve25519(AsBytes(item), AsBytes(dst));
    EXPECT_EQ(Hex(X25519(a, X25519(b, h))), Hex(X25519(b, X25519(a, h))))
        << item;
  }
}

TEST(X25519Test, BackendNameMatchesSelection) {
  const std::string name = X25519Backend();
  if (internal::SelectedX25519Impl() == X25519Impl::kAvx512Ifma) {
    EXPECT_EQ(name, "avx512ifma");
    EXPECT_TRUE(internal::Avx512IfmaAvailable());
  } else {
    EXPECT_EQ(name, "portable");
  }
  const char* env = std::getenv("LIAISON_NO_AVX512");
  if (env != nullptr && std::string(env) == "1") {
    EXPECT_EQ(name, "portable");
  }
}

class X25519BatchTest : public ::testing::TestWithParam<X25519Impl> {
 protected:
  void SetUp() override {
    if (GetParam() == X25519Impl::kAvx512Ifma &&
        !internal::Avx512IfmaAvailable()) {
      GTEST_SKIP() << "this CPU or OS has no AVX-512 IFMA";
    }
  }

  std::vector<MontPoint> Batch(const X25519Scalar& k,
                               const std::vector<MontPoint>& in) {
    std::vector<MontPoint> out(in.size());
    internal::X25519BatchWith(GetParam(), k, in, absl::MakeSpan(out));
    return out;
  }
};

TEST_P(X25519BatchTest, EqualsSingleForEverySize) {
  Prng prng = Prng::FromTestSeed(kSeed + 7);
  for (size_t n : {0, 1, 7, 8, 9, 127, 128, 129, 1000}) {
    const X25519Scalar k = X25519Scalar::Random(prng);
    std::vector<MontPoint> in(n);
    for (auto& u : in) u = RandomPoint(prng);
    const std::vector<MontPoint> out = Batch(k, in);
    ASSERT_EQ(out.size(), n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(Hex(out[i]), Hex(X25519(k, in[i]))) << "n=" << n << " i=" << i;
    }
  }
}

TEST_P(X25519BatchTest, RunsInPlace) {
  Prng prng = Prng::FromTestSeed(kSeed + 8);
  const X25519Scalar k = X25519Scalar::Random(prng);
  std::vector<MontPoint> points(300);
  for (auto& u : points) u = RandomPoint(prng);
  const std::vector<MontPoint> expected = Batch(k, points);
  internal::X25519BatchWith(GetParam(), k, points, absl::MakeSpan(points));
  for (size_t i = 0; i < points.size(); ++i) {
    ASSERT_EQ(Hex(points[i]), Hex(expected[i])) << i;
  }
}

TEST_P(X25519BatchTest, Rfc7748KnownAnswers) {
  const auto blocks =
      testing::ReadVectorFile("tests/vectors/x25519/rfc7748.txt");
  int checked = 0;
  for (const auto& block : blocks) {
    if (block.count("scalar") == 0) continue;
    const X25519Scalar k =
        X25519Scalar::FromBytes(PointFromHex(block.at("scalar")));
    // Surround the vector with other points so it sits in every lane.
    for (size_t lane = 0; lane < 9; ++lane) {
      std::vector<MontPoint> in(9, PointFromU64(9));
      in[lane] = PointFromHex(block.at("u"));
      EXPECT_EQ(Hex(Batch(k, in)[lane]), block.at("out")) << "lane " << lane;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

TEST_P(X25519BatchTest, SmallOrderInputsGiveZeroWithoutDisturbingOthers) {
  Prng prng = Prng::FromTestSeed(kSeed + 9);
  const X25519Scalar k = X25519Scalar::Random(prng);
  const std::vector<MontPoint> small = SmallOrderPoints();
  std::vector<MontPoint> in;
  for (const MontPoint& s : small) {
    in.push_back(s);
    in.push_back(RandomPoint(prng));
    in.push_back(RandomPoint(prng));
  }
  const std::vector<MontPoint> out = Batch(k, in);
  const MontPoint zero{};
  for (size_t i = 0; i < in.size(); ++i) {
    if (i % 3 == 0) {
      EXPECT_EQ(Hex(out[i]), Hex(zero)) << Hex(in[i]);
    } else {
      EXPECT_EQ(Hex(out[i]), Hex(X25519(k, in[i]))) << i;
    }
  }
  // A batch of nothing but small-order points.
  for (const MontPoint& o : Batch(k, small)) EXPECT_EQ(Hex(o), Hex(zero));
}

TEST_P(X25519BatchTest, NonCanonicalInputsAndExtremeLimbs) {
  Prng prng = Prng::FromTestSeed(kSeed + 10);
  const X25519Scalar k = X25519Scalar::Random(prng);
  std::vector<MontPoint> in;
  MontPoint all_ones;
  all_ones.fill(0xff);
  in.push_back(all_ones);  // every limb 2^51 - 1 after masking bit 255
  for (unsigned v : {2u, 9u, 17u, 18u}) in.push_back(AddSmall(FieldPrime(), v));
  MontPoint alternating;
  alternating.fill(0xaa);
  in.push_back(alternating);
  alternating.fill(0x55);
  in.push_back(alternating);
  const std::vector<MontPoint> out = Batch(k, in);
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(Hex(out[i]), Hex(X25519(k, in[i]))) << Hex(in[i]);
  }
}

TEST_P(X25519BatchTest, MatchesLibsodiumScalarmult) {
  ASSERT_GE(sodium_init(), 0);
  Prng prng = Prng::FromTestSeed(kSeed + 11);
  MontPoint scalar = RandomPoint(prng);
  std::vector<MontPoint> in(77);
  for (auto& u : in) u = RandomPoint(prng);
  const std::vector<MontPoint> out = Batch(X25519Scalar::FromBytes(scalar), in);
  for (size_t i = 0; i < in.size(); ++i) {
    MontPoint expected;
    ASSERT_EQ(crypto_scalarmult(expected.data(), scalar.data(), in[i].data()),
              0);
    EXPECT_EQ(Hex(out[i]), Hex(expected)) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, X25519BatchTest,
                         ::testing::Values(X25519Impl::kPortable,
                                           X25519Impl::kAvx512Ifma),
                         ImplName);

TEST(X25519BatchPublicTest, UsesSelectedBackendAndMatchesSingle) {
  Prng prng = Prng::FromTestSeed(kSeed + 12);
  const X25519Scalar k = X25519Scalar::Random(prng);
  std::vector<MontPoint> in(20);
  for (auto& u : in) u = RandomPoint(prng);
  std::vector<MontPoint> out(in.size());
  X25519Batch(k, in, absl::MakeSpan(out));
  for (size_t i = 0; i < in.size(); ++i)
    EXPECT_EQ(Hex(out[i]), Hex(X25519(k, in[i])));
}

TEST(X25519BatchDeathTest, MismatchedSizesAbort) {
  Prng prng = Prng::FromTestSeed(kSeed + 13);
  const X25519Scalar k = X25519Scalar::Random(prng);
  std::vector<MontPoint> in(3), out(2);
  EXPECT_DEATH(X25519Batch(k, in, absl::MakeSpan(out)), "sizes differ");
}

}  // namespace
}  // namespace liaison::crypto
