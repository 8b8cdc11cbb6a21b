#include "ot/silent_vole.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "base/bytes.h"
#include "base/secret.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "crypto/aes.h"
#include "crypto/gf128.h"
#include "crypto/hash.h"
#include "ot/noisy_vole.h"
#include "ot/ot_extension.h"
#include "ot/internal/silent_shape.h"
#include "ot/pprf.h"

namespace liaison::ot {

double SilentVoleLinearTestBits(size_t noise_weight, double min_distance) {
  return -static_cast<double>(noise_weight) * std::log2(1.0 - min_distance);
}

namespace {

using internal::EqMask;

// Layout of the one ExtendCot: 128·t' noisy-VOLE OTs (t' = t, or t + 1
// with the malicious check's mask element), then t·d PPRF OTs.
struct Layout : internal::SilentShape {
  bool malicious = false;
  size_t noisy_elements = 0;  // t'
  size_t noisy_ots = 0;
  size_t pprf_ots = 0;
};

absl::StatusOr<Layout> MakeLayout(const SilentVoleParams& p, size_t n) {
  LIAISON_ASSIGN_OR_RETURN(
      internal::SilentShape shape,
      internal::MakeSilentShape("silent vole", n, p.noise_weight, p.expansion, p.num_threads));
  Layout l;
  static_cast<internal::SilentShape&>(l) = shape;
  l.malicious = p.malicious;
  l.noisy_elements = l.t + (p.malicious ? 1 : 0);
  l.noisy_ots = kNoisyVoleOtsPerElement * l.noisy_elements;
  l.pprf_ots = PprfNumOts(l.pprf);
  return l;
}

absl::StatusOr<ExConvCode> MakeCode(const SilentVoleParams& p, const Layout& l) {
  return internal::MakeSilentCode(l, p.expander_weight, p.accumulator_window, p.code_seed);
}

OtExtensionParams OtParams(const SilentVoleParams& p) {
  OtExtensionParams op;
  op.security = p.malicious ? Security::kMalicious : Security::kSemiHonest;
  op.softspoken_k = p.softspoken_k;
  op.num_threads = p.num_threads;
  return op;
}


// PowerSum returns Σ_i x^(i+1)·v[i] over GF(2^128), on `threads` threads:
// each chunk starts from x^(begin+1) and steps a window of kStep powers by
// x^kStep, so the products are independent (no chain of dependent
// multiplications) and reduced once per chunk.
Block PowerSum(absl::Span<const Block> v, const Block& x, int threads) {
  constexpr size_t kStep = 256;
  const Block x_step = crypto::Gf128Pow(x, kStep);
  std::mutex mu;
  crypto::Gf128Unreduced total;
  ParallelFor(v.size(), threads, size_t{1} << 15, [&](size_t begin, size_t end) {
    crypto::SecretBlocks pow(kStep), step(kStep);
    pow[0] = crypto::Gf128Pow(x, begin + 1);
    for (size_t k = 1; k < kStep; ++k) pow[k] = crypto::Gf128Mul(pow[k - 1], x);
    for (size_t k = 0; k < kStep; ++k) step[k] = x_step;
    crypto::Gf128Unreduced acc;
    for (size_t i = begin; i < end; i += kStep) {
      const size_t c = std::min(kStep, end - i);
      acc ^= crypto::Gf128InnerProductUnreduced(v.subspan(i, c), pow.span().subspan(0, c));
      crypto::Gf128MulBlocks(pow.span(), step.span(), pow.span());
    }
    std::lock_guard<std::mutex> lock(mu);
    total ^= acc;
  });
  return crypto::Gf128Reduce(total);
}

// CheckDigest is the random oracle of the malicious check:
// SHA-256("liaison/silent-vole/check/v1" ‖ sum).
crypto::Digest256 CheckDigest(const Block& sum) {
  return crypto::Sha256Labelled("liaison/silent-vole/check/v1", sum);
}

absl::StatusOr<Block> RecvChallenge(net::Channel& channel) {
  LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
  if (msg.size() != 16) {
    return absl::DataLossError(StrCat("silent vole: check challenge has ", msg.size(),
                                      " bytes, expected 16"));
  }
  return Block::FromBytes(msg.data());
}

}  // namespace

size_t SilentVoleSectionSize(const SilentVoleParams& params, size_t n) {
  absl::StatusOr<Layout> l = MakeLayout(params, n);
  return l.ok() ? l->domain : 0;
}

absl::StatusOr<SilentVoleSenderOutput> SilentVoleSender::Run(net::Channel& channel, size_t n,
                                                             crypto::Prng& prng) const {
  LIAISON_ASSIGN_OR_RETURN(const Layout l, MakeLayout(params_, n));
  LIAISON_ASSIGN_OR_RETURN(const ExConvCode code, MakeCode(params_, l));

  OtExtensionSender ot(OtParams(params_));
  LIAISON_RETURN_IF_ERROR(ot.SetUp(channel, prng));
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks q,
                           ot.ExtendCot(channel, l.noisy_ots + l.pprf_ots, prng));
  const Block delta = ot.delta();

