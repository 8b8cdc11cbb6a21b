#include "session/psi_job.h"

#include <chrono>

#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"

namespace liaison::session {

std::string_view ModeName(psi::PsiOutput output) {
  return output == psi::PsiOutput::kIntersection ? "match" : "count";
}

namespace {

// ProtocolVersion returns the version of a known protocol, or 0.
uint32_t ProtocolVersion(std::string_view protocol) {
  if (protocol == psi::EcdhPsi::kProtocolName) return psi::EcdhPsi::kProtocolVersion;
  if (protocol == psi::Rr22Psi::kProtocolName) return psi::Rr22Psi::kProtocolVersion;
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
                                       crypto::Prng& prng) {
  const uint32_t version = ProtocolVersion(params.protocol);
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
  offer.protocol = params.protocol;
  offer.protocol_version = version;
  offer.mode = std::string(ModeName(params.output));
  offer.profile_name = std::string(params.profile->name());
  offer.profile_version = static_cast<uint32_t>(params.profile->version());
  offer.profile_digest = params.profile->digest();
  offer.set_size = keys.size();
  offer.result_to = params.result_to;
  offer.software_version = kVersion;
  offer.security = params.security;
  offer.max_peer_set_size = params.max_peer_set_size;

  PsiJobResult out;
  LIAISON_ASSIGN_OR_RETURN(out.agreed, Handshake(channel, offer));
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
