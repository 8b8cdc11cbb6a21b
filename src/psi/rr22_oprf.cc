#include "psi/rr22_oprf.h"

#include <algorithm>
#include <cstring>
#include <future>
#include <vector>

#include "base/bytes.h"
#include "base/secret.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "crypto/aes.h"
#include "crypto/gf128.h"
#include "crypto/hash.h"
#include "okvs/okvs.h"
#include "ot/silent_vole.h"
#include "psi/internal/item_hash.h"

namespace liaison::psi {
namespace {

using crypto::Block;
using crypto::SecretBlocks;

// kBatch bounds the keys a worker handles per call, so its scratch stays in
// cache.
constexpr size_t kBatch = 1024;
// kMaxEncodeTries: OkvsEncode fails with probability <= 2^-40 per seed.
constexpr int kMaxEncodeTries = 4;

int Threads(const Rr22OprfParams& p) {
  return p.num_threads > 0 ? p.num_threads : DefaultThreads();
}

void Progress(const Rr22OprfParams& p, std::string_view phase, uint64_t done,
              uint64_t total) {
  if (p.progress) p.progress(phase, done, total);
}

// MulByDelta sets v[i] = Δ·v[i], with Δ broadcast from `delta_rep`
// (kBatch copies of Δ).
void MulByDelta(const crypto::SecretBlocks& delta_rep, absl::Span<Block> v) {
  for (size_t b = 0; b < v.size(); b += kBatch) {
    const size_t c = std::min(v.size() - b, kBatch);
    auto s = v.subspan(b, c);
    crypto::Gf128MulBlocks(delta_rep.span().subspan(0, c), s, s);
  }
}

crypto::SecretBlocks Broadcast(const Block& delta) {
  crypto::SecretBlocks rep(kBatch);
  for (size_t i = 0; i < kBatch; ++i) rep[i] = delta;
  return rep;
}

ot::SilentVoleParams VoleParams(const Rr22OprfParams& p) {
  ot::SilentVoleParams v;
  v.num_threads = Threads(p);
  v.malicious = p.malicious;
  return v;
}

// Commitment is the sender's commitment to its share w_S of w:
// SHA-256("liaison/rr22-oprf/w/v1" ‖ w_S), hiding (w_S is uniform) and
// binding (collision resistance) in the random-oracle model.
crypto::Digest256 Commitment(const Block& w_s) {
  return crypto::Sha256Labelled("liaison/rr22-oprf/w/v1", w_s);
}

// FinishMalicious turns v[i] = Decode(A or B', x_i) (⊕ Δ·h(x_i)) into
// F(x_i) = H(v[i] ⊕ w, x_i), H the Davies–Meyer hash (crypto/aes.h).
void FinishMalicious(absl::Span<const Block> keys, const Block& w,
                     absl::Span<Block> v, int threads) {
  ParallelFor(keys.size(), threads, kBatch, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) v[i] ^= w;
    crypto::DaviesMeyerHash(v.subspan(begin, end - begin),
                            keys.subspan(begin, end - begin),
                            v.subspan(begin, end - begin));
  });
}

}  // namespace

