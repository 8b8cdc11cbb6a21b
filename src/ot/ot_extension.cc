#include "ot/ot_extension.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>

#include "base/bytes.h"
#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "crypto/gf128.h"
#include "ot/base_ot.h"
#include "ot/internal/transpose.h"

namespace liaison::ot {
namespace {

using Wide = crypto::Gf128Unreduced;

constexpr size_t kBaseOts = 128;
constexpr int kMaxK = 8;
constexpr uint32_t kMagic = 0x45544F4C;  // "LOTE" little-endian
constexpr uint32_t kVersion = 1;
// kMaxBytesPerBlock bounds every message per block of chunk_blocks: the
// columns of k = 1 take 2,048 bytes per block, and chosen-message OT sends
// 32 bytes per OT in messages of 64·chunk_blocks OTs, the same.
constexpr size_t kMaxBytesPerBlock = kBaseOts * sizeof(Block);
constexpr size_t kCheckBytes = (1 + kBaseOts) * sizeof(Block);
// kHashPiece is the OTs hashed at a time when deriving random OTs.
constexpr size_t kHashPiece = 1024;
// kMaxBlocks bounds the PRG position so that the ROT tweaks 128·position
// never wrap.
constexpr uint64_t kMaxBlocks = uint64_t{1} << 56;

// Groups describes the split of the 128 base OTs into groups of k (the
// last may be smaller): group g owns rows, base OTs and bits of Δ g·k ..
// g·k + size(g) − 1.
struct Groups {
  int k = 1;
  size_t count() const { return (kBaseOts + k - 1) / k; }
  int size(size_t g) const { return std::min<int>(k, static_cast<int>(kBaseOts - g * k)); }
  size_t first_row(size_t g) const { return g * k; }
};

// SubBlocks is the number of 128-OT blocks a worker expands, combines and
// transposes at a time: 2,048 OTs (a 32 KiB row scratch) for small k, more
// for large k so that each of the 2^k leaf PRGs runs on enough blocks.
size_t SubBlocks(int k) { return k <= 4 ? 16 : 64; }

// CtMask returns all ones if a == b and zero otherwise, without a branch.
inline uint64_t CtMask(uint64_t a, uint64_t b) {
  const uint64_t d = a ^ b;
  return ((d | (0 - d)) >> 63) - 1;
}
inline Block CtBlockMask(uint64_t a, uint64_t b) {
  const uint64_t m = CtMask(a, b);
  return Block(m, m);
}

// GgmPrg is the length-doubling PRG of the GGM trees: child s of node v is
// π_s(v) ⊕ v, with π_0, π_1 AES-128 under two public keys.
class GgmPrg {
 public:
  GgmPrg() : pi_{crypto::Aes128(Block(0x6c696169736f6e20ull, 0x67676d2d6c656674ull)),
                 crypto::Aes128(Block(0x6c696169736f6e20ull, 0x67676d2d72696768ull))} {}
  // Expand sets children[2i + s] = π_s(nodes[i]) ⊕ nodes[i].
  void Expand(absl::Span<const Block> nodes, absl::Span<Block> children) const {
    crypto::SecretBlocks tmp(nodes.size());
    for (int s = 0; s < 2; ++s) {
      pi_[s].EncryptBlocks(nodes, tmp.span());
      for (size_t i = 0; i < nodes.size(); ++i) children[2 * i + s] = tmp[i] ^ nodes[i];
    }
  }

