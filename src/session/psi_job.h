// A private-match job between two sides, independent of how they are
// connected: the session handshake, then the PSI protocol, then the result
// mapped back to this side's records. The command line runs it over TLS; the
// tests over LocalPair.
#ifndef LIAISON_SESSION_PSI_JOB_H_
#define LIAISON_SESSION_PSI_JOB_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/prng.h"
#include "data/profile.h"
#include "net/channel.h"
#include "psi/ecdh_psi.h"
#include "psi/private_aggregate.h"
#include "psi/rr22_psi.h"
#include "session/handshake.h"

namespace liaison::session {

struct PsiJobParams {
  // protocol is "rr22-psi" (the default: VOLE/OKVS-based, match mode only)
  // or "ecdh-psi" (match and count).
  std::string protocol = "rr22-psi";
  psi::PsiOutput output = psi::PsiOutput::kIntersection;
  ResultTo result_to = ResultTo::kBoth;
  // security: semi-honest (the default) or malicious (where
  // HasMaliciousVariant says so); part of the handshake, so both sides must
  // ask for the same.
  Security security = Security::kSemiHonest;
  uint64_t max_peer_set_size = UINT64_MAX;
  // require_build, when not empty, lists the peer builds this side accepts
  // (session::Offer::require_build). This side announces the build digest
  // of its own executable (base/build_info.h).
  std::vector<std::string> require_build;
  // expected_peer_set_size, when set, is the exact set size the peer
  // announced before the session (a node's offer or verdict); the handshake
  // refuses any other (Offer::expected_peer_set_size).
  std::optional<uint64_t> expected_peer_set_size;
  // dp, when set, makes the job a differentially private count or sum
  // (psi/private_aggregate.h; rr22-psi only); `output` is then ignored. Its
  // parameters go into the handshake; dp->malicious must match `security`.
  std::optional<psi::DpAggregateSpec> dp;
  const data::Profile* profile = &data::Profile::V1();
  int num_threads = 0;  // 0: all hardware threads
  psi::ProgressFn progress;
};

struct PsiJobResult {
  Agreed agreed;
  // matched_keys: indices into the job's unique keys that matched
  // (intersection mode, receiving side only), increasing.
  std::vector<size_t> matched_keys;
  uint64_t intersection_size = 0;  // exact modes only
  // aggregate: the released values of a DP job (receiving side), with
  // their mechanism and interval; no items.
  std::optional<psi::PrivateAggregateResult> aggregate;
  bool received = false;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  double seconds = 0;
};

// HasMaliciousVariant reports whether `protocol` ("rr22-psi", "ecdh-psi")
// has a malicious-secure variant for `mode`: "match" (an exact match),
// "count" or "sum" (differentially private, psi/private_aggregate.h), or
// "exact count" (the cardinality without noise). It is the one rule of which
// jobs can run with Security::kMalicious, for the command line, RunPsiJob
// and the node's policy alike: rr22-psi match, count and sum.
bool HasMaliciousVariant(std::string_view protocol, std::string_view mode);

// ModeName is "match" for the intersection and "count" for the cardinality.
std::string_view ModeName(psi::PsiOutput output);

// MakeDpOffer returns the handshake's DP parameters for `spec`, from the
// view of a side that brings values or not.
absl::StatusOr<DpOffer> MakeDpOffer(const psi::DpAggregateSpec& spec, bool has_values);

// RunPsiJob runs the handshake and the protocol named in `params` with this
// side's distinct match keys (data::MatchKey of each unique canonical item).
// For a DP sum, the values side passes one value per key (`values`, e.g.
// RecordSet::key_values), the other side none. A DP job takes its noise,
// drawn with psi::AggregateNoise::Draw(*params.dp, ...) BEFORE the channel
// was opened, so that the peer cannot time the sampler (`dp_noise`).
// The protocol runs on the sizes agreed in the handshake: a peer whose
// protocol header announces another set size is DataLoss at that header,
// before any protocol data (docs/wire/session.md), and so is a protocol run
// that counted another size for the peer.
// Errors are those of Handshake and of the protocol; InvalidArgument, before
// any message, for an unknown protocol name, for malicious security where
// HasMaliciousVariant says there is none, for DP modes with ecdh-psi, and
// for a DP job without its noise or whose dp->malicious differs from
// `security`.
absl::StatusOr<PsiJobResult> RunPsiJob(net::Channel& channel, const PsiJobParams& params,
                                       absl::Span<const std::string> keys,
                                       crypto::Prng& prng,
                                       absl::Span<const int64_t> values = {},
                                       psi::AggregateNoise dp_noise = {});

}  // namespace liaison::session

#endif  // LIAISON_SESSION_PSI_JOB_H_
