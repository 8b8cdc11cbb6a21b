#include "crypto/aes.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "base/bytes.h"
#include "base/secret.h"
#include "crypto/block.h"
#include "crypto/internal/aes_internal.h"
#include "crypto/prng.h"
#include "crypto/vector_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::crypto {
namespace {

using internal::AesImpl;
using ::testing::ElementsAreArray;

// Fixed seed: a failure replays exactly.
constexpr uint64_t kSeed = 0x4145532d3132382d;

std::vector<AesImpl> AvailableImpls() {
  std::vector<AesImpl> impls;
  for (AesImpl impl :
       {AesImpl::kPortable, AesImpl::kAesNi, AesImpl::kVaes512}) {
    if (internal::AesImplAvailable(impl)) impls.push_back(impl);
  }
  return impls;
}

Bytes HexBytes(const std::string& hex) {
  absl::StatusOr<Bytes> bytes = FromHex(hex);
  if (!bytes.ok()) ADD_FAILURE() << "bad hex in vector file: " << hex;
  return bytes.ok() ? *bytes : Bytes();
}

std::vector<Block> HexBlocks(const std::string& hex) {
  const Bytes bytes = HexBytes(hex);
  EXPECT_EQ(bytes.size() % 16, 0u) << hex;
  std::vector<Block> blocks(bytes.size() / 16);
  for (size_t i = 0; i < blocks.size(); ++i)
    blocks[i] = Block::FromBytes(bytes.data() + 16 * i);
  return blocks;
}

Block HexBlock(const std::string& hex) {
  std::vector<Block> blocks = HexBlocks(hex);
  EXPECT_EQ(blocks.size(), 1u) << hex;
  return blocks.empty() ? Block() : blocks[0];
}

uint64_t HexU64(const std::string& hex) {
  return std::stoull(hex, nullptr, 16);
}

std::vector<Block> RandomBlocks(Prng& prng, size_t n) {
  std::vector<Block> blocks(n);
  prng.Fill(absl::MakeSpan(blocks));
  return blocks;
}

TEST(AesTest, EveryBuildHasPortableAndSelectedBackends) {
  EXPECT_TRUE(internal::AesImplAvailable(AesImpl::kPortable));
  EXPECT_TRUE(internal::AesImplAvailable(internal::SelectedAesImpl()));
  EXPECT_STREQ(AesBackend(),
               internal::AesImplName(internal::SelectedAesImpl()));
}

TEST(AesTest, SelectionHonoursEnvironment) {
  if (::liaison::EnvFlagSet("LIAISON_NO_AESNI")) {
    EXPECT_STREQ(AesBackend(), "portable");
  } else if (::liaison::EnvFlagSet("LIAISON_NO_AVX512")) {
    EXPECT_STRNE(AesBackend(), "vaes512");
  } else if (internal::AesImplAvailable(AesImpl::kVaes512)) {
    EXPECT_STREQ(AesBackend(), "vaes512");
  }
}

TEST(AesTest, KeyExpansionMatchesFips197OnEveryBackend) {
  const auto blocks = testing::ReadVectorFile("tests/vectors/aes/fips197.txt");
  ASSERT_EQ(blocks.size(), 2u);
  for (AesImpl impl : AvailableImpls()) {
    SCOPED_TRACE(internal::AesImplName(impl));
    for (const auto& v : blocks) {
      SCOPED_TRACE(v.at("source"));
      std::array<Block, 11> round_keys;
      internal::ExpandKeyWith(impl, HexBlock(v.at("key")), round_keys);
      for (int r = 0; r <= 10; ++r) {
        EXPECT_EQ(round_keys[r].ToHex(), v.at("round_key_" + std::to_string(r)))
            << r;
      }
    }
  }
  // The public constructor uses the selected backend's expansion.
  const Aes128 aes(HexBlock(blocks[0].at("key")));
  EXPECT_EQ(aes.round_keys()[10].ToHex(), blocks[0].at("round_key_10"));
}

// EcbVectors gives (key, plaintext, ciphertext) of FIPS 197 C.1 and
// SP 800-38A F.1.1.
std::vector<testing::VectorBlock> EcbVectors() {
  std::vector<testing::VectorBlock> out;
  for (const auto& v :
       testing::ReadVectorFile("tests/vectors/aes/fips197.txt")) {
    if (v.count("plaintext")) out.push_back(v);
  }
  for (const auto& v :
       testing::ReadVectorFile("tests/vectors/aes/sp800_38a_ecb.txt")) {
    out.push_back(v);
  }
  return out;
}

TEST(AesTest, EncryptMatchesFips197AndSp80038aEcb) {
  const auto vectors = EcbVectors();
  ASSERT_EQ(vectors.size(), 5u);
  for (AesImpl impl : AvailableImpls()) {
    SCOPED_TRACE(internal::AesImplName(impl));
    for (const auto& v : vectors) {
      const Aes128 aes(HexBlock(v.at("key")));
      const Block pt = HexBlock(v.at("plaintext"));
      Block ct;
      internal::EncryptBlocksWith(impl, aes, absl::MakeConstSpan(&pt, 1),
                                  absl::MakeSpan(&ct, 1));
      EXPECT_EQ(ct.ToHex(), v.at("ciphertext"));
    }
  }
  for (const auto& v : vectors) {
    EXPECT_EQ(Aes128(HexBlock(v.at("key")))
                  .Encrypt(HexBlock(v.at("plaintext")))
                  .ToHex(),
              v.at("ciphertext"));
  }
}

TEST(AesTest, Sp80038aEcbAsOneBatch) {
  // The four SP 800-38A blocks in one call: exercises the tail paths.
  const auto vectors =
      testing::ReadVectorFile("tests/vectors/aes/sp800_38a_ecb.txt");
  ASSERT_EQ(vectors.size(), 4u);
  std::vector<Block> pt, want;
  for (const auto& v : vectors) {
    pt.push_back(HexBlock(v.at("plaintext")));
    want.push_back(HexBlock(v.at("ciphertext")));
  }
  const Aes128 aes(HexBlock(vectors[0].at("key")));
  for (AesImpl impl : AvailableImpls()) {
    SCOPED_TRACE(internal::AesImplName(impl));
    for (size_t n = 1; n <= pt.size(); ++n) {
      std::vector<Block> ct(n);
      internal::EncryptBlocksWith(impl, aes, absl::MakeConstSpan(pt).first(n),
                                  absl::MakeSpan(ct));
      EXPECT_THAT(ct, ElementsAreArray(want.data(), n));
    }
  }
}

TEST(AesTest, Sp80038aCtrOutputBlocksAndCiphertexts) {
  const auto vectors =
      testing::ReadVectorFile("tests/vectors/aes/sp800_38a_ctr.txt");
  ASSERT_EQ(vectors.size(), 4u);
  for (AesImpl impl : AvailableImpls()) {
    SCOPED_TRACE(internal::AesImplName(impl));
    for (const auto& v : vectors) {
      const Aes128 aes(HexBlock(v.at("key")));
      const Block counter = HexBlock(v.at("counter"));
      Block keystream;
      internal::EncryptBlocksWith(impl, aes, absl::MakeConstSpan(&counter, 1),
                                  absl::MakeSpan(&keystream, 1));
      EXPECT_EQ(keystream.ToHex(), v.at("output_block"));
      EXPECT_EQ((keystream ^ HexBlock(v.at("plaintext"))).ToHex(),
                v.at("ciphertext"));
    }
  }
}

TEST(AesTest, CounterAndHashesMatchKnownAnswers) {
  const auto vectors =
      testing::ReadVectorFile("tests/vectors/aes/liaison_aes.txt");
  ASSERT_EQ(vectors.size(), 9u);
  for (AesImpl impl : AvailableImpls()) {
    SCOPED_TRACE(internal::AesImplName(impl));
    for (const auto& v : vectors) {
      const std::string& kind = v.at("kind");
      if (kind == "counter") {
        const Aes128 aes(HexBlock(v.at("key")));
        const std::vector<Block> want = HexBlocks(v.at("keystream"));
        std::vector<Block> got(want.size());
        internal::CtrKeystreamWith(
            impl, aes, HexU64(v.at("hi")), HexU64(v.at("start")),
            reinterpret_cast<uint8_t*>(got.data()), got.size());
        EXPECT_EQ(got, want)
            << "hi " << v.at("hi") << " start " << v.at("start");
        if (HexU64(v.at("hi")) == 0) {
          std::fill(got.begin(), got.end(), Block());
          internal::EncryptCounterWith(impl, aes, HexU64(v.at("start")),
                                       absl::MakeSpan(got));
          EXPECT_EQ(got, want);
        }
      } else if (kind == "crhash") {
        const Block in = HexBlock(v.at("input"));
        Block out;
        internal::CrHashWith(impl, absl::MakeConstSpan(&in, 1),
                             absl::MakeSpan(&out, 1));
        EXPECT_EQ(out.ToHex(), v.at("output"));
      } else {
        ASSERT_EQ(kind, "tccrhash");
        const Block in = HexBlock(v.at("input"));
        Block out;
        internal::TccrHashWith(impl, absl::MakeConstSpan(&in, 1),
                               HexU64(v.at("tweak")), absl::MakeSpan(&out, 1));
        EXPECT_EQ(out.ToHex(), v.at("output"));
      }
    }
  }
}

TEST(AesTest, FixedKeyIsTheDocumentedConstant) {
  std::array<Block, 11> round_keys;
  internal::ExpandKeyWith(AesImpl::kPortable,
                          HexBlock("243f6a8885a308d313198a2e03707344"),
                          round_keys);
  EXPECT_EQ(FixedKeyAes().round_keys(), round_keys);
}

// The sizes cover every tail: the portable code's batches of 4, AES-NI's
// 8 in flight and VAES's 32 (plus 1..3 masked blocks).
constexpr size_t kSizes[] = {0,  1,  2,  3,  4,  5,  7,  8,  9,  15,  16,  17,
                             31, 32, 33, 35, 36, 63, 64, 65, 67, 100, 1000};

// EncryptCounterMany is EncryptCounter key by key, on every backend, for
// key counts odd and even (VAES pairs keys) and every tail length.
TEST(AesTest, CounterManyIsEachKeysCounterStream) {
  Prng prng = Prng::FromTestSeed(kSeed);
  for (size_t num_keys : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{16}}) {
    std::vector<Aes128> keys;
    for (const Block& k : RandomBlocks(prng, num_keys)) keys.emplace_back(k);
    for (size_t n : kSizes) {
      SCOPED_TRACE(::testing::Message() << num_keys << " keys, " << n << " blocks");
      const uint64_t start = prng.NextU64();
      std::vector<Block> want(num_keys * n);
      for (size_t j = 0; j < num_keys; ++j) {
        internal::EncryptCounterWith(AesImpl::kPortable, keys[j], start,
                                     absl::MakeSpan(want).subspan(j * n, n));
      }
      for (AesImpl impl : AvailableImpls()) {
        SCOPED_TRACE(internal::AesImplName(impl));
        std::vector<Block> got(num_keys * n);
        internal::EncryptCounterManyWith(impl, keys, start, n, absl::MakeSpan(got));
        EXPECT_EQ(got, want);
      }
      std::vector<Block> got(num_keys * n);
      EncryptCounterMany(keys, start, n, absl::MakeSpan(got));
      EXPECT_EQ(got, want);
    }
  }
}

