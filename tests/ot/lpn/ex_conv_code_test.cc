#include "ot/lpn/ex_conv_code.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "crypto/aes.h"
#include "crypto/block.h"
#include "crypto/gf128.h"
#include "crypto/prng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ot/lpn/internal/ex_conv_internal.h"

namespace liaison::ot {
namespace {

using crypto::Block;
using internal::ExConvImpl;

// Fixed seed: a failure replays exactly.
constexpr uint64_t kSeed = 0x45783c6f6e763234;

std::vector<ExConvImpl> AvailableImpls() {
  std::vector<ExConvImpl> impls;
  for (ExConvImpl impl : {ExConvImpl::kPortable, ExConvImpl::kAvx512Gfni}) {
    if (internal::ExConvImplAvailable(impl)) impls.push_back(impl);
  }
  return impls;
}

ExConvCode MakeCode(uint64_t k, uint64_t n, uint32_t weight = 7,
                    uint32_t window = 24, Block seed = kDefaultExConvSeed) {
  ExConvParams params;
  params.num_messages = k;
  params.code_size = n;
  params.expander_weight = weight;
  params.accumulator_window = window;
  params.seed = seed;
  auto code = ExConvCode::Create(params);
  EXPECT_TRUE(code.ok()) << code.status();
  return *code;
}

std::vector<Block> RandomBlocks(crypto::Prng& prng, uint64_t n) {
  std::vector<Block> v(n);
  prng.Fill(absl::MakeSpan(v));
  return v;
}

std::vector<uint8_t> RandomBytes(crypto::Prng& prng, uint64_t n) {
  std::vector<uint8_t> v(n);
  prng.Fill(absl::MakeSpan(v));
  return v;
}

int GetBit(const std::vector<uint8_t>& bits, uint64_t i) {
  return (bits[i / 8] >> (i % 8)) & 1;
}

// ---------------------------------------------------------------------------
// The reference: the definition in ex_conv_code.h, written independently of
// the implementation (one AES call per keystream block, dense 0/1 matrices
// built by literally performing the row operations), then multiplied.

class ReferenceMatrix {
 public:
  explicit ReferenceMatrix(const ExConvCode& code)
      : k_(code.num_messages()), n_(code.code_size()), m_(n_ - k_) {
    // conv[r][c]: coefficient of the original d[c] in the final d[r].
    std::vector<std::vector<uint8_t>> conv(m_, std::vector<uint8_t>(m_, 0));
    for (uint64_t r = 0; r < m_; ++r) conv[r][r] = 1;
    if (m_ >= 2) {
      const uint64_t w = std::min<uint64_t>(code.accumulator_window(), m_ - 2);
      for (uint64_t stream = 1; stream <= 2; ++stream) {
        const crypto::Aes128 aes = Stream(code.seed(), stream);
        for (uint64_t i = 0; i < m_; ++i) {
          const uint32_t c = Word(aes, i);
          for (uint64_t t = 1; t <= w + 1; ++t) {
            const bool add = t == w + 1 || ((c >> (t - 1)) & 1) != 0;
            if (!add) continue;
            auto& target = conv[(i + t) % m_];
            for (uint64_t col = 0; col < m_; ++col) target[col] ^= conv[i][col];
          }
        }
      }
    }
    // g_[i]: the row of G, systematic part included.
    g_.assign(k_, std::vector<uint8_t>(n_, 0));
    const uint64_t weight = code.expander_weight();
    const uint64_t regular = weight - weight / 2;
    const uint64_t region = m_ / regular;
    const crypto::Aes128 aes = Stream(code.seed(), 3);
    for (uint64_t i = 0; i < k_; ++i) {
      g_[i][i] = 1;
      for (uint64_t j = 0; j < weight; ++j) {
        const uint64_t u = Word(aes, i * weight + j);
        const uint64_t tap = region > 0 && j < regular
                                 ? j * region + ((u * region) >> 32)
                                 : (u * m_) >> 32;
        for (uint64_t col = 0; col < m_; ++col)
          g_[i][k_ + col] ^= conv[tap][col];
      }
    }
  }

  template <typename T>
  std::vector<T> Apply(const std::vector<T>& x) const {
    std::vector<T> y(k_);
    for (uint64_t i = 0; i < k_; ++i) {
      T acc{};
      for (uint64_t j = 0; j < n_; ++j) {
        if (g_[i][j]) acc ^= x[j];
      }
      y[i] = acc;
    }
    return y;
  }

