#include "mpsi/quorum.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <numeric>
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
#include "mpsi/internal/quorum_header.h"
#include "psi/shared_output_psi.h"

namespace liaison::mpsi {
namespace {

using crypto::Block;
using mpc::SecretWords;
using internal::EncodeHeader;
using internal::PeerInfo;
using internal::RecvHeader;

constexpr size_t kOpenChunk = size_t{1} << 20;  // output bytes per message
constexpr uint8_t kDone = 0xd0;                  // the confirmation

// OneHotBits returns q with 2^q ≥ positions.
int OneHotBits(int positions) {
  return std::max(1, static_cast<int>(std::bit_width(unsigned(positions - 1))));
}

// Mod reduces a by n onto [0, n) (n > 0; public values only).
int Mod(int a, int n) { return ((a % n) + n) % n; }

// Lcm returns lcm(1, …, n): 720720 at n = 16.
uint64_t Lcm(int n) {
  uint64_t l = 1;
  for (uint64_t c = 2; c <= static_cast<uint64_t>(n); ++c) l = l / std::gcd(l, c) * c;
  return l;
}

// Accumulator is a secret word array that several peer threads combine
// into, by XOR or by addition mod 2^64.
struct Accumulator {
  void Xor(absl::Span<const uint64_t> v) {
    std::lock_guard<std::mutex> lock(mu);
    for (size_t k = 0; k < v.size(); ++k) words[k] ^= v[k];
  }
  void Add(absl::Span<const uint64_t> v) {
    std::lock_guard<std::mutex> lock(mu);
    for (size_t k = 0; k < v.size(); ++k) words[k] += v[k];
  }
  std::mutex mu;
  SecretWords words;
};

// PairFn runs our side of one two-party instance with peer j for the
// query of party `query`.
using PairFn = std::function<absl::Status(int j, int query, crypto::Prng& prng)>;

class Party {
 public:
  Party(const QuorumParams& p, int t, int me, absl::Span<net::Channel* const> channels,
        absl::Span<const Block> items, crypto::Prng& prng)
      : p_(p), t_(t), me_(me), n_(static_cast<int>(channels.size())),
        q_(OneHotBits(p.count_only && t == 1 ? n_ + 1 : n_)), ch_(channels), items_(items),
        prng_(prng), uniq_(0), peers_(n_), bins_(n_), single_query_(p.count_only && t == n_),
        ots_(n_), amount_(n_), share_(n_), fold_(n_) {
    sp_.num_threads = std::max(1, p.num_threads);
    sp_.chunk_len = p.chunk_len;
    sp_.okvs_bin_items = p.okvs_bin_items;
    sp_.ssp = p.ssp;
  }

  absl::StatusOr<QuorumOutput> Run() {
    LIAISON_RETURN_IF_ERROR(Share());
    LIAISON_ASSIGN_OR_RETURN(QuorumOutput out, Open());
    if (p_.reveal == QuorumReveal::kAll) LIAISON_RETURN_IF_ERROR(Reveal(out));
    LIAISON_RETURN_IF_ERROR(Confirm());
    return out;
  }

  // Count returns the opened L·(count + Σ noise) as an int64 divided by
  // the scale, with `noise` (already scaled) in our share.
  absl::StatusOr<int64_t> Count(uint64_t noise) {
    LIAISON_RETURN_IF_ERROR(Share());
    for (int k = 1; k < n_; ++k) {
      Progress("total", k - 1, n_ - 1);
      LIAISON_RETURN_IF_ERROR(FoldStep(k));
    }
    Progress("total", n_ - 1, n_ - 1);
    LIAISON_ASSIGN_OR_RETURN(int64_t total, OpenTotal(noise));
    LIAISON_RETURN_IF_ERROR(Confirm());
    return total;
  }

  // Scale is S: the total opens to S·(count + Σ noise).
  uint64_t Scale() const { return single_query_ ? 1 : Lcm(n_); }

 private:
  void Progress(std::string_view phase, uint64_t done, uint64_t total) const {
    if (p_.progress) p_.progress(phase, done, total);
  }