TEST(AesTest, BackendsAgreeOnRandomInputs) {
  Prng prng = Prng::FromTestSeed(kSeed);
  const std::vector<AesImpl> impls = AvailableImpls();
  for (size_t n : kSizes) {
    SCOPED_TRACE(n);
    const Aes128 aes(RandomBlocks(prng, 1)[0]);
    const std::vector<Block> in = RandomBlocks(prng, n);
    const uint64_t start = prng.NextU64();
    const uint64_t hi = prng.NextU64();
    const uint64_t near_wrap = ~uint64_t{0} - n / 2;
    std::vector<Block> want_ecb(n), want_ctr(n), want_wrap(n), want_cr(n),
        want_tccr(n);
    internal::EncryptBlocksWith(AesImpl::kPortable, aes, in,
                                absl::MakeSpan(want_ecb));
    internal::CtrKeystreamWith(AesImpl::kPortable, aes, hi, start,
                               reinterpret_cast<uint8_t*>(want_ctr.data()), n);
    internal::EncryptCounterWith(AesImpl::kPortable, aes, near_wrap,
                                 absl::MakeSpan(want_wrap));
    internal::CrHashWith(AesImpl::kPortable, in, absl::MakeSpan(want_cr));
    internal::TccrHashWith(AesImpl::kPortable, in, near_wrap,
                           absl::MakeSpan(want_tccr));

    // The portable results against their definitions in terms of
    // single-block encryption.
    for (size_t i = 0; i < n; ++i) {
      Block x;
      internal::EncryptBlocksWith(AesImpl::kPortable, aes,
                                  absl::MakeConstSpan(&in[i], 1),
                                  absl::MakeSpan(&x, 1));
      ASSERT_EQ(x, want_ecb[i]) << i;
      const Block ctr(hi, start + i);
      internal::EncryptBlocksWith(AesImpl::kPortable, aes,
                                  absl::MakeConstSpan(&ctr, 1),
                                  absl::MakeSpan(&x, 1));
      ASSERT_EQ(x, want_ctr[i]) << i;
      const Block wrap(0, near_wrap + i);
      ASSERT_EQ(aes.Encrypt(wrap), want_wrap[i]) << i;
      const Block pi = FixedKeyAes().Encrypt(in[i]);
      ASSERT_EQ(pi ^ in[i], want_cr[i]) << i;
      ASSERT_EQ(FixedKeyAes().Encrypt(pi ^ Block(0, near_wrap + i)) ^ pi,
                want_tccr[i])
          << i;
    }

    for (AesImpl impl : impls) {
      SCOPED_TRACE(internal::AesImplName(impl));
      std::vector<Block> got(n);
      internal::EncryptBlocksWith(impl, aes, in, absl::MakeSpan(got));
      EXPECT_EQ(got, want_ecb);
      internal::CtrKeystreamWith(impl, aes, hi, start,
                                 reinterpret_cast<uint8_t*>(got.data()), n);
      EXPECT_EQ(got, want_ctr);
      internal::EncryptCounterWith(impl, aes, near_wrap, absl::MakeSpan(got));
      EXPECT_EQ(got, want_wrap);
      internal::CrHashWith(impl, in, absl::MakeSpan(got));
      EXPECT_EQ(got, want_cr);
      internal::TccrHashWith(impl, in, near_wrap, absl::MakeSpan(got));
      EXPECT_EQ(got, want_tccr);
    }

    // The public functions are the selected backend.
    std::vector<Block> got(n);
    aes.EncryptBlocks(in, absl::MakeSpan(got));
    EXPECT_EQ(got, want_ecb);
    aes.EncryptCounter(near_wrap, absl::MakeSpan(got));
    EXPECT_EQ(got, want_wrap);
    CrHash(in, absl::MakeSpan(got));
    EXPECT_EQ(got, want_cr);
    TccrHash(in, near_wrap, absl::MakeSpan(got));
    EXPECT_EQ(got, want_tccr);
  }
}

