#include "session/psi_job.h"

#include <chrono>

#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"

namespace liaison::session {

std::string_view ModeName(psi::PsiOutput output) {
  return output == psi::PsiOutput::kIntersection ? "match" : "count";
}

absl::StatusOr<PsiJobResult> RunPsiJob(net::Channel& channel, const PsiJobParams& params,
                                       absl::Span<const std::string> keys,
                                       crypto::Prng& prng) {
  if (params.protocol != psi::EcdhPsi::kProtocolName) {
    return absl::InvalidArgumentError(
        StrCat("unknown protocol '", params.protocol, "' (available: ecdh-psi)"));
  }
  auto start = std::chrono::steady_clock::now();
  uint64_t sent0 = channel.bytes_sent(), received0 = channel.bytes_received();

  Offer offer;
  offer.protocol = std::string(psi::EcdhPsi::kProtocolName);
  offer.protocol_version = psi::EcdhPsi::kProtocolVersion;
  offer.mode = std::string(ModeName(params.output));
  offer.profile_name = std::string(params.profile->name());
  offer.profile_version = static_cast<uint32_t>(params.profile->version());
  offer.profile_digest = params.profile->digest();
  offer.set_size = keys.size();
  offer.result_to = params.result_to;
  offer.software_version = kVersion;
  offer.max_peer_set_size = params.max_peer_set_size;

  PsiJobResult out;
  LIAISON_ASSIGN_OR_RETURN(out.agreed, Handshake(channel, offer));

  psi::EcdhPsiParams proto;
  proto.output = params.output;
  proto.i_receive = out.agreed.i_receive;
  proto.peer_receives = out.agreed.peer_receives;
  proto.num_threads = params.num_threads;
  proto.progress = params.progress;
  LIAISON_ASSIGN_OR_RETURN(psi::PsiResult r, psi::EcdhPsi(proto).Run(channel, keys, prng));
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
