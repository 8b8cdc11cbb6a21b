#include "mpsi/quorum.h"

#include <algorithm>
#include <bit>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <utility>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "crypto/secret_blocks.h"
#include "mpc/bit_product.h"
#include "mpc/one_hot.h"
#include "mpc/ot_pair.h"
#include "mpsi/internal/mesh.h"
#include "psi/shared_output_psi.h"

namespace liaison::mpsi {
namespace {

using crypto::Block;
using mpc::SecretWords;

// The header every party sends every peer first (docs/protocols/quorum.md,
// "Wire", quorum): magic, version, n, from, to, t, count shown, ssp, number
// of distinct items, chunk length, OKVS bin size.
constexpr uint32_t kMagic = 0x51504d4c;  // "LMPQ" as little-endian bytes
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderLen = 4 + 7 * 1 + 3 * 8;
constexpr size_t kOpenChunk = size_t{1} << 20;  // output bytes per message
constexpr uint8_t kDone = 0xd0;                  // the confirmation

struct PeerInfo {
  uint64_t num_items = 0;
  uint64_t chunk_len = 0;
};

Bytes EncodeHeader(int n, int from, int to, uint64_t num_items, int t, const QuorumParams& p) {
  ByteWriter w(kHeaderLen);
  w.U32(kMagic);
  w.U8(kVersion);
  w.U8(static_cast<uint8_t>(n));
  w.U8(static_cast<uint8_t>(from));
  w.U8(static_cast<uint8_t>(to));
  w.U8(static_cast<uint8_t>(t));
  w.U8(p.show_count ? 1 : 0);
  w.U8(static_cast<uint8_t>(p.ssp));
  w.U64(num_items);
  w.U64(p.chunk_len);
  w.U64(p.okvs_bin_items);
  return w.Take();
}

absl::StatusOr<PeerInfo> RecvHeader(net::Channel& channel, int n, int me, int peer, int t,
                                    const QuorumParams& p) {
  LIAISON_ASSIGN_OR_RETURN(Bytes msg, internal::RecvExact(channel, kHeaderLen, "quorum", "header"));
  ByteReader r(msg);
  LIAISON_ASSIGN_OR_RETURN(uint32_t magic, r.U32("quorum magic"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t version, r.U8("quorum version"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t peer_n, r.U8("quorum n"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t from, r.U8("quorum sender index"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t to, r.U8("quorum receiver index"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t peer_t, r.U8("quorum threshold"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t show, r.U8("quorum count flag"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t ssp, r.U8("quorum ssp"));
  PeerInfo info;
  LIAISON_ASSIGN_OR_RETURN(info.num_items, r.U64("quorum item count"));
  LIAISON_ASSIGN_OR_RETURN(info.chunk_len, r.U64("quorum chunk length"));
  LIAISON_ASSIGN_OR_RETURN(uint64_t bin_items, r.U64("quorum OKVS bin size"));
  if (magic != kMagic || version != kVersion || show > 1) {
    return absl::DataLossError("quorum: not a quorum header (magic, version or flags)");
  }
  if (peer_n != n || from != peer || to != me) {
    return absl::DataLossError("quorum: the header names other parties than this channel's");
  }
  if (info.num_items > internal::kMaxItems) {
    return absl::DataLossError("quorum: peer item count too large");
  }
  if (info.chunk_len == 0 || info.chunk_len > UINT32_MAX ||
      info.chunk_len * sizeof(Block) > channel.max_message_len()) {
    return absl::DataLossError("quorum: peer chunk length out of range");
  }
  if (peer_t != t) {
    return absl::FailedPreconditionError(StrCat("quorum: party ", peer, " runs threshold ",
                                                int{peer_t}, ", we run ", t));
  }
  if ((show == 1) != p.show_count) {
    return absl::FailedPreconditionError(
        StrCat("quorum: party ", peer, " disagrees on whether counts are shown"));
  }
  if (ssp != p.ssp || bin_items != p.okvs_bin_items) {
    return absl::FailedPreconditionError(
        StrCat("quorum: party ", peer, "'s statistical parameters differ from ours"));
  }
  if (info.num_items > p.max_peer_items) {
    return absl::FailedPreconditionError(
        StrCat("quorum: party ", peer, "'s set is larger than this party accepts"));
  }
  return info;
}

// OneHotBits returns q with 2^q ≥ n positions (c − 1 ∈ [0, n − 1]).
int OneHotBits(int n) { return std::max(1, static_cast<int>(std::bit_width(unsigned(n - 1)))); }

// Mod reduces n by n mod n on [0, n) (n > 0; public values only).
int Mod(int a, int n) { return ((a % n) + n) % n; }

// XorAccumulator is a secret word array that several peer threads XOR into.
struct XorAccumulator {
  void Add(absl::Span<const uint64_t> v) {
    std::lock_guard<std::mutex> lock(mu);
    for (size_t k = 0; k < v.size(); ++k) words[k] ^= v[k];
  }
  std::mutex mu;
  SecretWords words;
};

class Party {
 public:
  Party(const QuorumParams& p, int t, int me, absl::Span<net::Channel* const> channels,
        absl::Span<const Block> items, crypto::Prng& prng)
      : p_(p), t_(t), me_(me), n_(static_cast<int>(channels.size())), q_(OneHotBits(n_)),
        ch_(channels), items_(items), prng_(prng), uniq_(0), peers_(n_), bins_(n_), ots_(n_),
        amount_(n_), share_(n_) {
    sp_.num_threads = std::max(1, p.num_threads);
    sp_.chunk_len = p.chunk_len;
    sp_.okvs_bin_items = p.okvs_bin_items;
    sp_.ssp = p.ssp;
  }

  absl::StatusOr<QuorumOutput> Run() {
    uniq_ = internal::DistinctSorted(items_);
    // 0. Headers, all sent before any is read.
    for (int j = 0; j < n_; ++j) {
      if (j == me_) continue;
      LIAISON_RETURN_IF_ERROR(ch_[j]->Send(EncodeHeader(n_, me_, j, uniq_.size(), t_, p_)));
    }
    for (int j = 0; j < n_; ++j) {
      if (j == me_) continue;
      LIAISON_ASSIGN_OR_RETURN(peers_[j], RecvHeader(*ch_[j], n_, me_, j, t_, p_));
    }
    peers_[me_].num_items = uniq_.size();
    for (int j = 0; j < n_; ++j) {
      bins_[j] = peers_[j].num_items == 0 ? 0 : psi::NumBins(sp_, peers_[j].num_items);
    }
    if (uniq_.size() > 0) {
      LIAISON_ASSIGN_OR_RETURN(placement_, psi::PlaceInBins(sp_, uniq_.span(), prng_));
    }
    Progress("membership", 0, 1);
    LIAISON_RETURN_IF_ERROR(Membership());
    Progress("membership", 1, 1);
    // Our own query starts as the one-hot vector of Σ_j α_j, held by us.
    share_[me_] = SecretWords(bins_[me_]);
    for (size_t b = 0; b < bins_[me_]; ++b) {
      share_[me_][b] = mpc::RotateLeft(1, q_, own_amount_.words[b]);
    }
    own_amount_.words = SecretWords();
    for (int k = 1; k < n_; ++k) {
      Progress("count", k - 1, n_ - 1);
      LIAISON_RETURN_IF_ERROR(RotationStep(k));
    }
    Progress("count", n_ - 1, n_ - 1);
    LIAISON_ASSIGN_OR_RETURN(QuorumOutput out, Open());
    LIAISON_RETURN_IF_ERROR(Confirm());
    return out;
  }

 private:
  void Progress(std::string_view phase, uint64_t done, uint64_t total) const {
    if (p_.progress) p_.progress(phase, done, total);
  }

  // RunPeers runs fn(j, prng) for every peer j on its own thread.
  absl::Status RunPeers(const std::function<absl::Status(int, crypto::Prng&)>& fn) {
    std::vector<std::function<absl::Status()>> tasks;
    std::vector<crypto::Seed> seeds(n_);
    for (int j = 0; j < n_; ++j) {
      if (j != me_) seeds[j] = prng_.NewSeed();
    }
    for (int j = 0; j < n_; ++j) {
      if (j == me_) continue;
      tasks.push_back([&fn, &seeds, j]() -> absl::Status {
        crypto::Prng prng(seeds[j]);
        return fn(j, prng);
      });
    }
    return internal::RunAll("quorum", tasks);
  }

  // PairParty is our index in the two-party blocks with j (the OT
  // extension's directions, the equality test's roles): the lower index is
  // party 0 when the indices' sum is odd, the higher one otherwise, which
  // spreads the heavier role over the parties.
  int PairParty(int j) const { return (me_ < j) == ((me_ + j) % 2 == 1) ? 0 : 1; }

  // A. Membership shares and their conversion to additive shares, with
  // every peer: the lower index's query first.
  absl::Status Membership() {
    own_amount_.words = SecretWords(bins_[me_]);
    return RunPeers([this](int j, crypto::Prng& prng) -> absl::Status {
      net::Channel& ch = *ch_[j];
      ots_[j] = std::make_unique<mpc::OtPair>(PairParty(j), mpc::DefaultOtParams(sp_.num_threads));
      LIAISON_RETURN_IF_ERROR(ots_[j]->SetUp(ch, prng));
      for (int round = 0; round < 2; ++round) {
        const bool mine = (round == 0) == (me_ < j);  // whose query: ours or j's
        const int query = mine ? me_ : j;
        const uint64_t num_bins = bins_[query];
        SecretWords bits;
        if (mine) {
          if (num_bins == 0) continue;
          LIAISON_ASSIGN_OR_RETURN(
              bits, psi::SharedMembershipReceiver(sp_).Run(ch, uniq_.span(), placement_,
                                                          peers_[j].num_items, prng,
                                                          ots_[j].get()));
        } else {
          if (num_bins == 0) continue;
          LIAISON_ASSIGN_OR_RETURN(bits, psi::SharedMembershipSender(sp_).Run(
                                             ch, uniq_.span(), peers_[j].num_items, prng,
                                             ots_[j].get()));
        }
        LIAISON_ASSIGN_OR_RETURN(SecretWords add,
                                 mpc::BitsToArithmetic(*ots_[j], ch, bits.span(), num_bins,
                                                       prng, sp_.num_threads));
        const uint64_t mask = (uint64_t{1} << (1u << q_)) - 1;  // only mod 2^q matters
        for (size_t b = 0; b < num_bins; ++b) add[b] &= mask;
        if (mine) {
          std::lock_guard<std::mutex> lock(own_amount_.mu);
          for (size_t b = 0; b < num_bins; ++b) own_amount_.words[b] += add[b];
        } else {
          amount_[j] = std::move(add);
        }
      }
      return absl::OkStatus();
    });
  }

  // Step k of the rotations: for every query Q the party Q + k rotates the
  // vector held by Q, Q + 1, …, Q + k − 1 by its additive share.
  absl::Status RotationStep(int k) {
    const int as_rotator = Mod(me_ - k, n_);  // the query we rotate
    XorAccumulator got;
    got.words = SecretWords(bins_[as_rotator]);
    LIAISON_RETURN_IF_ERROR(RunPeers([this, k, as_rotator, &got](int j,
                                                                 crypto::Prng& prng) -> absl::Status {
      net::Channel& ch = *ch_[j];
      const bool we_rotate = Mod(me_ - j, n_) >= 1 && Mod(me_ - j, n_) <= k;
      const bool they_rotate = Mod(j - me_, n_) >= 1 && Mod(j - me_, n_) <= k;
      // When both, the instance whose rotator has the lower index first.
      for (int round = 0; round < 2; ++round) {
        const bool ours_first = me_ < j;
        const bool rotate = (round == 0) == ours_first;
        if (rotate && we_rotate) {
          if (bins_[as_rotator] == 0) continue;
          LIAISON_ASSIGN_OR_RETURN(SecretWords v,
                                   mpc::OneHotRotateChoose(*ots_[j], ch, q_,
                                                           amount_[as_rotator].span(), prng,
                                                           sp_.num_threads));
          got.Add(v.span());
        } else if (!rotate && they_rotate) {
          const int query = Mod(j - k, n_);
          if (bins_[query] == 0) continue;
          LIAISON_ASSIGN_OR_RETURN(share_[query],
                                   mpc::OneHotRotateHold(*ots_[j], ch, q_, share_[query].span(),
                                                         prng, sp_.num_threads));
        }
      }
      return absl::OkStatus();
    }));
    share_[as_rotator] = std::move(got.words);
    amount_[as_rotator] = SecretWords();
    return absl::OkStatus();
  }

  // Weights returns w(p) for each position p = c − 1: bit 0 is [c ≥ t],
  // bits 1.. are c when it is shown and c ≥ t.
  std::vector<uint64_t> Weights() const {
    std::vector<uint64_t> w(size_t{1} << q_, 0);
    for (int c = t_; c <= n_; ++c) w[c - 1] = 1 | (p_.show_count ? uint64_t(c) << 1 : 0);
    return w;
  }

  // Output returns the linear map of our share of every bin of `query`.
  std::vector<uint8_t> Output(int query) const {
    const std::vector<uint64_t> w = Weights();
    std::vector<uint8_t> out(bins_[query]);
    for (size_t b = 0; b < out.size(); ++b) {
      const uint64_t s = share_[query][b];
      uint64_t y = 0;
      for (size_t pos = 0; pos < w.size(); ++pos) y ^= (0 - ((s >> pos) & 1)) & w[pos];
      out[b] = static_cast<uint8_t>(y);
    }
    return out;
  }

  // Open sends every peer our output shares of its query and XORs the
  // peers' shares of ours: only we learn our output.
  absl::StatusOr<QuorumOutput> Open() {
    std::vector<uint8_t> mine = Output(me_);
    std::mutex mu;
    LIAISON_RETURN_IF_ERROR(RunPeers([this, &mine, &mu](int j, crypto::Prng&) -> absl::Status {
      net::Channel& ch = *ch_[j];
      auto send = [&]() -> absl::Status {
        const std::vector<uint8_t> theirs = Output(j);
        for (size_t b = 0; b < theirs.size(); b += kOpenChunk) {
          const size_t e = std::min(theirs.size(), b + kOpenChunk);
          LIAISON_RETURN_IF_ERROR(ch.Send(ByteSpan(theirs.data() + b, e - b)));
        }
        return absl::OkStatus();
      };
      auto recv = [&]() -> absl::Status {
        for (size_t b = 0; b < mine.size(); b += kOpenChunk) {
          const size_t e = std::min(mine.size(), b + kOpenChunk);
          LIAISON_ASSIGN_OR_RETURN(Bytes msg,
                                   internal::RecvExact(ch, e - b, "quorum", "output share"));
          std::lock_guard<std::mutex> lock(mu);
          for (size_t i = 0; i < msg.size(); ++i) mine[b + i] ^= msg[i];
        }
        return absl::OkStatus();
      };
      if (me_ < j) {
        LIAISON_RETURN_IF_ERROR(send());
        return recv();
      }
      LIAISON_RETURN_IF_ERROR(recv());
      return send();
    }));
    // Our bins hold our distinct items; map them back to the caller's
    // indices.
    std::vector<uint8_t> per_item(uniq_.size(), 0);
    for (uint64_t b = 0; b < bins_[me_]; ++b) {
      const int64_t u = placement_.ItemOfBin(b);
      if (u >= 0) per_item[u] = mine[b];
    }
    QuorumOutput out;
    for (size_t i = 0; i < items_.size(); ++i) {
      const uint8_t y = per_item[internal::IndexIn(uniq_.span(), items_[i])];
      if ((y & 1) == 0) continue;
      out.indices.push_back(i);
      out.holders.push_back(y >> 1);
    }
    return out;
  }

  // Confirm is the last round: every party tells every peer that it has
  // its output, and returns it only when every peer has said the same. A
  // party that fails before this round (or a link that drops) thus makes
  // every party fail, so that none writes a result the others do not have;
  // only a failure inside this round itself can leave parties disagreeing.
  absl::Status Confirm() {
    return RunPeers([this](int j, crypto::Prng&) -> absl::Status {
      net::Channel& ch = *ch_[j];
      const uint8_t done = kDone;
      LIAISON_RETURN_IF_ERROR(ch.Send(ByteSpan(&done, 1)));
      LIAISON_ASSIGN_OR_RETURN(Bytes msg, internal::RecvExact(ch, 1, "quorum", "confirmation"));
      if (msg[0] != kDone) return absl::DataLossError("quorum: a malformed confirmation");
      return absl::OkStatus();
    });
  }

  const QuorumParams& p_;
  const int t_;
  const int me_;
  const int n_;
  const int q_;
  absl::Span<net::Channel* const> ch_;
  absl::Span<const Block> items_;
  crypto::Prng& prng_;
  psi::SharedOutputPsiParams sp_;
  crypto::UninitSecretBlocks uniq_;
  std::vector<PeerInfo> peers_;
  std::vector<uint64_t> bins_;  // B_Q of every party's query
  psi::CuckooPlacement placement_;
  std::vector<std::unique_ptr<mpc::OtPair>> ots_;
  XorAccumulator own_amount_;         // Σ_j α_j of our bins (additive, mod 2^q)
  std::vector<SecretWords> amount_;   // amount_[Q]: our β for Q's bins
  std::vector<SecretWords> share_;    // share_[Q]: our share of Q's vectors
};

}  // namespace

absl::StatusOr<QuorumOutput> Quorum::Run(int me, absl::Span<net::Channel* const> channels,
                                         absl::Span<const crypto::Block> items,
                                         crypto::Prng& prng) const {
  LIAISON_RETURN_IF_ERROR(
      internal::CheckMesh("quorum", me, channels, params_.chunk_len, kMaxParties));
  const int n = static_cast<int>(channels.size());
  const int t = params_.threshold == 0 ? n : params_.threshold;
  if (t < 1 || t > n) {
    return absl::InvalidArgumentError(StrCat("quorum: threshold ", t, " outside [1, ", n, "]"));
  }
  if (items.size() > internal::kMaxItems) {
    return absl::InvalidArgumentError("quorum: too many items");
  }
  if (t == n) {
    // The intersection: the cheaper protocol, and the same output.
    MpsiParams p;
    p.num_threads = params_.num_threads;
    p.chunk_len = params_.chunk_len;
    p.okvs_bin_items = params_.okvs_bin_items;
    p.ssp = params_.ssp;
    p.max_peer_items = params_.max_peer_items;
    LIAISON_ASSIGN_OR_RETURN(std::vector<uint64_t> indices,
                             MultipartyIntersection(p).Run(me, channels, items, prng));
    QuorumOutput out;
    out.indices = std::move(indices);
    out.holders.assign(out.indices.size(), params_.show_count ? static_cast<uint32_t>(n) : 0);
    return out;
  }
  if (n > kMaxQuorumParties) {
    return absl::InvalidArgumentError(
        StrCat("quorum: thresholds below n take at most ", kMaxQuorumParties, " parties"));
  }
  if (params_.ssp < 1 || params_.ssp > 60) {
    return absl::InvalidArgumentError("quorum: ssp outside [1, 60]");
  }
  absl::StatusOr<QuorumOutput> out;
  try {
    out = Party(params_, t, me, channels, items, prng).Run();
  } catch (const std::bad_alloc&) {
    out = absl::ResourceExhaustedError("quorum: out of memory");
  }
  if (!out.ok()) internal::CloseAll(channels);
  return out;
}

}  // namespace liaison::mpsi
