// TLS client connections for the node load tool: blocking POSIX sockets to
// loopback with a timeout on every connect, read and write, and OpenSSL on
// top. The tool measures a node, it does not trust it: the server
// certificate is not verified, and no SNI is sent.
#ifndef LIAISON_BENCH_NODE_LOAD_TLS_CLIENT_H_
#define LIAISON_BENCH_NODE_LOAD_TLS_CLIENT_H_

#include <openssl/ssl.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace liaison::load {

// Endpoint is where the tool connects: an IPv4 address and a port.
struct Endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
};

// ConnectTcp opens a TCP connection to `to` whose connect, reads and writes
// each time out after `timeout_ms`. It returns the socket, or -1 with
// `error` set. The caller owns the socket.
int ConnectTcp(const Endpoint& to, int timeout_ms, std::string& error);

// SocketReadable waits up to `wait_ms` for `fd` to have data or to be closed
// by the other side, and says whether it has.
bool SocketReadable(int fd, int wait_ms);

// TlsClient is the client context: TLS 1.3 only, OpenSSL's default cipher
// suites, no certificate verification. Construction aborts the program if
// OpenSSL cannot make a context. Thread-safe once constructed; it must
// outlive every TlsConnection opened with it.
class TlsClient {
 public:
  TlsClient();
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  SSL_CTX* ctx() const { return ctx_; }

  // ClientHello returns the bytes of one ClientHello this context sends,
  // produced without a socket (for clients that send only part of one).
  std::string ClientHello() const;

 private:
  SSL_CTX* ctx_;
};

// TlsConnection is one TLS connection. Every call blocks for at most the
// timeout given to Open (per socket operation). Not thread-safe.
class TlsConnection {
 public:
  // Open connects to `to` and completes the handshake. On failure it returns
  // null with `error` saying which step failed.
  static std::unique_ptr<TlsConnection> Open(const TlsClient& client, const Endpoint& to,
                                             int timeout_ms, std::string& error);
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // WriteAll sends all of `data`. It returns false (with `error`) if the
  // server closed or reset the connection or a write timed out.
  bool WriteAll(std::string_view data, std::string& error);

  // Read reads up to `len` bytes into `buf`: the count read, 0 when the
  // server closed the connection, -1 on an error or a timeout.
  ssize_t Read(char* buf, size_t len);

  // Poll waits up to `wait_ms` for the server to send application data or
  // to close the connection, and says which, without consuming any data.
  // TLS records that carry no data (session tickets) are processed and
  // count as nothing, so Poll may return kNothing before `wait_ms`.
  enum class Signal { kNothing, kData, kClosed };
  Signal Poll(int wait_ms);

 private:
  TlsConnection(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}

  int fd_;
  SSL* ssl_;
};

}  // namespace liaison::load

#endif  // LIAISON_BENCH_NODE_LOAD_TLS_CLIENT_H_
