// Beast is used in this file only; its string_view is std::string_view here.
#define BOOST_BEAST_USE_STD_STRING_VIEW 1

#include "net/https_server.h"

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <list>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "base/bytes.h"
#include "base/strings.h"

namespace liaison::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;

namespace {

// A lingering close reads and drops what a client still sends after the
// last response (at most this much, for at most kLingerTime), so that its
// unread bytes do not turn our close into a reset that loses the response.
constexpr size_t kLingerBytes = 256 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(1);
// The read buffer holds a head and then a body's pieces as they come.
constexpr size_t kReadChunk = 64 * 1024;

std::chrono::milliseconds Chrono(absl::Duration d) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

// FormDecode decodes a query component: %XX escapes and '+' for a space; a
// malformed escape stays as written.
std::string FormDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void SplitTarget(std::string_view target, HttpRequest& req) {
  size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    req.query.emplace_back(FormDecode(pair.substr(0, eq)),
                           eq == std::string_view::npos ? "" : FormDecode(pair.substr(eq + 1)));
  }
}

bool IsHttpError(const error_code& ec) {
  return &ec.category() == &http::make_error_code(http::error::bad_method).category();
}

}  // namespace

std::string HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, absl::string_view(name.data(), name.size()))) return v;
  }
  return "";
}

bool HttpRequest::HasParam(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return true;
  }
  return false;
}

std::string HttpRequest::Param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return "";
}

class Connection;

class HttpsServer::Impl {
 public:
  Impl(HttpsHandler& handler, const HttpsServerLimits& limits)
      : handler_(handler),
        limits_(limits),
        ssl_(asio::ssl::context::tls_server),
        ioc_(limits.io_threads),
        acceptor_(asio::make_strand(ioc_)),
        workers_(static_cast<size_t>(limits.workers)) {}

  absl::Status Listen(const std::string& host, uint16_t port, X509* certificate, EVP_PKEY* key);
  void Run();
  void Stop();
  size_t Connections() const {
    std::lock_guard<std::mutex> lock(mu_);
    return conns_.size();
  }

  // Admit registers a new connection, displacing the oldest one outside a
  // request at the cap; false if every connection is inside a request.
  bool Admit(const std::shared_ptr<Connection>& conn);
  void Unregister(Connection& conn);

  HttpsHandler& handler_;
  const HttpsServerLimits limits_;
  std::atomic<bool> stopping_{false};
  uint16_t port_ = 0;

  // The registry of open connections, oldest first. Declared before the
  // I/O context: connections destroyed with it unregister themselves.
  mutable std::mutex mu_;
  std::list<std::weak_ptr<Connection>> conns_;
  size_t active_ = 0;  // registered and not being displaced

  asio::ssl::context ssl_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_{ioc_};
  asio::thread_pool workers_;
  std::vector<std::thread> io_threads_;
  std::mutex stop_mu_;
  bool stopped_ = false;

 private:
  void Accept();
  void OnAccept(error_code ec, tcp::socket socket);
};

