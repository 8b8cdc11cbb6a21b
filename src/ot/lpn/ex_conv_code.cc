#include "ot/lpn/ex_conv_code.h"

#include "base/cpu.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "base/secret.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "crypto/aes.h"
#include "crypto/block.h"
#include "ot/lpn/internal/ex_conv_internal.h"
#include "ot/lpn/internal/ex_conv_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

// Coefficient words and taps are read from the AES keystream as
// little-endian 32-bit words with memcpy.
static_assert(std::endian::native == std::endian::little,
              "ex_conv_code.cc assumes a little-endian CPU");

namespace liaison::ot {

using crypto::Aes128;
using crypto::Block;

namespace internal {
namespace {


#if LIAISON_HAVE_EXCONV_AVX512_KERNELS
bool CpuHasAvx512Gfni() {
  static const bool has = [] {
    const CpuId& id = CpuFeatureBits();
    return id.avx512f && id.avx512bw && id.avx512vl && id.avx512vbmi &&
           id.gfni && OsSavesZmmState();
  }();
  return has;
}
#endif

}  // namespace

const char* ExConvImplName(ExConvImpl impl) {
  return impl == ExConvImpl::kAvx512Gfni ? "avx512gfni" : "portable";
}

bool ExConvImplAvailable(ExConvImpl impl) {
  switch (impl) {
    case ExConvImpl::kPortable:
      return true;
    case ExConvImpl::kAvx512Gfni:
#if LIAISON_HAVE_EXCONV_AVX512_KERNELS
      return CpuHasAvx512Gfni();
#else
      return false;
#endif
  }
  return false;
}

ExConvImpl SelectedExConvImpl() {
  static const ExConvImpl impl = [] {
    if (!EnvFlagSet("LIAISON_NO_AVX512") &&
        ExConvImplAvailable(ExConvImpl::kAvx512Gfni)) {
      return ExConvImpl::kAvx512Gfni;
    }
    return ExConvImpl::kPortable;
  }();
  return impl;
}

namespace {

// kRowBatch rows share one batch of coefficient words (2 KiB, in L1) in the
// row-by-row code; a multiple of 8, so batches start on tile boundaries.
constexpr uint64_t kRowBatch = 512;
// kOutBatch outputs share one batch of expander taps (7 KiB at weight 7); a
// multiple of 8, so that threads write disjoint bytes of a bit vector.
constexpr uint64_t kOutBatch = 256;
// kMinOutBatchesPerThread keeps a thread's share of the expander large
// enough (16K outputs) to pay for starting it.
constexpr uint64_t kMinOutBatchesPerThread = 64;
// kPrefetchAhead is how many outputs ahead the expander prefetches its taps:
// enough random reads in flight to cover a miss to memory.
constexpr uint64_t kPrefetchAhead = 32;
// kBitPad bytes after the parity bits let the bit code read and write 8
// bytes at any bit position and let the tile kernel flush 4 pending bytes.
constexpr uint64_t kBitPad = 16;

// StreamCipher is the AES key of stream `s` (file comment of the header).
Aes128 StreamCipher(const Block& seed, uint64_t s) {
  return Aes128(Aes128(seed).Encrypt(Block(s, 0)));
}

// KeystreamWords sets out[i] to the little-endian 32-bit word first + i of
// the counter-mode keystream of `aes`. `scratch` is reused between calls.
void KeystreamWords(const Aes128& aes, uint64_t first, absl::Span<uint32_t> out,
                    std::vector<Block>& scratch) {
  if (out.empty()) return;
  const uint64_t skip = first % 4;
  scratch.resize((skip + out.size() + 3) / 4);
  aes.EncryptCounter(first / 4, absl::MakeSpan(scratch));
  std::memcpy(out.data(),
              reinterpret_cast<const uint8_t*>(scratch.data()) + 4 * skip,
              4 * out.size());
}

#if LIAISON_HAVE_EXCONV_AVX512_KERNELS
struct CoefficientSource {
  const Aes128* aes;
  std::vector<Block>* scratch;
};

// CoefficientsForKernel is the tile kernel's CoefficientFn.
void CoefficientsForKernel(const void* ctx, uint64_t first_row, uint32_t* out,
                           uint64_t count) {
  const auto* src = static_cast<const CoefficientSource*>(ctx);
  KeystreamWords(*src->aes, first_row, absl::MakeSpan(out, count),
                 *src->scratch);
}
#endif

inline void XorIf(Block& dst, const Block& src, uint32_t bit) {
  dst ^= src & Block::AllOnesIf(bit);
}
inline void XorIf(uint8_t& dst, uint8_t src, uint32_t bit) {
  dst ^= static_cast<uint8_t>(src & (0u - bit));
}

// ConvolveRows runs rows [begin, end) of a convolution pass on m elements
// with effective window w (w + 1 < m), words[i - begin] being row i's
// coefficient word. Branch-free in the data; the indices depend only on
// the public code.
template <typename T>
void ConvolveRows(T* d, uint64_t m, uint32_t w, uint64_t begin, uint64_t end,
                  const uint32_t* words) {
  for (uint64_t i = begin; i < end; ++i) {
    const uint32_t c = words[i - begin];
    const T xi = d[i];
    if (i + w + 1 < m) {
      T* t = d + i + 1;
      for (uint32_t j = 0; j < w; ++j) XorIf(t[j], xi, (c >> j) & 1);
      t[w] ^= xi;
    } else {
      for (uint32_t j = 0; j < w; ++j)
        XorIf(d[(i + 1 + j) % m], xi, (c >> j) & 1);
      d[(i + w + 1) % m] ^= xi;
    }
  }
}

// ConvolveBitRows is ConvolveRows on packed bits (kBitPad bytes of padding
// after ceil(m / 8)).
void ConvolveBitRows(uint8_t* bits, uint64_t m, uint32_t w, uint64_t begin,
                     uint64_t end, const uint32_t* words) {
  const uint64_t low = (uint64_t{1} << w) - 1;
  for (uint64_t i = begin; i < end; ++i) {
    const uint64_t xi = (bits[i >> 3] >> (i & 7)) & 1;
    // Bit t - 1 is the addend of row i + t.
    const uint64_t pattern =
        ((words[i - begin] & low) | (uint64_t{1} << w)) & (0 - xi);
    if (i + w + 1 < m) {
      const uint64_t pos = i + 1;
      uint64_t v;
      std::memcpy(&v, bits + (pos >> 3), 8);
      v ^= pattern << (pos & 7);
      std::memcpy(bits + (pos >> 3), &v, 8);
    } else {
      for (uint32_t t = 1; t <= w + 1; ++t) {
        const uint64_t target = (i + t) % m;
        bits[target >> 3] ^=
            static_cast<uint8_t>(((pattern >> (t - 1)) & 1) << (target & 7));
      }
    }
  }
}

// Encoder is one DualEncodeWith call: the code's dimensions, the parity
// parts of the vectors, and the passes over them.
class Encoder {
 public:
  Encoder(ExConvImpl impl, const ExConvCode& code, const EncodeVectors& v,
          int num_threads)
      : impl_(impl),
        k_(code.num_messages()),
        m_(code.code_size() - code.num_messages()),
        weight_(code.expander_weight()),
        window_(m_ >= 2 ? static_cast<uint32_t>(std::min<uint64_t>(
                              code.accumulator_window(), m_ - 2))
                        : 0),
        threads_(std::max(num_threads, 1)),
        conv_aes_{StreamCipher(code.seed(), 1), StreamCipher(code.seed(), 2)},
        expand_aes_(StreamCipher(code.seed(), 3)),
        v_(v) {
    for (int a = 0; a < 2; ++a) {
      if (!v.blocks[a].empty()) blocks_.push_back(v.blocks[a].data());
    }
    const uint64_t regular = weight_ - weight_ / 2;
    const uint64_t region = m_ / regular;
    for (uint64_t e = 0; e < 16 * uint64_t{weight_}; ++e) {
      const uint64_t j = e % weight_;
      const bool in_region = region != 0 && j < regular;
      tap_mult_.push_back(static_cast<uint32_t>(in_region ? region : m_));
      tap_base_.push_back(static_cast<uint32_t>(in_region ? j * region : 0));
    }
    if (!v.bits.empty()) {
      // The parity bits start at bit k, which need not be on a byte
      // boundary: copy them out so that bit 0 of byte 0 is row 0.
      const uint64_t bytes = (m_ + 7) / 8;
      parity_bits_.assign(bytes + kBitPad, 0);
      const uint8_t* src = v.bits.data() + k_ / 8;
      const uint64_t src_len = v.bits.size() - k_ / 8;
      const unsigned shift = k_ % 8;
      for (uint64_t b = 0; b < bytes; ++b) {
        const unsigned next = b + 1 < src_len ? src[b + 1] : 0;
        parity_bits_[b] = static_cast<uint8_t>(
            (src[b] >> shift) | (shift != 0 ? next << (8 - shift) : 0));
      }
      if (m_ % 8 != 0) parity_bits_[bytes - 1] &= (1u << (m_ % 8)) - 1;
    }
  }

