// The Channel between nodes: TLS 1.3 over TCP (IPv4 or IPv6) with mutual
// authentication, the peer pinned by the fingerprint of its key (identity.h).
//
// Trust. Each side presents its node certificate and accepts the peer's
// self-signed certificate only if the fingerprint of its public key equals the
// expected one; the TLS handshake proves possession of the matching private
// key. No CA, name or validity period is consulted: the pin is the trust
// decision, as with SSH host keys. A mismatch fails the handshake before any
// application message, on both sides, with PermissionDenied. Sessions are
// never resumed (resumption would skip the key check).
//
// Wire format, after the handshake:
//   1. The server sends the kTlsServerReady bytes. TLS 1.3 lets a client
//      finish its handshake before the server has checked the client's
//      certificate; waiting for these bytes makes TlsConnect itself fail
//      (PermissionDenied) when the server refuses our key.
//   2. Each message is a u32 big-endian length (kFrameHeaderLen bytes) and
//      the payload, in both directions.
//   3. Close sends a TLS close_notify alert and then waits (at most the
//      smaller of io_timeout and 5 s; one round trip normally) until the
//      peer's TCP has acknowledged everything sent, so that closing cannot
//      turn into a reset that destroys the end of our last message.
//
// Timeouts. TlsOptions::io_timeout (changed later with SetTimeout) bounds
// each wait for the peer: Recv fails with DeadlineExceeded when no byte of
// the awaited message arrives for that long, and Send when the peer accepts
// no byte for that long. Progress restarts the clock, so a large message on a
// slow link does not time out while it moves.
//
// Failures. Once a Send has failed, every later Send fails with the same
// status (part of a frame may have gone out). Once Recv has returned DataLoss
// (the stream is out of step), every later Recv does too. A Recv that timed
// out may be retried.
//
// Send never waits for the peer's Recv (channel.h): the socket is
// non-blocking, and while the socket cannot take more outgoing data, Send
// reads whatever the peer sends into a receive buffer that Recv consumes
// first. So two nodes may both send large messages before either receives.
// That buffer is bounded only by what the peer sends before we Recv it; the
// peer is authenticated and pinned, so this is trusted with memory the same
// way LocalPair is.
#ifndef LIAISON_NET_TLS_CHANNEL_H_
#define LIAISON_NET_TLS_CHANNEL_H_

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/channel.h"
#include "net/identity.h"

namespace liaison::net {

// kTlsServerReady is what the server sends first, once it has accepted the
// client's key.
inline constexpr std::string_view kTlsServerReady = "liaison-ready-1\n";

struct TlsOptions {
  // identity is this node's key and certificate. It must outlive the call
  // that takes these options (TlsConnect or TlsListener::Listen); the TLS
  // context keeps its own references to the key and certificate.
  const Identity* identity = nullptr;
  // peer_fingerprint pins the peer's key, in any form NormalizeFingerprint
  // accepts.
  std::string peer_fingerprint;
  // connect_timeout bounds how long TlsConnect keeps trying to reach a
  // listener.
  absl::Duration connect_timeout = absl::Seconds(30);
  // io_timeout bounds the TLS handshake and, afterwards, each wait for the
  // peer in Send and Recv (see above).
  absl::Duration io_timeout = absl::Seconds(60);
  // peer_fingerprints, for a TlsListener only, pins several peers: a client
  // presenting any of these keys is accepted (Accept says which). When it is
  // not empty, peer_fingerprint is ignored. TlsConnect refuses it
  // (InvalidArgument): a connection always pins exactly one peer.
  std::vector<std::string> peer_fingerprints;
};

// TlsConnect connects to `host`:`port` (a name, an IPv4 or an IPv6 address),
// performs the TLS handshake and waits for the server to accept our key. While
// nobody listens it retries, backing off from 50 ms to 1 s, until
// connect_timeout has passed, so both nodes may be started at the same time.
//
// It returns InvalidArgument for bad options (no identity, malformed
// fingerprint), DeadlineExceeded naming the address if no listener answered in
// time or the handshake took longer than io_timeout, PermissionDenied if the
// server's key is not the pinned one or the server refused ours, and
// Unavailable if the host cannot be resolved or the handshake fails otherwise.
// When no connection was made in time, the message gives the most telling
// failure of all attempts to all the addresses the host resolved to, with
// that address: a refused connection ("1.2.3.4:7400 refused the connection")
// before a network error (unreachable), before a resolver failing for now,
// before "no answer ... (timed out)". A connection whose TLS handshake
// fails is not retried: that error is returned at once.
absl::StatusOr<std::unique_ptr<Channel>> TlsConnect(const std::string& host,
                                                    uint16_t port,
                                                    const TlsOptions& options);

// PendingTls is a TCP connection a TlsListener accepted whose TLS handshake
// has not run yet. Handshake may run on any thread, so that a server
// handshakes with many clients at once and a client that never finishes
// holds up nobody else.
class PendingTls {
 public:
  PendingTls(PendingTls&& other) noexcept;
  PendingTls& operator=(PendingTls&&) = delete;
  PendingTls(const PendingTls&) = delete;
  ~PendingTls();