// Connection is one client's connection: handshake, then requests one after
// another. Every step runs on the connection's strand; application code
// runs on the server's workers and posts its result back.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpsServer::Impl& server, tcp::socket socket)
      : server_(server),
        stream_(std::move(socket), server.ssl_),
        buffer_(server.limits_.max_header_bytes + kReadChunk) {}

  ~Connection() { server_.Unregister(*this); }

  // Registry bookkeeping, guarded by the server's mu_.
  std::list<std::weak_ptr<Connection>>::iterator pos_;
  bool counted_ = true;
  bool InRequest() const { return in_request_.load(); }

  void Start() {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this()] { self->Handshake(); });
  }

  // Close closes the connection at once, whatever it is doing (displaced
  // at the cap, or the server stopping).
  void Close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->CloseNow(); });
  }

 private:
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void Handshake() {
    Tcp().expires_after(Chrono(server_.limits_.handshake_timeout));
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = shared_from_this()](error_code ec) {
                              if (ec) return self->CloseNow();
                              self->ReadHead();
                            });
  }

  void ReadHead() {
    if (server_.stopping_ || closed_) return CloseNow();
    head_parser_.emplace();
    head_parser_->header_limit(static_cast<uint32_t>(server_.limits_.max_header_bytes));
    // The body's limit is the application's, checked once it has seen the
    // head (the parser's default would refuse a large Content-Length as
    // if the head were malformed).
    head_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    Tcp().expires_after(Chrono(server_.limits_.head_timeout));
    http::async_read_header(stream_, buffer_, *head_parser_,
                            [self = shared_from_this()](error_code ec, size_t) {
                              self->OnHead(ec);
                            });
  }

  void OnHead(error_code ec) {
    if (ec == http::error::header_limit) {
      return Fail(431, StrCat("the request head is larger than ",
                              server_.limits_.max_header_bytes, " bytes"));
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return CloseNow();
    if (ec && IsHttpError(ec)) return Fail(400, StrCat("malformed HTTP request: ", ec.message()));
    if (ec) return CloseNow();
    if (server_.stopping_) return CloseNow();
    in_request_ = true;
    ++requests_;
    const auto& head = head_parser_->get();
    request_ = HttpRequest();
    request_.method = std::string(head.method_string());
    SplitTarget(head.target(), request_);
    for (const auto& field : head) {
      std::string name(field.name_string());
      absl::AsciiStrToLower(&name);
      request_.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    error_code ignored;
    request_.remote_address = Tcp().socket().remote_endpoint(ignored).address().to_string();
    const auto length = head_parser_->content_length();
    request_.announces_body = head_parser_->chunked() || (length && *length > 0);
    version_ = head.version();
    keep_alive_ = head.keep_alive() && requests_ < server_.limits_.max_requests_per_connection;
    // The head goes to a worker; this connection does nothing until the
    // answer comes back to its strand.
    asio::post(server_.workers_, [self = shared_from_this()] {
      Admission admission = self->server_.handler_.Admit(self->request_);
      asio::post(self->stream_.get_executor(),
                 [self, admission = std::move(admission)]() mutable {
                   self->OnAdmission(std::move(admission));
                 });
    });
  }

  void OnAdmission(Admission admission) {
    if (closed_) return;
    if (admission.reply) {
      return Respond(std::move(*admission.reply), !keep_alive_ || request_.announces_body);
    }
    handle_ = std::move(admission.handle);
    if (!request_.announces_body) return RunHandler();
    if (admission.max_body == 0) return Fail(400, "this endpoint takes no request body");
    const auto length = head_parser_->content_length();
    if (length && *length > admission.max_body) {
      return Fail(413, StrCat("the request body is larger than ", admission.max_body, " bytes"));
    }
    body_parser_.emplace(std::move(*head_parser_));
    head_parser_.reset();
    max_body_ = admission.max_body;
    body_parser_->body_limit(max_body_);
    if (absl::EqualsIgnoreCase(request_.Header("expect"), "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     version_);
      Tcp().expires_after(Chrono(server_.limits_.write_timeout));
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](error_code ec, size_t) {
        if (ec) return self->CloseNow();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    Tcp().expires_after(Chrono(server_.limits_.body_timeout));
    http::async_read(stream_, buffer_, *body_parser_,
                     [self = shared_from_this()](error_code ec, size_t) {
                       self->OnBody(ec);
                     });
  }

  void OnBody(error_code ec) {
    if (ec == http::error::body_limit) {
      return Fail(413, StrCat("the request body is larger than ", max_body_, " bytes"));
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return CloseNow();
    if (ec && IsHttpError(ec)) return Fail(400, StrCat("malformed HTTP request: ", ec.message()));
    if (ec) return CloseNow();
    request_.body = std::move(body_parser_->get().body());
    body_parser_.reset();
    RunHandler();
  }

  void RunHandler() {
    if (!handle_) return Fail(500, "no handler");
    asio::post(server_.workers_, [self = shared_from_this()] {
      HttpResponse response = self->handle_(self->request_);
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable {
                   self->Respond(std::move(response), !self->keep_alive_);
                 });
    });
  }

  void Fail(int status, std::string_view message) {
    in_request_ = true;
    Respond(server_.handler_.ErrorResponse(status, message), /*close=*/true);
  }

  void Respond(HttpResponse r, bool close) {
    if (closed_) return;
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version_ == 10 ? 10 : 11);
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : r.headers) res->set(name, value);
    res->body() = std::move(r.body);
    res->keep_alive(!close);
    res->prepare_payload();
    Tcp().expires_after(Chrono(server_.limits_.write_timeout));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, close](error_code ec, size_t) {
                        self->in_request_ = false;
                        self->request_ = HttpRequest();
                        if (ec) return self->CloseNow();
                        if (close) return self->Linger();
                        self->ReadHead();
                      });
  }

  // Linger ends the connection after its last response: no more writes
  // (FIN), then drop what the client still sends, briefly, then close.
  void Linger() {
    if (closed_) return;
    error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Tcp().expires_after(kLingerTime);
    LingerRead();
  }

  void LingerRead() {
    Tcp().async_read_some(asio::buffer(linger_buf_),
                          [self = shared_from_this()](error_code ec, size_t n) {
                            self->lingered_ += n;
                            if (ec || self->lingered_ >= kLingerBytes) return self->CloseNow();
                            self->LingerRead();
                          });
  }

  void CloseNow() {
    if (closed_) return;
    closed_ = true;
    in_request_ = false;
    Tcp().close();
  }

  HttpsServer::Impl& server_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> head_parser_;
  std::optional<http::request_parser<http::string_body>> body_parser_;
  HttpRequest request_;
  std::function<HttpResponse(const HttpRequest&)> handle_;
  unsigned version_ = 11;
  size_t max_body_ = 0;
  bool keep_alive_ = true;
  bool closed_ = false;
  size_t requests_ = 0;
  std::atomic<bool> in_request_{false};
  std::array<char, 4096> linger_buf_;
  size_t lingered_ = 0;
};

