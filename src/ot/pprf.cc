#include "ot/pprf.h"

#include <cstring>
#include <utility>

#include "base/bytes.h"
#include "base/secret.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "crypto/aes.h"

namespace liaison::ot {
namespace {

// kGgmKey0 and kGgmKey1 are the public keys of the GGM tree's two
// permutations π_0, π_1: the ASCII strings "liaison/GGM/pi_0" and
// "liaison/GGM/pi_1" (Block(hi, lo), little-endian words). Changing them
// changes every PPRF and silent VOLE output.
constexpr Block kGgmKey0{0x305f69702f4d4747, 0x2f6e6f736961696c};
constexpr Block kGgmKey1{0x315f69702f4d4747, 0x2f6e6f736961696c};

struct GgmPrg {
  crypto::Aes128 pi0{kGgmKey0};
  crypto::Aes128 pi1{kGgmKey1};
  Block zero_child[2];  // G_0(0), G_1(0)
  GgmPrg() {
    zero_child[0] = pi0.Encrypt(crypto::kZeroBlock);
    zero_child[1] = pi1.Encrypt(crypto::kZeroBlock);
  }
};

const GgmPrg& Prg() {
  static const GgmPrg* prg = new GgmPrg();
  return *prg;
}

// EqMask returns all ones if a == b and zero otherwise, without a branch.
inline uint64_t EqMask(uint64_t a, uint64_t b) {
  const uint64_t x = a ^ b;
  return ((x | (0 - x)) >> 63) - 1;
}

// LevelWidth returns w_ℓ = ceil(domain / 2^(d − ℓ)).
inline size_t LevelWidth(size_t domain, int depth, int level) {
  const int shift = depth - level;
  return (domain + (size_t{1} << shift) - 1) >> shift;
}

// ExpandLevel replaces the w parents at the front of `nodes` by their
// w_next children (w_next is 2w or 2w − 1), in place; tmp0 and tmp1 hold
// at least w blocks.
void ExpandLevel(const GgmPrg& prg, Block* nodes, size_t w, size_t w_next, Block* tmp0,
                 Block* tmp1) {
  const absl::Span<const Block> parents(nodes, w);
  prg.pi0.EncryptBlocks(parents, absl::MakeSpan(tmp0, w));
  prg.pi1.EncryptBlocks(parents, absl::MakeSpan(tmp1, w));
  // Backwards, so that children 2i, 2i + 1 only overwrite parents already
  // consumed.
  for (size_t i = w; i-- > 0;) {
    const Block v = nodes[i];
    if (2 * i + 1 < w_next) nodes[2 * i + 1] = tmp1[i] ^ v;
    nodes[2 * i] = tmp0[i] ^ v;
  }
}

// SideSums returns the XOR of the even-indexed and of the odd-indexed nodes.
inline void SideSums(const Block* nodes, size_t w, Block& even, Block& odd) {
  Block s0, s1;
  size_t i = 0;
  for (; i + 1 < w; i += 2) {
    s0 ^= nodes[i];
    s1 ^= nodes[i + 1];
  }
  if (i < w) s0 ^= nodes[i];
  even = s0;
  odd = s1;
}

absl::Status CheckParams(const PprfParams& p) {
  if (p.num_trees == 0) return absl::InvalidArgumentError("pprf: num_trees must be at least 1");
  if (p.domain < 2 || p.domain >= (size_t{1} << 32)) {
    return absl::InvalidArgumentError(StrCat("pprf: domain ", p.domain, " not in [2, 2^32)"));
  }
  if (p.num_threads < 1) return absl::InvalidArgumentError("pprf: num_threads must be at least 1");
  return absl::OkStatus();
}

}  // namespace

int PprfDepth(size_t domain) {
  int d = 0;
  while ((size_t{1} << d) < domain) ++d;
  return d;
}

size_t PprfNumOts(const PprfParams& params) {
  return params.num_trees * static_cast<size_t>(PprfDepth(params.domain));
}

size_t PprfSumsLen(const PprfParams& params) { return 2 * PprfNumOts(params); }

SecretPoints::~SecretPoints() {
  if (!points_.empty()) SecureWipe(points_.data(), points_.size() * sizeof(uint64_t));
}
SecretPoints::SecretPoints(SecretPoints&& other) noexcept : points_(std::move(other.points_)) {
  other.points_.clear();
}
SecretPoints& SecretPoints::operator=(SecretPoints&& other) noexcept {
  if (this != &other) {
    if (!points_.empty()) SecureWipe(points_.data(), points_.size() * sizeof(uint64_t));
    points_ = std::move(other.points_);
    other.points_.clear();
  }
  return *this;
}

SecretPoints SecretPoints::Random(size_t n, size_t domain, crypto::Prng& prng) {
  SecretPoints out(n);
  for (size_t i = 0; i < n; ++i) out.points_[i] = prng.Uniform(domain);
  return out;
}

absl::Status PprfSender::Expand(absl::Span<const Block> m0, absl::Span<const Block> m1,
                                crypto::Prng& prng, absl::Span<Block> leaves,
                                absl::Span<Block> sums) const {
  LIAISON_RETURN_IF_ERROR(CheckParams(params_));
  const size_t t = params_.num_trees, domain = params_.domain;
  const int d = PprfDepth(domain);
  if (m0.size() != PprfNumOts(params_) || m1.size() != m0.size() ||
      leaves.size() != t * domain || sums.size() != PprfSumsLen(params_)) {
    return absl::InvalidArgumentError("pprf: span sizes do not match the parameters");
  }
  crypto::SecretBlocks roots(t);
  prng.Fill(roots.span());
  const GgmPrg& prg = Prg();
  ParallelFor(t, params_.num_threads, 1, [&](size_t begin, size_t end) {
    crypto::SecretBlocks tmp(2 * ((domain + 1) / 2));
    Block* tmp0 = tmp.data();
    Block* tmp1 = tmp.data() + (domain + 1) / 2;
    for (size_t j = begin; j < end; ++j) {
      Block* nodes = leaves.data() + j * domain;
      nodes[0] = roots[j];
      size_t w = 1;
      for (int level = 1; level <= d; ++level) {
        const size_t w_next = LevelWidth(domain, d, level);
        ExpandLevel(prg, nodes, w, w_next, tmp0, tmp1);
        w = w_next;
        Block k0, k1;
        SideSums(nodes, w, k0, k1);
        const size_t o = j * d + (level - 1);
        sums[2 * o] = k0 ^ m0[o];
        sums[2 * o + 1] = k1 ^ m1[o];
      }
    }
  });
  return absl::OkStatus();
}

absl::StatusOr<crypto::SecretBlocks> PprfSender::Run(net::Channel& channel, OtExtensionSender& ot,
                                             crypto::Prng& prng) const {
  LIAISON_RETURN_IF_ERROR(CheckParams(params_));
  const size_t num_ots = PprfNumOts(params_);
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks q, ot.ExtendCot(channel, num_ots, prng));
  crypto::SecretBlocks m0(num_ots), m1(num_ots);
  crypto::TccrHash(q.span(), 0, m0.span());
  const Block delta = ot.delta();
  for (size_t i = 0; i < num_ots; ++i) q[i] ^= delta;
  crypto::TccrHash(q.span(), 0, m1.span());
  crypto::SecretBlocks leaves(params_.num_trees * params_.domain);
  std::vector<Block> sums(PprfSumsLen(params_));
  LIAISON_RETURN_IF_ERROR(
      Expand(m0.span(), m1.span(), prng, leaves.span(), absl::MakeSpan(sums)));
  LIAISON_RETURN_IF_ERROR(channel.Send(crypto::AsByteSpan(sums)));
  return leaves;
}

