#include "net/tls_channel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <utility>

#include "base/status.h"
#include "base/strings.h"

namespace liaison::net {
namespace {

// kReadChunkLen leaves room for a whole TLS record (16 KiB of plaintext), so
// OpenSSL never keeps decrypted bytes back that poll() cannot see.
constexpr size_t kReadChunkLen = 64 << 10;
// kMaxPumpLen bounds how much one pass reads while a Send is blocked, so the
// Send gets back to writing as soon as the socket drains.
constexpr size_t kMaxPumpLen = 4 << 20;
// kCoalesceLen: messages up to this size go out in one TLS record together
// with their header.
constexpr size_t kCoalesceLen = 16 << 10;
// kKeepBufferLen: an idle receive buffer larger than this is released.
constexpr size_t kKeepBufferLen = 1 << 20;
// kMaxCloseLinger bounds how long Close waits for the peer to acknowledge
// what we sent (see Close).
constexpr absl::Duration kMaxCloseLinger = absl::Seconds(5);
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(50);
constexpr absl::Duration kMaxBackoff = absl::Seconds(1);
constexpr int kListenBacklog = 64;

// ---------------------------------------------------------------------------
// A socket BIO that sends with MSG_NOSIGNAL: OpenSSL's own socket BIO uses
// write(), which raises SIGPIPE (killing the process by default) when the
// peer has gone. A library must not change the process's signal handling.

struct SocketBioState {
  int fd = -1;
  int last_errno = 0;
  bool eof = false;
};

int SocketBioWrite(BIO* bio, const char* buf, int len) {
  auto* st = static_cast<SocketBioState*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  ssize_t n;
  do {
    n = send(st->fd, buf, static_cast<size_t>(len), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_write(bio);
    } else {
      st->last_errno = errno;
    }
    return -1;
  }
  return static_cast<int>(n);
}

int SocketBioRead(BIO* bio, char* buf, int len) {
  auto* st = static_cast<SocketBioState*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  ssize_t n;
  do {
    n = recv(st->fd, buf, static_cast<size_t>(len), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_read(bio);
    } else {
      st->last_errno = errno;
    }
    return -1;
  }
  if (n == 0) st->eof = true;
  return static_cast<int>(n);
}

long SocketBioCtrl(BIO* bio, int cmd, long, void*) {
  auto* st = static_cast<SocketBioState*>(BIO_get_data(bio));
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_EOF:
      // libssl asks this to tell a TCP FIN without close_notify from an error.
      return st != nullptr && st->eof ? 1 : 0;
    default:
      return 0;
  }
}

const BIO_METHOD* SocketBioMethod() {
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                 "liaison socket");
    if (m == nullptr) return static_cast<BIO_METHOD*>(nullptr);
    BIO_meth_set_write(m, SocketBioWrite);
    BIO_meth_set_read(m, SocketBioRead);
    BIO_meth_set_ctrl(m, SocketBioCtrl);
    return m;
  }();
  return method;
}

// ---------------------------------------------------------------------------
// Peer verification by pinned fingerprint.

// VerifyState is attached to an SSL for the duration of its handshake.
struct VerifyState {
  std::vector<std::string> expected;  // canonical fingerprints; any is accepted
  std::string presented;  // the peer's, once its certificate arrived
  bool mismatch = false;
};

