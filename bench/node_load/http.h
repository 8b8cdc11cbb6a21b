// The little HTTP/1.1 the node load tool speaks: it writes requests and
// reads one response at a time over a TlsConnection.
#ifndef LIAISON_BENCH_NODE_LOAD_HTTP_H_
#define LIAISON_BENCH_NODE_LOAD_HTTP_H_

#include <string>

#include "node_load/tls_client.h"

namespace liaison::load {

// HttpResponse is one response: status code, body, and whether the server
// said it closes the connection after it.
struct HttpResponse {
  int status = 0;
  std::string body;
  bool server_closes = false;
};

// ReadResult says how reading a response ended.
enum class ReadResult {
  kOk,      // a whole response
  kClosed,  // the server closed the connection before sending a byte
  kError,   // a timeout, a reset, a close mid-response or a malformed response
};

// ReadResponse reads one response from `conn` into `out`. Bodies may be
// sent with Content-Length, chunked, or up to the close; a body over
// `max_body_len` is an error.
ReadResult ReadResponse(TlsConnection& conn, HttpResponse& out, size_t max_body_len = 1 << 20);

// Request returns the text of a request for `target` with the headers the
// tool always sends; `extra_headers` are whole lines, each ending in "\r\n".
std::string Request(const std::string& method, const std::string& target, bool keep_alive,
                    const std::string& extra_headers = "", const std::string& body = "");

// Exchange opens a TLS connection to `to`, sends `request` and reads the
// response, all within `timeout_ms` per socket operation. On failure it
// returns false with `error` set.
bool Exchange(const TlsClient& client, const Endpoint& to, const std::string& request,
              int timeout_ms, HttpResponse& out, std::string& error);

}  // namespace liaison::load

#endif  // LIAISON_BENCH_NODE_LOAD_HTTP_H_
