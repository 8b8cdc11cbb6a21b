#include "session/psi_job.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/build_info.h"
#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"
#include "dp/rational.h"

namespace liaison::session {

std::string_view ModeName(psi::PsiOutput output) {
  return output == psi::PsiOutput::kIntersection ? "match" : "count";
}

bool HasMaliciousVariant(std::string_view protocol, std::string_view mode) {
  return protocol == psi::Rr22Psi::kProtocolName &&
         (mode == "match" || mode == "count" || mode == "sum");
}

absl::StatusOr<DpOffer> MakeDpOffer(const psi::DpAggregateSpec& spec, bool has_values) {
  LIAISON_ASSIGN_OR_RETURN(psi::AggregateMechanisms m, psi::CalibrateAggregate(spec));
  DpOffer o;
  o.mechanism = m.main.noise.kind() == dp::NoiseKind::kDiscreteLaplace ? "discrete_laplace"
                                                                       : "discrete_gaussian";
  o.epsilon = dp::FormatRational(spec.epsilon);
  if (spec.delta) o.delta = dp::FormatRational(*spec.delta);
  if (spec.count_epsilon) o.count_epsilon = dp::FormatRational(*spec.count_epsilon);
  if (spec.kind == psi::AggregateKind::kSum) {
    o.lo = spec.lo;
    o.hi = spec.hi;
  }
  o.has_values = has_values;
  return o;
}

namespace {

// The header layouts PeerHeaderSetSize reads. A new version of a protocol
// may move its set size: read its header here again before raising these.
static_assert(psi::EcdhPsi::kProtocolVersion == 1, "PeerHeaderSetSize reads ecdh-psi v1");
static_assert(psi::Rr22Psi::kProtocolVersion == 3, "PeerHeaderSetSize reads rr22-psi v3");
static_assert(psi::PrivateAggregate::kProtocolVersion == 2,
              "PeerHeaderSetSize reads dp-aggregate v2");
// PeerHeaderSetSize returns the set size announced by `msg`, the peer's
// first message of `protocol` (its header), or nullopt if `msg` is not a
// well-formed header of our version (the protocol then refuses it itself,
// before any data).
std::optional<uint64_t> PeerHeaderSetSize(std::string_view protocol, ByteSpan msg) {
  if (protocol == psi::EcdhPsi::kProtocolName) return psi::EcdhPsi::AnnouncedSetSize(msg);
  if (protocol == psi::Rr22Psi::kProtocolName) return psi::Rr22Psi::AnnouncedSetSize(msg);
  if (protocol == psi::PrivateAggregate::kProtocolName) {
    return psi::PrivateAggregate::AnnouncedSetSize(msg);
  }
  return std::nullopt;
}

// AgreedSizeChannel passes a protocol's messages through and checks the
// first one it receives — the peer's protocol header — against the set size
// the peer announced in the handshake: a peer cannot agree on one size and
// then run the protocol with another. The message is withheld from the
// protocol (DataLoss) when they differ, so the protocol stops at the header.
class AgreedSizeChannel final : public net::Channel {
 public:
  AgreedSizeChannel(net::Channel& inner, std::string_view protocol, uint64_t agreed)
      : inner_(inner), protocol_(protocol), agreed_(agreed) {
    set_max_message_len(inner.max_message_len());
  }

  void Close() override { inner_.Close(); }
  void SetTimeout(absl::Duration timeout) override { inner_.SetTimeout(timeout); }

 protected:
  absl::Status DoSend(ByteSpan message) override { return inner_.Send(message); }

  absl::StatusOr<Bytes> DoRecv(size_t max_len) override {
    inner_.set_max_message_len(max_len);
    LIAISON_ASSIGN_OR_RETURN(Bytes m, inner_.Recv());
    if (!checked_) {
      checked_ = true;
      std::optional<uint64_t> announced = PeerHeaderSetSize(protocol_, m);
      if (announced && *announced != agreed_) {
        return absl::DataLossError(StrCat("the peer announced ", agreed_,
                                          " items in the handshake but its ", protocol_,
                                          " header announces ", *announced));
      }
    }
    return m;
  }