TEST(AesTest, DaviesMeyerMatchesItsDefinitionOnEveryBackend) {
  Prng prng = Prng::FromTestSeed(kSeed + 9);
  for (size_t n : kSizes) {
    SCOPED_TRACE(n);
    const std::vector<Block> key = RandomBlocks(prng, n);
    const std::vector<Block> in = RandomBlocks(prng, n);
    std::vector<Block> want(n);
    for (size_t i = 0; i < n; ++i) want[i] = Aes128(key[i]).Encrypt(in[i]) ^ in[i];
    for (AesImpl impl : AvailableImpls()) {
      SCOPED_TRACE(internal::AesImplName(impl));
      std::vector<Block> got(n);
      internal::DaviesMeyerHashWith(impl, key, in, absl::MakeSpan(got));
      EXPECT_EQ(got, want);
      got = key;  // out == key
      internal::DaviesMeyerHashWith(impl, got, in, absl::MakeSpan(got));
      EXPECT_EQ(got, want);
      got = in;  // out == in
      internal::DaviesMeyerHashWith(impl, key, got, absl::MakeSpan(got));
      EXPECT_EQ(got, want);
    }
    std::vector<Block> got(n);
    DaviesMeyerHash(key, in, absl::MakeSpan(got));
    EXPECT_EQ(got, want);
  }
}