  // address is the client's "host:port" ("[v6]:port"); host its address
  // alone, the unit of per-source limits.
  const std::string& address() const { return address_; }
  const std::string& host() const { return host_; }

  // Handshake completes the TLS handshake and the pinned-key check within
  // `timeout` (DeadlineExceeded after it), as TlsListener::Accept does; the
  // channel then waits io_timeout for the peer. It may be called once.
  absl::StatusOr<std::unique_ptr<Channel>> Handshake(absl::Duration timeout,
                                                     std::string* peer_fingerprint = nullptr);

  // AbortHandle returns a handle that shuts the connection down from any
  // thread, so that a Handshake waiting on it fails at once; it stays
  // valid (and harmless) after the connection is closed.
  class Abort;
  std::shared_ptr<Abort> abort_handle() const { return abort_; }

 private:
  friend class TlsListener;
  PendingTls(int fd, SSL_CTX* ctx, std::vector<std::string> peer_fingerprints,
             std::string own_fingerprint, absl::Duration io_timeout, std::string address,
             std::string host);

  int fd_;
  SSL_CTX* ctx_;  // a reference of its own
  std::vector<std::string> peer_fingerprints_;
  std::string own_fingerprint_;
  absl::Duration io_timeout_;
  std::string address_;
  std::string host_;
  std::shared_ptr<Abort> abort_;
};

// PendingTls::Abort shuts down the socket of a PendingTls (Now), through a
// descriptor of its own, so calling it after the connection was closed is
// safe.
class PendingTls::Abort {
 public:
  explicit Abort(int fd);
  ~Abort();
  Abort(const Abort&) = delete;
  Abort& operator=(const Abort&) = delete;
  void Now();

 private:
  int fd_;
};

// TlsListener accepts TLS connections from one pinned peer (or from any of a
// set of pinned peers, TlsOptions::peer_fingerprints). Not thread-safe;
// the channels it returns are independent of it and may outlive it.
class TlsListener {
 public:
  // Listen binds `addr`:`port` and listens. `addr` is an IPv4 or IPv6 address
  // or a host name; "" or "::" listen on all interfaces (IPv6 and, where the
  // system allows it, IPv4); port 0 picks a free port (see port()). Returns
  // InvalidArgument for bad options or an address that does not resolve, and
  // Unavailable if the address cannot be bound (in use, not local).
  static absl::StatusOr<std::unique_ptr<TlsListener>> Listen(
      const std::string& addr, uint16_t port, const TlsOptions& options);

  ~TlsListener();
  TlsListener(const TlsListener&) = delete;
  TlsListener& operator=(const TlsListener&) = delete;

  // port returns the bound port.
  uint16_t port() const { return port_; }

  // Accept waits up to `timeout` for a connection (DeadlineExceeded if none
  // comes), then completes the handshake within io_timeout. A peer presenting
  // another key than the pinned one gets PermissionDenied here and its
  // connection is closed; the listener stays usable. On success, if
  // `peer_fingerprint` is not null it receives the canonical fingerprint of
  // the key the peer presented (one of the pinned ones).
  absl::StatusOr<std::unique_ptr<Channel>> Accept(absl::Duration timeout,
                                                  std::string* peer_fingerprint = nullptr);

  // AcceptConnection waits up to `timeout` for a connection (DeadlineExceeded
  // if none comes) and returns it before its handshake, which the caller
  // runs (PendingTls::Handshake), on this thread or another.
  absl::StatusOr<PendingTls> AcceptConnection(absl::Duration timeout);

 private:
  TlsListener(int fd, uint16_t port, SSL_CTX* ctx, std::vector<std::string> peer_fingerprints,
              std::string own_fingerprint, absl::Duration io_timeout);

  int fd_;
  uint16_t port_;
  SSL_CTX* ctx_;
  std::vector<std::string> peer_fingerprints_;
  std::string own_fingerprint_;
  absl::Duration io_timeout_;
};

}  // namespace liaison::net

#endif  // LIAISON_NET_TLS_CHANNEL_H_