  ~Encoder() {
    if (!parity_bits_.empty())
      SecureWipe(parity_bits_.data(), parity_bits_.size());
  }

  void Run() {
    // Two vectors and two threads: each convolves its own vector. The
    // coefficient generation is then done twice, which costs far less than
    // the pass it parallelises.
    const int num_vectors = NumVectors();
    if (threads_ >= 2 && num_vectors == 2) {
      ParallelFor(2, 2, 1, [&](size_t begin, size_t end) {
        for (size_t which = begin; which < end; ++which) {
          Convolve(Select(static_cast<int>(which)));
        }
      });
    } else {
      Convolve(Select(-1));
    }
    Expand();
  }

 private:
  int NumVectors() const {
    return static_cast<int>(blocks_.size()) + (parity_bits_.empty() ? 0 : 1) +
           (v_.bytes.empty() ? 0 : 1);
  }

  // Targets is a subset of the vectors' parity parts.
  struct Targets {
    Block* blocks[2] = {nullptr, nullptr};
    uint8_t* bits = nullptr;
    uint8_t* bytes = nullptr;
  };

  // Select returns vector `which` alone (in the order blocks, bits, bytes),
  // or all of them for -1.
  Targets Select(int which) {
    std::vector<Targets> singles;
    Targets all;
    int nb = 0;
    for (Block* b : blocks_) {
      Targets t;
      t.blocks[0] = b + k_;
      singles.push_back(t);
      all.blocks[nb++] = b + k_;
    }
    if (!parity_bits_.empty()) {
      Targets t;
      t.bits = parity_bits_.data();
      singles.push_back(t);
      all.bits = t.bits;
    }
    if (!v_.bytes.empty()) {
      Targets t;
      t.bytes = v_.bytes.data() + k_;
      singles.push_back(t);
      all.bytes = t.bytes;
    }
    return which < 0 ? all : singles[static_cast<size_t>(which)];
  }