  std::vector<int> ApplyBits(const std::vector<uint8_t>& packed) const {
    std::vector<int> y(k_);
    for (uint64_t i = 0; i < k_; ++i) {
      int acc = 0;
      for (uint64_t j = 0; j < n_; ++j) acc ^= g_[i][j] & GetBit(packed, j);
      y[i] = acc;
    }
    return y;
  }

 private:
  static crypto::Aes128 Stream(const Block& seed, uint64_t s) {
    return crypto::Aes128(crypto::Aes128(seed).Encrypt(Block(s, 0)));
  }
  // Word is the little-endian 32-bit word `index` of the keystream.
  static uint32_t Word(const crypto::Aes128& aes, uint64_t index) {
    uint8_t bytes[16];
    aes.Encrypt(Block(0, index / 4)).ToBytes(bytes);
    const uint8_t* p = bytes + 4 * (index % 4);
    return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
           uint32_t{p[3]} << 24;
  }

  uint64_t k_, n_, m_;
  std::vector<std::vector<uint8_t>> g_;
};

struct Shape {
  uint64_t k;
  uint64_t n;
  uint32_t weight;
  uint32_t window;
};

std::string ShapeName(const Shape& s) {
  return "k=" + std::to_string(s.k) + " n=" + std::to_string(s.n) +
         " W=" + std::to_string(s.weight) + " w=" + std::to_string(s.window);
}

// Shapes cover the paper's sizes, odd k (bits not byte-aligned), n not a
// multiple of k, tiny codes (window clipped, no tiles), the largest window,
// weights 1 and 21, and m just around the tile kernel's threshold w + 9.
const std::vector<Shape>& ReferenceShapes() {
  static const auto* shapes = new std::vector<Shape>{
      {1, 2, 7, 24},     {1, 3, 7, 24},    {2, 4, 7, 24},     {3, 5, 7, 24},
      {8, 16, 7, 24},    {64, 128, 7, 24}, {100, 200, 7, 24}, {257, 514, 7, 24},
      {100, 133, 7, 24}, {64, 97, 7, 24},  {64, 98, 7, 24},   {64, 106, 7, 24},
      {60, 300, 21, 24}, {50, 150, 1, 24}, {70, 140, 7, 0},   {70, 140, 7, 7},
      {70, 170, 7, 31},  {33, 99, 2, 5},   {257, 514, 21, 24}};
  return *shapes;
}

TEST(ExConvCodeTest, BlocksMatchExplicitMatrixOnEveryKernel) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  for (const Shape& s : ReferenceShapes()) {
    const ExConvCode code = MakeCode(s.k, s.n, s.weight, s.window);
    const ReferenceMatrix ref(code);
    const std::vector<Block> x = RandomBlocks(prng, s.n);
    const std::vector<Block> want = ref.Apply(x);
    for (ExConvImpl impl : AvailableImpls()) {
      std::vector<Block> got = x;
      internal::EncodeVectors v;
      v.blocks[0] = absl::MakeSpan(got);
      ASSERT_TRUE(internal::DualEncodeWith(impl, code, v, 1).ok());
      got.resize(s.k);
      EXPECT_EQ(got, want) << ShapeName(s) << " "
                           << internal::ExConvImplName(impl);
    }
  }
}

TEST(ExConvCodeTest, BitsBytesAndPairsMatchExplicitMatrixOnEveryKernel) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
  for (const Shape& s : ReferenceShapes()) {
    const ExConvCode code = MakeCode(s.k, s.n, s.weight, s.window);
    const ReferenceMatrix ref(code);
    const std::vector<uint8_t> bits = RandomBytes(prng, (s.n + 7) / 8);
    const std::vector<int> want_bits = ref.ApplyBits(bits);
    const std::vector<uint8_t> bytes = RandomBytes(prng, s.n);
    const std::vector<uint8_t> want_bytes = ref.Apply(bytes);
    const std::vector<Block> x = RandomBlocks(prng, s.n);
    const std::vector<Block> y = RandomBlocks(prng, s.n);
    const std::vector<Block> want_x = ref.Apply(x);
    const std::vector<Block> want_y = ref.Apply(y);
    for (ExConvImpl impl : AvailableImpls()) {
      for (int threads : {1, 2}) {
        const std::string where = ShapeName(s) + " " +
                                  internal::ExConvImplName(impl) +
                                  " threads=" + std::to_string(threads);
        {  // bits alone
          std::vector<uint8_t> got = bits;
          internal::EncodeVectors v;
          v.bits = absl::MakeSpan(got);
          ASSERT_TRUE(internal::DualEncodeWith(impl, code, v, threads).ok());
          for (uint64_t i = 0; i < s.k; ++i) {
            ASSERT_EQ(GetBit(got, i), want_bits[i]) << where << " bit " << i;
          }
          // Padding bits past n are not touched.
          for (uint64_t i = s.n; i < 8 * bits.size(); ++i) {
            ASSERT_EQ(GetBit(got, i), GetBit(bits, i)) << where;
          }
        }
        {  // bits and blocks together
          std::vector<uint8_t> got_bits = bits;
          std::vector<Block> got_x = x;
          internal::EncodeVectors v;
          v.bits = absl::MakeSpan(got_bits);
          v.blocks[0] = absl::MakeSpan(got_x);
          ASSERT_TRUE(internal::DualEncodeWith(impl, code, v, threads).ok());
          for (uint64_t i = 0; i < s.k; ++i) {
            ASSERT_EQ(GetBit(got_bits, i), want_bits[i])
                << where << " bit " << i;
          }
          got_x.resize(s.k);
          EXPECT_EQ(got_x, want_x) << where;
        }
        {  // a pair of block vectors
          std::vector<Block> got_x = x, got_y = y;
          internal::EncodeVectors v;
          v.blocks[0] = absl::MakeSpan(got_x);
          v.blocks[1] = absl::MakeSpan(got_y);
          ASSERT_TRUE(internal::DualEncodeWith(impl, code, v, threads).ok());
          got_x.resize(s.k);
          got_y.resize(s.k);
          EXPECT_EQ(got_x, want_x) << where;
          EXPECT_EQ(got_y, want_y) << where;
        }
        {  // bytes
          std::vector<uint8_t> got = bytes;
          internal::EncodeVectors v;
          v.bytes = absl::MakeSpan(got);
          ASSERT_TRUE(internal::DualEncodeWith(impl, code, v, threads).ok());
          got.resize(s.k);
          EXPECT_EQ(got, want_bytes) << where;
        }
      }
    }
  }
}