TEST(AesTest, InPlaceOperationsMatchOutOfPlace) {
  Prng prng = Prng::FromTestSeed(kSeed + 1);
  const Aes128 aes(RandomBlocks(prng, 1)[0]);
  for (AesImpl impl : AvailableImpls()) {
    SCOPED_TRACE(internal::AesImplName(impl));
    for (size_t n : {size_t{5}, size_t{37}, size_t{130}}) {
      const std::vector<Block> in = RandomBlocks(prng, n);
      std::vector<Block> want(n), got = in;
      internal::EncryptBlocksWith(impl, aes, in, absl::MakeSpan(want));
      internal::EncryptBlocksWith(impl, aes, got, absl::MakeSpan(got));
      EXPECT_EQ(got, want);
      got = in;
      internal::CrHashWith(impl, in, absl::MakeSpan(want));
      internal::CrHashWith(impl, got, absl::MakeSpan(got));
      EXPECT_EQ(got, want);
      got = in;
      internal::TccrHashWith(impl, in, 7, absl::MakeSpan(want));
      internal::TccrHashWith(impl, got, 7, absl::MakeSpan(got));
      EXPECT_EQ(got, want);
    }
  }
}

TEST(AesTest, KernelsWriteNothingPastTheOutput) {
  // Unaligned output with guard bytes on both sides: the masked VAES tail
  // and the portable padding must stay inside the caller's buffer.
  Prng prng = Prng::FromTestSeed(kSeed + 2);
  const Aes128 aes(RandomBlocks(prng, 1)[0]);
  for (AesImpl impl : AvailableImpls()) {
    SCOPED_TRACE(internal::AesImplName(impl));
    for (size_t n : kSizes) {
      std::vector<uint8_t> buf(16 * n + 64, 0xA5);
      internal::CtrKeystreamWith(impl, aes, 1, 2, buf.data() + 3, n);
      for (size_t i = 0; i < 3; ++i) EXPECT_EQ(buf[i], 0xA5) << n;
      for (size_t i = 3 + 16 * n; i < buf.size(); ++i)
        EXPECT_EQ(buf[i], 0xA5) << n;
      std::vector<Block> want(n);
      internal::CtrKeystreamWith(AesImpl::kPortable, aes, 1, 2,
                                 reinterpret_cast<uint8_t*>(want.data()), n);
      if (n > 0) {
        EXPECT_EQ(0, std::memcmp(buf.data() + 3, want.data(), 16 * n)) << n;
      }
    }
  }
}

