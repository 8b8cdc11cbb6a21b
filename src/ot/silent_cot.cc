#include "ot/silent_cot.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "crypto/aes.h"
#include "ot/internal/silent_shape.h"
#include "ot/pprf.h"

namespace liaison::ot {
namespace {

using internal::EqMask;
using Layout = internal::SilentShape;

constexpr Block kClearLowBit(~uint64_t{0}, ~uint64_t{1});

absl::StatusOr<Layout> MakeLayout(const SilentCotParams& p, size_t n) {
  return internal::MakeSilentShape("silent cot", n, p.noise_weight, p.expansion, p.num_threads);
}

absl::StatusOr<ExConvCode> MakeCode(const SilentCotParams& p, const Layout& l) {
  return internal::MakeSilentCode(l, p.expander_weight, p.accumulator_window, p.code_seed);
}

OtExtensionParams OtParams(const SilentCotParams& p) {
  OtExtensionParams op;
  op.security = Security::kSemiHonest;
  op.softspoken_k = p.softspoken_k;
  op.num_threads = p.num_threads;
  return op;
}

crypto::SecretBlocks TakePrefix(crypto::UninitSecretBlocks& v, size_t n) {
  crypto::SecretBlocks out(n);
  std::memcpy(out.data(), v.data(), n * sizeof(Block));
  v.Clear();
  return out;
}

}  // namespace

absl::StatusOr<CotSenderOutput> SilentCotSender::Run(net::Channel& channel, size_t n,
                                                     crypto::Prng& prng) const {
  LIAISON_ASSIGN_OR_RETURN(const Layout l, MakeLayout(params_, n));
  LIAISON_ASSIGN_OR_RETURN(const ExConvCode code, MakeCode(params_, l));
  const size_t num_ots = PprfNumOts(l.pprf);

  OtExtensionSender ot(OtParams(params_));
  LIAISON_RETURN_IF_ERROR(ot.SetUp(channel, prng));
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks q, ot.ExtendCot(channel, num_ots, prng));
  // Random OTs for the PPRF: m0 = H(q, i), m1 = H(q ⊕ Δ_ot, i); the set-up
  // is fresh, so the tweaks i are unique under Δ_ot.
  crypto::SecretBlocks m0(num_ots), m1(num_ots);
  crypto::TccrHash(q.span(), 0, m0.span());
  for (Block& x : q.span()) x ^= ot.delta();
  crypto::TccrHash(q.span(), 0, m1.span());
  q.Clear();

  crypto::SecretBlock delta(prng.NextBlock());
  delta.mutable_value().lo |= 1;

  const size_t sums_len = PprfSumsLen(l.pprf);
  std::vector<Block> msg(sums_len + l.t);
  crypto::UninitSecretBlocks leaves(l.code_size);
  LIAISON_RETURN_IF_ERROR(PprfSender(l.pprf).Expand(
      m0.span(), m1.span(), prng, leaves.span(), absl::MakeSpan(msg).subspan(0, sums_len)));
  m0.Clear();
  m1.Clear();
  ParallelFor(l.t, params_.num_threads, 16, [&](size_t begin, size_t end) {
    for (size_t j = begin; j < end; ++j) {
      Block* s = leaves.data() + j * l.domain;
      Block sum = delta.value();
      for (size_t i = 0; i < l.domain; ++i) {
        s[i] &= kClearLowBit;
        sum ^= s[i];
      }
      msg[sums_len + j] = sum;
    }
  });
  LIAISON_RETURN_IF_ERROR(channel.Send(crypto::AsByteSpan(msg)));

  LIAISON_RETURN_IF_ERROR(code.DualEncode(leaves.span(), params_.num_threads));
  CotSenderOutput out;
  out.delta = std::move(delta);
  out.q = TakePrefix(leaves, n);
  return out;
}

absl::StatusOr<SilentCotReceiverOutput> SilentCotReceiver::Run(net::Channel& channel,
                                                               size_t n,
                                                               crypto::Prng& prng) const {
  LIAISON_ASSIGN_OR_RETURN(const Layout l, MakeLayout(params_, n));
  LIAISON_ASSIGN_OR_RETURN(const ExConvCode code, MakeCode(params_, l));

  OtExtensionReceiver ot(OtParams(params_));
  LIAISON_RETURN_IF_ERROR(ot.SetUp(channel, prng));
  const SecretPoints points = SecretPoints::Random(l.t, l.domain, prng);
  const PprfReceiver pprf(l.pprf);
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks t_cot,
                           ot.ExtendCot(channel, pprf.ChoiceBits(points), prng));
  crypto::SecretBlocks m(t_cot.size());
  crypto::TccrHash(t_cot.span(), 0, m.span());
  t_cot.Clear();

  LIAISON_ASSIGN_OR_RETURN(Bytes msg_bytes, channel.Recv());
  const size_t sums_len = PprfSumsLen(l.pprf);
  const size_t msg_len = sums_len + l.t;
  if (msg_bytes.size() != msg_len * sizeof(Block)) {
    return absl::DataLossError(StrCat("silent cot: sender message has ", msg_bytes.size(),
                                      " bytes, expected ", msg_len * sizeof(Block)));
  }
  std::vector<Block> msg(msg_len);
  std::memcpy(msg.data(), msg_bytes.data(), msg_bytes.size());

  crypto::UninitSecretBlocks leaves(l.code_size);
  LIAISON_RETURN_IF_ERROR(pprf.Expand(points, m.span(),
                                      absl::MakeConstSpan(msg).subspan(0, sums_len),
                                      leaves.span()));
  m.Clear();
  ParallelFor(l.t, params_.num_threads, 16, [&](size_t begin, size_t end) {
    for (size_t j = begin; j < end; ++j) {
      Block* a = leaves.data() + j * l.domain;
      // Leaf α_j is zero, so the sum runs over the known leaves only.
      Block sum = msg[sums_len + j];
      for (size_t i = 0; i < l.domain; ++i) {
        a[i] &= kClearLowBit;
        sum ^= a[i];
      }
      const uint64_t alpha = points[j];
      for (size_t i = 0; i < l.domain; ++i) {
        const uint64_t e = EqMask(i, alpha);
        a[i] ^= sum & Block(e, e);
      }
    }
  });

  LIAISON_RETURN_IF_ERROR(code.DualEncode(leaves.span(), params_.num_threads));
  SilentCotReceiverOutput out;
  out.choices = crypto::SecretBits(n);
  absl::Span<Block> packed = out.choices.mutable_blocks();
  ParallelFor(packed.size(), params_.num_threads, 256, [&](size_t begin, size_t end) {
    for (size_t k = begin; k < end; ++k) {
      uint64_t w[2] = {0, 0};
      const size_t first = 128 * k;
      const size_t count = std::min<size_t>(128, n - first);
      for (size_t r = 0; r < count; ++r) {
        w[r / 64] |= (leaves[first + r].lo & 1) << (r % 64);
      }
      packed[k] = Block(w[1], w[0]);
    }
  });
  leaves.Truncate(n);
  out.t = std::move(leaves);
  return out;
}

}  // namespace liaison::ot