absl::Status Rr22OprfReceiver::Run(net::Channel& channel,
                                   absl::Span<const Block> keys,
                                   absl::Span<Block> out,
                                   crypto::Prng& prng) const {
  const Rr22OprfParams& p = params_;
  const size_t n = keys.size();
  if (n == 0 || out.size() != n) {
    return absl::InvalidArgumentError(
        "rr22 OPRF needs at least one key and one output per key");
  }
  if (p.chunk_len == 0 ||
      p.chunk_len * 16 + net::kFrameHeaderLen > channel.max_message_len()) {
    return absl::InvalidArgumentError(
        "rr22 OPRF chunk length does not fit the channel");
  }
  const int threads = Threads(p);
  const okvs::OkvsParams okvs_params =
      okvs::OkvsParams::ForItems(n, 3, 40, p.okvs_bin_items);
  LIAISON_RETURN_IF_ERROR(okvs_params.Validate());
  const size_t m = okvs_params.size();

  // Malicious: the sender's commitment to w_S comes first.
  crypto::Digest256 commitment{};
  if (p.malicious) {
    LIAISON_ASSIGN_OR_RETURN(Bytes c, channel.Recv());
    if (c.size() != commitment.size()) {
      return absl::DataLossError(StrCat("peer's commitment is ", c.size(),
                                        " bytes, expected ", commitment.size()));
    }
    std::memcpy(commitment.data(), c.data(), c.size());
  }

  // The OKVS encoding (no channel, no prng: its seeds are drawn first) runs
  // on its own thread while the VOLE talks to the peer, as volePSI does;
  // the peer is otherwise idle while we encode.
  Progress(p, "vole+encoding", 0, m);
  crypto::UninitSecretBlocks okvs(m);  // every cell is written by the encoding
  Block okvs_seeds[kMaxEncodeTries];
  for (Block& seed : okvs_seeds) seed = prng.NextBlock();
  Block okvs_seed;
  auto encoding = std::async(std::launch::async, [&]() -> absl::Status {
    crypto::UninitSecretBlocks values(n);
    internal::ParallelCrHash(keys, values.span(), threads);
    absl::Status st;
    for (const Block& seed : okvs_seeds) {
      okvs_seed = seed;
      st = okvs::OkvsEncode(okvs_params, seed, keys, values.span(),
                            okvs.span(), threads);
      if (st.code() != absl::StatusCode::kFailedPrecondition) break;
    }
    return st;
  });
  absl::StatusOr<ot::SilentVoleReceiverOutput> vole_or =
      ot::SilentVoleReceiver(VoleParams(p)).Run(channel, m, prng);
  absl::Status encoded = encoding.get();
  if (okvs::IsDuplicateKeysError(encoded)) {  // ours first
    return okvs::DuplicateKeysError(StrCat(
        "rr22 OPRF keys must be distinct (", std::string(encoded.message()),
        ")"));
  }
  if (absl::IsInvalidArgument(encoded)) return encoded;  // ours first too
  LIAISON_RETURN_IF_ERROR(vole_or.status());
  LIAISON_RETURN_IF_ERROR(encoded);
  ot::SilentVoleReceiverOutput vole = *std::move(vole_or);
  if (vole.a.size() != m || vole.c.size() != m) {
    return absl::InternalError(
        "silent VOLE returned the wrong number of correlations");
  }
  Progress(p, "vole+encoding", m, m);
  ParallelFor(m, threads, 4 * kBatch, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) okvs[i] ^= vole.c[i];
  });
  vole.c.Clear();

  // The OKVS seed, and in malicious mode our share w_R of w, drawn now
  // that the VOLE is done.
  crypto::SecretBlock w_r;
  uint8_t seed_bytes[32];
  okvs_seed.ToBytes(seed_bytes);
  if (p.malicious) {
    w_r = crypto::SecretBlock(prng.NextBlock());
    w_r.value().ToBytes(seed_bytes + 16);
  }
  LIAISON_RETURN_IF_ERROR(
      channel.Send(ByteSpan(seed_bytes, p.malicious ? 32 : 16)));
  for (size_t b = 0; b < m; b += p.chunk_len) {
    const size_t e = std::min(m, b + p.chunk_len);
    LIAISON_RETURN_IF_ERROR(
        channel.Send(crypto::AsByteSpan(okvs.span().subspan(b, e - b))));
  }
  okvs.Clear();

  // F(y) = CrHash(Decode(A, y)), or H(Decode(A, y) ⊕ w, y) in malicious
  // mode, once the sender has opened its commitment to w_S.
  Progress(p, "evaluating", 0, n);
  okvs::OkvsDecode(okvs_params, okvs_seed, vole.a.span(), keys, out, threads);
  vole.a.Clear();
  if (!p.malicious) {
    internal::ParallelCrHash(out, out, threads);
    Progress(p, "evaluating", n, n);
    return absl::OkStatus();
  }
  LIAISON_ASSIGN_OR_RETURN(Bytes w_msg, channel.Recv());
  if (w_msg.size() != 16) {
    return absl::DataLossError(
        StrCat("peer's opening is ", w_msg.size(), " bytes, expected 16"));
  }
  const Block w_s = Block::FromBytes(w_msg.data());
  const crypto::Digest256 opened = Commitment(w_s);
  if (!ConstantTimeEqual(ByteSpan(opened.data(), opened.size()),
                         ByteSpan(commitment.data(), commitment.size()))) {
    return absl::DataLossError(
        "peer's opening does not match its commitment (a possible attack)");
  }
  FinishMalicious(keys, w_s ^ w_r.value(), out, threads);
  Progress(p, "evaluating", n, n);
  return absl::OkStatus();
}