// VerifyPeer replaces OpenSSL's chain verification: the peer's certificate is
// accepted iff the fingerprint of its key is the pinned one. The signature
// in the TLS handshake (CertificateVerify) then proves the peer holds the key.
int VerifyPeer(X509_STORE_CTX* store, void*) {
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* state = ssl == nullptr ? nullptr : static_cast<VerifyState*>(SSL_get_app_data(ssl));
  X509* cert = X509_STORE_CTX_get0_cert(store);
  if (state == nullptr || cert == nullptr) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  state->presented = CertificateFingerprint(cert);
  if (state->presented.empty() ||
      std::find(state->expected.begin(), state->expected.end(), state->presented) ==
          state->expected.end()) {
    state->mismatch = true;
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

// IsRefusalAlert tells whether a TLS alert from the peer means it would not
// accept our certificate.
bool IsRefusalAlert(int alert) {
  switch (alert) {
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_ACCESS_DENIED:
    case SSL_AD_CERTIFICATE_REQUIRED:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<SSL_CTX*> MakeContext(const Identity& identity, bool server) {
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr) {
    ERR_clear_error();
    return absl::InternalError("SSL_CTX_new failed");
  }
  static const unsigned char kSessionIdContext[] = "liaison";
  bool ok = SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1 &&
            SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1 &&
            // No resumption: a resumed session would skip the key check.
            SSL_CTX_set_num_tickets(ctx, 0) == 1 &&
            SSL_CTX_set_session_id_context(ctx, kSessionIdContext,
                                           sizeof(kSessionIdContext) - 1) == 1 &&
            SSL_CTX_use_certificate(ctx, identity.certificate()) == 1 &&
            SSL_CTX_use_PrivateKey(ctx, identity.private_key()) == 1 &&
            SSL_CTX_check_private_key(ctx) == 1;
  if (!ok) {
    unsigned long e = ERR_get_error();
    char buf[256] = "no detail";
    if (e != 0) ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return absl::InternalError(StrCat("setting up the TLS context failed (", buf, ")"));
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, VerifyPeer, nullptr);
  return ctx;
}

// CheckOptions validates `options` and returns the canonical fingerprints
// to accept: peer_fingerprint, or (for a listener, `allow_many`)
// peer_fingerprints when it is not empty.
absl::Status CheckOptions(const TlsOptions& options, bool allow_many,
                          std::vector<std::string>* expected) {
  if (options.identity == nullptr) {
    return absl::InvalidArgumentError("TlsOptions.identity is not set");
  }
  if (!options.peer_fingerprints.empty() && !allow_many) {
    return absl::InvalidArgumentError(
        "TlsOptions.peer_fingerprints is for listeners; a connection pins one peer");
  }
  std::vector<std::string> given = options.peer_fingerprints;
  if (given.empty()) given.push_back(options.peer_fingerprint);
  for (const std::string& f : given) {
    auto fp = NormalizeFingerprint(f);
    if (!fp.ok()) {
      return absl::InvalidArgumentError(
          StrCat("TlsOptions.peer_fingerprint: ", std::string(fp.status().message())));
    }
    expected->push_back(*std::move(fp));
  }
  return absl::OkStatus();
}

std::string FormatAddress(const sockaddr* sa, socklen_t len) {
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "(unknown address)";
  }
  if (sa->sa_family == AF_INET6) return StrCat("[", host, "]:", serv);
  return StrCat(host, ":", serv);
}

std::string DisplayHostPort(std::string_view host, uint16_t port) {
  if (host.find(':') != std::string_view::npos) return StrCat("[", host, "]:", port);
  return StrCat(host, ":", port);
}

std::string ErrnoText(int err) {
  char buf[128];
  // GNU strerror_r returns the message, which may not be in `buf`.
  return strerror_r(err, buf, sizeof(buf));
}

void ConfigureSocket(int fd) {
  int one = 1;
  // Protocol flights are often small; do not let Nagle hold them back.
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  // Socket buffer sizes are deliberately left to the kernel: on Linux,
  // setting SO_SNDBUF/SO_RCVBUF turns off TCP buffer auto-tuning and is capped
  // by net.core.[rw]mem_max, usually well below what auto-tuning reaches
  // (several MiB). Send's deadlock freedom does not depend on them.
}

// PollFd waits for `events` on `fd` until `deadline`. It returns the revents,
// or DeadlineExceeded without a message (callers say what timed out).
absl::StatusOr<short> PollFd(int fd, short events, absl::Time deadline) {
  for (;;) {
    int ms = -1;
    if (deadline != absl::InfiniteFuture()) {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("");
      int64_t l = absl::ToInt64Milliseconds(left) + 1;
      ms = static_cast<int>(std::min<int64_t>(l, INT_MAX));
    }
    pollfd p{fd, events, 0};
    int r = poll(&p, 1, ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(StrCat("poll failed: ", ErrnoText(errno)));
    }
    if (r == 0) continue;  // The deadline check above decides.
    return p.revents;
  }
}

absl::Time DeadlineAfter(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return absl::InfiniteFuture();
  return absl::Now() + d;
}

// ---------------------------------------------------------------------------

class TlsChannel final : public Channel {
 public:
  // TlsChannel takes ownership of the connected non-blocking socket `fd` and
  // of `ssl`.
  TlsChannel(int fd, SSL* ssl, std::string peer, absl::Duration timeout)
      : fd_(fd), ssl_(ssl), peer_(std::move(peer)), timeout_(timeout) {
    bio_state_.fd = fd_;
  }

  ~TlsChannel() override {
    Close();
    SSL_free(ssl_);
  }

  // Handshake runs the TLS handshake as client or server, checks the peer's
  // key against `expected` and exchanges kTlsServerReady (tls_channel.h).
  absl::Status Handshake(bool server, const std::vector<std::string>& expected,
                         const std::string& own, std::string* presented = nullptr) {
    own_fingerprint_ = own;
    BIO* bio = BIO_new(SocketBioMethod());
    if (bio == nullptr) {
      ERR_clear_error();
      return absl::InternalError("BIO_new failed");
    }
    BIO_set_data(bio, &bio_state_);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_, bio, bio);
    if (server) {
      SSL_set_accept_state(ssl_);
    } else {
      SSL_set_connect_state(ssl_);
    }

    VerifyState verify;
    verify.expected = expected;
    SSL_set_app_data(ssl_, &verify);
    absl::Status status = RunHandshake(verify);
    SSL_set_app_data(ssl_, nullptr);
    if (!status.ok()) return status;
    handshake_done_ = true;
    if (presented != nullptr) *presented = verify.presented;

    if (server) {
      status = WriteAll(AsBytes(kTlsServerReady));
      if (!status.ok()) send_broken_ = status;
      return status;
    }
    LIAISON_RETURN_IF_ERROR(FillTo(kTlsServerReady.size(), "waiting for the TLS server"));
    if (Buffered() < kTlsServerReady.size()) {
      return absl::UnavailableError(StrCat(
          "peer ", peer_, " closed the connection right after the TLS handshake"));
    }
    if (AsStringView(ByteSpan(rbuf_.data() + rbegin_, kTlsServerReady.size())) !=
        kTlsServerReady) {
      return absl::UnavailableError(
          StrCat("peer ", peer_, " does not speak the liaison protocol"));
    }
    Consume(kTlsServerReady.size());
    return absl::OkStatus();
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    const absl::Time deadline =
        handshake_done_ ? DeadlineAfter(std::min(timeout_, kMaxCloseLinger)) : absl::Now();
    if (handshake_done_ && !ssl_dead_ && send_broken_.ok()) {
      // Best effort close_notify, which tells the peer the stream ended here
      // and was not cut.
      for (;;) {
        ERR_clear_error();
        int r = SSL_shutdown(ssl_);
        if (r >= 0) break;
        if (SSL_get_error(ssl_, r) != SSL_ERROR_WANT_WRITE) break;
        if (!PollFd(fd_, POLLOUT, deadline).ok()) break;
      }
      ERR_clear_error();
    }
    shutdown(fd_, SHUT_WR);
    // If data arrives on a closed socket, the kernel answers with a reset,
    // which throws away whatever we sent that the peer has not acknowledged
    // yet (the end of our last message, say). So before closing, wait until
    // the peer's kernel has acknowledged all we sent, dropping what the peer
    // sends meanwhile. On a live connection this takes one round trip; a
    // peer that does not read at all costs at most kMaxCloseLinger.
    char sink[4096];
    for (;;) {
      ssize_t n = recv(fd_, sink, sizeof(sink), 0);
      if (n > 0) {
        if (absl::Now() >= deadline) break;
        continue;
      }
      if (n == 0) break;  // The peer has closed too.
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) break;
      if (UnacknowledgedBytes() == 0) break;
      if (absl::Now() >= deadline) break;
      (void)PollFd(fd_, POLLIN, std::min(deadline, absl::Now() + absl::Milliseconds(5)));
    }
    close(fd_);
    fd_ = -1;
    bio_state_.fd = -1;
    Bytes().swap(rbuf_);
    rbegin_ = rend_ = 0;
  }

  void SetTimeout(absl::Duration timeout) override { timeout_ = timeout; }

 protected:
  absl::Status DoSend(ByteSpan message) override {
    if (closed_) return absl::UnavailableError("the channel is closed");
    if (!send_broken_.ok()) return send_broken_;
    if (message.size() > UINT32_MAX) {
      return absl::InvalidArgumentError(
          StrCat("message of ", message.size(), " bytes does not fit a frame"));
    }
    uint8_t header[kFrameHeaderLen];
    const uint32_t len = static_cast<uint32_t>(message.size());
    header[0] = static_cast<uint8_t>(len >> 24);
    header[1] = static_cast<uint8_t>(len >> 16);
    header[2] = static_cast<uint8_t>(len >> 8);
    header[3] = static_cast<uint8_t>(len);
    absl::Status status;
    if (message.size() <= kCoalesceLen) {
      scratch_.assign(header, header + kFrameHeaderLen);
      scratch_.insert(scratch_.end(), message.begin(), message.end());
      status = WriteAll(scratch_);
    } else {
      status = WriteAll(ByteSpan(header, kFrameHeaderLen));
      if (status.ok()) status = WriteAll(message);
    }
    // A failed write may have sent part of a frame, and OpenSSL requires a
    // blocked write to be retried with the same data: either way the stream
    // cannot carry another message.
    if (!status.ok()) send_broken_ = status;
    return status;
  }

  absl::StatusOr<Bytes> DoRecv(size_t max_len) override {
    if (closed_) return absl::UnavailableError("the channel is closed");
    if (!recv_broken_.ok()) return recv_broken_;
    LIAISON_RETURN_IF_ERROR(FillTo(kFrameHeaderLen, "waiting for a message from"));
    if (Buffered() < kFrameHeaderLen) {
      if (Buffered() == 0) return PeerClosed();
      return BreakRecv();
    }
    const uint8_t* h = rbuf_.data() + rbegin_;
    const size_t len = static_cast<size_t>(uint32_t{h[0]} << 24 | uint32_t{h[1]} << 16 |
                                           uint32_t{h[2]} << 8 | uint32_t{h[3]});
    if (len > max_len) {
      recv_broken_ = absl::DataLossError(
          StrCat("peer ", peer_, " announced a message of ", len,
                 " bytes, above the limit of ", max_len));
      return recv_broken_;
    }
    const size_t frame_len = kFrameHeaderLen + len;
    LIAISON_RETURN_IF_ERROR(FillTo(frame_len, "waiting for the rest of a message from"));
    if (Buffered() < frame_len) return BreakRecv();
    const uint8_t* payload = rbuf_.data() + rbegin_ + kFrameHeaderLen;
    Bytes message(payload, payload + len);
    Consume(frame_len);
    return message;
  }

 private:
  enum class Want { kRead, kWrite };

  size_t Buffered() const { return rend_ - rbegin_; }

  // UnacknowledgedBytes returns how many bytes we sent that the peer's TCP
  // has not acknowledged (0 if the system cannot tell).
  int UnacknowledgedBytes() const {
    int pending = 0;
    if (ioctl(fd_, SIOCOUTQ, &pending) != 0) return 0;
    return pending;
  }

  void Consume(size_t n) {
    rbegin_ += n;
    if (rbegin_ == rend_) {
      rbegin_ = rend_ = 0;
      if (rbuf_.size() > kKeepBufferLen) Bytes().swap(rbuf_);
    }
  }

  // EnsureSpace makes at least `n` bytes free after rend_, moving the
  // unconsumed bytes to the front only when that costs no more than what was
  // consumed (so copying stays linear in the bytes received).
  void EnsureSpace(size_t n) {
    if (rbuf_.size() - rend_ >= n) return;
    if (rbegin_ > 0 && rbegin_ >= Buffered()) {
      std::memmove(rbuf_.data(), rbuf_.data() + rbegin_, Buffered());
      rend_ -= rbegin_;
      rbegin_ = 0;
      if (rbuf_.size() - rend_ >= n) return;
    }
    rbuf_.resize(std::max(rbuf_.size() * 2, rend_ + n));
  }

  absl::Status PeerClosed() const {
    if (clean_close_) {
      return absl::UnavailableError(StrCat("peer ", peer_, " closed the connection"));
    }
    return absl::UnavailableError(
        StrCat("peer ", peer_, " closed the connection (without TLS close_notify)"));
  }

  absl::Status BreakRecv() {
    recv_broken_ = absl::DataLossError(
        StrCat("peer ", peer_, " closed the connection in the middle of a message"));
    return recv_broken_;
  }

  // SslFailure turns a failed SSL call into a status and marks the
  // connection dead. It returns OK, with peer_eof_ set, when the failure is
  // the peer closing TCP without close_notify: that is an end of stream, and
  // whether it is an error depends on where in a message it falls.
  absl::Status SslFailure(int err, std::string_view doing) {
    ssl_dead_ = true;
    int alert = -1;
    int reason = 0;
    char first[256] = "";
    for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
      if (first[0] == '\0') ERR_error_string_n(e, first, sizeof(first));
      if (ERR_GET_LIB(e) != ERR_LIB_SSL) continue;
      int r = ERR_GET_REASON(e);
      if (reason == 0) reason = r;
      if (r >= SSL_AD_REASON_OFFSET && alert < 0) alert = r - SSL_AD_REASON_OFFSET;
    }
    absl::Status status;
    if (err == SSL_ERROR_SYSCALL || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      int e = bio_state_.last_errno;
      if (e == 0) {
        peer_eof_ = true;
        return absl::OkStatus();
      }
      // `doing` ends in a preposition ("while sending to"): the address
      // follows it.
      if (e == ECONNRESET || e == EPIPE) {
        status = absl::UnavailableError(
            StrCat("the connection was reset by the peer ", doing, " ", peer_));
      } else {
        status = absl::UnavailableError(
            StrCat("the connection failed ", doing, " ", peer_, ": ", ErrnoText(e)));
      }
    } else if (alert >= 0 && IsRefusalAlert(alert)) {
      status = absl::PermissionDeniedError(StrCat(
          "peer ", peer_, " refused our key ", own_fingerprint_, " (TLS alert: ",
          SSL_alert_desc_string_long(alert), "); it must pin that fingerprint"));
    } else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
      status = absl::PermissionDeniedError(
          StrCat("peer ", peer_, " presented no certificate"));
    } else if (reason == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC) {
      status = absl::DataLossError(
          StrCat("a TLS record from ", peer_, " failed authentication ", doing));
    } else {
      status = absl::UnavailableError(
          StrCat("TLS error ", doing, " ", peer_, ": ", first[0] ? first : "unknown"));
    }
    fatal_ = status;
    return status;
  }

  absl::Status RunHandshake(const VerifyState& verify) {
    const absl::Time deadline = DeadlineAfter(timeout_);
    for (;;) {
      ERR_clear_error();
      int r = SSL_do_handshake(ssl_);
      if (r == 1) return absl::OkStatus();
      int err = SSL_get_error(ssl_, r);
      short events;
      if (err == SSL_ERROR_WANT_READ) {
        events = POLLIN;
      } else if (err == SSL_ERROR_WANT_WRITE) {
        events = POLLOUT;
      } else if (verify.mismatch) {
        ssl_dead_ = true;
        ERR_clear_error();
        return absl::PermissionDeniedError(
            StrCat("peer ", peer_, " presented key ", verify.presented, " but ",
                   StrJoin(verify.expected, " or "), " was expected"));
      } else {
        absl::Status s = SslFailure(err, "during the TLS handshake with");
        if (s.ok()) {
          return absl::UnavailableError(
              StrCat("peer ", peer_, " closed the connection during the TLS handshake"));
        }
        return s;
      }
      absl::Status waited = PollFd(fd_, events, deadline).status();
      if (absl::IsDeadlineExceeded(waited)) {
        return absl::DeadlineExceededError(
            StrCat("TLS handshake with ", peer_, " did not complete within ",
                   absl::FormatDuration(timeout_)));
      }
      LIAISON_RETURN_IF_ERROR(waited);
    }
  }

  // PumpRead moves whatever plaintext is available into the receive buffer,
  // up to about `max_len` bytes, without waiting. `want` says what the
  // socket must become for more progress.
  absl::Status PumpRead(size_t max_len, Want* want) {
    *want = Want::kRead;
    size_t got = 0;
    while (!peer_eof_ && fatal_.ok() && got < max_len) {
      EnsureSpace(kReadChunkLen);
      size_t n = 0;
      ERR_clear_error();
      int r = SSL_read_ex(ssl_, rbuf_.data() + rend_, rbuf_.size() - rend_, &n);
      if (r == 1) {
        rend_ += n;
        got += n;
        continue;
      }
      int err = SSL_get_error(ssl_, r);
      switch (err) {
        case SSL_ERROR_WANT_READ:
          return absl::OkStatus();
        case SSL_ERROR_WANT_WRITE:
          *want = Want::kWrite;
          return absl::OkStatus();
        case SSL_ERROR_ZERO_RETURN:
          peer_eof_ = true;
          clean_close_ = true;
          return absl::OkStatus();
        default:
          return SslFailure(err, "while receiving from");
      }
    }
    return fatal_;
  }

  // FillTo waits until `need` bytes are buffered or the peer has closed
  // (then fewer are buffered and the caller decides what that means).
  absl::Status FillTo(size_t need, std::string_view waiting_for) {
    absl::Time deadline = DeadlineAfter(timeout_);
    // Size the buffer for the whole message at once (its length was checked).
    if (Buffered() < need) EnsureSpace(need - Buffered() + kReadChunkLen);
    while (Buffered() < need && !peer_eof_) {
      if (!fatal_.ok()) return fatal_;
      const size_t before = Buffered();
      Want want;
      // Read what this message needs, not all the peer is streaming.
      LIAISON_RETURN_IF_ERROR(PumpRead(need - Buffered(), &want));
      if (Buffered() >= need || peer_eof_) break;
      if (Buffered() > before) deadline = DeadlineAfter(timeout_);
      if (SSL_pending(ssl_) > 0) continue;
      absl::Status waited =
          PollFd(fd_, want == Want::kWrite ? POLLOUT : POLLIN, deadline).status();
      if (absl::IsDeadlineExceeded(waited)) {
        return absl::DeadlineExceededError(
            StrCat("timed out after ", absl::FormatDuration(timeout_), " ",
                   waiting_for, " ", peer_));
      }
      LIAISON_RETURN_IF_ERROR(waited);
    }
    return absl::OkStatus();
  }

  // WriteAll writes `data`. While the socket cannot take more, it keeps
  // reading the peer's data into the receive buffer, so that a peer which is
  // itself blocked sending to us can proceed (channel.h: Send never waits for
  // the peer's Recv).
  absl::Status WriteAll(ByteSpan data) {
    if (!fatal_.ok()) return fatal_;
    absl::Time deadline = DeadlineAfter(timeout_);
    size_t off = 0;
    while (off < data.size()) {
      size_t n = 0;
      ERR_clear_error();
      int r = SSL_write_ex(ssl_, data.data() + off, data.size() - off, &n);
      if (r == 1) {
        off += n;
        deadline = DeadlineAfter(timeout_);
        continue;
      }
      int err = SSL_get_error(ssl_, r);
      if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) {
        absl::Status s = SslFailure(err, "while sending to");
        if (s.ok()) s = PeerClosed();
        return s;
      }
      short events = err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
      if (!peer_eof_) {
        Want want;
        LIAISON_RETURN_IF_ERROR(PumpRead(kMaxPumpLen, &want));
        // After EOF the socket stays readable; polling for it would spin.
        if (!peer_eof_) events |= POLLIN;
      }
      if (SSL_pending(ssl_) > 0) continue;
      absl::Status waited = PollFd(fd_, events, deadline).status();
      if (absl::IsDeadlineExceeded(waited)) {
        return absl::DeadlineExceededError(
            StrCat("timed out after ", absl::FormatDuration(timeout_),
                   " sending to ", peer_, ": it is not reading"));
      }
      LIAISON_RETURN_IF_ERROR(waited);
    }
    return absl::OkStatus();
  }

  int fd_;
  SSL* ssl_;
  SocketBioState bio_state_;
  const std::string peer_;
  std::string own_fingerprint_;
  absl::Duration timeout_;

  // Received plaintext not yet returned by Recv: bytes [rbegin_, rend_).
  Bytes rbuf_;
  size_t rbegin_ = 0;
  size_t rend_ = 0;
  Bytes scratch_;

  bool handshake_done_ = false;
  bool closed_ = false;
  bool peer_eof_ = false;     // the peer will send nothing more
  bool clean_close_ = false;  // ... and said so with close_notify
  bool ssl_dead_ = false;     // a fatal TLS error: no close_notify possible
  absl::Status fatal_;        // the connection failed: no more I/O
  absl::Status send_broken_;  // a Send failed: the outgoing stream is broken
  absl::Status recv_broken_;  // framing lost: the incoming stream is broken
};

