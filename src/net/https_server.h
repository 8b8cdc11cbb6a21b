// HttpsServer: an event-driven HTTPS/1.1 server for APIs that strangers can
// reach (Boost.Beast on Boost.Asio, OpenSSL). It is built so that a client
// without credentials costs no more than its headers:
//
//   - every connection has deadlines: the TLS handshake, each request head
//     (counted from when the connection is ready for it, so a client
//     dribbling one byte a second is closed, not kept), the body and the
//     response;
//   - the application sees a request's head before any of its body is read
//     (HttpsHandler::Admit) and either answers at once, without reading the
//     body, or names the largest body it accepts; the limit holds for every
//     transfer encoding (Content-Length and chunked alike);
//   - heads are at most max_header_bytes; connections are at most
//     max_connections: at the cap a new connection displaces the oldest one
//     that is not inside a request (handshaking, sending a head, or idle
//     between requests), so idle and slow clients cannot lock others out;
//   - application code runs on a worker pool, never on the threads that do
//     I/O, so a slow handler (a store busy writing) does not stall the
//     connections of others.
//
// Keep-alive is supported (at most max_requests_per_connection requests a
// connection). Errors the server itself detects (a malformed request, a
// head or body too large) are answered with HttpsHandler::ErrorResponse and
// the connection is closed.
#ifndef LIAISON_NET_HTTPS_SERVER_H_
#define LIAISON_NET_HTTPS_SERVER_H_

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace liaison::net {

// HttpRequest is one request: its head, and its body once read.
struct HttpRequest {
  std::string method;  // as sent: "GET", "POST", ...
  std::string path;    // the target up to '?', not decoded
  // The query's parameters in order, percent-decoded ('+' is a space).
  std::vector<std::pair<std::string, std::string>> query;
  // The header fields in order; names in lower case.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;  // the client's IP address

  // Header returns the first field called `name` (any case), or "".
  std::string Header(std::string_view name) const;
  // HasParam and Param look up a query parameter (the first of that name).
  bool HasParam(std::string_view name) const;
  std::string Param(std::string_view name) const;
  // announces_body says whether the head announced a body: a
  // Content-Length above zero, or chunked transfer encoding.
  bool announces_body = false;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields
};

// Admission is an application's answer to a request head.
struct Admission {
  // If set, this is the response and the body (if any) is never read; a
  // connection whose request announced a body is closed after it.
  std::optional<HttpResponse> reply;
  // Otherwise: the largest body accepted (a larger one gets 413 from
  // ErrorResponse and the connection is closed) and the handler that
  // answers the whole request.
  size_t max_body = 0;
  std::function<HttpResponse(const HttpRequest&)> handle;
};

class HttpsHandler {
 public:
  virtual ~HttpsHandler() = default;
  // Admit decides on a request from its head (body empty). Runs on a
  // worker thread; may be called concurrently.
  virtual Admission Admit(const HttpRequest& head) = 0;
  // ErrorResponse answers a request the server refused itself: `http_status`
  // 400 (malformed), 413 (body too large) or 431 (head too large), with a
  // message saying why.
  virtual HttpResponse ErrorResponse(int http_status, std::string_view message) = 0;
};

struct HttpsServerLimits {
  absl::Duration handshake_timeout = absl::Seconds(5);
  // A request's head must arrive whole within this time of the connection
  // being ready for it (after the handshake or the previous response); an
  // idle keep-alive connection is closed after it too.
  absl::Duration head_timeout = absl::Seconds(10);
  absl::Duration body_timeout = absl::Seconds(30);
  absl::Duration write_timeout = absl::Seconds(30);
  size_t max_header_bytes = 16 * 1024;
  size_t max_connections = 512;
  size_t max_requests_per_connection = 1000;
  int io_threads = 2;
  int workers = 4;
};

class HttpsServer {
 public:
  // Start listens on host:port (port 0 picks a free one) and serves with
  // `certificate` and `key` (not owned; read at start). The handler must
  // outlive the server. Unavailable if the address cannot be bound (no
  // SO_REUSEPORT: a port in use is an error), Internal if TLS cannot be set
  // up.
  static absl::StatusOr<std::unique_ptr<HttpsServer>> Start(const std::string& host, uint16_t port,
                                                            X509* certificate, EVP_PKEY* key,
                                                            HttpsHandler& handler,
                                                            const HttpsServerLimits& limits);

  // ~HttpsServer stops the server.
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  uint16_t port() const;

  // Stop stops accepting, lets the handlers in flight finish, closes every
  // connection and joins the threads. Idempotent.
  void Stop();

  // Connections counts the open connections (for tests and metrics).
  size_t connections() const;

  class Impl;

 private:
  explicit HttpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace liaison::net

#endif  // LIAISON_NET_HTTPS_SERVER_H_
