#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/internal/fe25519.h"
#include "crypto/internal/x25519_internal.h"
#include "crypto/prng.h"
#include "crypto/vector_file.h"
#include "crypto/x25519.h"
#include "gtest/gtest.h"

namespace liaison::crypto {
namespace {

using internal::X25519Impl;

constexpr uint64_t kSeed = 0x4832432d32353531;
constexpr char kVectorFile[] =
    "tests/vectors/hash_to_curve/curve25519_XMD_SHA-512_ELL2_NU_.txt";

// LittleEndianHex turns the RFC's big-endian integer hex into the hex of
// its 32-byte little-endian encoding.
std::string LittleEndianHex(const std::string& big_endian_hex) {
  absl::StatusOr<Bytes> b = FromHex(big_endian_hex);
  EXPECT_TRUE(b.ok()) << big_endian_hex;
  if (!b.ok()) return "";
  std::reverse(b->begin(), b->end());
  return ToHex(*b);
}

std::string Hex(const MontPoint& p) { return ToHex(p); }

struct Rfc9380Vector {
  std::string msg;
  std::string u0, qx, px;  // little-endian hex
};

std::string VectorDst() {
  const auto blocks = testing::ReadVectorFile(kVectorFile);
  if (blocks.empty() || blocks[0].count("dst") == 0) return "";
  return blocks[0].at("dst");
}

std::vector<Rfc9380Vector> Vectors() {
  std::vector<Rfc9380Vector> out;
  for (const auto& block : testing::ReadVectorFile(kVectorFile)) {
    if (block.count("msg") == 0) continue;
    out.push_back({block.at("msg"), LittleEndianHex(block.at("u0")),
                   LittleEndianHex(block.at("Qx")),
                   LittleEndianHex(block.at("Px"))});
  }
  return out;
}

TEST(HashToCurve25519Test, Rfc9380Vectors) {
  const std::string dst = VectorDst();
  ASSERT_EQ(dst, "QUUX-V01-CS02-with-curve25519_XMD:SHA-512_ELL2_NU_");
  const std::vector<Rfc9380Vector> vectors = Vectors();
  ASSERT_EQ(vectors.size(), 5u);
  for (const Rfc9380Vector& v : vectors) {
    SCOPED_TRACE("msg \"" + v.msg.substr(0, 16) + "\" (" +
                 std::to_string(v.msg.size()) + " bytes)");
    const MontPoint u =
        internal::HashToFieldCurve25519(AsBytes(v.msg), AsBytes(dst));
    EXPECT_EQ(Hex(u), v.u0) << "hash_to_field";
    EXPECT_EQ(Hex(internal::MapToCurveElligator2Curve25519(u)), v.qx)
        << "map_to_curve";
    EXPECT_EQ(Hex(HashToCurve25519(AsBytes(v.msg), AsBytes(dst))), v.px)
        << "encode_to_curve";
  }
}

TEST(HashToCurve25519Test, OversizeDstIsHashedFirst) {
  // RFC 9380 section 5.3.3: a tag over 255 bytes is replaced by
  // SHA-512("H2C-OVERSIZE-DST-" || tag).
  const std::string long_dst(300, 'd');
  const std::string prefixed = "H2C-OVERSIZE-DST-" + long_dst;
  uint8_t digest[64];
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(prefixed.data(), prefixed.size(), digest, &len,
                       EVP_sha512(), nullptr),
            1);
  const ByteSpan short_dst(digest, sizeof(digest));
  const std::string msg = "abc";
  EXPECT_EQ(Hex(HashToCurve25519(AsBytes(msg), AsBytes(long_dst))),
            Hex(HashToCurve25519(AsBytes(msg), short_dst)));
  EXPECT_EQ(
      Hex(internal::HashToFieldCurve25519(AsBytes(msg), AsBytes(long_dst))),
      Hex(internal::HashToFieldCurve25519(AsBytes(msg), short_dst)));
}

TEST(HashToCurve25519Test, DstSeparatesDomains) {
  const std::string msg = "198.51.100.7";
  EXPECT_NE(
      Hex(HashToCurve25519(AsBytes(msg), AsBytes(std::string("liaison-a")))),
      Hex(HashToCurve25519(AsBytes(msg), AsBytes(std::string("liaison-b")))));
}

// IsInPrimeOrderSubgroup converts u to the Edwards y = (u - 1) / (u + 1)
// and asks libsodium, whose check includes multiplication by the group
// order. Either sign of x gives the same answer.
bool IsInPrimeOrderSubgroup(const MontPoint& u_bytes) {
  using namespace internal;  // NOLINT: field helpers
  const Fe u = FeFromBytes(u_bytes.data());
  const Fe y = FeMul(FeSub(u, FeOne()), FeInvert(FeCarry(FeAdd(u, FeOne()))));
  uint8_t encoded[32];
  FeToBytes(encoded, y);
  return crypto_core_ed25519_is_valid_point(encoded) == 1;
}

TEST(HashToCurve25519Test, OutputsLieInThePrimeOrderSubgroup) {
  ASSERT_GE(sodium_init(), 0);
  const std::string dst = "liaison-test-subgroup";
  for (int i = 0; i < 64; ++i) {
    const std::string msg = "item-" + std::to_string(i);
    const MontPoint p = HashToCurve25519(AsBytes(msg), AsBytes(dst));
    EXPECT_TRUE(IsCanonicalPoint(p));
    EXPECT_TRUE(IsInPrimeOrderSubgroup(p)) << msg;
  }
  // Before the cofactor is cleared the map lands off the subgroup in 7 of 8
  // cases, which shows the check above can fail.
  int outside = 0;
  for (int i = 0; i < 64; ++i) {
    const std::string msg = "item-" + std::to_string(i);
    const MontPoint q = internal::MapToCurveElligator2Curve25519(
        internal::HashToFieldCurve25519(AsBytes(msg), AsBytes(dst)));
    outside += IsInPrimeOrderSubgroup(q) ? 0 : 1;
  }
  EXPECT_GT(outside, 32);
}

class HashToCurve25519BatchTest : public ::testing::TestWithParam<X25519Impl> {
 protected:
  void SetUp() override {
    if (GetParam() == X25519Impl::kAvx512Ifma &&
        !internal::Avx512IfmaAvailable()) {
      GTEST_SKIP() << "this CPU or OS has no AVX-512 IFMA";
    }
  }
};

TEST_P(HashToCurve25519BatchTest, Rfc9380Vectors) {
  const std::string dst = VectorDst();
  const std::vector<Rfc9380Vector> vectors = Vectors();
  ASSERT_EQ(vectors.size(), 5u);
  std::vector<ByteSpan> msgs;
  for (const auto& v : vectors) msgs.push_back(AsBytes(v.msg));
  std::vector<MontPoint> out(msgs.size());
  internal::HashToCurve25519BatchWith(GetParam(), msgs, AsBytes(dst),
                                      absl::MakeSpan(out));
  for (size_t i = 0; i < vectors.size(); ++i)
    EXPECT_EQ(Hex(out[i]), vectors[i].px) << i;
}

TEST_P(HashToCurve25519BatchTest, EqualsSingleForEverySize) {
  Prng prng = Prng::FromTestSeed(kSeed);
  const std::string dst = "liaison-test-batch";
  for (size_t n : {0, 1, 7, 8, 9, 63, 64, 65, 1000}) {
    std::vector<std::string> items(n);
    for (auto& item : items) {
      // Random lengths, including empty and longer than a SHA-512 block.
      item.resize(prng.Uniform(200));
      prng.Fill(
          absl::MakeSpan(reinterpret_cast<uint8_t*>(item.data()), item.size()));
    }
    std::vector<ByteSpan> msgs;
    for (const auto& item : items) msgs.push_back(AsBytes(item));
    std::vector<MontPoint> out(n);
    internal::HashToCurve25519BatchWith(GetParam(), msgs, AsBytes(dst),
                                        absl::MakeSpan(out));
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(Hex(out[i]), Hex(HashToCurve25519(msgs[i], AsBytes(dst))))
          << "n=" << n << " i=" << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, HashToCurve25519BatchTest,
                         ::testing::Values(X25519Impl::kPortable,
                                           X25519Impl::kAvx512Ifma),
                         [](const ::testing::TestParamInfo<X25519Impl>& info) {
                           return info.param == X25519Impl::kAvx512Ifma
                                      ? "Avx512Ifma"
                                      : "Portable";
                         });

TEST(HashToCurve25519BatchPublicTest, MatchesSingle) {
  const std::string dst = "liaison-test-public-batch";
  std::vector<std::string> items;
  for (int i = 0; i < 17; ++i)
    items.push_back("203.0.113." + std::to_string(i));
  std::vector<ByteSpan> msgs;
  for (const auto& item : items) msgs.push_back(AsBytes(item));
  std::vector<MontPoint> out(msgs.size());
  HashToCurve25519Batch(msgs, AsBytes(dst), absl::MakeSpan(out));
  for (size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(Hex(out[i]), Hex(HashToCurve25519(msgs[i], AsBytes(dst))));
  }
}

}  // namespace
}  // namespace liaison::crypto