crypto::SecretBits PprfReceiver::ChoiceBits(const SecretPoints& points) const {
  const int d = PprfDepth(params_.domain);
  crypto::SecretBits bits(points.size() * static_cast<size_t>(d));
  for (size_t j = 0; j < points.size(); ++j) {
    for (int level = 1; level <= d; ++level) {
      // The sibling's side: the complement of the path's bit at this level.
      const uint64_t path_bit = (points[j] >> (d - level)) & 1;
      bits.Set(j * d + (level - 1), static_cast<uint8_t>(path_bit ^ 1));
    }
  }
  return bits;
}

absl::Status PprfReceiver::Expand(const SecretPoints& points, absl::Span<const Block> m,
                                  absl::Span<const Block> sums,
                                  absl::Span<Block> leaves) const {
  LIAISON_RETURN_IF_ERROR(CheckParams(params_));
  const size_t t = params_.num_trees, domain = params_.domain;
  const int d = PprfDepth(domain);
  if (points.size() != t || m.size() != PprfNumOts(params_) ||
      sums.size() != PprfSumsLen(params_) || leaves.size() != t * domain) {
    return absl::InvalidArgumentError("pprf: span sizes do not match the parameters");
  }
  // The range check is on each point as a whole; the comparison result
  // depends on the secret only by being an error for a caller bug.
  uint64_t out_of_range = 0;
  for (size_t j = 0; j < t; ++j) out_of_range |= static_cast<uint64_t>(points[j] >= domain);
  if (out_of_range != 0) return absl::InvalidArgumentError("pprf: a point is out of range");

  const GgmPrg& prg = Prg();
  ParallelFor(t, params_.num_threads, 1, [&](size_t begin, size_t end) {
    crypto::SecretBlocks tmp(2 * ((domain + 1) / 2));
    Block* tmp0 = tmp.data();
    Block* tmp1 = tmp.data() + (domain + 1) / 2;
    for (size_t j = begin; j < end; ++j) {
      Block* nodes = leaves.data() + j * domain;
      const uint64_t alpha = points[j];
      nodes[0] = crypto::kZeroBlock;  // the root is on the path: unknown
      size_t w = 1;
      for (int level = 1; level <= d; ++level) {
        const size_t w_next = LevelWidth(domain, d, level);
        ExpandLevel(prg, nodes, w, w_next, tmp0, tmp1);
        w = w_next;
        const uint64_t path = alpha >> (d - level);
        const uint64_t sib = path ^ 1;
        const Block side = Block::AllOnesIf(sib & 1);  // all ones: odd side
        Block s0, s1;
        SideSums(nodes, w, s0, s1);
        const size_t o = j * d + (level - 1);
        // K_side = sums[2o + side] ⊕ m[o]; the sibling slot now holds
        // G_side(0) (its parent, the path node, was zero) and is in S_side
        // whenever it exists (sib < w).
        const Block k_side = ((sums[2 * o] & ~side) | (sums[2 * o + 1] & side)) ^ m[o];
        const Block s_side = (s0 & ~side) | (s1 & side);
        const Block z_side = (prg.zero_child[0] & ~side) | (prg.zero_child[1] & side);
        const Block sib_value = k_side ^ s_side ^ z_side;
        for (size_t i = 0; i < w; ++i) {
          const uint64_t ms = EqMask(i, sib);
          const uint64_t mp = EqMask(i, path);
          const Block keep = ~Block(ms | mp, ms | mp);
          nodes[i] = (nodes[i] & keep) | (sib_value & Block(ms, ms));
        }
      }
    }
  });
  return absl::OkStatus();
}

