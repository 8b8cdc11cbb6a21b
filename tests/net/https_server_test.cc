// Tests of net::HttpsServer against clients that misbehave: no key and a
// body that never ends, bodies over the limit in either transfer encoding,
// heads dribbled a byte at a time, handshakes never finished, more idle
// connections than the cap, a handler that blocks.
#include "net/https_server.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/identity.h"
#include "testing/raw_tls.h"
#include "testing/temp_dir.h"

namespace liaison::net {
namespace {

using ::liaison::testing::RawTcpConnect;
using ::liaison::testing::RawTlsClient;
using ::liaison::testing::ScopedTempDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// TestHandler: /open answers anyone; /locked refuses at the head (as a
// missing key is); /echo takes a body of at most 1000 bytes; /slow blocks
// until released. It counts the bodies its handlers saw.
class TestHandler : public HttpsHandler {
 public:
  Admission Admit(const HttpRequest& head) override {
    Admission a;
    if (head.path == "/locked") {
      a.reply = HttpResponse{401, "application/json", R"({"error":"key"})", {}};
      return a;
    }
    if (head.path == "/echo") {
      a.max_body = 1000;
      a.handle = [this](const HttpRequest& r) {
        ++handled;
        return HttpResponse{200, "text/plain", r.body, {}};
      };
      return a;
    }
    if (head.path == "/slow") {
      a.handle = [this](const HttpRequest&) {
        std::unique_lock<std::mutex> lock(mu);
        ++slow_started;
        cv.notify_all();
        cv.wait(lock, [this] { return released; });
        return HttpResponse{200, "text/plain", "slow", {}};
      };
      return a;
    }
    a.handle = [this](const HttpRequest& r) {
      ++handled;
      return HttpResponse{200, "text/plain", "open " + r.Param("q"), {}};
    };
    return a;
  }
  HttpResponse ErrorResponse(int status, std::string_view message) override {
    return HttpResponse{status, "application/json", "{\"error\":\"" + std::string(message) + "\"}",
                        {}};
  }

  void Release() {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
    cv.notify_all();
  }

  std::atomic<int> handled{0};
  std::mutex mu;
  std::condition_variable cv;
  int slow_started = 0;
  bool released = false;
};

class HttpsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScopedTempDir;
    ASSERT_TRUE(GenerateIdentity(dir_->Sub("server")).ok());
    identity_ = new Identity(*Identity::Load(dir_->Sub("server")));
  }
  static void TearDownTestSuite() {
    delete identity_;
    delete dir_;
  }

  void StartServer(HttpsServerLimits limits = {}) {
    auto s = HttpsServer::Start("127.0.0.1", 0, identity_->certificate(),
                                identity_->private_key(), handler_, limits);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }

  std::unique_ptr<RawTlsClient> Connect() {
    auto c = std::make_unique<RawTlsClient>("127.0.0.1", server_->port(), nullptr,
                                            /*tls13_only=*/false, /*read_timeout_seconds=*/20);
    EXPECT_TRUE(c->handshake_ok());
    return c;
  }

  // ReadResponse reads one response with a Content-Length body: its head
  // and body, or what came before the connection ended.
  static std::string ReadResponse(RawTlsClient& c) {
    std::string got;
    while (got.find("\r\n\r\n") == std::string::npos) {
      std::string more = c.ReadSome();
      if (more.empty()) return got;
      got += more;
    }
    size_t end = got.find("\r\n\r\n") + 4;
    size_t cl = got.find("Content-Length: ");
    if (cl == std::string::npos || cl > end) return got;
    size_t len = std::stoul(got.substr(cl + 16));
    if (got.size() < end + len) got += c.Read(end + len - got.size());
    return got;
  }

  static std::string Body(const std::string& response) {
    size_t end = response.find("\r\n\r\n");
    return end == std::string::npos ? "" : response.substr(end + 4);
  }

  // Closed says whether the server ended the connection (a read sees the
  // end rather than timing out).
  static bool Closed(RawTlsClient& c) { return c.ReadSome().empty(); }

  static ScopedTempDir* dir_;
  static Identity* identity_;
  TestHandler handler_;
  std::unique_ptr<HttpsServer> server_;
};

ScopedTempDir* HttpsServerTest::dir_ = nullptr;
Identity* HttpsServerTest::identity_ = nullptr;

