#include "node_load/http.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>

namespace liaison::load {
namespace {

constexpr size_t kMaxHeaderLen = 64 << 10;

// Reader buffers what the connection delivers; `Fill` appends the next
// piece and returns false at the end of the stream or on an error.
class Reader {
 public:
  explicit Reader(TlsConnection& conn) : conn_(conn) {}

  bool Fill() {
    char piece[16 << 10];
    ssize_t n = conn_.Read(piece, sizeof(piece));
    if (n <= 0) {
      ended_cleanly_ = n == 0;
      return false;
    }
    buf_.append(piece, static_cast<size_t>(n));
    return true;
  }

  // Line removes and returns the next line without its CRLF.
  bool Line(std::string& line) {
    size_t eol;
    while ((eol = buf_.find("\r\n")) == std::string::npos) {
      if (buf_.size() > kMaxHeaderLen || !Fill()) return false;
    }
    line = buf_.substr(0, eol);
    buf_.erase(0, eol + 2);
    return true;
  }

  // Take moves `len` bytes to `out`.
  bool Take(size_t len, std::string& out) {
    while (buf_.size() < len) {
      if (!Fill()) return false;
    }
    out.append(buf_, 0, len);
    buf_.erase(0, len);
    return true;
  }

  bool TakeAll(size_t max_len, std::string& out) {
    while (Fill()) {
      if (buf_.size() > max_len) return false;
    }
    if (!ended_cleanly_) return false;
    out += buf_;
    buf_.clear();
    return true;
  }

  bool empty() const { return buf_.empty(); }
  bool ended_cleanly() const { return ended_cleanly_; }

 private:
  TlsConnection& conn_;
  std::string buf_;
  bool ended_cleanly_ = false;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ReadChunked(Reader& r, size_t max_body_len, std::string& body) {
  std::string line;
  for (;;) {
    if (!r.Line(line)) return false;
    char* end = nullptr;
    unsigned long long len = std::strtoull(line.c_str(), &end, 16);
    if (end == line.c_str() || body.size() + len > max_body_len) return false;
    if (len == 0) break;
    if (!r.Take(len, body) || !r.Line(line) || !line.empty()) return false;
  }
  do {  // trailers up to the empty line
    if (!r.Line(line)) return false;
  } while (!line.empty());
  return true;
}

}  // namespace

ReadResult ReadResponse(TlsConnection& conn, HttpResponse& out, size_t max_body_len) {
  out = HttpResponse();
  Reader r(conn);
  std::string line;
  if (!r.Line(line))
    return r.empty() && r.ended_cleanly() ? ReadResult::kClosed : ReadResult::kError;
  // "HTTP/1.1 200 OK"
  if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) return ReadResult::kError;
  out.status = std::atoi(line.c_str() + 9);
  if (line.compare(0, 8, "HTTP/1.0") == 0) out.server_closes = true;
  long long content_len = -1;
  bool chunked = false;
  for (;;) {
    if (!r.Line(line)) return ReadResult::kError;
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string::npos) return ReadResult::kError;
    std::string name = Lower(Trim(std::string_view(line).substr(0, colon)));
    std::string value = Lower(Trim(std::string_view(line).substr(colon + 1)));
    if (name == "content-length") content_len = std::atoll(value.c_str());
    if (name == "transfer-encoding" && value.find("chunked") != std::string::npos) chunked = true;
    if (name == "connection" && value.find("close") != std::string::npos) out.server_closes = true;
    if (name == "connection" && value.find("keep-alive") != std::string::npos) {
      out.server_closes = false;
    }
  }
  bool ok;
  if (chunked) {
    ok = ReadChunked(r, max_body_len, out.body);
  } else if (content_len >= 0) {
    ok = static_cast<size_t>(content_len) <= max_body_len &&
         r.Take(static_cast<size_t>(content_len), out.body);
  } else {
    out.server_closes = true;
    ok = r.TakeAll(max_body_len, out.body);
  }
  return ok ? ReadResult::kOk : ReadResult::kError;
}

std::string Request(const std::string& method, const std::string& target, bool keep_alive,
                    const std::string& extra_headers, const std::string& body) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  req += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  req += extra_headers;
  if (!body.empty() || method == "POST") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  req += body;
  return req;
}

bool Exchange(const TlsClient& client, const Endpoint& to, const std::string& request,
              int timeout_ms, HttpResponse& out, std::string& error) {
  std::unique_ptr<TlsConnection> conn = TlsConnection::Open(client, to, timeout_ms, error);
  if (conn == nullptr || !conn->WriteAll(request, error)) return false;
  switch (ReadResponse(*conn, out)) {
    case ReadResult::kOk:
      return true;
    case ReadResult::kClosed:
      error = "closed without a response";
      return false;
    case ReadResult::kError:
      error = "no complete response";
      return false;
  }
  return false;
}

}  // namespace liaison::load