// ConnectOnce makes one non-blocking connection attempt to `ai`, waiting at
// most until `deadline`. Returns the socket or the errno.
int ConnectOnce(const addrinfo* ai, absl::Time deadline, int* err) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  ai->ai_protocol);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return fd;
  if (errno != EINPROGRESS) {
    *err = errno;
    close(fd);
    return -1;
  }
  auto ready = PollFd(fd, POLLOUT, deadline);
  // An attempt made at the deadline still takes an answer already there
  // (a refusal from a local host is), rather than calling it a timeout.
  pollfd now{fd, POLLOUT, 0};
  if (!ready.ok() && poll(&now, 1, 0) != 1) {
    *err = ETIMEDOUT;
    close(fd);
    return -1;
  }
  int so_error = 0;
  socklen_t len = sizeof(so_error);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
  if (so_error != 0) {
    *err = so_error;
    close(fd);
    return -1;
  }
  return fd;
}

struct AddrInfoFree {
  void operator()(addrinfo* ai) const { freeaddrinfo(ai); }
};

// ConnectFailure is why one attempt to reach the peer failed, ranked by how
// much it tells a person: the further an attempt got, the more it says.
struct ConnectFailure {
  int rank = -1;  // -1: no attempt yet
  std::string text;
};

// kRank*: a refusal means a host answered at that address and nothing
// listens on the port (wrong port, peer not started); another errno (host
// or network unreachable) comes from the network; a resolver that fails for
// now, or an attempt nobody answered, tells the least. A TLS failure is not
// ranked: it ends TlsConnect at once (a listener answered).
constexpr int kRankTimedOut = 0;
constexpr int kRankResolver = 1;
constexpr int kRankNetwork = 2;
constexpr int kRankRefused = 3;