// DeadStackContains reports whether `needle` occurs in the 16 KiB of stack
// below its caller's frame: the frames of the calls the caller made before,
// now dead. Never inlined, so that its array lies where those frames were.
[[gnu::noinline]] bool DeadStackContains(const Block& needle) {
  uint8_t dead[16384];
  // The compiler must assume `dead` was written, so reading it is defined
  // and draws no warning; in fact it holds whatever earlier calls left.
  __asm__ volatile("" : : "r"(dead) : "memory");
  uint8_t want[16];
  needle.ToBytes(want);
  for (size_t i = 0; i + 16 <= sizeof(dead); ++i) {
    if (std::memcmp(dead + i, want, 16) == 0) return true;
  }
  return false;
}

TEST(AesTest, KernelsLeaveNoRoundKeysInDeadStack) {
  // Every kernel spills round keys to its frame (AES-NI has 16 xmm
  // registers for 11 keys and 8 blocks); the scrub after each call must
  // leave none of them behind. The last round key stands for all: unlike
  // the key itself it appears nowhere but in the schedule.
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer gives frames redzones and may move them to its own
  // "fake stack", so dead frames are not where this test looks.
  GTEST_SKIP() << "stack layout is AddressSanitizer's";
#endif
  Prng prng = Prng::FromTestSeed(kSeed + 4);
  const Aes128 aes(prng.NextBlock());
  const Block last = aes.round_keys()[10];
  std::vector<Block> in = RandomBlocks(prng, 100), out(100);
  for (AesImpl impl : AvailableImpls()) {
    SCOPED_TRACE(internal::AesImplName(impl));
    for (size_t n : {size_t{1}, size_t{100}}) {
      internal::EncryptBlocksWith(impl, aes, absl::MakeConstSpan(in).first(n),
                                  absl::MakeSpan(out).first(n));
      EXPECT_FALSE(DeadStackContains(last)) << "EncryptBlocks " << n;
      internal::CtrKeystreamWith(impl, aes, 1, 2,
                                 reinterpret_cast<uint8_t*>(out.data()), n);
      EXPECT_FALSE(DeadStackContains(last)) << "Counter " << n;
    }
    std::array<Block, 11> round_keys;
    const Block key = prng.NextBlock();
    internal::ExpandKeyWith(impl, key, round_keys);
    const Block expanded_last = round_keys[10];
    SecureWipe(round_keys.data(), sizeof(round_keys));
    EXPECT_FALSE(DeadStackContains(expanded_last)) << "ExpandKey";
  }
  // The fixed-key hashes use a public key, but run the same kernels.
  const Block fixed_last = FixedKeyAes().round_keys()[10];
  for (AesImpl impl : AvailableImpls()) {
    SCOPED_TRACE(internal::AesImplName(impl));
    internal::TccrHashWith(impl, in, 0, absl::MakeSpan(out));
    EXPECT_FALSE(DeadStackContains(fixed_last)) << "TccrHash";
    internal::CrHashWith(impl, in, absl::MakeSpan(out));
    EXPECT_FALSE(DeadStackContains(fixed_last)) << "CrHash";
  }
}

TEST(AesTest, CopiesEncryptAlike) {
  Prng prng = Prng::FromTestSeed(kSeed + 3);
  const Block key = RandomBlocks(prng, 1)[0];
  const Block pt = RandomBlocks(prng, 1)[0];
  const Aes128 a(key);
  Aes128 b(Block(1, 2));
  b = a;
  const Aes128 c(a);
  EXPECT_EQ(a.Encrypt(pt), b.Encrypt(pt));
  EXPECT_EQ(a.Encrypt(pt), c.Encrypt(pt));
  EXPECT_NE(a.Encrypt(pt), Aes128(key ^ Block(0, 1)).Encrypt(pt));
}

TEST(AesDeathTest, MismatchedSizesAbort) {
  const Aes128 aes(Block(0, 1));
  std::vector<Block> in(3), out(2);
  EXPECT_DEATH(aes.EncryptBlocks(in, absl::MakeSpan(out)), "sizes differ");
  EXPECT_DEATH(CrHash(in, absl::MakeSpan(out)), "sizes differ");
  EXPECT_DEATH(TccrHash(in, 0, absl::MakeSpan(out)), "sizes differ");
}

}  // namespace
}  // namespace liaison::crypto
