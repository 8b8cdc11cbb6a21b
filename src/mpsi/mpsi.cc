#include "mpsi/mpsi.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <utility>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/secret_blocks.h"
#include "mpsi/internal/mesh.h"
#include "psi/rr22_oprf.h"

namespace liaison::mpsi {
namespace {

using crypto::Block;

// The header every party sends every peer first (docs/protocols/quorum.md,
// "Wire"): magic, version, n, from, to, number of distinct items, chunk
// length, OKVS bin size.
constexpr uint32_t kMagic = 0x53504d4c;  // "LMPS" as little-endian bytes
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderLen = 4 + 4 * 1 + 3 * 8;
using internal::kMaxItems;

struct PeerInfo {
  uint64_t num_items = 0;
  uint64_t chunk_len = 0;
};

Bytes EncodeHeader(int n, int from, int to, uint64_t num_items, const MpsiParams& p) {
  ByteWriter w(kHeaderLen);
  w.U32(kMagic);
  w.U8(kVersion);
  w.U8(static_cast<uint8_t>(n));
  w.U8(static_cast<uint8_t>(from));
  w.U8(static_cast<uint8_t>(to));
  w.U64(num_items);
  w.U64(p.chunk_len);
  w.U64(p.okvs_bin_items);
  return w.Take();
}

absl::StatusOr<PeerInfo> RecvHeader(net::Channel& channel, int n, int me, int peer,
                                    const MpsiParams& p) {
  LIAISON_ASSIGN_OR_RETURN(Bytes msg, net::RecvAtMost(channel, kHeaderLen));
  if (msg.size() != kHeaderLen) return absl::DataLossError("mpsi: header of the wrong length");
  ByteReader r(msg);
  LIAISON_ASSIGN_OR_RETURN(uint32_t magic, r.U32("mpsi magic"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t version, r.U8("mpsi version"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t peer_n, r.U8("mpsi n"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t from, r.U8("mpsi sender index"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t to, r.U8("mpsi receiver index"));
  PeerInfo info;
  LIAISON_ASSIGN_OR_RETURN(info.num_items, r.U64("mpsi item count"));
  LIAISON_ASSIGN_OR_RETURN(info.chunk_len, r.U64("mpsi chunk length"));
  LIAISON_ASSIGN_OR_RETURN(uint64_t bin_items, r.U64("mpsi OKVS bin size"));
  if (magic != kMagic || version != kVersion) {
    return absl::DataLossError("mpsi: not an mpsi header (magic or version)");
  }
  if (peer_n != n || from != peer || to != me) {
    return absl::DataLossError("mpsi: the header names other parties than this channel's");
  }
  if (info.num_items > kMaxItems) return absl::DataLossError("mpsi: peer item count too large");
  if (info.chunk_len == 0 || info.chunk_len > UINT32_MAX ||
      info.chunk_len * sizeof(Block) > channel.max_message_len()) {
    return absl::DataLossError("mpsi: peer chunk length out of range");
  }
  if (info.num_items > p.max_peer_items) {
    return absl::FailedPreconditionError("mpsi: a peer's set is larger than this party accepts");
  }
  if (bin_items != p.okvs_bin_items) {
    return absl::FailedPreconditionError("mpsi: the peer's OKVS bin size differs from ours");
  }
  return info;
}

absl::StatusOr<Bytes> RecvExact(net::Channel& channel, size_t len, const char* what) {
  return internal::RecvExact(channel, len, "mpsi", what);
}

absl::Status SendBlocks(net::Channel& channel, absl::Span<const Block> blocks, size_t chunk_len) {
  return internal::SendBlocks(channel, blocks, chunk_len);
}

absl::Status RecvBlocks(net::Channel& channel, absl::Span<Block> out, size_t peer_chunk_len,
                        const char* what) {
  return internal::RecvBlocks(channel, out, peer_chunk_len, "mpsi", what);
}

okvs::OkvsParams OkvsFor(uint64_t num_items, const MpsiParams& p) {
  return okvs::OkvsParams::ForItems(num_items, /*weight=*/3, p.ssp, p.okvs_bin_items);
}

psi::Rr22OprfParams OprfParams(const MpsiParams& p) {
  psi::Rr22OprfParams o;
  o.num_threads = p.num_threads;
  o.chunk_len = p.chunk_len;
  o.okvs_bin_items = p.okvs_bin_items;
  return o;
}

// SendProgrammed is the OPPRF sender's last step: an OKVS mapping keys[k]
// to values[k] (already F ⊕ payload) with random free cells, so that it
// is uniform and says nothing of the keys; sent as the seed, then chunks.
absl::Status SendProgrammed(net::Channel& channel, absl::Span<const Block> keys,
                            absl::Span<const Block> values, const MpsiParams& p,
                            crypto::Prng& prng) {
  const okvs::OkvsParams op = OkvsFor(keys.size(), p);
  std::vector<Block> table(op.size());
  Block seed;
  absl::Status st;
  for (int attempt = 0; attempt < 4; ++attempt) {  // each fails w.p. ≤ 2^-ssp
    seed = prng.NextBlock();
    st = okvs::OkvsEncode(op, seed, keys, values, absl::MakeSpan(table), p.num_threads, &prng);
    if (!absl::IsFailedPrecondition(st)) break;
  }
  if (!st.ok()) return absl::InternalError("mpsi: OKVS encoding failed: " + std::string(st.message()));
  uint8_t seed_bytes[16];
  seed.ToBytes(seed_bytes);
  LIAISON_RETURN_IF_ERROR(channel.Send(ByteSpan(seed_bytes, 16)));
  return SendBlocks(channel, table, p.chunk_len);
}

// RecvProgrammed receives a peer's OKVS for `peer_num_items` keys and sets
// out[k] = Decode(OKVS, keys[k]) ⊕ f[k].
absl::Status RecvProgrammed(net::Channel& channel, const PeerInfo& peer,
                            absl::Span<const Block> keys, absl::Span<const Block> f,
                            absl::Span<Block> out, const MpsiParams& p) {
  LIAISON_ASSIGN_OR_RETURN(Bytes seed_msg, RecvExact(channel, 16, "OKVS seed"));
  const Block seed = Block::FromBytes(seed_msg.data());
  const okvs::OkvsParams op = OkvsFor(peer.num_items, p);
  std::vector<Block> table(op.size());
  LIAISON_RETURN_IF_ERROR(RecvBlocks(channel, absl::MakeSpan(table), peer.chunk_len, "OKVS chunk"));
  okvs::OkvsDecode(op, seed, table, keys, out, p.num_threads);
  for (size_t k = 0; k < out.size(); ++k) out[k] ^= f[k];
  return absl::OkStatus();
}

// Secret accumulator of XOR shares, written by several peer threads.
struct Accumulator {
  explicit Accumulator(size_t n) : blocks(n) {
    std::fill(blocks.data(), blocks.data() + n, crypto::kZeroBlock);
  }
  void Add(absl::Span<const Block> v) {
    std::lock_guard<std::mutex> lock(mu);
    for (size_t k = 0; k < v.size(); ++k) blocks[k] ^= v[k];
  }
  std::mutex mu;
  crypto::UninitSecretBlocks blocks;
};

// Matching returns the ascending indices of items found in `sorted`.
std::vector<uint64_t> Matching(absl::Span<const Block> items, absl::Span<const Block> sorted) {
  std::vector<uint64_t> out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (std::binary_search(sorted.begin(), sorted.end(), items[i])) out.push_back(i);
  }
  return out;
}

class Party {
 public:
  Party(const MpsiParams& p, int me, absl::Span<net::Channel* const> channels,
        absl::Span<const Block> items, crypto::Prng& prng)
      : p_(p), me_(me), n_(static_cast<int>(channels.size())), ch_(channels), items_(items),
        prng_(prng), uniq_(0), peers_(channels.size()) {}

  absl::StatusOr<std::vector<uint64_t>> Run() {
    // Distinct items, sorted: the keys of every OPRF and OKVS.
    uniq_ = internal::DistinctSorted(items_);
    // 0. Headers, all sent before any is read.
    for (int j = 0; j < n_; ++j) {
      if (j == me_) continue;
      LIAISON_RETURN_IF_ERROR(ch_[j]->Send(EncodeHeader(n_, me_, j, uniq_.size(), p_)));
    }
    bool any_empty = uniq_.size() == 0;
    for (int j = 0; j < n_; ++j) {
      if (j == me_) continue;
      LIAISON_ASSIGN_OR_RETURN(peers_[j], RecvHeader(*ch_[j], n_, me_, j, p_));
      any_empty = any_empty || peers_[j].num_items == 0;
    }
    if (any_empty) return std::vector<uint64_t>{};
    return me_ == 0 ? RunLeader() : RunMember();
  }

 private:
  absl::StatusOr<std::vector<uint64_t>> RunLeader() {
    const size_t m = uniq_.size();
    Accumulator total(m);
    std::vector<std::function<absl::Status()>> tasks;
    std::vector<crypto::Seed> seeds;
    for (int i = 1; i < n_; ++i) seeds.push_back(prng_.NewSeed());
    for (int i = 1; i < n_; ++i) {
      tasks.push_back([this, i, &total, &seeds]() -> absl::Status {
        crypto::Prng prng(seeds[i - 1]);
        net::Channel& ch = *ch_[i];
        crypto::UninitSecretBlocks f(uniq_.size());
        LIAISON_RETURN_IF_ERROR(
            psi::Rr22OprfReceiver(OprfParams(p_)).Run(ch, uniq_.span(), f.span(), prng));
        crypto::UninitSecretBlocks t(uniq_.size());
        LIAISON_RETURN_IF_ERROR(RecvProgrammed(ch, peers_[i], uniq_.span(), f.span(), t.span(), p_));
        total.Add(t.span());
        return absl::OkStatus();
      });
    }
    LIAISON_RETURN_IF_ERROR(internal::RunAll("mpsi", tasks));
    // 3. The intersection: the items whose shares XOR to zero. This is the
    // output, so testing it in the clear reveals nothing more.
    std::vector<Block> result;
    for (size_t k = 0; k < m; ++k) {
      if (total.blocks[k] == crypto::kZeroBlock) result.push_back(uniq_[k]);
    }
    for (int i = 1; i < n_; ++i) {
      LIAISON_RETURN_IF_ERROR(internal::SendBlockList(*ch_[i], result, p_.chunk_len));
    }
    return Matching(items_, result);
  }

  absl::StatusOr<std::vector<uint64_t>> RunMember() {
    const size_t m = uniq_.size();
    Accumulator acc(m);
    std::vector<std::function<absl::Status()>> tasks;
    std::vector<crypto::Seed> seeds;
    for (int j = 0; j < n_; ++j) seeds.push_back(prng_.NewSeed());
    // The OPRF with L as receiver; its key serves step 2 after the joins.
    psi::Rr22OprfSender to_leader(OprfParams(p_));
    tasks.push_back([this, &to_leader, &seeds]() -> absl::Status {
      crypto::Prng prng(seeds[0]);
      return to_leader.Run(*ch_[0], peers_[0].num_items, peers_[0].chunk_len, prng);
    });
    // 1. Conditional zero-sharing with every other member.
    for (int j = 1; j < n_; ++j) {
      if (j == me_) continue;
      tasks.push_back([this, j, &acc, &seeds]() -> absl::Status {
        crypto::Prng prng(seeds[j]);
        if (me_ < j) {
          LIAISON_RETURN_IF_ERROR(ShareTo(j, acc, prng));
          return ShareFrom(j, acc, prng);
        }
        LIAISON_RETURN_IF_ERROR(ShareFrom(j, acc, prng));
        return ShareTo(j, acc, prng);
      });
    }
    LIAISON_RETURN_IF_ERROR(internal::RunAll("mpsi", tasks));
    // 2. T_i to the leader, programmed on our items.
    {
      crypto::UninitSecretBlocks v(m);
      to_leader.Eval(uniq_.span(), v.span());
      to_leader.Clear();
      for (size_t k = 0; k < m; ++k) v[k] ^= acc.blocks[k];
      LIAISON_RETURN_IF_ERROR(SendProgrammed(*ch_[0], uniq_.span(), v.span(), p_, prng_));
    }
    // 3. The leader's list of the intersection.
    net::Channel& ch = *ch_[0];
    LIAISON_ASSIGN_OR_RETURN(
        std::vector<Block> result,
        internal::RecvBlockList(ch, m, peers_[0].chunk_len, "mpsi", "the leader's result"));
    for (const Block& x : result) {
      if (!std::binary_search(uniq_.data(), uniq_.data() + m, x)) {
        return absl::DataLossError("mpsi: the leader's result names an item we do not hold");
      }
    }
    return Matching(items_, result);
  }

  // ShareTo is the OPRF me → j with j the receiver: our term of the pair is
  // F(x) on each of our items; j's is F(y) on its own, which it got from
  // the OPRF. The two cancel exactly on the items both hold. No OKVS is
  // needed: F is a random function that j learns only on X_j.
  absl::Status ShareTo(int j, Accumulator& acc, crypto::Prng& prng) {
    psi::Rr22OprfSender oprf(OprfParams(p_));
    LIAISON_RETURN_IF_ERROR(oprf.Run(*ch_[j], peers_[j].num_items, peers_[j].chunk_len, prng));
    crypto::UninitSecretBlocks v(uniq_.size());
    oprf.Eval(uniq_.span(), v.span());
    oprf.Clear();
    acc.Add(v.span());
    return absl::OkStatus();
  }

  // ShareFrom is the OPRF j → me with us the receiver: our term is F(y).
  absl::Status ShareFrom(int j, Accumulator& acc, crypto::Prng& prng) {
    crypto::UninitSecretBlocks f(uniq_.size());
    LIAISON_RETURN_IF_ERROR(
        psi::Rr22OprfReceiver(OprfParams(p_)).Run(*ch_[j], uniq_.span(), f.span(), prng));
    acc.Add(f.span());
    return absl::OkStatus();
  }

  const MpsiParams& p_;
  const int me_;
  const int n_;
  absl::Span<net::Channel* const> ch_;
  absl::Span<const Block> items_;
  crypto::Prng& prng_;
  crypto::UninitSecretBlocks uniq_;
  std::vector<PeerInfo> peers_;
};

}  // namespace

absl::StatusOr<std::vector<uint64_t>> MultipartyIntersection::Run(
    int me, absl::Span<net::Channel* const> channels, absl::Span<const crypto::Block> items,
    crypto::Prng& prng) const {
  LIAISON_RETURN_IF_ERROR(
      internal::CheckMesh("mpsi", me, channels, params_.chunk_len, kMaxParties));
  if (items.size() > kMaxItems) return absl::InvalidArgumentError("mpsi: too many items");
  absl::StatusOr<std::vector<uint64_t>> out;
  try {
    out = Party(params_, me, channels, items, prng).Run();
  } catch (const std::bad_alloc&) {
    out = absl::ResourceExhaustedError("mpsi: out of memory");
  }
  if (!out.ok()) internal::CloseAll(channels);
  return out;
}

}  // namespace liaison::mpsi