absl::Status HttpsServer::Impl::Listen(const std::string& host, uint16_t port, X509* certificate,
                                       EVP_PKEY* key) {
  SSL_CTX* ctx = ssl_.native_handle();
  if (SSL_CTX_use_certificate(ctx, certificate) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1 ||
      SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return absl::InternalError("the HTTPS server's TLS context could not be set up");
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);

  error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) {
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) {
      return absl::UnavailableError(StrCat("cannot listen on ", host, ":", port,
                                           ": cannot resolve ", host));
    }
    address = results.begin()->endpoint().address();
  }
  const tcp::endpoint endpoint(address, port);
  auto fail = [&](std::string_view what) {
    return absl::UnavailableError(
        StrCat("cannot listen on ", host, ":", port, ": ", what, ": ", ec.message()));
  };
  if (acceptor_.open(endpoint.protocol(), ec)) return fail("socket");
  // SO_REUSEADDR only: no SO_REUSEPORT, so a port in use is an error.
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec)) return fail("socket");
  if (acceptor_.bind(endpoint, ec)) return fail("bind");
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec)) return fail("listen");
  port_ = acceptor_.local_endpoint(ec).port();
  return absl::OkStatus();
}

void HttpsServer::Impl::Run() {
  Accept();
  for (int i = 0; i < std::max(1, limits_.io_threads); ++i) {
    io_threads_.emplace_back([this] { ioc_.run(); });
  }
}

void HttpsServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpsServer::Impl::OnAccept(error_code ec, tcp::socket socket) {
  if (stopping_ || ec == asio::error::operation_aborted) return;
  if (ec) {
    // Out of descriptors or similar: try again shortly rather than spin.
    accept_retry_.expires_after(std::chrono::milliseconds(50));
    accept_retry_.async_wait([this](error_code wait_ec) {
      if (!wait_ec && !stopping_) asio::post(acceptor_.get_executor(), [this] { Accept(); });
    });
    return;
  }
  // Answers are small and come whole: send them at once rather than let
  // Nagle hold them for the client's delayed ACK (about 40 ms a request).
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto conn = std::make_shared<Connection>(*this, std::move(socket));
  if (Admit(conn)) conn->Start();
  Accept();
}

bool HttpsServer::Impl::Admit(const std::shared_ptr<Connection>& conn) {
  std::shared_ptr<Connection> victim;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (active_ >= limits_.max_connections) {
      for (const std::weak_ptr<Connection>& w : conns_) {
        std::shared_ptr<Connection> c = w.lock();
        if (c && c->counted_ && !c->InRequest()) {
          victim = std::move(c);
          break;
        }
      }
      if (!victim) {
        conn->counted_ = false;
        conn->pos_ = conns_.insert(conns_.end(), conn);
        return false;
      }
      victim->counted_ = false;
      --active_;
    }
    conn->pos_ = conns_.insert(conns_.end(), conn);
    ++active_;
  }
  if (victim) victim->Close();
  return true;
}

void HttpsServer::Impl::Unregister(Connection& conn) {
  std::lock_guard<std::mutex> lock(mu_);
  conns_.erase(conn.pos_);
  if (conn.counted_) --active_;
}

void HttpsServer::Impl::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_ = true;
  asio::post(acceptor_.get_executor(), [this] {
    error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
  });
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::weak_ptr<Connection>& w : conns_) {
      if (auto c = w.lock()) open.push_back(std::move(c));
    }
  }
  for (const auto& c : open) c->Close();
  open.clear();
  // The handlers in flight finish; their answers go to closed connections.
  workers_.join();
  ioc_.stop();
  for (std::thread& t : io_threads_) t.join();
  io_threads_.clear();
}

absl::StatusOr<std::unique_ptr<HttpsServer>> HttpsServer::Start(
    const std::string& host, uint16_t port, X509* certificate, EVP_PKEY* key,
    HttpsHandler& handler, const HttpsServerLimits& limits) {
  auto impl = std::make_unique<Impl>(handler, limits);
  absl::Status listening = impl->Listen(host, port, certificate, key);
  if (!listening.ok()) return listening;
  impl->Run();
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(impl)));
}

HttpsServer::HttpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpsServer::~HttpsServer() { Stop(); }

void HttpsServer::Stop() { impl_->Stop(); }

uint16_t HttpsServer::port() const { return impl_->port_; }

size_t HttpsServer::connections() const { return impl_->Connections(); }

}  // namespace liaison::net
