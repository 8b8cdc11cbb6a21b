// Raw TCP and TLS clients written directly against sockets and OpenSSL, so
// tests can put on the wire what a well-behaved client never would: half
// a handshake, a request head dribbled byte by byte, a body that never
// ends, a close without close_notify, a reset.
#ifndef LIAISON_TESTS_TESTING_RAW_TLS_H_
#define LIAISON_TESTS_TESTING_RAW_TLS_H_

#include <netdb.h>
#include <signal.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "net/identity.h"

namespace liaison::testing {

// RawTcpConnect opens a blocking TCP connection; -1 on failure. Writing to
// a connection the server closed must fail, not kill the test: SIGPIPE is
// ignored from the first connection on.
inline int RawTcpConnect(const std::string& addr, uint16_t port) {
  signal(SIGPIPE, SIG_IGN);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  if (getaddrinfo(addr.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) {
    return -1;
  }
  int fd = socket(res->ai_family, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

// SetReadTimeout bounds every blocking read on `fd`.
inline void SetReadTimeout(int fd, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

// RawTlsClient is a TLS client (TLS 1.2 or later; 1.3 if `tls13_only`) that
// does not check the server's certificate, optionally presenting an
// identity. Reads wait at most read_timeout_seconds.
class RawTlsClient {
 public:
  RawTlsClient(const std::string& addr, uint16_t port, const net::Identity* identity,
               bool tls13_only = true, int read_timeout_seconds = 30) {
    fd_ = RawTcpConnect(addr, port);
    if (fd_ < 0) return;
    SetReadTimeout(fd_, read_timeout_seconds);
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, tls13_only ? TLS1_3_VERSION : TLS1_2_VERSION);
    if (identity != nullptr) {
      SSL_CTX_use_certificate(ctx, identity->certificate());
      SSL_CTX_use_PrivateKey(ctx, identity->private_key());
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    ssl_ = SSL_new(ctx);
    SSL_CTX_free(ctx);
    SSL_set_fd(ssl_, fd_);
    handshake_ok_ = SSL_connect(ssl_) == 1;
    ERR_clear_error();
  }
  ~RawTlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
  }
  RawTlsClient(const RawTlsClient&) = delete;
  RawTlsClient& operator=(const RawTlsClient&) = delete;

  bool handshake_ok() const { return handshake_ok_; }

  bool Write(ByteSpan data) {
    size_t n = 0;
    bool ok = data.empty() || (SSL_write_ex(ssl_, data.data(), data.size(), &n) == 1 &&
                               n == data.size());
    ERR_clear_error();
    return ok;
  }
  bool Write(std::string_view text) {
    return Write(ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  }

  // Read reads up to `n` bytes: fewer only if the connection ends or a
  // read times out first.
  std::string Read(size_t n) {
    std::string got(n, '\0');
    size_t done = 0;
    while (done < n) {
      size_t m = 0;
      if (SSL_read_ex(ssl_, got.data() + done, n - done, &m) != 1) {
        ERR_clear_error();
        break;
      }
      done += m;
    }
    got.resize(done);
    return got;
  }

  // ReadSome reads what one TLS record brings ("" at the end or timeout).
  std::string ReadSome() {
    std::string got(16384, '\0');
    size_t m = 0;
    if (SSL_read_ex(ssl_, got.data(), got.size(), &m) != 1) {
      ERR_clear_error();
      return "";
    }
    got.resize(m);
    return got;
  }

  // CloseNotify sends a TLS close_notify and closes TCP.
  void CloseNotify() {
    SSL_shutdown(ssl_);
    ERR_clear_error();
    CloseSocket();
  }
  // CloseSocket closes TCP without close_notify.
  void CloseSocket() {
    close(fd_);
    fd_ = -1;
  }
  // Reset aborts the connection with a TCP RST.
  void Reset() {
    linger l{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    CloseSocket();
  }

 private:
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool handshake_ok_ = false;
};

}  // namespace liaison::testing

#endif  // LIAISON_TESTS_TESTING_RAW_TLS_H_
