#include "psi/bin_oprf.h"

#include <algorithm>
#include <cstring>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "crypto/aes.h"
#include "crypto/gf128.h"
#include "ot/silent_vole.h"

namespace liaison::psi {
namespace {

using crypto::Block;

// kBatch bounds a worker's scratch so that it stays in cache.
constexpr size_t kBatch = 1024;

int Threads(const BinOprfParams& p) {
  return p.num_threads > 0 ? p.num_threads : DefaultThreads();
}

ot::SilentVoleParams VoleParams(const BinOprfParams& p) {
  ot::SilentVoleParams v;
  v.num_threads = Threads(p);
  v.malicious = p.malicious;
  return v;
}

// Broadcast returns `n` copies of Δ, the left operand of Gf128MulBlocks.
crypto::SecretBlocks Broadcast(const Block& delta, size_t n) {
  crypto::SecretBlocks rep(n);
  for (size_t i = 0; i < n; ++i) rep[i] = delta;
  return rep;
}

// Finish sets out[i] = G(u[i], keys[i]) in place (`out` holds the u).
void Finish(bool malicious, absl::Span<const Block> keys, absl::Span<Block> out) {
  if (malicious) {
    crypto::DaviesMeyerHash(out, keys, out);
  } else {
    crypto::CrHash(out, out);
  }
}

}  // namespace

absl::Status BinOprfReceiver::Run(net::Channel& channel, absl::Span<const Block> keys,
                                  absl::Span<Block> out, crypto::Prng& prng) const {
  const BinOprfParams& p = params_;
  const size_t n = keys.size();
  if (n == 0 || out.size() != n) {
    return absl::InvalidArgumentError("bin OPRF needs at least one bin and one output per bin");
  }
  if (p.chunk_len == 0 || p.chunk_len * 16 + net::kFrameHeaderLen > channel.max_message_len()) {
    return absl::InvalidArgumentError("bin OPRF chunk length does not fit the channel");
  }
  const int threads = Threads(p);
  LIAISON_ASSIGN_OR_RETURN(ot::SilentVoleReceiverOutput vole,
                           ot::SilentVoleReceiver(VoleParams(p)).Run(channel, n, prng));
  if (vole.a.size() != n || vole.c.size() != n) {
    return absl::InternalError("silent VOLE returned the wrong number of correlations");
  }
  // d_b = C_b ⊕ h(y_b), chunk by chunk (C is overwritten).
  {
    crypto::SecretBlocks h(std::min(n, p.chunk_len));
    for (size_t b0 = 0; b0 < n; b0 += p.chunk_len) {
      const size_t c = std::min(p.chunk_len, n - b0);
      auto hs = h.span().subspan(0, c);
      crypto::CrHash(keys.subspan(b0, c), hs);
      Block* d = vole.c.data() + b0;
      for (size_t i = 0; i < c; ++i) d[i] ^= hs[i];
      LIAISON_RETURN_IF_ERROR(channel.Send(crypto::AsByteSpan(vole.c.span().subspan(b0, c))));
    }
  }
  vole.c.Clear();
  // F_b(y_b) = G(A_b, y_b).
  std::memcpy(out.data(), vole.a.data(), n * sizeof(Block));
  vole.a.Clear();
  ParallelFor(n, threads, kBatch, [&](size_t begin, size_t end) {
    for (size_t b = begin; b < end; b += kBatch) {
      const size_t c = std::min(end, b + kBatch) - b;
      Finish(p.malicious, keys.subspan(b, c), out.subspan(b, c));
    }
  });
  return absl::OkStatus();
}

absl::Status BinOprfSender::Run(net::Channel& channel, uint64_t num_bins,
                                uint64_t peer_chunk_len, crypto::Prng& prng) {
  const BinOprfParams& p = params_;
  if (num_bins == 0 || peer_chunk_len == 0) {
    return absl::InvalidArgumentError("bin OPRF needs at least one bin and a positive chunk length");
  }
  const size_t n = static_cast<size_t>(num_bins);
  LIAISON_ASSIGN_OR_RETURN(ot::SilentVoleSenderOutput vole,
                           ot::SilentVoleSender(VoleParams(p)).Run(channel, n, prng));
  if (vole.b.size() != n) {
    return absl::InternalError("silent VOLE returned the wrong number of correlations");
  }
  // K_b = B_b ⊕ Δ·d_b as the chunks arrive.
  const Block delta = vole.delta.value();
  const crypto::SecretBlocks rep = Broadcast(delta, std::min<uint64_t>(peer_chunk_len, n));
  crypto::SecretBlocks chunk(std::min<uint64_t>(peer_chunk_len, n));
  for (size_t got = 0; got < n;) {
    const size_t c = static_cast<size_t>(std::min<uint64_t>(peer_chunk_len, n - got));
    LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
    if (msg.size() != c * 16) {
      return absl::DataLossError(
          StrCat("peer's bin OPRF chunk is ", msg.size(), " bytes, expected ", c * 16));
    }
    auto d = chunk.span().subspan(0, c);
    std::memcpy(d.data(), msg.data(), msg.size());
    crypto::Gf128MulBlocks(rep.span().subspan(0, c), d, d);
    Block* k = vole.b.data() + got;
    for (size_t i = 0; i < c; ++i) k[i] ^= d[i];
    got += c;
  }
  delta_ = std::move(vole.delta);
  k_ = std::move(vole.b);
  return absl::OkStatus();
}

void BinOprfSender::Eval(absl::Span<const uint32_t> bins, absl::Span<const Block> keys,
                         absl::Span<Block> out) const {
  if (bins.size() != keys.size() || out.size() != keys.size()) std::abort();
  const Block delta = delta_.value();
  ParallelFor(keys.size(), Threads(params_), kBatch, [&](size_t begin, size_t end) {
    const crypto::SecretBlocks rep = Broadcast(delta, kBatch);
    for (size_t i0 = begin; i0 < end; i0 += kBatch) {
      const size_t c = std::min(end, i0 + kBatch) - i0;
      auto u = out.subspan(i0, c);
      // u = K_b ⊕ Δ·h(x).
      crypto::CrHash(keys.subspan(i0, c), u);
      crypto::Gf128MulBlocks(rep.span().subspan(0, c), u, u);
      for (size_t i = 0; i < c; ++i) {
        if (bins[i0 + i] >= k_.size()) std::abort();
        u[i] ^= k_[bins[i0 + i]];
      }
      Finish(params_.malicious, keys.subspan(i0, c), u);
    }
  });
}

void BinOprfSender::Clear() {
  k_.Clear();
  delta_ = crypto::SecretBlock();
}

}  // namespace liaison::psi