 private:
  crypto::Aes128 pi_[2];
};

size_t GgmMessageLen(const Groups& groups) {
  size_t len = 0;
  for (size_t g = 0; g < groups.count(); ++g) len += 2 * sizeof(Block) * (groups.size(g) - 1);
  return len;
}

// The base OT of level ℓ of group g's tree decides bit size(g) − 1 − ℓ of the
// leaf index, which is bit (that) of Δ_g: it is base OT g·k + size(g) − 1 − ℓ.
size_t LevelOt(const Groups& groups, size_t g, int level) {
  return groups.first_row(g) + groups.size(g) - 1 - level;
}

// FoldK is Fold for kg = K: block by block, in registers. The top level
// reads each pair of leaf blocks (x, x + 2^(K−1)) once, adding the upper
// to row K − 1 and their sum to the register x; the lower levels fold the
// 2^(K−1) registers the same way, so each leaf block is loaded once and each
// row block stored once (the loops are unrolled: K is a constant). The
// registers are GCC/Clang vectors of two words (SSE2 on x86-64).
template <int K>
void FoldK(Block* buf, size_t sl, Block* rows, size_t row_stride) {
  using V = uint64_t __attribute__((vector_size(16)));
  constexpr size_t kTop = size_t{1} << (K - 1);
  auto load = [](const Block& b) { return V{b.lo, b.hi}; };
  auto store = [](Block& b, V x) { b = Block(x[1], x[0]); };
  for (size_t i = 0; i < sl; ++i) {
    V v[kTop];
    V top = {0, 0};
#pragma GCC unroll 128
    for (size_t x = 0; x < kTop; ++x) {
      const V hi = load(buf[(x + kTop) * sl + i]);
      top ^= hi;
      v[x] = load(buf[x * sl + i]) ^ hi;
    }
    store(rows[static_cast<size_t>(K - 1) * row_stride + i], top);
#pragma GCC unroll 8
    for (int l = K - 2; l >= 0; --l) {
      const size_t half = size_t{1} << l;
      V row = v[half];
#pragma GCC unroll 64
      for (size_t x = half + 1; x < 2 * half; ++x) row ^= v[x];
      store(rows[static_cast<size_t>(l) * row_stride + i], row);
#pragma GCC unroll 64
      for (size_t x = 0; x < half; ++x) v[x] ^= v[x + half];
    }
    store(buf[i], v[0]);
  }
}

// Fold turns the 2^kg leaf vectors in `buf` (vector x at buf + x·sl, sl
// blocks each) into the rows V_ℓ = Σ_{x : bit ℓ of x} r_x, written to
// rows + ℓ·row_stride, and leaves u = Σ_x r_x in vector 0. Vector 0 enters
// only u.
void Fold(Block* buf, int kg, size_t sl, Block* rows, size_t row_stride) {
  switch (kg) {
    case 1: return FoldK<1>(buf, sl, rows, row_stride);
    case 2: return FoldK<2>(buf, sl, rows, row_stride);
    case 3: return FoldK<3>(buf, sl, rows, row_stride);
    case 4: return FoldK<4>(buf, sl, rows, row_stride);
    case 5: return FoldK<5>(buf, sl, rows, row_stride);
    case 6: return FoldK<6>(buf, sl, rows, row_stride);
    case 7: return FoldK<7>(buf, sl, rows, row_stride);
    default: return FoldK<8>(buf, sl, rows, row_stride);
  }
}

struct Header {
  uint32_t version = 0;
  uint8_t security = 0;
  uint8_t kind = 0;
  uint8_t k = 0;
  uint64_t num_ots = 0;
  uint32_t chunk_blocks = 0;
  uint64_t first_block = 0;
};

Bytes EncodeHeader(const Header& h) {
  ByteWriter w(32);
  w.U32(kMagic);
  w.U32(h.version);
  w.U8(h.security);
  w.U8(h.kind);
  w.U8(h.k);
  w.U64(h.num_ots);
  w.U32(h.chunk_blocks);
  w.U64(h.first_block);
  return w.Take();
}

absl::StatusOr<Header> DecodeHeader(ByteSpan msg) {
  ByteReader r(msg);
  LIAISON_ASSIGN_OR_RETURN(uint32_t magic, r.U32("OT extension magic"));
  if (magic != kMagic) return absl::DataLossError("peer message is not an OT extension header");
  Header h;
  LIAISON_ASSIGN_OR_RETURN(h.version, r.U32("OT extension version"));
  LIAISON_ASSIGN_OR_RETURN(h.security, r.U8("OT extension security"));
  LIAISON_ASSIGN_OR_RETURN(h.kind, r.U8("OT extension kind"));
  LIAISON_ASSIGN_OR_RETURN(h.k, r.U8("OT extension k"));
  LIAISON_ASSIGN_OR_RETURN(h.num_ots, r.U64("OT extension count"));
  LIAISON_ASSIGN_OR_RETURN(h.chunk_blocks, r.U32("OT extension chunk size"));
  LIAISON_ASSIGN_OR_RETURN(h.first_block, r.U64("OT extension position"));
  LIAISON_RETURN_IF_ERROR(r.ExpectEnd("OT extension header"));
  return h;
}

uint8_t SecurityByte(Security s) { return s == Security::kMalicious ? 1 : 0; }

absl::Status CheckK(const OtExtensionParams& p) {
  if (p.softspoken_k < 1 || p.softspoken_k > kMaxK) {
    return absl::InvalidArgumentError("OT extension: softspoken_k must be between 1 and 8");
  }
  return absl::OkStatus();
}

absl::Status CheckParams(const OtExtensionParams& p, const net::Channel& channel) {
  LIAISON_RETURN_IF_ERROR(CheckK(p));
  if (p.chunk_blocks == 0 || p.chunk_blocks > UINT32_MAX ||
      p.chunk_blocks > channel.max_message_len() / kMaxBytesPerBlock) {
    return absl::InvalidArgumentError(
        StrCat("OT extension: chunk_blocks must be between 1 and ",
               channel.max_message_len() / kMaxBytesPerBlock, " for this channel"));
  }
  return absl::OkStatus();
}

int Threads(const OtExtensionParams& p) {
  return p.num_threads > 0 ? p.num_threads : DefaultThreads();
}

uint64_t NumBlocks(uint64_t n) { return n / 128 + (n % 128 != 0 ? 1 : 0); }

// SecretWides holds check accumulators, which are functions of the secret
// correlations, and wipes them.
class SecretWides {
 public:
  explicit SecretWides(size_t n) : v_(n) {}
  ~SecretWides() {
    if (!v_.empty()) SecureWipe(v_.data(), v_.size() * sizeof(Wide));
  }
  SecretWides(const SecretWides&) = delete;
  SecretWides& operator=(const SecretWides&) = delete;
  Wide& operator[](size_t i) { return v_[i]; }