absl::StatusOr<crypto::SecretBlocks> PprfReceiver::Run(net::Channel& channel, OtExtensionReceiver& ot,
                                               const SecretPoints& points,
                                               crypto::Prng& prng) const {
  LIAISON_RETURN_IF_ERROR(CheckParams(params_));
  if (points.size() != params_.num_trees) {
    return absl::InvalidArgumentError("pprf: need one point per tree");
  }
  const size_t num_ots = PprfNumOts(params_);
  const crypto::SecretBits choices = ChoiceBits(points);
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks t, ot.ExtendCot(channel, choices, prng));
  crypto::SecretBlocks m(num_ots);
  crypto::TccrHash(t.span(), 0, m.span());
  LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
  const size_t sums_len = PprfSumsLen(params_);
  if (msg.size() != sums_len * sizeof(Block)) {
    return absl::DataLossError(StrCat("pprf: sums message has ", msg.size(), " bytes, expected ",
                                      sums_len * sizeof(Block)));
  }
  std::vector<Block> sums(sums_len);
  if (sums_len > 0) std::memcpy(sums.data(), msg.data(), msg.size());
  crypto::SecretBlocks leaves(params_.num_trees * params_.domain);
  LIAISON_RETURN_IF_ERROR(Expand(points, m.span(), sums, leaves.span()));
  return leaves;
}

}  // namespace liaison::ot
