#include "ot/noisy_vole.h"

#include <array>
#include <cstdlib>
#include <utility>

#include "crypto/gf128.h"

namespace liaison::ot {
namespace {

// Gadget returns (x^0, x^1, ..., x^127): x^k is the block with bit k set.
const std::array<Block, 128>& Gadget() {
  static const std::array<Block, 128> gadget = [] {
    std::array<Block, 128> g;
    for (int k = 0; k < 128; ++k) {
      g[k] = k < 64 ? Block(0, uint64_t{1} << k) : Block(uint64_t{1} << (k - 64), 0);
    }
    return g;
  }();
  return gadget;
}

}  // namespace

void NoisyVoleCombine(absl::Span<const Block> cot, absl::Span<Block> out) {
  if (cot.size() != kNoisyVoleOtsPerElement * out.size()) std::abort();
  const absl::Span<const Block> g = absl::MakeConstSpan(Gadget());
  for (size_t j = 0; j < out.size(); ++j) {
    out[j] = crypto::Gf128InnerProduct(cot.subspan(kNoisyVoleOtsPerElement * j,
                                                   kNoisyVoleOtsPerElement),
                                       g);
  }
}

absl::StatusOr<crypto::SecretBlocks> NoisyVoleSender::Run(net::Channel& channel, OtExtensionSender& ot,
                                                  size_t num_elements,
                                                  crypto::Prng& prng) const {
  absl::StatusOr<crypto::SecretBlocks> q =
      ot.ExtendCot(channel, kNoisyVoleOtsPerElement * num_elements, prng);
  if (!q.ok()) return q.status();
  crypto::SecretBlocks b(num_elements);
  NoisyVoleCombine(q->span(), b.span());
  return b;
}

crypto::SecretBits NoisyVoleReceiver::ChoiceBits(absl::Span<const Block> c) {
  crypto::SecretBits bits(kNoisyVoleOtsPerElement * c.size());
  for (size_t j = 0; j < c.size(); ++j) {
    for (int k = 0; k < 128; ++k) {
      bits.Set(kNoisyVoleOtsPerElement * j + k, static_cast<uint8_t>(c[j].Bit(k)));
    }
  }
  return bits;
}

absl::StatusOr<crypto::SecretBlocks> NoisyVoleReceiver::Run(net::Channel& channel,
                                                    OtExtensionReceiver& ot,
                                                    const crypto::SecretBlocks& c,
                                                    crypto::Prng& prng) const {
  const crypto::SecretBits choices = ChoiceBits(c.span());
  absl::StatusOr<crypto::SecretBlocks> t = ot.ExtendCot(channel, choices, prng);
  if (!t.ok()) return t.status();
  crypto::SecretBlocks a(c.size());
  NoisyVoleCombine(t->span(), a.span());
  return a;
}

}  // namespace liaison::ot