 private:
  std::vector<Wide> v_;
};

// Accumulate adds the check terms of the rows of blocks g0..g0+sl-1 (row j
// at rows + j·stride): Σ χ_g·R_{j,g} over real blocks, and R_{j,g} itself for
// the extra block (index num_blocks, the last of all).
void Accumulate(const Block* rows, size_t stride, uint64_t g0, size_t sl, uint64_t num_blocks,
                const std::vector<Block>& chi, SecretWides& acc) {
  const size_t real =
      g0 < num_blocks ? static_cast<size_t>(std::min<uint64_t>(sl, num_blocks - g0)) : 0;
  for (size_t j = 0; j < kBaseOts; ++j) {
    const Block* row = rows + j * stride;
    if (real > 0) {
      acc[j] ^= crypto::Gf128InnerProductUnreduced(absl::MakeConstSpan(row, real),
                                                   absl::MakeConstSpan(chi.data() + g0, real));
    }
    if (real < sl) acc[j].lo ^= row[real];
  }
}

// TransposeOut transposes the `count` squares held in `rows` (row j at
// rows[j * stride]), which are blocks first..first+count-1 of this Extend,
// into the outputs of OTs 128·first onwards: whole squares in place, the
// last partial one through a buffer, and the malicious check's extra block
// (index num_blocks) not at all.
void TransposeOut(const Block* rows, size_t stride, uint64_t first, size_t count,
                  uint64_t num_blocks, size_t n, Block* out) {
  const uint64_t full_end = std::min<uint64_t>(first + count, n / 128);
  if (full_end > first) {
    internal::TransposeSquares(rows, stride, full_end - first, out + 128 * first);
  }
  for (uint64_t g = std::max(first, full_end); g < first + count && g < num_blocks; ++g) {
    Block tmp[128];
    internal::TransposeSquares(rows + (g - first), stride, 1, tmp);
    const size_t keep = n - 128 * g;  // < 128: only the last block is partial
    std::memcpy(out + 128 * g, tmp, keep * sizeof(Block));
    SecureWipe(tmp, sizeof(tmp));
  }
}

// PieceBuffers are a worker's buffers for ExtendCotPieces: the transposed
// OTs of one sub-block and the consumer's scratch, wiped on destruction.
struct PieceBuffers {
  explicit PieceBuffers(size_t num_blocks) : cots(128 * num_blocks), scratch(128 * num_blocks) {}
  crypto::UninitSecretBlocks cots;
  crypto::UninitSecretBlocks scratch;
};

// EmitPiece transposes the `count` squares held in `rows` (row j at
// rows[j * stride]), blocks first..first+count-1 of a semi-honest Extend
// of n OTs, and hands OTs [128·first, min(128·(first + count), n)) to
// `sink`.
void EmitPiece(const Block* rows, size_t stride, uint64_t first, size_t count, size_t n,
               PieceBuffers& bufs, const CotPieceFn& sink) {
  internal::TransposeSquares(rows, stride, count, bufs.cots.data());
  const size_t len = std::min<size_t>(128 * count, n - 128 * first);
  sink(128 * first, bufs.cots.span().subspan(0, len), bufs.scratch.span().subspan(0, len));
}

// ChiBlocks expands the check seed into one coefficient per real block.
std::vector<Block> ChiBlocks(const Block& seed, uint64_t num_blocks) {
  std::vector<Block> chi(num_blocks);
  crypto::Aes128(seed).EncryptCounter(0, absl::MakeSpan(chi));
  return chi;
}

// HashInPlace replaces v[i] with TccrHash(v[i], tweak0 + i) and, when
// `other` is non-null, sets other[i] = TccrHash(v[i] ⊕ delta, tweak0 + i)
// from the original v[i].
void HashInPlace(crypto::SecretBlocks& v, uint64_t tweak0, const Block* delta, crypto::SecretBlocks* other,
                 int threads) {
  ParallelFor(v.size(), threads, kHashPiece, [&](size_t begin, size_t end) {
    crypto::SecretBlocks tmp(kHashPiece);
    for (size_t p0 = begin; p0 < end; p0 += kHashPiece) {
      const size_t len = std::min(kHashPiece, end - p0);
      auto t = tmp.span().subspan(0, len);
      std::memcpy(t.data(), v.data() + p0, len * sizeof(Block));
      crypto::TccrHash(t, tweak0 + p0, v.span().subspan(p0, len));
      if (other != nullptr) {
        for (Block& b : t) b ^= *delta;
        crypto::TccrHash(t, tweak0 + p0, other->span().subspan(p0, len));
      }
    }
  });
}

}  // namespace

// ---------------------------------------------------------------- sender --

OtExtensionSender::OtExtensionSender(OtExtensionParams params) : params_(params) {}
OtExtensionSender::~OtExtensionSender() = default;
OtExtensionSender::OtExtensionSender(OtExtensionSender&&) noexcept = default;
OtExtensionSender& OtExtensionSender::operator=(OtExtensionSender&&) noexcept = default;

absl::Status OtExtensionSender::SetUp(net::Channel& channel, crypto::Prng& prng) {
  LIAISON_RETURN_IF_ERROR(CheckK(params_));
  if (is_set_up() || broken_) {
    return absl::FailedPreconditionError("OT extension: SetUp may run only once");
  }
  broken_ = true;
  Block& d = delta_.mutable_value();
  prng.Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(&d), sizeof(d)));
  crypto::SecretBits choices(kBaseOts);
  for (size_t j = 0; j < kBaseOts; ++j) {
    choices.Set(j, static_cast<uint8_t>(d.Bit(static_cast<int>(j))));
  }
  BaseOtParams base_params;
  base_params.num_threads = params_.num_threads;
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks seeds,
                           BaseOtReceiver(base_params).Run(channel, choices, prng));

  const Groups groups{params_.softspoken_k};
  Bytes ggm;
  if (groups.k > 1) {
    LIAISON_ASSIGN_OR_RETURN(ggm, channel.Recv());
    if (ggm.size() != GgmMessageLen(groups)) {
      return absl::DataLossError(StrCat("OT extension: the GGM corrections are ", ggm.size(),
                                        " bytes, expected ", GgmMessageLen(groups)));
    }
  }
  // Rebuild each group's tree but for the leaf Δ_g: the node on the path is
  // carried along as garbage, and every step that depends on the path does
  // so through masks over all nodes, never through an index.
  const GgmPrg prg;
  size_t total_leaves = 0;
  for (size_t g = 0; g < groups.count(); ++g) total_leaves += (size_t{1} << groups.size(g)) - 1;
  leaves_.reserve(total_leaves);
  const uint8_t* corr = ggm.data();
  crypto::SecretBlocks nodes(size_t{1} << kMaxK), children(size_t{1} << kMaxK);
  for (size_t g = 0; g < groups.count(); ++g) {
    const int kg = groups.size(g);
    // Level 1: the two nodes are the base OT's messages, node s = m_{1-s};
    // we hold m_{d0}, which is node 1 − d0, and the path goes to d0.
    const size_t j0 = LevelOt(groups, g, 0);
    const uint64_t d0 = static_cast<uint64_t>(d.Bit(static_cast<int>(j0)));
    nodes[0] = seeds[j0] & CtBlockMask(d0, 1);
    nodes[1] = seeds[j0] & CtBlockMask(d0, 0);
    uint64_t path = d0;
    for (int level = 1; level < kg; ++level) {
      const size_t width = size_t{1} << level;
      prg.Expand(nodes.span().subspan(0, width), children.span().subspan(0, 2 * width));
      const size_t j = LevelOt(groups, g, level);
      const uint64_t dl = static_cast<uint64_t>(d.Bit(static_cast<int>(j)));
      const Block c0 = Block::FromBytes(corr);
      const Block c1 = Block::FromBytes(corr + sizeof(Block));
      corr += 2 * sizeof(Block);
      // K = Σ of the children on the side off the path (1 − dl).
      const Block k_side = c0 ^ ((c0 ^ c1) & Block::AllOnesIf(dl)) ^ seeds[j];
      const uint64_t off_side = 1 - dl;
      Block sum;
      for (size_t x = 0; x < 2 * width; ++x) sum ^= children[x] & CtBlockMask(x & 1, off_side);
      const Block fix = k_side ^ sum;
      const uint64_t target = 2 * path + off_side;
      for (size_t x = 0; x < 2 * width; ++x) children[x] ^= fix & CtBlockMask(x, target);
      path = 2 * path + dl;
      std::swap(nodes, children);
    }
    // path = Δ_g; leaf y ⊕ Δ_g becomes our leaf y, for y ≠ 0.
    const size_t num_leaves = size_t{1} << kg;
    for (size_t y = 1; y < num_leaves; ++y) {
      Block leaf;
      for (size_t x = 0; x < num_leaves; ++x) leaf ^= nodes[x] & CtBlockMask(x, y ^ path);
      leaves_.emplace_back(leaf);
      SecureWipe(&leaf, sizeof(leaf));
    }
    SecureWipe(&path, sizeof(path));
  }
  broken_ = false;
  return absl::OkStatus();
}