  // Noisy VOLE: b_j with a_j = b_j ⊕ c_j·Δ on the receiver's side (and, in
  // malicious mode, the check's mask b* = b_t).
  crypto::SecretBlocks noisy_b(l.noisy_elements);
  NoisyVoleCombine(q.span().subspan(0, l.noisy_ots), noisy_b.span());

  // Random OTs for the PPRF: m0 = H(q, i), m1 = H(q ⊕ Δ, i); the set-up is
  // fresh, so the tweaks i (PPRF OT index) are unique under this Δ.
  crypto::SecretBlocks m0(l.pprf_ots), m1(l.pprf_ots);
  const absl::Span<Block> q_pprf = q.span().subspan(l.noisy_ots);
  crypto::TccrHash(q_pprf, 0, m0.span());
  for (Block& x : q_pprf) x ^= delta;
  crypto::TccrHash(q_pprf, 0, m1.span());
  q.Clear();

  // Message: the PPRF sums, then γ_j.
  const size_t sums_len = PprfSumsLen(l.pprf);
  std::vector<Block> msg(sums_len + l.t);
  crypto::UninitSecretBlocks b_long(l.code_size);
  LIAISON_RETURN_IF_ERROR(PprfSender(l.pprf).Expand(
      m0.span(), m1.span(), prng, b_long.span(), absl::MakeSpan(msg).subspan(0, sums_len)));
  ParallelFor(l.t, params_.num_threads, 16, [&](size_t begin, size_t end) {
    for (size_t j = begin; j < end; ++j) {
      Block sum = noisy_b[j];
      const Block* s = b_long.data() + j * l.domain;
      for (size_t i = 0; i < l.domain; ++i) sum ^= s[i];
      msg[sums_len + j] = sum;
    }
  });
  LIAISON_RETURN_IF_ERROR(channel.Send(crypto::AsByteSpan(msg)));

  if (l.malicious) {
    // The receiver's challenge x arrives only now that the sums and γ are
    // fixed; answer H(Σ x^(i+1)·B̂_i ⊕ b*), before the encoding.
    LIAISON_ASSIGN_OR_RETURN(const Block x, RecvChallenge(channel));
    const Block sum = PowerSum(b_long.span(), x, params_.num_threads) ^ noisy_b[l.t];
    const crypto::Digest256 digest = CheckDigest(sum);
    LIAISON_RETURN_IF_ERROR(channel.Send(ByteSpan(digest.data(), digest.size())));
  }

  LIAISON_RETURN_IF_ERROR(code.DualEncode(b_long.span(), params_.num_threads));
  SilentVoleSenderOutput out;
  out.delta = crypto::SecretBlock(delta);
  b_long.Truncate(n);
  out.b = std::move(b_long);
  return out;
}

