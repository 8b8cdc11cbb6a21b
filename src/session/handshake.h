// The session handshake: before any protocol data moves, the two sides
// exchange what they are about to do and stop, both of them, on the first
// thing that differs. It covers the protocol (name, version and security
// model), the question (mode), the normalisation profile (name, version, digest), who receives the
// result, the set sizes (against each side's limit), the software version
// and the build (the digest of each side's executable, base/build_info.h),
// which a side may require to be one of an agreed list (docs/trust.md).
//
// Wire (docs/wire/session.md): each side sends one Offer, then one Verdict
// after checking the peer's Offer. Both messages are sent before the peer's
// is read, so the handshake is two flights whichever side starts.
#ifndef LIAISON_SESSION_HANDSHAKE_H_
#define LIAISON_SESSION_HANDSHAKE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "net/channel.h"
#include "session/job_params.h"

namespace liaison::session {

// ResultTo and Security are the job vocabulary's (job_params.h).

// DpOffer is the differential-privacy part of an offer (count and sum modes
// with --epsilon): the mechanism and its exact parameters, so that both
// sides agree on them before any data moves. All public.
struct DpOffer {
  std::string mechanism;      // "discrete_laplace" or "discrete_gaussian"
  std::string epsilon;        // exact rationals (dp::FormatRational): "1/10"
  std::string delta;          // "" for the Laplace mechanism
  std::string count_epsilon;  // sum mode: the noised count's ε, or ""
  int64_t lo = 0;             // sum mode: the value bounds
  int64_t hi = 0;
  bool has_values = false;    // the speaker brings the values (sum mode)
};

struct Offer {
  std::string protocol;        // e.g. "ecdh-psi"
  uint32_t protocol_version = 0;
  std::string mode;            // "match" or "count"
  std::string profile_name;
  uint32_t profile_version = 0;
  std::string profile_digest;  // lower-case hex
  uint64_t set_size = 0;       // unique items this side brings
  ResultTo result_to = ResultTo::kBoth;
  std::string software_version;  // liaison::kVersion
  Security security = Security::kSemiHonest;
  // dp is set for differentially private count and sum; both sides must
  // send equal ones (but for has_values: exactly one side brings values in
  // sum mode, and the result must not go to it alone).
  std::optional<DpOffer> dp;
  // max_peer_set_size is this side's limit on the peer's set size; it is
  // checked locally and not sent.
  uint64_t max_peer_set_size = UINT64_MAX;
  // build is the speaker's build digest, "sha256:" and 64 lower-case hex
  // digits (base/build_info.h), or "" when it could not be computed. It is
  // a claim, not attestation (docs/trust.md).
  std::string build;
  // require_build, when not empty, lists the builds this side accepts from
  // the peer (canonical, as `liaison version` prints them); any other build,
  // or none, is refused with PermissionDenied. Checked locally and not sent.
  std::vector<std::string> require_build;
  // expected_peer_set_size, when set, is the exact set size the peer must
  // bring: the size it announced before the session (a node's job offer or
  // verdict), on which this side's policy and budgets were checked and
  // charged. Checked locally, not sent.
  std::optional<uint64_t> expected_peer_set_size;
};

// Agreed is what both sides settled on.
struct Agreed {
  Offer peer;          // the peer's offer as received; peer.build is its build
  bool i_receive = false;
  bool peer_receives = false;
};

// Handshake sends `mine`, reads the peer's offer, checks it and exchanges
// verdicts. On success both sides have agreed on everything. Errors:
// FailedPrecondition with one line naming what differed (for DP jobs the
// mechanism, ε, δ, bounds, count ε or who brings the values) ("normalisation
// profile differs: ours liaison-indicators v1 (sha256 1a2b…), peer's …") when
// either side found a mismatch — the peer's reason is relayed; PermissionDenied
// when a set size exceeds a side's limit or differs from the size a side
// expects (expected_peer_set_size: "the peer announced 1 items in its offer
// and brings 50"), or when a side's require_build does not list the other's
// build ("the peer runs build sha256:…, not one we require …"; the other
// side gets "the peer refused the session: our build sha256:… is not one it
// requires …"); DataLoss for a malformed message; transport errors as the
// channel returns them. On any error no protocol data has been sent. Each
// of the peer's two messages is refused from its length prefix if it is
// longer than kMaxHandshakeMessageLen (DataLoss), before it is buffered.
absl::StatusOr<Agreed> Handshake(net::Channel& channel, const Offer& mine);

// kMaxHandshakeMessageLen bounds a session offer or verdict from the peer.
inline constexpr size_t kMaxHandshakeMessageLen = 16 * 1024;

// CompatibleSoftware reports whether two software versions may run a
// session together: same major version, and for 0.x versions the same minor
// version (semantic versioning's rule for pre-1.0 releases).
bool CompatibleSoftware(std::string_view a, std::string_view b);

}  // namespace liaison::session

#endif  // LIAISON_SESSION_HANDSHAKE_H_