absl::StatusOr<crypto::SecretBlocks> OtExtensionSender::Extend(net::Channel& channel, size_t n,
                                                       Kind kind, crypto::Prng& prng,
                                                       const CotPieceFn* sink) {
  if (!is_set_up()) return absl::FailedPreconditionError("OT extension: SetUp has not run");
  if (broken_) {
    return absl::FailedPreconditionError(
        "OT extension: an earlier error left this sender unusable; set up a new pair");
  }
  LIAISON_RETURN_IF_ERROR(CheckParams(params_, channel));
  const bool malicious = params_.security == Security::kMalicious;
  const Groups groups{params_.softspoken_k};
  const size_t num_groups = groups.count();
  const size_t sub = SubBlocks(groups.k);
  const uint64_t num_blocks = NumBlocks(n);
  const uint64_t total = num_blocks + (malicious ? 1 : 0);
  const uint64_t first = next_block_;
  if (total > kMaxBlocks || first > kMaxBlocks - total) {
    return absl::FailedPreconditionError("OT extension: this set-up has produced all it may");
  }
  const size_t cb = params_.chunk_blocks;
  const int threads = Threads(params_);
  broken_ = true;  // until this Extend succeeds

  LIAISON_ASSIGN_OR_RETURN(Bytes header_msg, channel.Recv());
  LIAISON_ASSIGN_OR_RETURN(Header h, DecodeHeader(header_msg));
  if (h.version != kVersion || h.security != SecurityByte(params_.security) ||
      h.kind != static_cast<uint8_t>(kind) || h.k != groups.k || h.num_ots != n ||
      h.chunk_blocks != cb || h.first_block != first) {
    return absl::FailedPreconditionError(
        "OT extension: the receiver's parameters (version, security, kind, k, count, chunk "
        "size or position) differ from ours");
  }

  // Masks Δ_j·1^128 select by Δ without branching.
  crypto::SecretBlocks masks(kBaseOts);
  for (size_t j = 0; j < kBaseOts; ++j) {
    masks[j] = Block::AllOnesIf(static_cast<uint64_t>(delta_.value().Bit(static_cast<int>(j))));
  }

  // The check seed is fixed before any column arrives and revealed after
  // the last one.
  crypto::SecretBlock seed;
  std::vector<Block> chi;
  SecretWides acc(malicious ? kBaseOts : 0);
  if (malicious) {
    prng.Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(&seed.mutable_value()), sizeof(Block)));
    chi = ChiBlocks(seed.value(), num_blocks);
  }
  std::mutex acc_mu;

  crypto::SecretBlocks q(sink != nullptr ? 0 : n);
  for (uint64_t k0 = 0; k0 < total; k0 += cb) {
    const size_t len = static_cast<size_t>(std::min<uint64_t>(cb, total - k0));
    LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
    if (msg.size() != num_groups * len * sizeof(Block)) {
      return absl::DataLossError(StrCat("OT extension: a column message is ", msg.size(),
                                        " bytes, expected ", num_groups * len * sizeof(Block)));
    }
    ParallelFor(len, threads, sub, [&](size_t b0, size_t b1) {
      crypto::SecretBlocks rows(kBaseOts * sub);
      crypto::SecretBlocks buf((size_t{1} << groups.k) * sub);
      SecretWides local(malicious ? kBaseOts : 0);
      std::optional<PieceBuffers> pieces;
      if (sink != nullptr) pieces.emplace(sub);
      for (size_t s0 = b0; s0 < b1; s0 += sub) {
        const size_t sl = std::min(sub, b1 - s0);
        const uint64_t g0 = k0 + s0;  // block index within this Extend
        size_t leaf = 0;
        for (size_t g = 0; g < num_groups; ++g) {
          const int kg = groups.size(g);
          // W = Σ_y y·r'_y over our leaves y ≠ 0 (vector 0 stays zero).
          std::memset(static_cast<void*>(buf.data()), 0, sl * sizeof(Block));
          const size_t num_known = (size_t{1} << kg) - 1;
          crypto::EncryptCounterMany(absl::MakeConstSpan(leaves_).subspan(leaf, num_known),
                                     first + g0, sl, buf.span().subspan(sl, num_known * sl));
          leaf += num_known;
          Block* grows = rows.data() + groups.first_row(g) * sub;
          Fold(buf.data(), kg, sl, grows, sub);
          // Q = W ⊕ Δ_g·(u ⊕ b), the receiver's correction of row g.
          const uint8_t* c = msg.data() + (g * len + s0) * sizeof(Block);
          for (int l = 0; l < kg; ++l) {
            Block* row = grows + static_cast<size_t>(l) * sub;
            const Block m = masks[groups.first_row(g) + l];
            for (size_t x = 0; x < sl; ++x) row[x] ^= Block::FromBytes(c + x * sizeof(Block)) & m;
          }
        }
        if (malicious) Accumulate(rows.data(), sub, g0, sl, num_blocks, chi, local);
        if (sink != nullptr) {
          EmitPiece(rows.data(), sub, g0, sl, n, *pieces, *sink);
        } else {
          TransposeOut(rows.data(), sub, g0, sl, num_blocks, n, q.data());
        }
      }
      if (malicious) {
        std::lock_guard<std::mutex> lock(acc_mu);
        for (size_t j = 0; j < kBaseOts; ++j) acc[j] ^= local[j];
      }
    });
  }

  if (malicious) {
    uint8_t seed_bytes[sizeof(Block)];
    seed.value().ToBytes(seed_bytes);
    LIAISON_RETURN_IF_ERROR(channel.Send(ByteSpan(seed_bytes, sizeof(seed_bytes))));
    LIAISON_ASSIGN_OR_RETURN(Bytes check, channel.Recv());
    if (check.size() != kCheckBytes) {
      return absl::DataLossError(StrCat("OT extension: the check message is ", check.size(),
                                        " bytes, expected ", kCheckBytes));
    }
    const Block x = Block::FromBytes(check.data());
    Block diff;
    for (size_t j = 0; j < kBaseOts; ++j) {
      const Block t = Block::FromBytes(check.data() + (1 + j) * sizeof(Block));
      diff |= t ^ crypto::Gf128Reduce(acc[j]) ^ (x & masks[j]);
    }
    if ((diff.lo | diff.hi) != 0) {
      Log(LogLevel::kWarning,
          "OT extension: the receiver failed the malicious-security consistency check");
      return absl::DataLossError(
          "OT extension: the receiver failed the consistency check (its columns do not share "
          "one set of choice bits): possible attack");
    }
  }

  last_first_block_ = first;
  next_block_ = first + total;
  broken_ = false;
  return q;
}