absl::StatusOr<SilentVoleReceiverOutput> SilentVoleReceiver::Run(net::Channel& channel,
                                                                 size_t n,
                                                                 crypto::Prng& prng) const {
  LIAISON_ASSIGN_OR_RETURN(const Layout l, MakeLayout(params_, n));
  LIAISON_ASSIGN_OR_RETURN(const ExConvCode code, MakeCode(params_, l));

  OtExtensionReceiver ot(OtParams(params_));
  LIAISON_RETURN_IF_ERROR(ot.SetUp(channel, prng));

  // Secret noise: values c_j (uniform; zero with probability 2^-128) and
  // positions α_j. In malicious mode also the check's challenge x (sent
  // once the sender's PPRF message is in) and the noisy-VOLE element
  // c* = Σ_j x^(pos_j + 1)·c_j, pos_j = j·D + α_j, whose VOLE share a* masks
  // the check.
  crypto::SecretBlocks noise(l.noisy_elements);
  prng.Fill(noise.span().subspan(0, l.t));
  const SecretPoints points = SecretPoints::Random(l.t, l.domain, prng);
  const PprfReceiver pprf(l.pprf);
  crypto::SecretBlock challenge;
  if (l.malicious) {
    challenge = crypto::SecretBlock(prng.NextBlock());
    const Block x = challenge.value();
    Block c_star;
    for (size_t j = 0; j < l.t; ++j) {
      c_star ^= crypto::Gf128Mul(crypto::Gf128Pow(x, j * l.domain + points[j] + 1), noise[j]);
    }
    noise[l.t] = c_star;
  }

  crypto::SecretBits choices(l.noisy_ots + l.pprf_ots);
  {
    const crypto::SecretBits noisy_bits = NoisyVoleReceiver::ChoiceBits(noise.span());
    const crypto::SecretBits pprf_bits = pprf.ChoiceBits(points);
    for (size_t i = 0; i < l.noisy_ots; ++i) choices.Set(i, noisy_bits.Get(i));
    for (size_t i = 0; i < l.pprf_ots; ++i) choices.Set(l.noisy_ots + i, pprf_bits.Get(i));
  }
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks t_cot, ot.ExtendCot(channel, choices, prng));
  crypto::SecretBlocks noisy_a(l.noisy_elements);
  NoisyVoleCombine(t_cot.span().subspan(0, l.noisy_ots), noisy_a.span());
  crypto::SecretBlocks m(l.pprf_ots);
  crypto::TccrHash(t_cot.span().subspan(l.noisy_ots), 0, m.span());
  t_cot.Clear();

  LIAISON_ASSIGN_OR_RETURN(Bytes msg_bytes, channel.Recv());
  const size_t sums_len = PprfSumsLen(l.pprf);
  const size_t msg_len = sums_len + l.t;
  if (msg_bytes.size() != msg_len * sizeof(Block)) {
    return absl::DataLossError(StrCat("silent vole: sender message has ", msg_bytes.size(),
                                      " bytes, expected ", msg_len * sizeof(Block)));
  }
  std::vector<Block> msg(msg_len);
  std::memcpy(msg.data(), msg_bytes.data(), msg_bytes.size());
  if (l.malicious) {
    // The sums and γ are fixed: reveal x (the sender computes its answer
    // while we expand).
    uint8_t x_bytes[16];
    challenge.value().ToBytes(x_bytes);
    LIAISON_RETURN_IF_ERROR(channel.Send(ByteSpan(x_bytes, 16)));
  }

  crypto::UninitSecretBlocks a_long(l.code_size);
  LIAISON_RETURN_IF_ERROR(pprf.Expand(points, m.span(), absl::MakeConstSpan(msg).subspan(0, sums_len),
                                      a_long.span()));
  crypto::UninitSecretBlocks c_long(l.code_size);
  ParallelFor(l.t, params_.num_threads, 16, [&](size_t begin, size_t end) {
    for (size_t j = begin; j < end; ++j) {
      Block* a = a_long.data() + j * l.domain;
      Block* c = c_long.data() + j * l.domain;
      // Leaf α_j is zero, so the sum is over the known leaves only.
      Block sum = msg[sums_len + j] ^ noisy_a[j];
      for (size_t i = 0; i < l.domain; ++i) sum ^= a[i];
      const Block cj = noise[j];
      const uint64_t alpha = points[j];
      for (size_t i = 0; i < l.domain; ++i) {
        const uint64_t e = EqMask(i, alpha);
        const Block mask(e, e);
        a[i] ^= sum & mask;
        c[i] = cj & mask;
      }
    }
  });

  if (l.malicious) {
    // Σ x^(i+1)·Â_i ⊕ a* = Σ x^(i+1)·B̂_i ⊕ b* when the sender was honest.
    const Block sum =
        PowerSum(a_long.span(), challenge.value(), params_.num_threads) ^ noisy_a[l.t];
    const crypto::Digest256 mine = CheckDigest(sum);
    LIAISON_ASSIGN_OR_RETURN(Bytes theirs, channel.Recv());
    if (theirs.size() != mine.size()) {
      return absl::DataLossError(StrCat("silent vole: check answer has ", theirs.size(),
                                        " bytes, expected ", mine.size()));
    }
    if (!ConstantTimeEqual(ByteSpan(mine.data(), mine.size()), theirs)) {
      return absl::DataLossError(
          "silent vole: the sender failed the malicious-security consistency check "
          "(its PPRF or noisy-VOLE messages were not consistent: a possible attack)");
    }
  }

  LIAISON_RETURN_IF_ERROR(code.DualEncodePair(a_long.span(), c_long.span(), params_.num_threads));
  SilentVoleReceiverOutput out;
  a_long.Truncate(n);
  c_long.Truncate(n);
  out.a = std::move(a_long);
  out.c = std::move(c_long);
  return out;
}

}  // namespace liaison::ot