// The tile kernel against the row-by-row code on sizes the matrix reference
// is too slow for: several coefficient batches (512 rows each), odd k, and
// every m in a range around a batch boundary.
TEST(ExConvCodeTest, KernelsAgreeOnLargerCodes) {
  if (!internal::ExConvImplAvailable(ExConvImpl::kAvx512Gfni)) {
    GTEST_SKIP() << "no AVX-512 GFNI on this CPU";
  }
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 2);
  std::vector<Shape> shapes = {{5001, 10002, 7, 24},
                               {4099, 12297, 21, 24},
                               {3000, 6007, 7, 31},
                               {2049, 4100, 7, 3}};
  for (uint64_t m = 1016; m < 1064; m += 3)
    shapes.push_back({777, 777 + m, 7, 24});
  for (const Shape& s : shapes) {
    const ExConvCode code = MakeCode(s.k, s.n, s.weight, s.window);
    const std::vector<Block> x = RandomBlocks(prng, s.n);
    const std::vector<uint8_t> bits = RandomBytes(prng, (s.n + 7) / 8);
    std::vector<std::vector<Block>> got_blocks;
    std::vector<std::vector<uint8_t>> got_bits;
    for (ExConvImpl impl : {ExConvImpl::kPortable, ExConvImpl::kAvx512Gfni}) {
      std::vector<Block> b = x;
      std::vector<uint8_t> p = bits;
      internal::EncodeVectors v;
      v.blocks[0] = absl::MakeSpan(b);
      v.bits = absl::MakeSpan(p);
      ASSERT_TRUE(internal::DualEncodeWith(impl, code, v, 1).ok());
      got_blocks.push_back(b);  // the whole vector: parity part included
      got_bits.push_back(p);
    }
    EXPECT_EQ(got_blocks[0], got_blocks[1]) << ShapeName(s);
    for (uint64_t i = 0; i < s.k; ++i) {
      ASSERT_EQ(GetBit(got_bits[0], i), GetBit(got_bits[1], i)) << ShapeName(s);
    }
  }
}

// ---------------------------------------------------------------------------
// Linearity and the VOLE correlation.

std::vector<Block> Encode(const ExConvCode& code, std::vector<Block> x) {
  EXPECT_TRUE(code.DualEncode(absl::MakeSpan(x)).ok());
  x.resize(code.num_messages());
  return x;
}