absl::StatusOr<crypto::SecretBlocks> OtExtensionSender::ExtendCot(net::Channel& channel, size_t num_ots,
                                                          crypto::Prng& prng) {
  return Extend(channel, num_ots, Kind::kCot, prng);
}

absl::Status OtExtensionSender::ExtendCotPieces(net::Channel& channel, size_t num_ots,
                                               crypto::Prng& prng, const CotPieceFn& consume) {
  if (params_.security != Security::kSemiHonest) {
    return absl::FailedPreconditionError(
        "OT extension: OTs in pieces are for the semi-honest mode only");
  }
  return Extend(channel, num_ots, Kind::kCot, prng, &consume).status();
}

absl::StatusOr<RotSenderOutput> OtExtensionSender::ExtendRotKind(net::Channel& channel,
                                                                 size_t num_ots, Kind kind,
                                                                 crypto::Prng& prng) {
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks q, Extend(channel, num_ots, kind, prng));
  RotSenderOutput out{std::move(q), crypto::SecretBlocks(num_ots)};
  // m0 = H(q, τ), m1 = H(q ⊕ Δ, τ) with τ = 128·position + i, unique over
  // the set-up.
  HashInPlace(out.m0, last_first_block_ * 128, &delta_.value(), &out.m1, Threads(params_));
  return out;
}