  // Share runs everything up to the XOR-shared one-hot vectors of every
  // bin of every query, held by all parties: headers, membership, start
  // vectors, rotations.
  absl::Status Share() {
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
    // Counting the intersection needs one query only: every item of it is
    // in every set. The smallest set's (ties: the lowest index) is cheapest.
    int query = 0;
    for (int j = 1; j < n_; ++j) {
      if (peers_[j].num_items < peers_[query].num_items) query = j;
    }
    for (int j = 0; j < n_; ++j) {
      const bool queries = !single_query_ || j == query;
      bins_[j] = peers_[j].num_items == 0 || !queries ? 0 : psi::NumBins(sp_, peers_[j].num_items);
    }
    if (bins_[me_] > 0) {
      LIAISON_ASSIGN_OR_RETURN(placement_, psi::PlaceInBins(sp_, uniq_.span(), prng_));
    }
    Progress("membership", 0, 1);
    LIAISON_RETURN_IF_ERROR(Membership());
    Progress("membership", 1, 1);
    // Our own query starts as the one-hot vector of Σ_j α_j, held by us.
    // When only the total is opened, an empty bin (whose count is 1, as
    // its membership bits are 0) starts n positions further, at a position
    // that is never counted (n ≥ M only when t ≥ 2, and then position 0
    // is not counted either).
    const uint64_t empty_shift = p_.count_only ? static_cast<uint64_t>(n_) : 0;
    share_[me_] = SecretWords(bins_[me_]);
    for (size_t b = 0; b < bins_[me_]; ++b) {
      const uint64_t empty = static_cast<uint64_t>(placement_.ItemOfBin(b)) >> 63;
      share_[me_][b] = mpc::RotateLeft(1, q_, own_amount_.words[b] + empty * empty_shift);
    }
    own_amount_.words = SecretWords();
    for (int k = 1; k < n_; ++k) {
      Progress("count", k - 1, n_ - 1);
      LIAISON_RETURN_IF_ERROR(RotationStep(k));
    }
    Progress("count", n_ - 1, n_ - 1);
    return absl::OkStatus();
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
        if (num_bins == 0) continue;
        SecretWords bits;
        if (mine) {
          LIAISON_ASSIGN_OR_RETURN(
              bits, psi::SharedMembershipReceiver(sp_).Run(ch, uniq_.span(), placement_,
                                                          peers_[j].num_items, prng,
                                                          ots_[j].get()));
        } else {
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
          own_amount_.Add(add.span());
        } else {
          amount_[j] = std::move(add);
        }
      }
      return absl::OkStatus();
    });
  }

  // RingStep is step k (1 ≤ k < n) of a pass over every query: for each
  // query Q the party Q + k acts with each holder Q, Q + 1, …, Q + k − 1.
  // On a channel, the instance whose actor has the lower index runs first.
  absl::Status RingStep(int k, const PairFn& act, const PairFn& hold) {
    return RunPeers([&](int j, crypto::Prng& prng) -> absl::Status {
      const bool we_act = Mod(me_ - j, n_) >= 1 && Mod(me_ - j, n_) <= k;
      const bool they_act = Mod(j - me_, n_) >= 1 && Mod(j - me_, n_) <= k;
      for (int round = 0; round < 2; ++round) {
        const bool acting = (round == 0) == (me_ < j);
        if (acting && we_act) {
          const int query = Mod(me_ - k, n_);
          if (bins_[query] > 0) LIAISON_RETURN_IF_ERROR(act(j, query, prng));
        } else if (!acting && they_act) {
          const int query = Mod(j - k, n_);
          if (bins_[query] > 0) LIAISON_RETURN_IF_ERROR(hold(j, query, prng));
        }
      }
      return absl::OkStatus();
    });
  }

  // Step k of the rotations: for every query Q the party Q + k rotates the
  // vector held by Q, Q + 1, …, Q + k − 1 by its additive share.
  absl::Status RotationStep(int k) {
    const int as_rotator = Mod(me_ - k, n_);  // the query we rotate
    Accumulator got;
    got.words = SecretWords(bins_[as_rotator]);
    LIAISON_RETURN_IF_ERROR(RingStep(
        k,
        [&](int j, int query, crypto::Prng& prng) -> absl::Status {
          LIAISON_ASSIGN_OR_RETURN(SecretWords v,
                                   mpc::OneHotRotateChoose(*ots_[j], *ch_[j], q_,
                                                           amount_[query].span(), prng,
                                                           sp_.num_threads));
          got.Xor(v.span());
          return absl::OkStatus();
        },
        [&](int j, int query, crypto::Prng& prng) -> absl::Status {
          LIAISON_ASSIGN_OR_RETURN(share_[query],
                                   mpc::OneHotRotateHold(*ots_[j], *ch_[j], q_,
                                                         share_[query].span(), prng,
                                                         sp_.num_threads));
          return absl::OkStatus();
        }));
    share_[as_rotator] = std::move(got.words);
    amount_[as_rotator] = SecretWords();
    return absl::OkStatus();
  }

  // Counted positions p (count c = p + 1) when only the total is opened:
  // t − 1 … n − 1.
  int NumCounted() const { return n_ - t_ + 1; }

  // CountedBits packs our XOR shares of the counted positions of query
  // Q's vectors: bit k·B + b is position t − 1 + k of bin b.
  SecretWords CountedBits(int query) const {
    const size_t num_bins = bins_[query];
    SecretWords bits(mpc::NumWords(NumCounted() * num_bins));
    for (int k = 0; k < NumCounted(); ++k) {
      for (size_t b = 0; b < num_bins; ++b) {
        mpc::SetBit(bits.span(), k * num_bins + b, share_[query][b] >> (t_ - 1 + k));
      }
    }
    return bits;
  }

  // Step k of the fold, the n-party conversion of the counted bits to
  // additive shares mod 2^64: the party R = Q + k folds its XOR share e
  // into the additive sharing A of Q's bits held by Q … Q + k − 1:
  // A ⊕ e = A + e − 2·A·e, each holder's share of A·e from one bit
  // product with R (R the OT receiver choosing e). Q starts with its XOR
  // share as A.
  absl::Status FoldStep(int k) {
    if (k == 1) {
      const size_t num = NumCounted() * bins_[me_];
      const SecretWords bits = CountedBits(me_);
      fold_[me_] = SecretWords(num);
      for (size_t i = 0; i < num; ++i) fold_[me_][i] = mpc::GetBit(bits.span(), i);
    }
    const int as_actor = Mod(me_ - k, n_);
    const size_t num = NumCounted() * bins_[as_actor];
    const SecretWords bits = CountedBits(as_actor);
    Accumulator got;
    got.words = SecretWords(num);
    LIAISON_RETURN_IF_ERROR(RingStep(
        k,
        [&](int j, int, crypto::Prng& prng) -> absl::Status {
          LIAISON_ASSIGN_OR_RETURN(SecretWords v,
                                   mpc::BitTimesOwnValuesReceive(*ots_[j], *ch_[j], bits.span(),
                                                                 num, 1, prng, sp_.num_threads));
          got.Add(v.span());
          return absl::OkStatus();
        },
        [&](int j, int query, crypto::Prng& prng) -> absl::Status {
          const size_t len = fold_[query].size();
          const SecretWords zeros(mpc::NumWords(len));
          LIAISON_ASSIGN_OR_RETURN(
              SecretWords v, mpc::BitTimesOwnValuesSend(*ots_[j], *ch_[j], zeros.span(), len,
                                                        fold_[query].span(), prng,
                                                        sp_.num_threads));
          for (size_t i = 0; i < len; ++i) fold_[query][i] -= 2 * v[i];
          return absl::OkStatus();
        }));
    if (num > 0) {
      fold_[as_actor] = SecretWords(num);
      for (size_t i = 0; i < num; ++i) {
        fold_[as_actor][i] = mpc::GetBit(bits.span(), i) - 2 * got.words[i];
      }
    }
    return absl::OkStatus();
  }

  // OpenTotal adds up our shares of Σ over every bin of [c ≥ t]·S/c (S/c
  // an integer: c divides lcm(1..n)), adds `noise`, sends the word to
  // every peer and sums theirs: the total, S·(count + Σ noise), opened to
  // every party. DataLoss when it is not a multiple of S.
  absl::StatusOr<int64_t> OpenTotal(uint64_t noise) {
    const uint64_t scale = Scale();
    uint64_t mine = noise;
    for (int query = 0; query < n_; ++query) {
      if (bins_[query] == 0) continue;
      const size_t num_bins = bins_[query];
      for (int k = 0; k < NumCounted(); ++k) {
        const uint64_t w = scale / static_cast<uint64_t>(single_query_ ? 1 : t_ + k);
        for (size_t b = 0; b < num_bins; ++b) mine += w * fold_[query][k * num_bins + b];
      }
      fold_[query] = SecretWords();
    }
    Accumulator total;
    total.words = SecretWords(1);
    total.words[0] = mine;
    LIAISON_RETURN_IF_ERROR(RunPeers([&](int j, crypto::Prng&) -> absl::Status {
      ByteWriter w(8);
      w.U64(mine);
      LIAISON_RETURN_IF_ERROR(ch_[j]->Send(w.Take()));
      LIAISON_ASSIGN_OR_RETURN(Bytes msg, internal::RecvExact(*ch_[j], 8, "quorum", "total share"));
      ByteReader r(msg);
      LIAISON_ASSIGN_OR_RETURN(uint64_t theirs, r.U64("quorum total share"));
      total.Add(absl::MakeConstSpan(&theirs, 1));
      return absl::OkStatus();
    }));
    const int64_t opened = static_cast<int64_t>(total.words[0]);
    if (opened % static_cast<int64_t>(scale) != 0) {
      return absl::DataLossError("quorum: the opened total is not a multiple of lcm(1..n)");
    }
    return opened / static_cast<int64_t>(scale);
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
    per_item_.assign(uniq_.size(), 0);
    for (uint64_t b = 0; b < bins_[me_]; ++b) {
      const int64_t u = placement_.ItemOfBin(b);
      if (u >= 0) per_item_[u] = mine[b];
    }
    QuorumOutput out;
    for (size_t i = 0; i < items_.size(); ++i) {
      const uint8_t y = per_item_[internal::IndexIn(uniq_.span(), items_[i])];
      if ((y & 1) == 0) continue;
      out.indices.push_back(i);
      out.holders.push_back(y >> 1);
    }
    return out;
  }

  // Reveal (reveal = all, traceable) sends every peer our qualifying
  // distinct items, ascending, and receives theirs: `out` gains the items
  // we do not hold, each with the number of parties that reported it.
  absl::Status Reveal(QuorumOutput& out) {
    std::vector<Block> ours;
    for (size_t u = 0; u < uniq_.size(); ++u) {
      if ((per_item_[u] & 1) != 0) ours.push_back(uniq_[u]);
    }
    std::vector<std::vector<Block>> theirs(n_);
    LIAISON_RETURN_IF_ERROR(RunPeers([&](int j, crypto::Prng&) -> absl::Status {
      LIAISON_RETURN_IF_ERROR(internal::SendBlockList(*ch_[j], ours, p_.chunk_len));
      LIAISON_ASSIGN_OR_RETURN(theirs[j],
                               internal::RecvBlockList(*ch_[j], peers_[j].num_items,
                                                       peers_[j].chunk_len, "quorum",
                                                       "qualifying items"));
      return absl::OkStatus();
    }));
    std::map<Block, uint32_t> reported;
    for (int j = 0; j < n_; ++j) {
      for (const Block& x : theirs[j]) ++reported[x];
    }
    for (const auto& [x, num] : reported) {
      if (std::binary_search(uniq_.span().begin(), uniq_.span().end(), x)) continue;
      out.others.push_back(x);
      out.others_holders.push_back(num);
    }
    return absl::OkStatus();
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
  std::vector<uint64_t> bins_;  // B_Q of every party's query (0: none)
  const bool single_query_;     // counting the intersection: one query
  psi::CuckooPlacement placement_;
  std::vector<std::unique_ptr<mpc::OtPair>> ots_;
  Accumulator own_amount_;            // Σ_j α_j of our bins (additive, mod 2^q)
  std::vector<SecretWords> amount_;   // amount_[Q]: our β for Q's bins
  std::vector<SecretWords> share_;    // share_[Q]: our share of Q's vectors
  std::vector<SecretWords> fold_;     // fold_[Q]: additive shares of its counted bits
  std::vector<uint8_t> per_item_;     // our output byte of each distinct item
};