  void Convolve(const Targets& t) {
    if (m_ < 2) return;  // the convolution of 0 or 1 element is the identity
    std::vector<Block> scratch;
    std::vector<uint32_t> words(kRowBatch);
    for (int pass = 0; pass < 2; ++pass) {
      const Aes128& aes = conv_aes_[pass];
      // The tile kernel takes the rows that do not wrap around, in whole
      // tiles; the row-by-row code continues from there (and does all of a
      // byte vector).
      uint64_t tiles = 0;
#if LIAISON_HAVE_EXCONV_AVX512_KERNELS
      const bool tile_targets = t.blocks[0] != nullptr || t.bits != nullptr;
      if (impl_ == ExConvImpl::kAvx512Gfni && tile_targets &&
          m_ >= uint64_t{window_} + 1 + 8) {
        tiles = (m_ - window_ - 1) / 8;
        CoefficientSource src{&aes, &scratch};
        ConvTiles job;
        for (int a = 0; a < 2; ++a) {
          job.blocks[a] = reinterpret_cast<uint8_t*>(t.blocks[a]);
        }
        job.bits = t.bits;
        job.m = m_;
        job.num_tiles = tiles;
        job.window = window_;
        job.coefficients = &CoefficientsForKernel;
        job.coefficients_ctx = &src;
        GfniConvolveTiles(job);
      }
#endif
      const uint64_t tile_rows = 8 * tiles;
      const uint64_t first = t.bytes != nullptr ? 0 : tile_rows;
      const uint32_t low = (uint32_t{1} << window_) - 1;
      for (uint64_t r0 = first; r0 < m_; r0 += kRowBatch) {
        const uint64_t r1 = std::min(m_, r0 + kRowBatch);
        KeystreamWords(aes, r0, absl::MakeSpan(words.data(), r1 - r0), scratch);
        for (uint64_t i = 0; i < r1 - r0; ++i) words[i] &= low;
        const uint64_t b0 = std::max(r0, tile_rows);
        if (b0 < r1) {
          const uint32_t* wb = words.data() + (b0 - r0);
          for (Block* d : t.blocks) {
            if (d != nullptr) ConvolveRows(d, m_, window_, b0, r1, wb);
          }
          if (t.bits != nullptr)
            ConvolveBitRows(t.bits, m_, window_, b0, r1, wb);
        }
        if (t.bytes != nullptr) {
          ConvolveRows(t.bytes, m_, window_, r0, r1, words.data());
        }
      }
    }
  }