absl::StatusOr<RotSenderOutput> OtExtensionSender::ExtendRot(net::Channel& channel,
                                                             size_t num_ots,
                                                             crypto::Prng& prng) {
  return ExtendRotKind(channel, num_ots, Kind::kRot, prng);
}

absl::Status OtExtensionSender::SendChosen(net::Channel& channel, absl::Span<const Block> x0,
                                           absl::Span<const Block> x1, crypto::Prng& prng) {
  if (x0.size() != x1.size()) {
    return absl::InvalidArgumentError("OT extension: x0 and x1 differ in length");
  }
  const size_t n = x0.size();
  LIAISON_ASSIGN_OR_RETURN(RotSenderOutput rot, ExtendRotKind(channel, n, Kind::kChosen, prng));
  const size_t per_msg = params_.chunk_blocks * 64;  // 32 bytes each: 2,048·chunk_blocks
  Bytes msg;
  for (size_t i0 = 0; i0 < n; i0 += per_msg) {
    const size_t len = std::min(per_msg, n - i0);
    msg.resize(len * 2 * sizeof(Block));
    for (size_t k = 0; k < len; ++k) {
      (x0[i0 + k] ^ rot.m0[i0 + k]).ToBytes(msg.data() + 2 * k * sizeof(Block));
      (x1[i0 + k] ^ rot.m1[i0 + k]).ToBytes(msg.data() + (2 * k + 1) * sizeof(Block));
    }
    absl::Status s = channel.Send(msg);
    if (!s.ok()) {
      broken_ = true;
      return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CotSenderOutput> OtExtensionSender::Run(net::Channel& channel, size_t num_ots,
                                                       crypto::Prng& prng) {
  if (!is_set_up()) LIAISON_RETURN_IF_ERROR(SetUp(channel, prng));
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks q, ExtendCot(channel, num_ots, prng));
  return CotSenderOutput{delta_.Clone(), std::move(q)};
}

// -------------------------------------------------------------- receiver --

OtExtensionReceiver::OtExtensionReceiver(OtExtensionParams params) : params_(params) {}
OtExtensionReceiver::~OtExtensionReceiver() = default;
OtExtensionReceiver::OtExtensionReceiver(OtExtensionReceiver&&) noexcept = default;
OtExtensionReceiver& OtExtensionReceiver::operator=(OtExtensionReceiver&&) noexcept = default;

absl::Status OtExtensionReceiver::SetUp(net::Channel& channel, crypto::Prng& prng) {
  LIAISON_RETURN_IF_ERROR(CheckK(params_));
  if (is_set_up() || broken_) {
    return absl::FailedPreconditionError("OT extension: SetUp may run only once");
  }
  broken_ = true;
  BaseOtParams base_params;
  base_params.num_threads = params_.num_threads;
  LIAISON_ASSIGN_OR_RETURN(BaseOtSenderOutput seeds,
                           BaseOtSender(base_params).Run(channel, kBaseOts, prng));

  // Each group's GGM tree: level 1 is the base OT's two messages (node s =
  // m_{1−s}); each further level doubles the nodes with the PRG and sends,
  // padded with that level's base-OT messages, the sums of the left and of
  // the right children, so that the sender, holding one message per level,
  // can rebuild every node off its path.
  const Groups groups{params_.softspoken_k};
  const GgmPrg prg;
  size_t total_leaves = 0;
  for (size_t g = 0; g < groups.count(); ++g) total_leaves += size_t{1} << groups.size(g);
  leaves_.reserve(total_leaves);
  ByteWriter ggm(GgmMessageLen(groups));
  crypto::SecretBlocks nodes(size_t{1} << kMaxK), children(size_t{1} << kMaxK);
  for (size_t g = 0; g < groups.count(); ++g) {
    const int kg = groups.size(g);
    const size_t j0 = LevelOt(groups, g, 0);
    nodes[0] = seeds.m1[j0];
    nodes[1] = seeds.m0[j0];
    for (int level = 1; level < kg; ++level) {
      const size_t width = size_t{1} << level;
      prg.Expand(nodes.span().subspan(0, width), children.span().subspan(0, 2 * width));
      Block sums[2];
      for (size_t x = 0; x < 2 * width; ++x) sums[x & 1] ^= children[x];
      const size_t j = LevelOt(groups, g, level);
      uint8_t bytes[2 * sizeof(Block)];
      // Message b, opened by the sender holding m_b, is the sum of side 1 − b.
      (sums[1] ^ seeds.m0[j]).ToBytes(bytes);
      (sums[0] ^ seeds.m1[j]).ToBytes(bytes + sizeof(Block));
      ggm.Raw(ByteSpan(bytes, sizeof(bytes)));
      SecureWipe(sums, sizeof(sums));
      std::swap(nodes, children);
    }
    for (size_t x = 0; x < (size_t{1} << kg); ++x) leaves_.emplace_back(nodes[x]);
  }
  if (groups.k > 1) LIAISON_RETURN_IF_ERROR(channel.Send(ggm.bytes()));
  broken_ = false;
  return absl::OkStatus();
}

absl::StatusOr<crypto::SecretBlocks> OtExtensionReceiver::Extend(net::Channel& channel,
                                                         const crypto::SecretBits& choices, Kind kind,
                                                         crypto::Prng& prng,
                                                         const CotPieceFn* sink) {
  if (!is_set_up()) return absl::FailedPreconditionError("OT extension: SetUp has not run");
  if (broken_) {
    return absl::FailedPreconditionError(
        "OT extension: an earlier error left this receiver unusable; set up a new pair");
  }
  LIAISON_RETURN_IF_ERROR(CheckParams(params_, channel));
  const bool malicious = params_.security == Security::kMalicious;
  const Groups groups{params_.softspoken_k};
  const size_t num_groups = groups.count();
  const size_t sub = SubBlocks(groups.k);
  const size_t n = choices.size();
  const uint64_t num_blocks = NumBlocks(n);
  const uint64_t total = num_blocks + (malicious ? 1 : 0);
  const uint64_t first = next_block_;
  if (total > kMaxBlocks || first > kMaxBlocks - total) {
    return absl::FailedPreconditionError("OT extension: this set-up has produced all it may");
  }
  const size_t cb = params_.chunk_blocks;
  const int threads = Threads(params_);
  broken_ = true;  // until this Extend succeeds

  // The choice blocks b_k; in malicious mode one more, random, that pads x.
  crypto::SecretBlocks r(total);
  for (uint64_t k = 0; k < num_blocks; ++k) r[k] = choices.blocks()[k];
  if (malicious) {
    prng.Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(&r[num_blocks]), sizeof(Block)));
  }

  Header h;
  h.version = kVersion;
  h.security = SecurityByte(params_.security);
  h.kind = static_cast<uint8_t>(kind);
  h.k = static_cast<uint8_t>(groups.k);
  h.num_ots = n;
  h.chunk_blocks = static_cast<uint32_t>(cb);
  h.first_block = first;
  LIAISON_RETURN_IF_ERROR(channel.Send(EncodeHeader(h)));

  // ComputeRows expands the leaves for blocks g0..g0+sl-1 into the rows V
  // (row j at rows + j·sub). With `wire`, it also writes the corrections
  // u_g ⊕ b for message row g at wire + g·wire_stride blocks; without, it
  // skips leaf 0, which only u needs.
  auto compute_rows = [&](uint64_t g0, size_t sl, Block* rows, Block* buf, uint8_t* wire,
                          size_t wire_stride) {
    size_t leaf = 0;
    for (size_t g = 0; g < num_groups; ++g) {
      const int kg = groups.size(g);
      const size_t num_leaves = size_t{1} << kg;
      // Leaf 0 enters only u, which only the wire needs.
      const size_t skip = wire != nullptr ? 0 : 1;
      if (skip == 1) std::memset(static_cast<void*>(buf), 0, sl * sizeof(Block));
      crypto::EncryptCounterMany(absl::MakeConstSpan(leaves_).subspan(leaf + skip,
                                                                      num_leaves - skip),
                                 first + g0, sl,
                                 absl::MakeSpan(buf + skip * sl, (num_leaves - skip) * sl));
      leaf += num_leaves;
      Fold(buf, kg, sl, rows + groups.first_row(g) * sub, sub);
      if (wire != nullptr) {
        uint8_t* c = wire + g * wire_stride * sizeof(Block);
        for (size_t x = 0; x < sl; ++x) (buf[x] ^ r[g0 + x]).ToBytes(c + x * sizeof(Block));
      }
    }
  };

  crypto::SecretBlocks t(sink != nullptr ? 0 : n);
  Bytes msg;
  for (uint64_t k0 = 0; k0 < total; k0 += cb) {
    const size_t len = static_cast<size_t>(std::min<uint64_t>(cb, total - k0));
    msg.resize(num_groups * len * sizeof(Block));
    ParallelFor(len, threads, sub, [&](size_t b0, size_t b1) {
      crypto::SecretBlocks rows(kBaseOts * sub);
      crypto::SecretBlocks buf((size_t{1} << groups.k) * sub);
      std::optional<PieceBuffers> pieces;
      if (sink != nullptr) pieces.emplace(sub);
      for (size_t s0 = b0; s0 < b1; s0 += sub) {
        const size_t sl = std::min(sub, b1 - s0);
        compute_rows(k0 + s0, sl, rows.data(), buf.data(), msg.data() + s0 * sizeof(Block), len);
        if (sink != nullptr) {
          EmitPiece(rows.data(), sub, k0 + s0, sl, n, *pieces, *sink);
        } else {
          TransposeOut(rows.data(), sub, k0 + s0, sl, num_blocks, n, t.data());
        }
      }
    });
    LIAISON_RETURN_IF_ERROR(channel.Send(msg));
  }

  if (malicious) {
    LIAISON_ASSIGN_OR_RETURN(Bytes seed_msg, channel.Recv());
    if (seed_msg.size() != sizeof(Block)) {
      return absl::DataLossError(StrCat("OT extension: the check seed is ", seed_msg.size(),
                                        " bytes, expected ", sizeof(Block)));
    }
    const std::vector<Block> chi = ChiBlocks(Block::FromBytes(seed_msg.data()), num_blocks);
    crypto::SecretBlocks answer(1 + kBaseOts);
    Wide xw = crypto::Gf128InnerProductUnreduced(r.span().subspan(0, num_blocks), chi);
    answer[0] = crypto::Gf128Reduce(xw) ^ r[num_blocks];
    SecureWipe(&xw, sizeof(xw));
    // t_j = Σ χ_k·T_{j,k} ⊕ T_{j,*}: the rows are recomputed from the
    // leaves rather than kept (16 bytes per OT).
    SecretWides acc(kBaseOts);
    std::mutex acc_mu;
    ParallelFor(total, threads, sub, [&](size_t b0, size_t b1) {
      crypto::SecretBlocks rows(kBaseOts * sub);
      crypto::SecretBlocks buf((size_t{1} << groups.k) * sub);
      SecretWides local(kBaseOts);
      for (size_t s0 = b0; s0 < b1; s0 += sub) {
        const size_t sl = std::min(sub, b1 - s0);
        compute_rows(s0, sl, rows.data(), buf.data(), nullptr, 0);
        Accumulate(rows.data(), sub, s0, sl, num_blocks, chi, local);
      }
      std::lock_guard<std::mutex> lock(acc_mu);
      for (size_t j = 0; j < kBaseOts; ++j) acc[j] ^= local[j];
    });
    for (size_t j = 0; j < kBaseOts; ++j) answer[1 + j] = crypto::Gf128Reduce(acc[j]);
    LIAISON_RETURN_IF_ERROR(channel.Send(crypto::AsByteSpan(answer.span())));
  }

  last_first_block_ = first;
  next_block_ = first + total;
  broken_ = false;
  return t;
}

