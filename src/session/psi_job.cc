#include "session/psi_job.h"

#include <chrono>

#include "base/build_info.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"
#include "dp/rational.h"

namespace liaison::session {

std::string_view ModeName(psi::PsiOutput output) {
  return output == psi::PsiOutput::kIntersection ? "match" : "count";
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
  if (params.protocol == psi::EcdhPsi::kProtocolName &&
      params.security == Security::kMalicious) {
    return absl::InvalidArgumentError(
        "ecdh-psi is semi-honest only; use --protocol rr22 for --security malicious");
  }
  if (params.output == psi::PsiOutput::kCardinality &&
      params.security == Security::kMalicious) {
    return absl::InvalidArgumentError(
        "count mode is semi-honest only; leave out --security malicious");
  }
  auto start = std::chrono::steady_clock::now();
  uint64_t sent0 = channel.bytes_sent(), received0 = channel.bytes_received();

  Offer offer;
  offer.protocol = protocol;
  offer.protocol_version = version;
  offer.mode = params.dp ? std::string(psi::AggregateKindName(params.dp->kind))
                         : std::string(ModeName(params.output));
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

  PsiJobResult out;
  LIAISON_ASSIGN_OR_RETURN(out.agreed, Handshake(channel, offer));
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
                             psi::PrivateAggregate(p).Run(channel, keys, values,
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
                           RunProtocol(channel, params, out.agreed, keys, prng));
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
