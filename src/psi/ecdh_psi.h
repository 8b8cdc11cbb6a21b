// ECDH PSI: the Diffie–Hellman private set intersection of Meadows (1986)
// and Huberman–Franklin–Hogg (1999), on Curve25519.
//
// Each side hashes its items to the curve (RFC 9380 hash_to_curve, suite
// curve25519_XMD:SHA-512_ELL2_NU_) and blinds them with a fresh secret
// scalar: A_i = [a]H(x_i), B_j = [b]H(y_j). Each side re-blinds what the
// other sent, and [ab]H(x) = [ba]H(y) exactly when x = y. Points are x-only
// Montgomery u-coordinates; the clamped scalars are multiples of 8, so the
// blinded values lie in the prime-order subgroup.
//
// Security model: semi-honest (honest-but-curious), in the random-oracle
// model under the decisional Diffie–Hellman assumption on Curve25519. A
// malicious peer can substitute its set at will (as in any PSI) and can make
// the result wrong; it cannot learn more than below without breaking DDH.
//
// What each party learns (|X| = n is ours, |Y| = m the peer's):
//  - both sides learn n and m;
//  - a side that receives the result in match mode learns X ∩ Y and nothing
//    about Y \ X;
//  - a side that receives the result in count mode learns |X ∩ Y| only: the
//    peer returns the re-blinded values sorted by value, which is a random
//    permutation the receiver cannot invert;
//  - a side that does not receive the result learns nothing beyond n.
// Everything sent is sorted by value (a random permutation), so nothing
// about either side's input order leaks.
//
// Rounds: two flights per side (blinded set out; re-blinded peer set back),
// streamed in chunks of `chunk_len` points.
// Bytes sent per side: 32·n (own blinded set) + 32·m if the peer receives
// (its re-blinded set), plus 40 bytes of header and 4 per chunk.
// Memory: about 32·(2n + 2m) bytes plus the caller's items.
// Work per side: n hash-to-curve + n + m scalar multiplications (m only when
// someone needs the re-blinded peer set, which is always), spread over
// `num_threads` threads.
#ifndef LIAISON_PSI_ECDH_PSI_H_
#define LIAISON_PSI_ECDH_PSI_H_

#include <cstdint>
#include <optional>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "absl/types/span.h"
#include "crypto/prng.h"
#include "net/channel.h"
#include "psi/psi.h"

namespace liaison::psi {

struct EcdhPsiParams {
  PsiOutput output = PsiOutput::kIntersection;
  bool i_receive = true;      // this side learns the result
  bool peer_receives = true;  // the other side learns the result
  int num_threads = 0;        // 0: all hardware threads
  size_t chunk_len = size_t{1} << 14;  // points per message
  ProgressFn progress;        // optional
};

// EcdhPsi is one side of the protocol; the two sides run the same code with
// mirrored `i_receive` / `peer_receives`.
class EcdhPsi {
 public:
  static constexpr std::string_view kProtocolName = "ecdh-psi";
  static constexpr uint32_t kProtocolVersion = 1;

  // AnnouncedSetSize returns the set size a peer's first message (its
  // header) announces, or nullopt if it is not a well-formed header of this
  // version (the protocol then refuses it itself).
  static std::optional<uint64_t> AnnouncedSetSize(ByteSpan header);

  explicit EcdhPsi(EcdhPsiParams params) : params_(std::move(params)) {}

  // Run executes the protocol over `channel` with this side's `items`, which
  // must be distinct (the caller deduplicates canonical values). Errors:
  // InvalidArgument for duplicate items or bad parameters; FailedPrecondition
  // when the peer runs another version or disagrees on the output or on who
  // receives it; DataLoss when the peer's messages are malformed, of the
  // wrong length, or carry points that are not canonical field elements;
  // transport errors (Unavailable, DeadlineExceeded) as the channel gives them.
  absl::StatusOr<PsiResult> Run(net::Channel& channel,
                                absl::Span<const std::string> items,
                                crypto::Prng& prng) const;

 private:
  EcdhPsiParams params_;
};

}  // namespace liaison::psi

#endif  // LIAISON_PSI_ECDH_PSI_H_