std::vector<uint8_t> EncodeBits(const ExConvCode& code,
                                std::vector<uint8_t> x) {
  EXPECT_TRUE(code.DualEncodeBits(absl::MakeSpan(x)).ok());
  return x;
}

std::vector<Block> Xor(const std::vector<Block>& a,
                       const std::vector<Block>& b) {
  std::vector<Block> c(a.size());
  for (size_t i = 0; i < a.size(); ++i) c[i] = a[i] ^ b[i];
  return c;
}

// Lift maps packed bits to blocks 0 and 1 (the GF(2) subfield of
// GF(2^128)), scaled by `delta`: bit·Δ.
std::vector<Block> LiftTimes(const std::vector<uint8_t>& bits, uint64_t n,
                             const Block& delta) {
  std::vector<Block> v(n);
  for (uint64_t i = 0; i < n; ++i)
    v[i] = Block::AllOnesIf(GetBit(bits, i)) & delta;
  return v;
}

TEST(ExConvCodeTest, EncodingIsLinearOverBlocksAndBits) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 3);
  for (uint64_t k : {1, 37, 1000, 4097}) {
    const ExConvCode code = MakeCode(k, 2 * k + 3);
    const uint64_t n = code.code_size();
    const std::vector<Block> a = RandomBlocks(prng, n),
                             b = RandomBlocks(prng, n);
    EXPECT_EQ(Encode(code, Xor(a, b)), Xor(Encode(code, a), Encode(code, b)))
        << "k=" << k;
    const std::vector<uint8_t> p = RandomBytes(prng, (n + 7) / 8);
    const std::vector<uint8_t> q = RandomBytes(prng, (n + 7) / 8);
    std::vector<uint8_t> pq(p.size());
    for (size_t i = 0; i < p.size(); ++i) pq[i] = p[i] ^ q[i];
    const std::vector<uint8_t> ep = EncodeBits(code, p),
                               eq = EncodeBits(code, q);
    const std::vector<uint8_t> epq = EncodeBits(code, pq);
    for (uint64_t i = 0; i < k; ++i) {
      ASSERT_EQ(GetBit(epq, i), GetBit(ep, i) ^ GetBit(eq, i)) << "k=" << k;
    }
  }
}

TEST(ExConvCodeTest, EncodingCommutesWithScalingByDelta) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 4);
  const ExConvCode code = MakeCode(3000, 6000);
  const uint64_t n = code.code_size(), k = code.num_messages();
  const Block delta = prng.NextBlock();
  const std::vector<uint8_t> x = RandomBytes(prng, (n + 7) / 8);
  const Block one(0, 1);
  // Encode(x·Δ) over blocks equals Encode(x) over bits, lifted, times Δ,
  // and equals Encode(lift(x)) over blocks times Δ.
  const std::vector<Block> scaled = Encode(code, LiftTimes(x, n, delta));
  EXPECT_EQ(scaled, LiftTimes(EncodeBits(code, x), k, delta));
  const std::vector<Block> lifted = Encode(code, LiftTimes(x, n, one));
  for (uint64_t i = 0; i < k; ++i) {
    ASSERT_EQ(scaled[i], crypto::Gf128Mul(lifted[i], delta)) << i;
  }
  // The same for a full GF(2^128) vector.
  const std::vector<Block> a = RandomBlocks(prng, n);
  std::vector<Block> a_delta(n);
  for (uint64_t i = 0; i < n; ++i) a_delta[i] = crypto::Gf128Mul(a[i], delta);
  const std::vector<Block> enc_a = Encode(code, a);
  const std::vector<Block> enc_a_delta = Encode(code, a_delta);
  for (uint64_t i = 0; i < k; ++i) {
    ASSERT_EQ(enc_a_delta[i], crypto::Gf128Mul(enc_a[i], delta)) << i;
  }
}