  // Taps computes the expander taps of outputs [first, first + count) into
  // taps[i · W + j], rounding count up to a multiple of 16 (the extra rows
  // are computed and ignored).
  void Taps(uint64_t first, uint64_t count, std::vector<uint32_t>& taps,
            std::vector<Block>& scratch) const {
    const uint64_t period = tap_mult_.size();
    const uint64_t len = (count + 15) / 16 * period;
    taps.resize(len);
    KeystreamWords(expand_aes_, first * weight_, absl::MakeSpan(taps), scratch);
#if LIAISON_HAVE_EXCONV_AVX512_KERNELS
    if (impl_ == ExConvImpl::kAvx512Gfni) {
      Avx512TapIndices(taps.data(), len, tap_mult_.data(), tap_base_.data(),
                       period);
      return;
    }
#endif
    // 16 rows at a time, so that the multiplier and offset patterns line up
    // with the vector lanes and the compiler vectorises the loop.
    const uint32_t* mult = tap_mult_.data();
    const uint32_t* base = tap_base_.data();
    for (uint64_t g = 0; g < len; g += period) {
      uint32_t* t = taps.data() + g;
      for (uint64_t e = 0; e < period; ++e) {
        t[e] = base[e] + static_cast<uint32_t>(
                             (uint64_t{t[e]} * uint64_t{mult[e]}) >> 32);
      }
    }
  }

  // Gather sets x[first + i] ^= XOR_j d[taps[i · W + j]] for i < count,
  // with the taps of output i + kPrefetchAhead prefetched. kW is W when it
  // is a compile-time constant (the named parameter sets), else 0.
  template <int kW, typename T>
  void Gather(T* x, uint64_t first, uint64_t count,
              const std::vector<uint32_t>& taps) const {
    const T* d = x + k_;
    const uint64_t w = kW != 0 ? kW : weight_;
    const uint32_t* row = taps.data();
    for (uint64_t i = 0; i < count; ++i, row += w) {
      if (i + kPrefetchAhead < count) {
        const uint32_t* ahead = row + kPrefetchAhead * w;
        for (uint64_t j = 0; j < w; ++j) __builtin_prefetch(d + ahead[j], 0, 1);
      }
      T acc = x[first + i];
      for (uint64_t j = 0; j < w; ++j) acc ^= d[row[j]];
      x[first + i] = acc;
    }
  }

  template <typename T>
  void ExpandInto(T* x, uint64_t first, uint64_t count,
                  const std::vector<uint32_t>& taps) const {
    switch (weight_) {
      case 7:
        return Gather<7>(x, first, count, taps);
      case 21:
        return Gather<21>(x, first, count, taps);
      default:
        return Gather<0>(x, first, count, taps);
    }
  }

  void ExpandBits(uint64_t first, uint64_t count,
                  const std::vector<uint32_t>& taps) const {
    const uint8_t* d = parity_bits_.data();
    const uint64_t w = weight_;
    uint8_t* out = v_.bits.data();
    for (uint64_t g = 0; g < count; g += 8) {
      uint32_t acc = 0;
      for (uint64_t r = 0; r < 8 && g + r < count; ++r) {
        const uint32_t* row = taps.data() + (g + r) * w;
        uint32_t bit = 0;
        for (uint64_t j = 0; j < w; ++j) bit ^= d[row[j] >> 3] >> (row[j] & 7);
        acc |= (bit & 1) << r;
      }
      out[(first + g) >> 3] ^= static_cast<uint8_t>(acc);
    }
  }