// DpMechanism returns the calibration of a count-only run's noise.
absl::StatusOr<dp::Mechanism> DpMechanism(const psi::DpAggregateSpec& spec) {
  if (spec.kind != psi::AggregateKind::kCount || spec.malicious) {
    return absl::InvalidArgumentError("quorum: DP noise is for a semi-honest count");
  }
  LIAISON_ASSIGN_OR_RETURN(psi::AggregateMechanisms m, psi::CalibrateAggregate(spec));
  const mpq_class cap = mpq_class(mpz_class(kMaxQuorumNoiseScale));
  const mpq_class param = m.main.noise.parameter();
  if (m.main.noise.kind() == dp::NoiseKind::kDiscreteLaplace ? param > cap : param > cap * cap) {
    return absl::InvalidArgumentError("quorum: the noise scale is too large for the count");
  }
  return m.main;
}

// CheckCommon checks what Run and Count both need.
absl::StatusOr<int> CheckCommon(const QuorumParams& params, int me,
                                absl::Span<net::Channel* const> channels, size_t num_items) {
  LIAISON_RETURN_IF_ERROR(
      internal::CheckMesh("quorum", me, channels, params.chunk_len, kMaxParties));
  const int n = static_cast<int>(channels.size());
  const int t = params.threshold == 0 ? n : params.threshold;
  if (t < 1 || t > n) {
    return absl::InvalidArgumentError(StrCat("quorum: threshold ", t, " outside [1, ", n, "]"));
  }
  if (num_items > internal::kMaxItems) {
    return absl::InvalidArgumentError("quorum: too many items");
  }
  if (params.ssp < 1 || params.ssp > 60) {
    return absl::InvalidArgumentError("quorum: ssp outside [1, 60]");
  }
  return t;
}

}  // namespace