 private:
  net::Channel& inner_;
  std::string protocol_;
  uint64_t agreed_;
  bool checked_ = false;
};

// ProtocolVersion returns the version of a known protocol, or 0.
uint32_t ProtocolVersion(std::string_view protocol) {
  if (protocol == psi::EcdhPsi::kProtocolName) return psi::EcdhPsi::kProtocolVersion;
  if (protocol == psi::Rr22Psi::kProtocolName) return psi::Rr22Psi::kProtocolVersion;
  if (protocol == psi::PrivateAggregate::kProtocolName) {
    return psi::PrivateAggregate::kProtocolVersion;
  }
  return 0;
}

absl::StatusOr<psi::PsiResult> RunProtocol(net::Channel& channel, const PsiJobParams& params,
                                           const Agreed& agreed,
                                           absl::Span<const std::string> keys,
                                           crypto::Prng& prng) {
  if (params.protocol == psi::Rr22Psi::kProtocolName) {
    psi::Rr22PsiParams p;
    p.output = params.output;
    p.i_receive = agreed.i_receive;
    p.peer_receives = agreed.peer_receives;
    p.num_threads = params.num_threads;
    p.progress = params.progress;
    p.malicious = params.security == Security::kMalicious;
    if (params.max_peer_set_size < p.max_peer_items) p.max_peer_items = params.max_peer_set_size;
    return psi::Rr22Psi(p).Run(channel, keys, prng);
  }
  psi::EcdhPsiParams p;
  p.output = params.output;
  p.i_receive = agreed.i_receive;
  p.peer_receives = agreed.peer_receives;
  p.num_threads = params.num_threads;
  p.progress = params.progress;
  return psi::EcdhPsi(p).Run(channel, keys, prng);
}

}  // namespace

absl::StatusOr<PsiJobResult> RunPsiJob(net::Channel& channel, const PsiJobParams& params,
                                       absl::Span<const std::string> keys,
                                       crypto::Prng& prng, absl::Span<const int64_t> values,
                                       psi::AggregateNoise dp_noise) {
  if (params.dp) {
    if (params.protocol != psi::Rr22Psi::kProtocolName) {
      return absl::InvalidArgumentError(
          StrCat("differentially private ", psi::AggregateKindName(params.dp->kind),
                 " runs on rr22-psi only (it needs PSI with secret-shared output); leave out "
                 "--protocol ecdh"));
    }
    if (params.dp->malicious != (params.security == Security::kMalicious)) {
      return absl::InvalidArgumentError(
          "the DP parameters were calibrated for another security model than the job's");
    }
    if (!dp_noise.drawn()) {
      return absl::InvalidArgumentError(
          "a differentially private job needs its noise drawn before the channel is opened "
          "(psi::AggregateNoise::Draw)");
    }
    if (params.dp->kind == psi::AggregateKind::kCount && !values.empty()) {
      return absl::InvalidArgumentError("a count takes no values");
    }
    if (!values.empty() && values.size() != keys.size()) {
      return absl::InvalidArgumentError(
          StrCat(values.size(), " values for ", keys.size(), " items"));
    }
  } else if (!values.empty()) {
    return absl::InvalidArgumentError("values are only for a sum (--mode sum)");
  }
  const std::string protocol =
      params.dp ? std::string(psi::PrivateAggregate::kProtocolName) : params.protocol;
  const uint32_t version = ProtocolVersion(protocol);
  if (version == 0) {
    return absl::InvalidArgumentError(StrCat("unknown protocol '", params.protocol,
                                             "' (available: rr22-psi, ecdh-psi)"));
  }
  const std::string mode = params.dp ? std::string(psi::AggregateKindName(params.dp->kind))
                                     : std::string(ModeName(params.output));
  // An exact count is not a noised one: only the latter has a malicious mode.
  const std::string variant_mode =
      !params.dp && params.output == psi::PsiOutput::kCardinality ? "exact count" : mode;
  if (params.security == Security::kMalicious &&
      !HasMaliciousVariant(params.protocol, variant_mode)) {
    return absl::InvalidArgumentError(
        StrCat(params.protocol, " ", variant_mode,
               " is semi-honest only (it has no malicious-secure variant); leave out --security "
               "malicious",
               params.protocol == psi::EcdhPsi::kProtocolName ? " or use --protocol rr22" : ""));
  }
  auto start = std::chrono::steady_clock::now();
  uint64_t sent0 = channel.bytes_sent(), received0 = channel.bytes_received();

  Offer offer;
  offer.protocol = protocol;
  offer.protocol_version = version;
  offer.mode = mode;
  if (params.dp) {
    LIAISON_ASSIGN_OR_RETURN(offer.dp, MakeDpOffer(*params.dp, !values.empty()));
  }
  offer.profile_name = std::string(params.profile->name());
  offer.profile_version = static_cast<uint32_t>(params.profile->version());
  offer.profile_digest = params.profile->digest();
  offer.set_size = keys.size();
  offer.result_to = params.result_to;
  offer.software_version = kVersion;
  offer.security = params.security;
  offer.max_peer_set_size = params.max_peer_set_size;
  offer.build = BuildDigestOrEmpty();
  offer.require_build = params.require_build;
  offer.expected_peer_set_size = params.expected_peer_set_size;

  PsiJobResult out;
  LIAISON_ASSIGN_OR_RETURN(out.agreed, Handshake(channel, offer));
  // The protocol runs on the agreed sizes: its header may not announce
  // another (the check after the run stays, for what the header cannot say).
  AgreedSizeChannel agreed_channel(channel, protocol, out.agreed.peer.set_size);
  if (params.dp) {
    psi::PrivateAggregateParams p;
    p.spec = *params.dp;
    p.i_receive = out.agreed.i_receive;
    p.peer_receives = out.agreed.peer_receives;
    p.has_values = !values.empty();
    p.num_threads = params.num_threads;
    p.progress = params.progress;
    if (params.max_peer_set_size < p.max_peer_items) p.max_peer_items = params.max_peer_set_size;
    LIAISON_ASSIGN_OR_RETURN(psi::PrivateAggregateResult r,
                             psi::PrivateAggregate(p).Run(agreed_channel, keys, values,
                                                                      std::move(dp_noise), prng));
    if (r.peer_set_size != out.agreed.peer.set_size) {
      return absl::DataLossError(
          StrCat("the peer announced ", out.agreed.peer.set_size,
                 " items in the handshake but brought ", r.peer_set_size));
    }
    out.received = r.received;
    out.aggregate = std::move(r);
    out.bytes_sent = channel.bytes_sent() - sent0;
    out.bytes_received = channel.bytes_received() - received0;
    out.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }
  LIAISON_ASSIGN_OR_RETURN(psi::PsiResult r,
                           RunProtocol(agreed_channel, params, out.agreed, keys, prng));
  if (r.peer_set_size != out.agreed.peer.set_size) {
    return absl::DataLossError(
        StrCat("the peer announced ", out.agreed.peer.set_size,
               " items in the handshake but brought ", r.peer_set_size));
  }
  out.matched_keys = std::move(r.matched);
  out.intersection_size = r.intersection_size;
  out.received = r.received;
  out.bytes_sent = channel.bytes_sent() - sent0;
  out.bytes_received = channel.bytes_received() - received0;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace liaison::session