absl::Status Rr22OprfSender::Run(net::Channel& channel,
                                 uint64_t num_receiver_keys,
                                 uint64_t peer_chunk_len, crypto::Prng& prng) {
  const Rr22OprfParams& p = params_;
  if (num_receiver_keys == 0 || peer_chunk_len == 0) {
    return absl::InvalidArgumentError(
        "rr22 OPRF needs at least one receiver key and a positive chunk "
        "length");
  }
  okvs_ = okvs::OkvsParams::ForItems(num_receiver_keys, 3, 40,
                                     p.okvs_bin_items);
  LIAISON_RETURN_IF_ERROR(okvs_.Validate());
  const size_t m = okvs_.size();

  // Malicious: commit to our share w_S of w before anything else.
  crypto::SecretBlock w_s;
  if (p.malicious) {
    w_s = crypto::SecretBlock(prng.NextBlock());
    const crypto::Digest256 c = Commitment(w_s.value());
    LIAISON_RETURN_IF_ERROR(channel.Send(ByteSpan(c.data(), c.size())));
  }

  Progress(p, "vole", 0, m);
  LIAISON_ASSIGN_OR_RETURN(
      ot::SilentVoleSenderOutput vole,
      ot::SilentVoleSender(VoleParams(p)).Run(channel, m, prng));
  if (vole.b.size() != m) {
    return absl::InternalError(
        "silent VOLE returned the wrong number of correlations");
  }
  const crypto::SecretBlocks delta_rep = Broadcast(vole.delta.value());
  Progress(p, "vole", m, m);

  // B' = B ⊕ Δ·(P ⊕ C), chunk by chunk as it arrives.
  LIAISON_ASSIGN_OR_RETURN(Bytes seed_msg, channel.Recv());
  const size_t seed_len = p.malicious ? 32 : 16;
  if (seed_msg.size() != seed_len) {
    return absl::DataLossError(StrCat("peer's OKVS seed is ", seed_msg.size(),
                                      " bytes, expected ", seed_len));
  }
  okvs_seed_ = Block::FromBytes(seed_msg.data());
  if (p.malicious) {
    w_ = crypto::SecretBlock(Block::FromBytes(seed_msg.data() + 16) ^ w_s.value());
  }
  {
    crypto::SecretBlocks chunk(
        static_cast<size_t>(std::min<uint64_t>(peer_chunk_len, m)));
    for (size_t got = 0; got < m;) {
      const size_t count =
          static_cast<size_t>(std::min<uint64_t>(peer_chunk_len, m - got));
      LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
      if (msg.size() != count * 16) {
        return absl::DataLossError(StrCat("peer's OKVS chunk is ", msg.size(),
                                          " bytes, expected ", count * 16));
      }
      auto c = chunk.span().subspan(0, count);
      std::memcpy(c.data(), msg.data(), msg.size());
      MulByDelta(delta_rep, c);
      Block* b = vole.b.data() + got;
      for (size_t i = 0; i < count; ++i) b[i] ^= c[i];
      got += count;
      Progress(p, "receiving", got, m);
    }
  }
  if (p.malicious) {
    // P ⊕ C is in: open the commitment.
    uint8_t w_bytes[16];
    w_s.value().ToBytes(w_bytes);
    absl::Status sent = channel.Send(ByteSpan(w_bytes, 16));
    SecureWipe(w_bytes, sizeof(w_bytes));
    LIAISON_RETURN_IF_ERROR(sent);
  }
  delta_ = std::move(vole.delta);
  b_prime_ = std::move(vole.b);
  return absl::OkStatus();
}

void Rr22OprfSender::Eval(absl::Span<const Block> keys,
                          absl::Span<Block> out) const {
  const int threads = Threads(params_);
  // F(x) = CrHash(Decode(B', x) ⊕ Δ·h(x)).
  okvs::OkvsDecode(okvs_, okvs_seed_, b_prime_.span(), keys, out, threads);
  const crypto::SecretBlocks delta_rep = Broadcast(delta_.value());
  ParallelFor(keys.size(), threads, kBatch, [&](size_t begin, size_t end) {
    crypto::SecretBlocks h(kBatch);
    for (size_t b = begin; b < end; b += kBatch) {
      const size_t c = std::min(end, b + kBatch) - b;
      auto hs = h.span().subspan(0, c);
      crypto::CrHash(keys.subspan(b, c), hs);
      MulByDelta(delta_rep, hs);
      for (size_t i = 0; i < c; ++i) out[b + i] ^= hs[i];
      if (params_.malicious) {
        // H(Decode(B', x) ⊕ Δ·h(x) ⊕ w, x).
        const Block w = w_.value();
        for (size_t i = 0; i < c; ++i) out[b + i] ^= w;
        crypto::DaviesMeyerHash(out.subspan(b, c), keys.subspan(b, c),
                                out.subspan(b, c));
      } else {
        crypto::CrHash(out.subspan(b, c), out.subspan(b, c));
      }
    }
  });
}

void Rr22OprfSender::Clear() {
  b_prime_.Clear();
  delta_ = crypto::SecretBlock();
  w_ = crypto::SecretBlock();
}

}  // namespace liaison::psi