TEST(ExConvCodeTest, SubfieldVoleCorrelationSurvivesCompression) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 5);
  for (int threads : {1, 2}) {
    const ExConvCode code = MakeCode(5003, 10011);
    const uint64_t n = code.code_size(), k = code.num_messages();
    const Block delta = prng.NextBlock();
    // Sender: b, Δ. Receiver: a (bits), c = b ⊕ a·Δ.
    std::vector<uint8_t> a = RandomBytes(prng, (n + 7) / 8);
    std::vector<Block> b = RandomBlocks(prng, n);
    std::vector<Block> c = Xor(b, LiftTimes(a, n, delta));
    ASSERT_TRUE(code.DualEncode(absl::MakeSpan(b), threads).ok());
    ASSERT_TRUE(code.DualEncodeBitsAndBlocks(absl::MakeSpan(a),
                                             absl::MakeSpan(c), threads)
                    .ok());
    for (uint64_t i = 0; i < k; ++i) {
      ASSERT_EQ(c[i], b[i] ^ (Block::AllOnesIf(GetBit(a, i)) & delta))
          << "threads=" << threads << " i=" << i;
    }
  }
}

TEST(ExConvCodeTest, FieldVoleCorrelationSurvivesCompression) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 6);
  for (int threads : {1, 2}) {
    const ExConvCode code = MakeCode(4000, 8192);
    const uint64_t n = code.code_size(), k = code.num_messages();
    const Block delta = prng.NextBlock();
    std::vector<Block> a = RandomBlocks(prng, n);
    std::vector<Block> b = RandomBlocks(prng, n);
    std::vector<Block> c(n);
    for (uint64_t i = 0; i < n; ++i)
      c[i] = b[i] ^ crypto::Gf128Mul(a[i], delta);
    ASSERT_TRUE(code.DualEncode(absl::MakeSpan(b), threads).ok());
    ASSERT_TRUE(
        code.DualEncodePair(absl::MakeSpan(a), absl::MakeSpan(c), threads)
            .ok());
    for (uint64_t i = 0; i < k; ++i) {
      ASSERT_EQ(c[i], b[i] ^ crypto::Gf128Mul(a[i], delta)) << i;
    }
  }
}

// ---------------------------------------------------------------------------
// Determinism, seeds, sizes, threads.

TEST(ExConvCodeTest, SameSeedGivesSameMapAndOtherSeedsOrParametersDiffer) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 7);
  const std::vector<Block> x = RandomBlocks(prng, 2000);
  const std::vector<Block> base = Encode(MakeCode(1000, 2000), x);
  EXPECT_EQ(Encode(MakeCode(1000, 2000), x), base);
  const std::vector<std::vector<Block>> others = {
      Encode(MakeCode(1000, 2000, 7, 24, Block(1, 2)), x),
      Encode(MakeCode(1000, 2000, 7, 24, kDefaultExConvSeed ^ Block(0, 1)), x),
      Encode(MakeCode(1000, 2000, 7, 23), x),
      Encode(MakeCode(1000, 2000, 8, 24), x),
      Encode(MakeCode(1000, 2000, 21, 24), x)};
  for (size_t i = 0; i < others.size(); ++i) {
    uint64_t equal = 0;
    for (size_t j = 0; j < base.size(); ++j) equal += others[i][j] == base[j];
    // Random 128-bit outputs: any agreement would be a collision.
    EXPECT_EQ(equal, 0u) << "variant " << i;
  }
}

TEST(ExConvCodeTest, SingleMessageCodeWorks) {
  // k = 1, n = 2: m = 1, the convolution is the identity and the one output
  // is x[0] ⊕ (W = 7 taps on the single parity element, an odd count) x[1].
  const ExConvCode code = MakeCode(1, 2);
  std::vector<Block> x = {Block(1, 2), Block(3, 4)};
  ASSERT_TRUE(code.DualEncode(absl::MakeSpan(x)).ok());
  EXPECT_EQ(x[0], Block(1, 2) ^ Block(3, 4));
  std::vector<uint8_t> bits = {0b10};
  ASSERT_TRUE(code.DualEncodeBits(absl::MakeSpan(bits)).ok());
  EXPECT_EQ(bits[0] & 1, 1);
}