  // Expand runs the expander on each vector in turn, recomputing the taps
  // for each: the taps are random reads into the whole parity part, and one
  // vector's parity part at a time is the smallest working set (it may fit
  // in the last-level cache where two would not), which outweighs computing
  // the taps again (about 1.3 ns per output).
  void Expand() {
    const uint64_t num_batches = (k_ + kOutBatch - 1) / kOutBatch;
    const int num_vectors = NumVectors();
    for (int which = 0; which < num_vectors; ++which) {
      ParallelFor(num_batches, threads_, kMinOutBatchesPerThread,
                  [&](size_t begin, size_t end) {
                    std::vector<uint32_t> taps;
                    std::vector<Block> scratch;
                    for (size_t b = begin; b < end; ++b) {
                      const uint64_t first = b * kOutBatch;
                      const uint64_t count = std::min(kOutBatch, k_ - first);
                      Taps(first, count, taps, scratch);
                      ExpandOne(which, first, count, taps);
                    }
                  });
    }
  }

  // ExpandOne runs the expander on vector `which` (in the order blocks,
  // bits, bytes) for outputs [first, first + count).
  void ExpandOne(int which, uint64_t first, uint64_t count,
                 const std::vector<uint32_t>& taps) const {
    if (which < static_cast<int>(blocks_.size())) {
      return ExpandInto(blocks_[static_cast<size_t>(which)], first, count,
                        taps);
    }
    which -= static_cast<int>(blocks_.size());
    if (!parity_bits_.empty() && which-- == 0) {
      return ExpandBits(first, count, taps);
    }
    ExpandInto(v_.bytes.data(), first, count, taps);
  }