ConnectFailure FailureOf(int err, const std::string& address) {
  if (err == ECONNREFUSED) {
    return {kRankRefused, StrCat(address, " refused the connection (nothing listens on that port)")};
  }
  if (err == ETIMEDOUT) return {kRankTimedOut, StrCat("no answer from ", address, " (timed out)")};
  return {kRankNetwork, StrCat(address, ": ", ErrnoText(err))};
}

// Keep replaces `best` with `f` when `f` tells at least as much: among
// equals, the latest attempt is the one reported.
void Keep(ConnectFailure& best, ConnectFailure f) {
  if (f.rank >= best.rank) best = std::move(f);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Channel>> TlsConnect(const std::string& host,
                                                    uint16_t port,
                                                    const TlsOptions& options) {
  std::vector<std::string> expected;
  LIAISON_RETURN_IF_ERROR(CheckOptions(options, /*allow_many=*/false, &expected));
  const std::string display = DisplayHostPort(host, port);
  const absl::Time deadline = DeadlineAfter(options.connect_timeout);
  const std::string port_str = std::to_string(port);

  absl::Duration backoff = kFirstBackoff;
  ConnectFailure best{kRankTimedOut, "no attempt was made"};
  int fd = -1;
  for (;;) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), port_str.c_str(), &hints, &res);
    std::unique_ptr<addrinfo, AddrInfoFree> owned(res);
    if (rc != 0 && rc != EAI_AGAIN) {
      return absl::UnavailableError(
          StrCat("cannot resolve ", display, ": ", gai_strerror(rc)));
    }
    if (rc == EAI_AGAIN) {
      Keep(best, {kRankResolver, StrCat("cannot resolve ", host, " for now: ", gai_strerror(rc))});
    }
    for (const addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
      int err = 0;
      fd = ConnectOnce(ai, deadline, &err);
      if (fd < 0) Keep(best, FailureOf(err, FormatAddress(ai->ai_addr, ai->ai_addrlen)));
    }
    if (fd >= 0) break;
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          StrCat("could not connect to ", display, " within ",
                 absl::FormatDuration(options.connect_timeout), ": ", best.text));
    }
    absl::SleepFor(std::min(backoff, left));
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  ConfigureSocket(fd);

  sockaddr_storage addr{};
  socklen_t addr_len = sizeof(addr);
  std::string peer = display;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) == 0) {
    peer = FormatAddress(reinterpret_cast<sockaddr*>(&addr), addr_len);
  }

  auto ctx = MakeContext(*options.identity, /*server=*/false);
  if (!ctx.ok()) {
    close(fd);
    return ctx.status();
  }
  SSL* ssl = SSL_new(*ctx);
  SSL_CTX_free(*ctx);  // The SSL holds its own reference.
  if (ssl == nullptr) {
    ERR_clear_error();
    close(fd);
    return absl::InternalError("SSL_new failed");
  }
  auto channel = std::make_unique<TlsChannel>(fd, ssl, peer, options.io_timeout);
  LIAISON_RETURN_IF_ERROR(
      channel->Handshake(/*server=*/false, expected, options.identity->fingerprint()));
  return std::unique_ptr<Channel>(std::move(channel));
}