TEST_F(HttpsServerTest, AnswersWithKeepAliveAndDecodesTheQuery) {
  StartServer();
  auto c = Connect();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(c->Write("GET /open?q=a%20b+c HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string r = ReadResponse(*c);
    ASSERT_THAT(r, StartsWith("HTTP/1.1 200"));
    EXPECT_EQ(Body(r), "open a b c");
    EXPECT_THAT(r, HasSubstr("Cache-Control: no-store"));
  }
  EXPECT_EQ(handler_.handled, 20);
}

TEST_F(HttpsServerTest, ARequestRefusedAtItsHeadNeverHasItsBodyRead) {
  StartServer();
  auto c = Connect();
  // A chunked upload that would never end: the answer comes from the head
  // alone, and the connection is closed rather than read further.
  ASSERT_TRUE(c->Write("POST /locked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string r = ReadResponse(*c);
  EXPECT_THAT(r, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(r, HasSubstr("Connection: close"));
  std::string chunk = "4000\r\n" + std::string(0x4000, 'x') + "\r\n";
  for (int i = 0; i < 64 && c->Write(chunk); ++i) {
  }
  EXPECT_TRUE(Closed(*c));
  EXPECT_EQ(handler_.handled, 0);
}

TEST_F(HttpsServerTest, BodiesOverTheLimitAreRefusedInEitherEncoding) {
  StartServer();
  {
    // Content-Length over the limit: refused before a byte of body.
    auto c = Connect();
    ASSERT_TRUE(c->Write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 400000000\r\n\r\n"));
    std::string r = ReadResponse(*c);
    EXPECT_THAT(r, StartsWith("HTTP/1.1 413"));
    EXPECT_THAT(Body(r), HasSubstr("larger than 1000 bytes"));
  }
  {
    // Chunked: refused as soon as the chunks pass the limit.
    auto c = Connect();
    ASSERT_TRUE(c->Write("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
    std::string chunk = "200\r\n" + std::string(0x200, 'x') + "\r\n";
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(c->Write(chunk));
    std::string r = ReadResponse(*c);
    EXPECT_THAT(r, StartsWith("HTTP/1.1 413"));
    EXPECT_TRUE(Closed(*c));
  }
  {
    // Within the limit, chunked is read whole.
    auto c = Connect();
    ASSERT_TRUE(c->Write(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
    EXPECT_EQ(Body(ReadResponse(*c)), "hello world");
  }
  EXPECT_EQ(handler_.handled, 1);
}

TEST_F(HttpsServerTest, AnEndpointWithoutABodyRefusesOneButAcceptsAnEmptyOne) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Write("POST /open HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_THAT(ReadResponse(*c), StartsWith("HTTP/1.1 200"));
  ASSERT_TRUE(c->Write("POST /open HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
  std::string r = ReadResponse(*c);
  EXPECT_THAT(r, StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(Body(r), HasSubstr("takes no request body"));
}

TEST_F(HttpsServerTest, ExpectContinueGetsAContinueBeforeTheBody) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Write(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_THAT(c->ReadSome(), StartsWith("HTTP/1.1 100 Continue"));
  ASSERT_TRUE(c->Write("hello"));
  EXPECT_EQ(Body(ReadResponse(*c)), "hello");
}

TEST_F(HttpsServerTest, MalformedAndOversizedHeadsGetAnErrorAndAClose) {
  StartServer();
  {
    auto c = Connect();
    ASSERT_TRUE(c->Write("GARBAGE\r\n\r\n"));
    std::string r = ReadResponse(*c);
    EXPECT_THAT(r, StartsWith("HTTP/1.1 400"));
    EXPECT_THAT(Body(r), HasSubstr("malformed HTTP request"));
    EXPECT_TRUE(Closed(*c));
  }
  {
    auto c = Connect();
    ASSERT_TRUE(c->Write("GET /open HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n"));
    EXPECT_THAT(ReadResponse(*c), StartsWith("HTTP/1.1 431"));
  }
}

TEST_F(HttpsServerTest, AHeadDribbledByteByByteIsCutOffAtTheDeadline) {
  HttpsServerLimits limits;
  limits.head_timeout = absl::Seconds(1);
  StartServer(limits);
  auto c = Connect();
  // One byte every 100 ms keeps a per-read timeout happy forever; the head
  // deadline counts from the start. 100 bytes would take 10 s.
  const std::string head = "GET /open HTTP/1.1\r\nX-Slow: " + std::string(100, 'a');
  size_t sent = 0;
  for (; sent < head.size(); ++sent) {
    if (!c->Write(head.substr(sent, 1))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_LT(sent, head.size()) << "the server kept a dribbling client";
  EXPECT_EQ(handler_.handled, 0);
}

TEST_F(HttpsServerTest, AHandshakeNeverFinishedIsDroppedAtTheDeadline) {
  HttpsServerLimits limits;
  limits.handshake_timeout = absl::Seconds(1);
  StartServer(limits);
  const int fd = RawTcpConnect("127.0.0.1", server_->port());
  ASSERT_GE(fd, 0);
  testing::SetReadTimeout(fd, 20);
  char byte;
  // recv returns 0 (closed) well before the 20 s read timeout.
  EXPECT_EQ(recv(fd, &byte, 1, 0), 0);
  close(fd);
}

TEST_F(HttpsServerTest, AtTheCapANewConnectionDisplacesTheOldestIdleOne) {
  HttpsServerLimits limits;
  limits.max_connections = 4;
  StartServer(limits);
  std::vector<std::unique_ptr<RawTlsClient>> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(Connect());
  // A fifth client is served; the oldest idle connection made room.
  auto c = Connect();
  ASSERT_TRUE(c->Write("GET /open HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_THAT(ReadResponse(*c), StartsWith("HTTP/1.1 200"));
  EXPECT_TRUE(Closed(*idle[0]));
  // The others are still open and can be served.
  ASSERT_TRUE(idle[3]->Write("GET /open HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_THAT(ReadResponse(*idle[3]), StartsWith("HTTP/1.1 200"));
}

TEST_F(HttpsServerTest, ARequestInFlightIsNotDisplaced) {
  HttpsServerLimits limits;
  limits.max_connections = 2;
  StartServer(limits);
  auto slow = Connect();
  ASSERT_TRUE(slow->Write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  {
    std::unique_lock<std::mutex> lock(handler_.mu);
    handler_.cv.wait(lock, [this] { return handler_.slow_started == 1; });
  }
  auto a = Connect();
  auto b = Connect();  // displaces a (idle), not the slow request
  ASSERT_TRUE(b->Write("GET /open HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_THAT(ReadResponse(*b), StartsWith("HTTP/1.1 200"));
  EXPECT_TRUE(Closed(*a));
  handler_.Release();
  EXPECT_EQ(Body(ReadResponse(*slow)), "slow");
}

TEST_F(HttpsServerTest, ASlowHandlerDoesNotStallOtherConnections) {
  StartServer();
  auto slow = Connect();
  ASSERT_TRUE(slow->Write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  {
    std::unique_lock<std::mutex> lock(handler_.mu);
    handler_.cv.wait(lock, [this] { return handler_.slow_started == 1; });
  }
  auto c = Connect();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(c->Write("GET /open HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_THAT(ReadResponse(*c), StartsWith("HTTP/1.1 200"));
  }
  handler_.Release();
  EXPECT_EQ(Body(ReadResponse(*slow)), "slow");
}

TEST_F(HttpsServerTest, AConnectionIsClosedAfterItsLastAllowedRequest) {
  HttpsServerLimits limits;
  limits.max_requests_per_connection = 3;
  StartServer(limits);
  auto c = Connect();
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(c->Write("GET /open HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string r = ReadResponse(*c);
    EXPECT_THAT(r, StartsWith("HTTP/1.1 200"));
    EXPECT_EQ(r.find("Connection: close") != std::string::npos, i == 3) << i;
  }
  EXPECT_TRUE(Closed(*c));
}

TEST_F(HttpsServerTest, APortInUseIsAnError) {
  StartServer();
  auto second = HttpsServer::Start("127.0.0.1", server_->port(), identity_->certificate(),
                                   identity_->private_key(), handler_, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("in use"));
}

TEST_F(HttpsServerTest, StopClosesIdleConnectionsAndIsIdempotent) {
  StartServer();
  auto c = Connect();
  server_->Stop();
  EXPECT_TRUE(Closed(*c));
  server_->Stop();
}

}  // namespace
}  // namespace liaison::net
