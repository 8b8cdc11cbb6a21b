// The channels of an n-party job: a full mesh of mutually authenticated TLS
// channels (net/tls_channel.h), each pinned to the key the parties file
// gives for that member (session/parties.h).
//
// Topology (docs/protocols/quorum.md, section 4): for every pair of
// members the one with the higher index dials the one with the lower index.
// So every member but the last listens on its own address and accepts the
// members after it, and every member but the first dials the members before
// it; party 0 only listens, party n − 1 only dials. An accepted connection
// is told apart by the key it presents: the listener pins exactly the keys
// of the members after us, so a wrong or unknown key is refused in the TLS
// handshake (and the connection attempt keeps going, for the right member
// may still come). Dialling retries while nobody listens, so the members may
// be started in any order within the set-up timeout.
#ifndef LIAISON_SESSION_MESH_H_
#define LIAISON_SESSION_MESH_H_

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/channel.h"
#include "net/identity.h"
#include "session/parties.h"

namespace liaison::session {

struct MeshOptions {
  // setup_timeout bounds the whole set-up: every member must have dialled
  // and been dialled within it.
  absl::Duration setup_timeout = absl::Seconds(60);
  // io_timeout is each channel's wait for its peer afterwards
  // (net::TlsOptions::io_timeout, Channel::SetTimeout).
  absl::Duration io_timeout = absl::Seconds(60);
  // on_refused, when set, is told about each incoming connection refused
  // during the set-up (a wrong key, a failed handshake), with the reason;
  // it is called from the set-up's accepting thread.
  std::function<void(std::string_view reason)> on_refused;
};

// ConnectMesh sets up the channels of party `me` among `parties` with our
// `identity` (whose key the file pins for `me`; FindMe checks that). It
// returns one channel per member, indexed by party, null at `me`; the
// caller owns them. Every error of a returned channel names its member
// ("member bravo (10.0.0.2:7400): the peer closed the channel"), so that a
// member that drops mid-run is named at the others. `identity` is only
// used during the call.
//
// Errors, after closing every channel made: InvalidArgument for a bad
// index or identity; Unavailable when our address cannot be bound (in
// use, not local); PermissionDenied when a member we dial presents another
// key than the pinned one, or refuses ours; DeadlineExceeded naming the
// members that neither dialled us nor answered within setup_timeout (with
// the last refused connection, if any). A second connection from a member
// already connected replaces the first (it was restarted).
absl::StatusOr<std::vector<std::unique_ptr<net::Channel>>> ConnectMesh(
    absl::Span<const Party> parties, int me, const net::Identity& identity,
    const MeshOptions& options = {});

}  // namespace liaison::session

#endif  // LIAISON_SESSION_MESH_H_