absl::StatusOr<dp::Mechanism> QuorumNoise::Calibrate(const psi::DpAggregateSpec& spec) {
  return DpMechanism(spec);
}

absl::StatusOr<QuorumNoise> QuorumNoise::Draw(const psi::DpAggregateSpec& spec,
                                              crypto::Prng& prng) {
  LIAISON_ASSIGN_OR_RETURN(dp::Mechanism m, DpMechanism(spec));
  QuorumNoise out;
  out.value_.emplace(dp::SampleNoise(m.noise, prng));
  out.mechanism_ = std::move(m);
  return out;
}

absl::StatusOr<QuorumOutput> Quorum::Run(int me, absl::Span<net::Channel* const> channels,
                                         absl::Span<const crypto::Block> items,
                                         crypto::Prng& prng) const {
  LIAISON_ASSIGN_OR_RETURN(const int t, CheckCommon(params_, me, channels, items.size()));
  const int n = static_cast<int>(channels.size());
  if (params_.count_only) {
    return absl::InvalidArgumentError("quorum: a count-only run is Quorum::Count");
  }
  if (params_.reveal == QuorumReveal::kAll && !params_.show_count) {
    return absl::InvalidArgumentError(
        "quorum: revealing the qualifying items to all shows who holds them: counts cannot be "
        "hidden");
  }
  if (t == n) {
    // The intersection: the cheaper protocol, and the same output; every
    // party already learns every qualifying item, so reveal = all adds
    // nothing.
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
  absl::StatusOr<QuorumOutput> out;
  try {
    out = Party(params_, t, me, channels, items, prng).Run();
  } catch (const std::bad_alloc&) {
    out = absl::ResourceExhaustedError("quorum: out of memory");
  }
  if (!out.ok()) internal::CloseAll(channels);
  return out;
}

absl::StatusOr<QuorumCount> Quorum::Count(int me, absl::Span<net::Channel* const> channels,
                                          absl::Span<const crypto::Block> items,
                                          QuorumNoise noise, crypto::Prng& prng) const {
  LIAISON_ASSIGN_OR_RETURN(const int t, CheckCommon(params_, me, channels, items.size()));
  const int n = static_cast<int>(channels.size());
  if (!params_.count_only) return absl::InvalidArgumentError("quorum: Count needs count_only");
  if (params_.reveal != QuorumReveal::kHolders) {
    return absl::InvalidArgumentError("quorum: a count-only run reveals no items");
  }
  const int max_parties = t == 1 ? kMaxQuorumParties - 1 : kMaxQuorumParties;
  if (n > max_parties) {
    return absl::InvalidArgumentError(
        StrCat("quorum: counting with t = ", t, " takes at most ", max_parties, " parties"));
  }
  if (params_.dp.has_value() != noise.drawn()) {
    return absl::InvalidArgumentError(params_.dp ? "quorum: DP count without drawn noise"
                                                 : "quorum: noise given for an exact count");
  }
  QuorumCount result;
  if (params_.dp) {
    LIAISON_ASSIGN_OR_RETURN(dp::Mechanism m, DpMechanism(*params_.dp));
    if (m.noise.kind() != noise.mechanism_->noise.kind() ||
        m.noise.parameter() != noise.mechanism_->noise.parameter()) {
      return absl::InvalidArgumentError("quorum: the noise was drawn for other DP parameters");
    }
    result.mechanism = std::move(m);
    result.num_noises = n - 1;
  }
  const int64_t own = noise.drawn() ? noise.value_->value() : 0;
  absl::StatusOr<int64_t> total;
  try {
    Party party(params_, t, me, channels, items, prng);
    // Two's complement: the noise, scaled, added mod 2^64.
    total = party.Count(static_cast<uint64_t>(own) * party.Scale());
  } catch (const std::bad_alloc&) {
    total = absl::ResourceExhaustedError("quorum: out of memory");
  }
  if (!total.ok()) {
    internal::CloseAll(channels);
    return total.status();
  }
  // Our own noise protects nothing against us: the release keeps the
  // other parties' noises only.
  result.estimate = *total - own;
  return result;
}

}  // namespace liaison::mpsi