absl::StatusOr<std::unique_ptr<TlsListener>> TlsListener::Listen(
    const std::string& addr, uint16_t port, const TlsOptions& options) {
  std::vector<std::string> expected;
  LIAISON_RETURN_IF_ERROR(CheckOptions(options, /*allow_many=*/true, &expected));
  const bool any = addr.empty() || addr == "::";
  const std::string port_str = std::to_string(port);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(any ? "::" : addr.c_str(), port_str.c_str(), &hints, &res);
  if (rc != 0 && any) {
    rc = getaddrinfo("0.0.0.0", port_str.c_str(), &hints, &res);
  }
  std::unique_ptr<addrinfo, AddrInfoFree> owned(res);
  if (rc != 0) {
    return absl::InvalidArgumentError(StrCat("cannot resolve listen address ",
                                             DisplayHostPort(addr, port), ": ",
                                             gai_strerror(rc)));
  }

  int fd = -1;
  std::string last_error;
  for (const addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                ai->ai_protocol);
    if (fd < 0) {
      last_error = ErrnoText(errno);
      continue;
    }
    int one = 1;
    int zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (any && ai->ai_family == AF_INET6) {
      // Accept IPv4 too (as IPv4-mapped addresses) where the system allows.
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, kListenBacklog) != 0) {
      last_error = ErrnoText(errno);
      close(fd);
      fd = -1;
    }
  }
  if (fd < 0) {
    return absl::UnavailableError(StrCat("cannot listen on ",
                                         DisplayHostPort(any ? "::" : addr, port),
                                         ": ", last_error));
  }

  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  uint16_t bound_port = port;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len) == 0) {
    if (bound.ss_family == AF_INET6) {
      bound_port = ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    } else if (bound.ss_family == AF_INET) {
      bound_port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    }
  }

  auto ctx = MakeContext(*options.identity, /*server=*/true);
  if (!ctx.ok()) {
    close(fd);
    return ctx.status();
  }
  return std::unique_ptr<TlsListener>(new TlsListener(fd, bound_port, *ctx, expected,
                                                      options.identity->fingerprint(),
                                                      options.io_timeout));
}

