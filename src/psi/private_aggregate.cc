#include "psi/private_aggregate.h"

#include <algorithm>
#include <bit>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "dp/rational.h"
#include "dp/sampler.h"
#include "mpc/shares.h"
#include "okvs/okvs.h"
#include "psi/internal/item_hash.h"
#include "psi/internal/seed_commit.h"
#include "psi/internal/wire_header.h"
#include "psi/shared_output_psi.h"

namespace liaison::psi {
namespace {

using crypto::Block;

constexpr internal::WireProtocol kWire{PrivateAggregate::kProtocolName, 0x47415044,  // "DPAG"
                                       PrivateAggregate::kProtocolVersion};
constexpr size_t kMaxRationalLen = 256;

// Mechanism bytes of the header. kWireNoNoise is the test-only noise-free
// mode; no production side ever accepts it.
enum WireMechanism : uint8_t { kWireNoNoise = 0, kWireLaplace = 1, kWireGaussian = 2 };

struct Header {
  uint32_t version = 0;
  AggregateKind kind = AggregateKind::kCount;
  bool sender_receives = false;
  bool other_receives = false;
  bool has_values = false;
  uint8_t mechanism = kWireNoNoise;
  bool malicious = false;
  std::string epsilon;        // dp::FormatRational
  std::string delta;          // "" when absent
  std::string count_epsilon;  // "" when absent
  int64_t lo = 0;
  int64_t hi = 0;
  uint64_t set_size = 0;
  uint64_t chunk_len = 0;
  // seed is ours, or the peer's once opened; the header carries the
  // commitment (psi/internal/seed_commit.h).
  Block seed;
  crypto::Digest256 commitment{};
};

Bytes EncodeHeader(const Header& h) {
  ByteWriter w;
  internal::WriteHeaderStart(w, kWire);
  w.U8(h.kind == AggregateKind::kCount ? 0 : 1);
  w.U8(h.sender_receives ? 1 : 0);
  w.U8(h.other_receives ? 1 : 0);
  w.U8(h.has_values ? 1 : 0);
  w.U8(h.mechanism);
  w.U8(h.malicious ? 1 : 0);
  w.String(h.epsilon);
  w.String(h.delta);
  w.String(h.count_epsilon);
  w.U64(static_cast<uint64_t>(h.lo));
  w.U64(static_cast<uint64_t>(h.hi));
  w.U64(h.set_size);
  w.U64(h.chunk_len);
  w.Raw(ByteSpan(h.commitment.data(), h.commitment.size()));
  return w.Take();
}

absl::StatusOr<Header> DecodeHeader(ByteSpan msg) {
  ByteReader r(msg);
  LIAISON_RETURN_IF_ERROR(internal::ReadHeaderStart(r, kWire));
  Header h;
  h.version = kWire.version;
  LIAISON_ASSIGN_OR_RETURN(uint8_t kind, internal::ReadFlag(r, kWire, "kind"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t sender_receives, internal::ReadFlag(r, kWire, "recipients"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t other_receives, internal::ReadFlag(r, kWire, "recipients"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t has_values, internal::ReadFlag(r, kWire, "value side"));
  LIAISON_ASSIGN_OR_RETURN(h.mechanism,
                           internal::ReadFlag(r, kWire, "mechanism", kWireGaussian));
  LIAISON_ASSIGN_OR_RETURN(uint8_t security, internal::ReadFlag(r, kWire, "security"));
  h.kind = kind == 0 ? AggregateKind::kCount : AggregateKind::kSum;
  h.sender_receives = sender_receives == 1;
  h.other_receives = other_receives == 1;
  h.has_values = has_values == 1;
  h.malicious = security == 1;
  LIAISON_ASSIGN_OR_RETURN(h.epsilon, r.String("dp-aggregate epsilon", kMaxRationalLen));
  LIAISON_ASSIGN_OR_RETURN(h.delta, r.String("dp-aggregate delta", kMaxRationalLen));
  LIAISON_ASSIGN_OR_RETURN(h.count_epsilon,
                           r.String("dp-aggregate count epsilon", kMaxRationalLen));
  LIAISON_ASSIGN_OR_RETURN(uint64_t lo, r.U64("dp-aggregate lo"));
  LIAISON_ASSIGN_OR_RETURN(uint64_t hi, r.U64("dp-aggregate hi"));
  h.lo = static_cast<int64_t>(lo);
  h.hi = static_cast<int64_t>(hi);
  LIAISON_ASSIGN_OR_RETURN(h.set_size, r.U64("dp-aggregate set size"));
  LIAISON_ASSIGN_OR_RETURN(h.chunk_len, r.U64("dp-aggregate chunk length"));
  LIAISON_ASSIGN_OR_RETURN(ByteSpan commitment,
                           r.Raw(internal::kSeedCommitmentLen, "dp-aggregate seed commitment"));
  std::copy(commitment.begin(), commitment.end(), h.commitment.begin());
  LIAISON_RETURN_IF_ERROR(r.ExpectEnd("dp-aggregate header"));
  return h;
}

std::string_view WireMechanismName(uint8_t m) {
  switch (m) {
    case kWireLaplace:
      return "discrete_laplace";
    case kWireGaussian:
      return "discrete_gaussian";
    default:
      return "no noise (insecure test mode)";
  }
}

std::string OrNone(const std::string& s) { return s.empty() ? std::string("none") : s; }

// CheckPeerHeader returns FailedPrecondition naming the first public
// parameter on which the peer's header differs from ours.
absl::Status CheckPeerHeader(const Header& mine, const Header& peer) {
  auto differs = [](std::string_view what, std::string_view ours, std::string_view theirs) {
    return absl::FailedPreconditionError(StrCat("the peer's dp-aggregate ", what,
                                                " differs: ours ", ours, ", the peer's ",
                                                theirs));
  };
  if (peer.malicious != mine.malicious) {
    return differs("security model", mine.malicious ? "malicious" : "semi-honest",
                   peer.malicious ? "malicious" : "semi-honest");
  }
  if (peer.kind != mine.kind) {
    return differs("aggregate", AggregateKindName(mine.kind), AggregateKindName(peer.kind));
  }
  if (peer.sender_receives != mine.other_receives || peer.other_receives != mine.sender_receives) {
    return absl::FailedPreconditionError("the peer's dp-aggregate result recipients differ");
  }
  if (peer.mechanism != mine.mechanism) {
    return differs("noise mechanism", WireMechanismName(mine.mechanism),
                   WireMechanismName(peer.mechanism));
  }
  // The header holds exact rationals ("1/2"); people read decimals.
  auto shown = [](const std::string& s) { return OrNone(dp::RationalTextForPeople(s)); };
  if (peer.epsilon != mine.epsilon) {
    return differs("epsilon", shown(mine.epsilon), shown(peer.epsilon));
  }
  if (peer.delta != mine.delta) return differs("delta", shown(mine.delta), shown(peer.delta));
  if (peer.count_epsilon != mine.count_epsilon) {
    return differs("count epsilon", shown(mine.count_epsilon), shown(peer.count_epsilon));
  }
  if (mine.kind == AggregateKind::kSum) {
    if (peer.lo != mine.lo || peer.hi != mine.hi) {
      return differs("bounds", StrCat("[", mine.lo, ", ", mine.hi, "]"),
                     StrCat("[", peer.lo, ", ", peer.hi, "]"));
    }
    if (peer.has_values == mine.has_values) {
      return absl::FailedPreconditionError(
          mine.has_values ? "both sides bring values to dp-aggregate sum; exactly one must"
                          : "neither side brings values to dp-aggregate sum; exactly one must");
    }
  } else if (peer.has_values) {
    return absl::FailedPreconditionError("the peer brings values to a dp-aggregate count");
  }
  return absl::OkStatus();
}

// IAmReceiver returns whether this side is the shared-output PSI's
// receiver R (see the header's Roles).
absl::StatusOr<bool> IAmReceiver(const Header& mine, const Header& peer) {
  if (mine.kind == AggregateKind::kSum) return !mine.has_values;
  if (mine.sender_receives != mine.other_receives) return mine.sender_receives;
  if (mine.set_size != peer.set_size) return mine.set_size < peer.set_size;
  if (mine.seed != peer.seed) return mine.seed < peer.seed;
  return absl::FailedPreconditionError("dp-aggregate cannot break the role tie: equal seeds");
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) return b > 0 ? INT64_MAX : INT64_MIN;
  return out;
}

Release MakeRelease(uint64_t revealed, const dp::Mechanism& mechanism, bool noise_free) {
  Release r;
  r.estimate = static_cast<int64_t>(revealed);
  r.report = dp::Describe(mechanism);
  if (noise_free) {
    r.report.mechanism = "none_insecure_test_mode";
    r.report.half_width_95 = 0;
    r.report.half_width_95_two_noises = 0;
  }
  r.ci95_lo = SaturatingAdd(r.estimate, -r.report.half_width_95);
  r.ci95_hi = SaturatingAdd(r.estimate, r.report.half_width_95);
  return r;
}

bool SameSpec(const DpAggregateSpec& a, const DpAggregateSpec& b) {
  return a.kind == b.kind && a.epsilon == b.epsilon && a.delta == b.delta && a.lo == b.lo &&
         a.hi == b.hi && a.count_epsilon == b.count_epsilon && a.malicious == b.malicious;
}

}  // namespace

std::string_view AggregateKindName(AggregateKind kind) {
  return kind == AggregateKind::kCount ? "count" : "sum";
}

absl::StatusOr<AggregateMechanisms> CalibrateAggregate(const DpAggregateSpec& spec) {
  if (spec.epsilon <= 0) return absl::InvalidArgumentError("epsilon: must be positive");
  if (spec.delta && (*spec.delta <= 0 || *spec.delta >= 1)) {
    return absl::InvalidArgumentError("delta: must lie strictly between 0 and 1");
  }
  auto calibrate = [&](uint64_t sensitivity,
                       const mpq_class& epsilon) -> absl::StatusOr<dp::Mechanism> {
    if (spec.delta) return dp::CalibrateGaussianForApproxDp(sensitivity, epsilon, *spec.delta);
    return dp::CalibrateLaplace(sensitivity, epsilon);
  };
  // Against a deviating receiver one item of the simple-hashing side feeds
  // up to kMaliciousBinsPerItem comparisons, and a sum bin adds anything in
  // a range of width W (SumValueCode).
  const uint64_t per_item = spec.malicious ? kMaliciousBinsPerItem : 1;
  const uint64_t count_sensitivity = per_item * dp::kCountSensitivity;
  if (spec.kind == AggregateKind::kCount) {
    if (spec.count_epsilon) {
      return absl::InvalidArgumentError(
          "count epsilon: only for sum mode (count mode's --epsilon is the count's)");
    }
    LIAISON_ASSIGN_OR_RETURN(dp::Mechanism main, calibrate(count_sensitivity, spec.epsilon));
    dp::PrivacyCost total = main.cost;
    return AggregateMechanisms{std::move(main), std::nullopt, std::move(total)};
  }
  LIAISON_ASSIGN_OR_RETURN(uint64_t sensitivity, dp::SumSensitivity(spec.lo, spec.hi));
  if (spec.malicious) {
    LIAISON_ASSIGN_OR_RETURN(SumValueCode code, MakeSumValueCode(spec.lo, spec.hi));
    if (code.width > (uint64_t{1} << 60) / per_item) {
      return absl::InvalidArgumentError(
          "bounds: too wide for a malicious-mode sum (the value code needs over 60 bits)");
    }
    sensitivity = per_item * code.width;
  }
  LIAISON_ASSIGN_OR_RETURN(dp::Mechanism main, calibrate(sensitivity, spec.epsilon));
  dp::PrivacyCost total = main.cost;
  std::optional<dp::Mechanism> count;
  if (spec.count_epsilon) {
    if (*spec.count_epsilon <= 0) {
      return absl::InvalidArgumentError("count epsilon: must be positive");
    }
    LIAISON_ASSIGN_OR_RETURN(count, calibrate(count_sensitivity, *spec.count_epsilon));
    total = dp::Compose(total, count->cost);
  }
  return AggregateMechanisms{std::move(main), std::move(count), std::move(total)};
}

absl::Status CheckSumRange(uint64_t num_values, int64_t lo, int64_t hi) {
  LIAISON_ASSIGN_OR_RETURN(uint64_t magnitude, dp::SumSensitivity(lo, hi));
  const unsigned __int128 bound = static_cast<unsigned __int128>(num_values) * magnitude;
  if (bound >= (static_cast<unsigned __int128>(1) << 62)) {
    return absl::InvalidArgumentError(
        StrCat("sum range: ", num_values, " values of magnitude up to ", magnitude,
               " could reach 2^62; narrow --bounds or split the input"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SumValueCode> MakeSumValueCode(int64_t lo, int64_t hi) {
  if (lo > hi) return absl::InvalidArgumentError("bounds: lo is above hi");
  auto width = [](uint64_t magnitude) { return static_cast<int>(std::bit_width(magnitude)); };
  SumValueCode code;
  code.lo = lo;
  code.hi = hi;
  int k;
  if (lo >= 0) {
    k = std::max(1, width(static_cast<uint64_t>(hi)));
  } else if (hi <= 0) {
    k = std::max(1, width(0 - static_cast<uint64_t>(lo)));
  } else {
    // Two's complement: k bits hold [−2^(k−1), 2^(k−1) − 1].
    k = 1 + std::max(width(static_cast<uint64_t>(hi)), width(0 - static_cast<uint64_t>(lo) - 1));
  }
  if (k > 63) return absl::InvalidArgumentError("bounds: too wide for a value code");
  code.bits = k;
  code.width = (uint64_t{1} << k) - 1;
  for (int i = 0; i < k; ++i) {
    uint64_t w = uint64_t{1} << i;
    if (hi <= 0 && lo < 0) w = 0 - w;                  // codes of −v
    if (lo < 0 && hi > 0 && i == k - 1) w = 0 - w;     // the sign bit
    code.weights.push_back(w);
  }
  return code;
}

uint64_t SumValueCode::Encode(int64_t clamped) const {
  const uint64_t mask = width;  // 2^bits − 1
  if (hi <= 0 && lo < 0) return (0 - static_cast<uint64_t>(clamped)) & mask;
  return static_cast<uint64_t>(clamped) & mask;  // unsigned, or two's complement
}

absl::StatusOr<AggregateNoise> AggregateNoise::Draw(const DpAggregateSpec& spec,
                                                    crypto::Prng& prng) {
  LIAISON_ASSIGN_OR_RETURN(AggregateMechanisms mechanisms, CalibrateAggregate(spec));
  AggregateNoise out;
  out.spec_ = spec;
  // Two's complement: adding the int64 noise mod 2^64 adds it to the sum.
  dp::SecretNoise main = dp::SampleNoise(mechanisms.main.noise, prng);
  out.main_ = mpc::SecretU64(static_cast<uint64_t>(main.value()));
  if (mechanisms.count) {
    dp::SecretNoise count = dp::SampleNoise(mechanisms.count->noise, prng);
    out.count_ = mpc::SecretU64(static_cast<uint64_t>(count.value()));
  }
  out.drawn_ = true;
  return out;
}

absl::StatusOr<PrivateAggregateResult> PrivateAggregate::Run(
    net::Channel& channel, absl::Span<const std::string> items,
    absl::Span<const int64_t> values, AggregateNoise noise, crypto::Prng& prng) const {
  const PrivateAggregateParams& p = params_;
  const DpAggregateSpec& spec = p.spec;
  const bool sum_mode = spec.kind == AggregateKind::kSum;
  if (!p.i_receive && !p.peer_receives) {
    return absl::InvalidArgumentError("dp-aggregate needs at least one side to receive");
  }
  if (!sum_mode && p.has_values) {
    return absl::InvalidArgumentError("dp-aggregate count takes no values");
  }
  if (sum_mode && p.has_values && p.i_receive && !p.peer_receives) {
    return absl::InvalidArgumentError(
        "dp-aggregate sum: the result must go to the side without values, or to both");
  }
  if (spec.malicious && p.i_receive && p.peer_receives) {
    // Each side's data is protected only where that side alone fixes what
    // it reveals: the simple-hashing side S, revealing to R.
    return absl::InvalidArgumentError(
        "dp-aggregate in malicious mode gives the result to one side only");
  }
  if (!noise_free_ && (!noise.drawn_ || !SameSpec(noise.spec_, spec))) {
    return absl::InvalidArgumentError(
        "dp-aggregate: the noise was not drawn for this job's parameters");
  }
  if (p.has_values ? values.size() != items.size() : !values.empty()) {
    return absl::InvalidArgumentError(
        StrCat("dp-aggregate: ", values.size(), " values for ", items.size(), " items"));
  }
  if (items.size() > UINT32_MAX - 1) {
    return absl::InvalidArgumentError("dp-aggregate takes at most 2^32 - 2 items per side");
  }
  if (p.chunk_len == 0 || p.chunk_len > UINT32_MAX ||
      p.chunk_len * 16 + net::kFrameHeaderLen > channel.max_message_len()) {
    return absl::InvalidArgumentError("dp-aggregate chunk length does not fit the channel");
  }
  LIAISON_ASSIGN_OR_RETURN(AggregateMechanisms mechanisms, CalibrateAggregate(spec));
  if (sum_mode && p.has_values) {
    LIAISON_RETURN_IF_ERROR(CheckSumRange(items.size(), spec.lo, spec.hi));
  }
  const int threads = p.num_threads > 0 ? p.num_threads : DefaultThreads();

  // The noise was drawn before the channel was opened (AggregateNoise).
  if (noise_free_) noise = AggregateNoise();

  Header mine;
  mine.version = kProtocolVersion;
  mine.kind = spec.kind;
  mine.sender_receives = p.i_receive;
  mine.other_receives = p.peer_receives;
  mine.has_values = p.has_values;
  mine.mechanism = noise_free_ ? kWireNoNoise : spec.delta ? kWireGaussian : kWireLaplace;
  mine.malicious = spec.malicious;
  mine.epsilon = dp::FormatRational(spec.epsilon);
  if (spec.delta) mine.delta = dp::FormatRational(*spec.delta);
  if (spec.count_epsilon) mine.count_epsilon = dp::FormatRational(*spec.count_epsilon);
  if (sum_mode) {
    mine.lo = spec.lo;
    mine.hi = spec.hi;
  }
  mine.set_size = items.size();
  mine.chunk_len = p.chunk_len;
  mine.seed = prng.NextBlock();
  mine.commitment = internal::CommitSeed(mine.seed);
  LIAISON_RETURN_IF_ERROR(channel.Send(EncodeHeader(mine)));
  LIAISON_ASSIGN_OR_RETURN(Bytes header_msg, channel.Recv());
  LIAISON_ASSIGN_OR_RETURN(Header peer, DecodeHeader(header_msg));
  LIAISON_RETURN_IF_ERROR(CheckPeerHeader(mine, peer));
  if (peer.set_size > p.max_peer_items || peer.set_size > UINT32_MAX - 1) {
    return absl::FailedPreconditionError(
        StrCat("the peer's set of ", peer.set_size, " items exceeds our limit of ",
               std::min<uint64_t>(p.max_peer_items, UINT32_MAX - 1)));
  }
  if (sum_mode && peer.has_values) {
    absl::Status range = CheckSumRange(peer.set_size, spec.lo, spec.hi);
    if (!range.ok()) return absl::FailedPreconditionError(range.message());
  }
  if (peer.chunk_len == 0 || peer.chunk_len > UINT32_MAX ||
      peer.chunk_len * 16 + net::kFrameHeaderLen > channel.max_message_len()) {
    return absl::FailedPreconditionError(
        "the peer's dp-aggregate chunk length does not fit our channel");
  }
  LIAISON_ASSIGN_OR_RETURN(
      peer.seed, internal::OpenSeeds(channel, mine.seed, peer.commitment, "dp-aggregate"));
  LIAISON_ASSIGN_OR_RETURN(bool i_am_r, IAmReceiver(mine, peer));

  // Shares of the aggregates.
  std::vector<Block> keys(items.size());
  internal::HashItems(internal::ItemHashKey(mine.seed ^ peer.seed), items,
                      absl::MakeSpan(keys), threads);
  SharedOutputPsiParams sp;
  sp.with_sum = sum_mode;
  sp.malicious = spec.malicious;
  std::optional<SumValueCode> code;
  if (sum_mode && spec.malicious) {
    LIAISON_ASSIGN_OR_RETURN(code, MakeSumValueCode(spec.lo, spec.hi));
    sp.value_bit_weights = code->weights;
  }
  sp.num_threads = threads;
  sp.chunk_len = p.chunk_len;
  sp.progress = p.progress;
  absl::StatusOr<SharedAggregates> shares;
  if (i_am_r) {
    shares = SharedOutputPsiReceiver(sp).Run(channel, keys, peer.set_size, prng);
  } else {
    std::vector<uint64_t> clamped(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      const int64_t v = dp::Clamp(values[i], spec.lo, spec.hi);
      clamped[i] = code ? code->Encode(v) : static_cast<uint64_t>(v);
    }
    shares = SharedOutputPsiSender(sp).Run(channel, keys, clamped, peer.set_size, prng);
    SecureWipe(clamped.data(), clamped.size() * sizeof(uint64_t));
  }
  if (okvs::IsDuplicateKeysError(shares.status())) {
    return okvs::DuplicateKeysError(StrCat("dp-aggregate items must be distinct (",
                                           std::string(shares.status().message()), ")"));
  }
  LIAISON_RETURN_IF_ERROR(shares.status());

  // The released words, in order: the main aggregate, then the count when
  // sum mode releases one too.
  const mpc::SecretU64& main_share = sum_mode ? shares->sum : shares->count;
  const bool with_count = mechanisms.count.has_value();
  const size_t num_words = with_count ? 2 : 1;
  if (p.peer_receives) {
    ByteWriter w(8 * num_words);
    w.U64(main_share.value() + noise.main_.value());
    if (with_count) w.U64(shares->count.value() + noise.count_.value());
    LIAISON_RETURN_IF_ERROR(channel.Send(w.Take()));
  }
  PrivateAggregateResult result;
  result.peer_set_size = peer.set_size;
  result.total_cost = mechanisms.total;
  if (!p.i_receive) return result;
  LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
  if (msg.size() != 8 * num_words) {
    return absl::DataLossError(
        StrCat("peer's noised share is ", msg.size(), " bytes, expected ", 8 * num_words));
  }
  ByteReader r(msg);
  LIAISON_ASSIGN_OR_RETURN(uint64_t peer_main, r.U64("noised share"));
  Release main_release =
      MakeRelease(main_share.value() + peer_main, mechanisms.main, noise_free_);
  if (sum_mode) {
    result.sum = std::move(main_release);
  } else {
    result.count = std::move(main_release);
  }
  if (with_count) {
    LIAISON_ASSIGN_OR_RETURN(uint64_t peer_count, r.U64("noised count share"));
    result.count =
        MakeRelease(shares->count.value() + peer_count, *mechanisms.count, noise_free_);
  }
  result.received = true;
  return result;
}

std::optional<uint64_t> PrivateAggregate::AnnouncedSetSize(ByteSpan header) {
  absl::StatusOr<Header> h = DecodeHeader(header);
  return h.ok() ? std::optional<uint64_t>(h->set_size) : std::nullopt;
}

}  // namespace liaison::psi
