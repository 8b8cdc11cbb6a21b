#include "node_load/tls_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace liaison::load {
namespace {

std::string LastSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return "timed out";
  if (e == 0) return errno != 0 ? std::strerror(errno) : "connection closed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

void SetTimeouts(int fd, int timeout_ms) {
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = (timeout_ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

}  // namespace

int ConnectTcp(const Endpoint& to, int timeout_ms, std::string& error) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(to.port);
  if (inet_pton(AF_INET, to.host.c_str(), &addr.sin_addr) != 1) {
    error = "not an IPv4 address: " + to.host;
    return -1;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  // On Linux SO_SNDTIMEO bounds connect() as well.
  SetTimeouts(fd, timeout_ms);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    error = std::string("connect: ") + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

bool SocketReadable(int fd, int wait_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, wait_ms) > 0;
}

TlsClient::TlsClient() : ctx_(SSL_CTX_new(TLS_client_method())) {
  if (ctx_ == nullptr || SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx_, TLS1_3_VERSION) != 1) {
    std::fprintf(stderr, "node_load: cannot set up a TLS 1.3 client context\n");
    std::exit(2);
  }
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  // Each connection is new: a resumed session would make handshakes cheaper
  // than a new client's.
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET);
}

TlsClient::~TlsClient() { SSL_CTX_free(ctx_); }

std::string TlsClient::ClientHello() const {
  SSL* ssl = SSL_new(ctx_);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);  // ssl owns both
  SSL_connect(ssl);           // stops, wanting the ServerHello
  char* data = nullptr;
  long len = BIO_get_mem_data(out, &data);
  std::string hello(data, len > 0 ? static_cast<size_t>(len) : 0);
  SSL_free(ssl);
  return hello;
}

std::unique_ptr<TlsConnection> TlsConnection::Open(const TlsClient& client, const Endpoint& to,
                                                   int timeout_ms, std::string& error) {
  int fd = ConnectTcp(to, timeout_ms, error);
  if (fd < 0) return nullptr;
  SSL* ssl = SSL_new(client.ctx());
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    error = "SSL_new: " + LastSslError();
    SSL_free(ssl);
    close(fd);
    return nullptr;
  }
  errno = 0;
  if (SSL_connect(ssl) != 1) {
    error = "handshake: " + LastSslError();
    SSL_free(ssl);
    close(fd);
    return nullptr;
  }
  return std::unique_ptr<TlsConnection>(new TlsConnection(fd, ssl));
}

TlsConnection::~TlsConnection() {
  // No close_notify: the tool drops connections as a client that goes away
  // does, and a shutdown could block on a stalled server.
  SSL_free(ssl_);
  close(fd_);
}

bool TlsConnection::WriteAll(std::string_view data, std::string& error) {
  while (!data.empty()) {
    errno = 0;
    size_t written = 0;
    if (SSL_write_ex(ssl_, data.data(), data.size(), &written) != 1) {
      error = errno == EAGAIN ? "write timed out" : "write: " + LastSslError();
      return false;
    }
    data.remove_prefix(written);
  }
  return true;
}

ssize_t TlsConnection::Read(char* buf, size_t len) {
  size_t got = 0;
  errno = 0;
  if (SSL_read_ex(ssl_, buf, len, &got) == 1) return static_cast<ssize_t>(got);
  int err = SSL_get_error(ssl_, 0);
  ERR_clear_error();
  if (err == SSL_ERROR_ZERO_RETURN) return 0;
  if (err == SSL_ERROR_SYSCALL && errno == 0) return 0;  // EOF without close_notify
  return -1;
}

TlsConnection::Signal TlsConnection::Poll(int wait_ms) {
  if (SSL_pending(ssl_) > 0) return Signal::kData;
  if (!SocketReadable(fd_, wait_ms)) return Signal::kNothing;
  // Peek without blocking: what arrived may be only a session ticket.
  int flags = fcntl(fd_, F_GETFL);
  fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  char c;
  size_t got = 0;
  errno = 0;
  int r = SSL_peek_ex(ssl_, &c, 1, &got);
  int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
  fcntl(fd_, F_SETFL, flags);
  ERR_clear_error();
  if (r == 1) return Signal::kData;
  return err == SSL_ERROR_WANT_READ ? Signal::kNothing : Signal::kClosed;
}

}  // namespace liaison::load