TlsListener::TlsListener(int fd, uint16_t port, SSL_CTX* ctx,
                         std::vector<std::string> peer_fingerprints,
                         std::string own_fingerprint, absl::Duration io_timeout)
    : fd_(fd),
      port_(port),
      ctx_(ctx),
      peer_fingerprints_(std::move(peer_fingerprints)),
      own_fingerprint_(std::move(own_fingerprint)),
      io_timeout_(io_timeout) {}

TlsListener::~TlsListener() {
  close(fd_);
  SSL_CTX_free(ctx_);
}

absl::StatusOr<std::unique_ptr<Channel>> TlsListener::Accept(absl::Duration timeout,
                                                             std::string* peer_fingerprint) {
  LIAISON_ASSIGN_OR_RETURN(PendingTls pending, AcceptConnection(timeout));
  return pending.Handshake(io_timeout_, peer_fingerprint);
}

absl::StatusOr<PendingTls> TlsListener::AcceptConnection(absl::Duration timeout) {
  const absl::Time deadline = DeadlineAfter(timeout);
  int fd = -1;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  while (fd < 0) {
    if (!PollFd(fd_, POLLIN, deadline).ok()) {
      return absl::DeadlineExceededError(
          StrCat("no connection on port ", port_, " within ",
                 absl::FormatDuration(timeout)));
    }
    addr_len = sizeof(addr);
    fd = accept4(fd_, reinterpret_cast<sockaddr*>(&addr), &addr_len,
                 SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
        errno != ECONNABORTED) {
      return absl::UnavailableError(
          StrCat("accept on port ", port_, " failed: ", ErrnoText(errno)));
    }
  }
  ConfigureSocket(fd);
  const std::string address = FormatAddress(reinterpret_cast<sockaddr*>(&addr), addr_len);
  char host[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<sockaddr*>(&addr), addr_len, host, sizeof(host), nullptr, 0,
                  NI_NUMERICHOST) != 0) {
    host[0] = '\0';
  }
  SSL_CTX_up_ref(ctx_);
  return PendingTls(fd, ctx_, peer_fingerprints_, own_fingerprint_, io_timeout_, address, host);
}