absl::StatusOr<crypto::SecretBlocks> OtExtensionReceiver::ExtendCot(net::Channel& channel,
                                                            const crypto::SecretBits& choices,
                                                            crypto::Prng& prng) {
  return Extend(channel, choices, Kind::kCot, prng);
}

absl::Status OtExtensionReceiver::ExtendCotPieces(net::Channel& channel,
                                                 const crypto::SecretBits& choices, crypto::Prng& prng,
                                                 const CotPieceFn& consume) {
  if (params_.security != Security::kSemiHonest) {
    return absl::FailedPreconditionError(
        "OT extension: OTs in pieces are for the semi-honest mode only");
  }
  return Extend(channel, choices, Kind::kCot, prng, &consume).status();
}

absl::StatusOr<crypto::SecretBlocks> OtExtensionReceiver::ExtendRotKind(net::Channel& channel,
                                                                const crypto::SecretBits& choices,
                                                                Kind kind, crypto::Prng& prng) {
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks t, Extend(channel, choices, kind, prng));
  HashInPlace(t, last_first_block_ * 128, nullptr, nullptr, Threads(params_));
  return t;
}

absl::StatusOr<crypto::SecretBlocks> OtExtensionReceiver::ExtendRot(net::Channel& channel,
                                                            const crypto::SecretBits& choices,
                                                            crypto::Prng& prng) {
  return ExtendRotKind(channel, choices, Kind::kRot, prng);
}