TEST(ExConvCodeTest,
     MillionElementCodeGivesSameResultOnOneOrTwoThreadsAndEveryKernel) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 8);
  const ExConvCode code = MakeCode(1 << 20, 1 << 21);
  const uint64_t n = code.code_size();
  const std::vector<Block> x = RandomBlocks(prng, n);
  const std::vector<Block> y = RandomBlocks(prng, n);
  const std::vector<uint8_t> bits = RandomBytes(prng, n / 8);
  std::vector<Block> first_x, first_y;
  std::vector<uint8_t> first_bits;
  for (ExConvImpl impl : AvailableImpls()) {
    for (int threads : {1, 2}) {
      std::vector<Block> gx = x, gy = y;
      std::vector<uint8_t> gb = bits;
      internal::EncodeVectors pair;
      pair.blocks[0] = absl::MakeSpan(gx);
      pair.blocks[1] = absl::MakeSpan(gy);
      ASSERT_TRUE(internal::DualEncodeWith(impl, code, pair, threads).ok());
      internal::EncodeVectors single;
      single.bits = absl::MakeSpan(gb);
      ASSERT_TRUE(internal::DualEncodeWith(impl, code, single, threads).ok());
      gx.resize(code.num_messages());
      gy.resize(code.num_messages());
      gb.resize(code.num_messages() / 8);
      if (first_x.empty()) {
        first_x = gx;
        first_y = gy;
        first_bits = gb;
        continue;
      }
      const std::string where = std::string(internal::ExConvImplName(impl)) +
                                " threads=" + std::to_string(threads);
      EXPECT_TRUE(gx == first_x) << where;
      EXPECT_TRUE(gy == first_y) << where;
      EXPECT_TRUE(gb == first_bits) << where;
    }
  }
}

// ---------------------------------------------------------------------------
// Errors.

TEST(ExConvCodeTest, CreateRejectsOutOfRangeParameters) {
  auto create = [](auto edit) {
    ExConvParams p;
    p.num_messages = 100;
    edit(p);
    return ExConvCode::Create(p).status().code();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(create([](ExConvParams&) {}), absl::StatusCode::kOk);
  EXPECT_EQ(create([](ExConvParams& p) { p.num_messages = 0; }), kInvalid);
  EXPECT_EQ(create([](ExConvParams& p) { p.expansion = 1; }), kInvalid);
  EXPECT_EQ(create([](ExConvParams& p) { p.code_size = 100; }), kInvalid);
  EXPECT_EQ(create([](ExConvParams& p) { p.code_size = 99; }), kInvalid);
  EXPECT_EQ(create([](ExConvParams& p) { p.code_size = uint64_t{1} << 32; }),
            kInvalid);
  EXPECT_EQ(create([](ExConvParams& p) { p.num_messages = uint64_t{1} << 31; }),
            kInvalid);
  EXPECT_EQ(create([](ExConvParams& p) { p.expander_weight = 0; }), kInvalid);
  EXPECT_EQ(create([](ExConvParams& p) { p.expander_weight = 256; }), kInvalid);
  EXPECT_EQ(create([](ExConvParams& p) { p.accumulator_window = 32; }),
            kInvalid);
  EXPECT_EQ(create([](ExConvParams& p) { p.code_size = 101; }),
            absl::StatusCode::kOk);
  auto code = ExConvCode::Create(ExConvParams{.num_messages = 10});
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(code->code_size(), 20u);
  EXPECT_EQ(code->expander_weight(), 7u);
  EXPECT_EQ(code->accumulator_window(), 24u);
}

TEST(ExConvCodeTest,
     WrongSizesAndOverlapsFailWithInvalidArgumentAndTouchNothing) {
  const ExConvCode code = MakeCode(10, 20);
  std::vector<Block> x(19, Block(5, 6));
  EXPECT_EQ(code.DualEncode(absl::MakeSpan(x)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(x, std::vector<Block>(19, Block(5, 6)));
  std::vector<Block> y(20, Block(7, 8));
  EXPECT_EQ(code.DualEncodePair(absl::MakeSpan(y), absl::MakeSpan(x)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(y, std::vector<Block>(20, Block(7, 8)));
  EXPECT_EQ(code.DualEncodePair(absl::MakeSpan(y), absl::MakeSpan(y)).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<Block> z(40, Block(1, 1));
  EXPECT_EQ(code.DualEncodePair(absl::MakeSpan(z).subspan(0, 20),
                                absl::MakeSpan(z).subspan(10, 20))
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(z, std::vector<Block>(40, Block(1, 1)));
  std::vector<uint8_t> bits(2, 0xff);  // 20 bits need 3 bytes
  EXPECT_EQ(code.DualEncodeBits(absl::MakeSpan(bits)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bits, std::vector<uint8_t>(2, 0xff));
  std::vector<uint8_t> bytes(21, 1);
  EXPECT_EQ(code.DualEncodeBytes(absl::MakeSpan(bytes)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code.DualEncodeBitsAndBlocks(absl::MakeSpan(bytes).subspan(0, 3),
                                         absl::MakeSpan(y))
                .code(),
            absl::StatusCode::kOk);
}

}  // namespace
}  // namespace liaison::ot