// --- PendingTls ---------------------------------------------------------------

PendingTls::PendingTls(int fd, SSL_CTX* ctx, std::vector<std::string> peer_fingerprints,
                       std::string own_fingerprint, absl::Duration io_timeout,
                       std::string address, std::string host)
    : fd_(fd),
      ctx_(ctx),
      peer_fingerprints_(std::move(peer_fingerprints)),
      own_fingerprint_(std::move(own_fingerprint)),
      io_timeout_(io_timeout),
      address_(std::move(address)),
      host_(std::move(host)),
      abort_(std::make_shared<Abort>(fd)) {}

PendingTls::PendingTls(PendingTls&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      ctx_(std::exchange(other.ctx_, nullptr)),
      peer_fingerprints_(std::move(other.peer_fingerprints_)),
      own_fingerprint_(std::move(other.own_fingerprint_)),
      io_timeout_(other.io_timeout_),
      address_(std::move(other.address_)),
      host_(std::move(other.host_)),
      abort_(std::move(other.abort_)) {}

PendingTls::~PendingTls() {
  if (fd_ >= 0) close(fd_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

absl::StatusOr<std::unique_ptr<Channel>> PendingTls::Handshake(absl::Duration timeout,
                                                               std::string* peer_fingerprint) {
  if (fd_ < 0 || ctx_ == nullptr) {
    return absl::FailedPreconditionError("the connection was handshaken already");
  }
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) {
    ERR_clear_error();
    return absl::InternalError("SSL_new failed");
  }
  // The channel owns the socket from here, and closes it on failure.
  auto channel = std::make_unique<TlsChannel>(std::exchange(fd_, -1), ssl, address_, timeout);
  LIAISON_RETURN_IF_ERROR(
      channel->Handshake(/*server=*/true, peer_fingerprints_, own_fingerprint_, peer_fingerprint));
  channel->SetTimeout(io_timeout_);
  return std::unique_ptr<Channel>(std::move(channel));
}

PendingTls::Abort::Abort(int fd) : fd_(fcntl(fd, F_DUPFD_CLOEXEC, 0)) {}

PendingTls::Abort::~Abort() {
  if (fd_ >= 0) close(fd_);
}

void PendingTls::Abort::Now() {
  // The duplicate descriptor keeps the socket alive, so this never reaches
  // a descriptor number the process reused.
  if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);
}

}  // namespace liaison::net