absl::StatusOr<crypto::SecretBlocks> OtExtensionReceiver::ReceiveChosen(net::Channel& channel,
                                                                const crypto::SecretBits& choices,
                                                                crypto::Prng& prng) {
  const size_t n = choices.size();
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks m, ExtendRotKind(channel, choices, Kind::kChosen, prng));
  const size_t per_msg = params_.chunk_blocks * 64;
  for (size_t i0 = 0; i0 < n; i0 += per_msg) {
    const size_t len = std::min(per_msg, n - i0);
    absl::StatusOr<Bytes> msg = channel.Recv();
    if (!msg.ok() || msg->size() != len * 2 * sizeof(Block)) {
      broken_ = true;
      m.Clear();
      if (!msg.ok()) return msg.status();
      return absl::DataLossError(StrCat("OT extension: a chosen-message chunk is ", msg->size(),
                                        " bytes, expected ", len * 2 * sizeof(Block)));
    }
    for (size_t k = 0; k < len; ++k) {
      const Block c0 = Block::FromBytes(msg->data() + 2 * k * sizeof(Block));
      const Block c1 = Block::FromBytes(msg->data() + (2 * k + 1) * sizeof(Block));
      const Block sel = Block::AllOnesIf(choices.Get(i0 + k));
      m[i0 + k] ^= c0 ^ ((c0 ^ c1) & sel);
    }
  }
  return m;
}

absl::StatusOr<crypto::SecretBlocks> OtExtensionReceiver::Run(net::Channel& channel,
                                                      const crypto::SecretBits& choices,
                                                      crypto::Prng& prng) {
  if (!is_set_up()) LIAISON_RETURN_IF_ERROR(SetUp(channel, prng));
  return ExtendCot(channel, choices, prng);
}

}  // namespace liaison::ot