  const ExConvImpl impl_;
  const uint64_t k_;
  const uint64_t m_;
  const uint32_t weight_;
  const uint32_t window_;  // min(w, m - 2): the effective window
  const int threads_;
  const Aes128 conv_aes_[2];
  const Aes128 expand_aes_;
  const EncodeVectors& v_;
  std::vector<Block*> blocks_;
  std::vector<uint8_t> parity_bits_;
  // Entry r · W + j (r < 16) is the multiplier and offset of tap j: tap j
  // of a row is tap_base_[j] + floor(u · tap_mult_[j] / 2^32). Sixteen
  // rows' worth, so that Taps runs flat loops of whole vectors.
  std::vector<uint32_t> tap_mult_;
  std::vector<uint32_t> tap_base_;
};

struct ByteRange {
  const uint8_t* begin;
  const uint8_t* end;
};

}  // namespace

absl::Status DualEncodeWith(ExConvImpl impl, const ExConvCode& code,
                            const EncodeVectors& v, int num_threads) {
  const uint64_t n = code.code_size();
  std::vector<ByteRange> ranges;
  for (const auto& blocks : v.blocks) {
    if (blocks.empty()) continue;
    if (blocks.size() != n) {
      return absl::InvalidArgumentError(
          StrCat("ExConv: block vector has ", blocks.size(),
                 " elements, the code size is ", n));
    }
    const auto* p = reinterpret_cast<const uint8_t*>(blocks.data());
    ranges.push_back({p, p + 16 * blocks.size()});
  }
  if (!v.bits.empty()) {
    if (v.bits.size() != (n + 7) / 8) {
      return absl::InvalidArgumentError(
          StrCat("ExConv: bit vector has ", v.bits.size(), " bytes, ",
                 (n + 7) / 8, " hold the code size ", n));
    }
    ranges.push_back({v.bits.data(), v.bits.data() + v.bits.size()});
  }
  if (!v.bytes.empty()) {
    if (v.bytes.size() != n) {
      return absl::InvalidArgumentError(
          StrCat("ExConv: byte vector has ", v.bytes.size(),
                 " elements, the code size is ", n));
    }
    ranges.push_back({v.bytes.data(), v.bytes.data() + v.bytes.size()});
  }
  if (ranges.empty()) {
    return absl::InvalidArgumentError("ExConv: no vector to encode");
  }
  for (size_t i = 0; i < ranges.size(); ++i) {
    for (size_t j = i + 1; j < ranges.size(); ++j) {
      if (ranges[i].begin < ranges[j].end && ranges[j].begin < ranges[i].end) {
        return absl::InvalidArgumentError("ExConv: the vectors overlap");
      }
    }
  }
  Encoder(impl, code, v, num_threads).Run();
  return absl::OkStatus();
}

}  // namespace internal

absl::StatusOr<ExConvCode> ExConvCode::Create(const ExConvParams& params) {
  const uint64_t k = params.num_messages;
  if (k == 0) {
    return absl::InvalidArgumentError(
        "ExConv: num_messages must be at least 1");
  }
  uint64_t n = params.code_size;
  if (n == 0) {
    if (params.expansion < 2) {
      return absl::InvalidArgumentError("ExConv: expansion must be at least 2");
    }
    if (k > (uint64_t{1} << 32) / params.expansion) {
      return absl::InvalidArgumentError(StrCat("ExConv: code size ", k, " x ",
                                               params.expansion,
                                               " is not below 2^32"));
    }
    n = k * params.expansion;
  }
  if (n <= k) {
    return absl::InvalidArgumentError(
        StrCat("ExConv: code_size ", n, " must exceed num_messages ", k));
  }
  if (n >= (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError(
        StrCat("ExConv: code_size ", n, " is not below 2^32"));
  }
  if (params.expander_weight < 1 || params.expander_weight > 255) {
    return absl::InvalidArgumentError(StrCat("ExConv: expander_weight ",
                                             params.expander_weight,
                                             " is not in [1, 255]"));
  }
  if (params.accumulator_window > 31) {
    return absl::InvalidArgumentError(StrCat("ExConv: accumulator_window ",
                                             params.accumulator_window,
                                             " is not in [0, 31]"));
  }
  ExConvCode code;
  code.k_ = k;
  code.n_ = n;
  code.weight_ = params.expander_weight;
  code.window_ = params.accumulator_window;
  code.seed_ = params.seed;
  return code;
}

absl::Status ExConvCode::DualEncode(absl::Span<Block> x,
                                    int num_threads) const {
  internal::EncodeVectors v;
  v.blocks[0] = x;
  if (x.empty()) return absl::InvalidArgumentError("ExConv: empty vector");
  return internal::DualEncodeWith(internal::SelectedExConvImpl(), *this, v,
                                  num_threads);
}

absl::Status ExConvCode::DualEncodePair(absl::Span<Block> x,
                                        absl::Span<Block> y,
                                        int num_threads) const {
  if (x.empty() || y.empty()) {
    return absl::InvalidArgumentError("ExConv: empty vector");
  }
  internal::EncodeVectors v;
  v.blocks[0] = x;
  v.blocks[1] = y;
  return internal::DualEncodeWith(internal::SelectedExConvImpl(), *this, v,
                                  num_threads);
}

absl::Status ExConvCode::DualEncodeBits(absl::Span<uint8_t> bits,
                                        int num_threads) const {
  if (bits.empty()) return absl::InvalidArgumentError("ExConv: empty vector");
  internal::EncodeVectors v;
  v.bits = bits;
  return internal::DualEncodeWith(internal::SelectedExConvImpl(), *this, v,
                                  num_threads);
}

absl::Status ExConvCode::DualEncodeBitsAndBlocks(absl::Span<uint8_t> bits,
                                                 absl::Span<Block> blocks,
                                                 int num_threads) const {
  if (bits.empty() || blocks.empty()) {
    return absl::InvalidArgumentError("ExConv: empty vector");
  }
  internal::EncodeVectors v;
  v.bits = bits;
  v.blocks[0] = blocks;
  return internal::DualEncodeWith(internal::SelectedExConvImpl(), *this, v,
                                  num_threads);
}

absl::Status ExConvCode::DualEncodeBytes(absl::Span<uint8_t> x,
                                         int num_threads) const {
  if (x.empty()) return absl::InvalidArgumentError("ExConv: empty vector");
  internal::EncodeVectors v;
  v.bytes = x;
  return internal::DualEncodeWith(internal::SelectedExConvImpl(), *this, v,
                                  num_threads);
}

}  // namespace liaison::ot
