// TLS channel over real sockets on 127.0.0.1 and ::1, the two parties on two
// threads. Ports are ephemeral and timeouts generous, so the tests do not
// depend on the machine's speed.
#include "net/tls_channel.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/raw_tls.h"
#include "testing/temp_dir.h"

namespace liaison::net {
namespace {

using ::liaison::testing::RawTcpConnect;
using ::liaison::testing::ScopedTempDir;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kGenerous = absl::Seconds(60);

// Pattern fills a message so that a misplaced or corrupted byte shows.
Bytes Pattern(size_t len, uint32_t tag) {
  Bytes b(len);
  uint32_t x = tag * 2654435761u + 1;
  for (size_t i = 0; i < len; ++i) {
    x = x * 1103515245u + 12345u;
    b[i] = static_cast<uint8_t>(x >> 24);
  }
  return b;
}

bool LoopbackAvailable(const std::string& addr) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* res = nullptr;
  if (getaddrinfo(addr.c_str(), "0", &hints, &res) != 0) return false;
  int fd = socket(res->ai_family, SOCK_STREAM, 0);
  bool ok = fd >= 0 && bind(fd, res->ai_addr, res->ai_addrlen) == 0;
  if (fd >= 0) close(fd);
  freeaddrinfo(res);
  return ok;
}

// FreePort returns a port that was free a moment ago on `addr`.
uint16_t FreePort(const std::string& addr) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* res = nullptr;
  if (getaddrinfo(addr.c_str(), "0", &hints, &res) != 0) return 0;
  int fd = socket(res->ai_family, SOCK_STREAM, 0);
  uint16_t port = 0;
  if (fd >= 0 && bind(fd, res->ai_addr, res->ai_addrlen) == 0) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    port = ss.ss_family == AF_INET6
               ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
               : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  if (fd >= 0) close(fd);
  freeaddrinfo(res);
  return port;
}

// RawTlsClient adds the TlsChannel framing to the test client: the server's
// ready byte and frame headers.
class RawTlsClient : public testing::RawTlsClient {
 public:
  using testing::RawTlsClient::RawTlsClient;

  // ReadReady reads what the server sends first.
  std::string ReadReady() { return Read(kTlsServerReady.size()); }

  bool WriteFrameHeader(uint32_t len) {
    uint8_t h[4] = {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
                    static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
    return Write(ByteSpan(h, 4));
  }
};

class TlsChannelTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScopedTempDir;
    for (const char* name : {"alice", "bob", "carol"}) {
      auto fp = GenerateIdentity(dir_->Sub(name));
      ASSERT_TRUE(fp.ok()) << fp.status();
    }
    alice_ = new Identity(*Identity::Load(dir_->Sub("alice")));
    bob_ = new Identity(*Identity::Load(dir_->Sub("bob")));
    carol_ = new Identity(*Identity::Load(dir_->Sub("carol")));
  }
  static void TearDownTestSuite() {
    delete alice_;
    delete bob_;
    delete carol_;
    delete dir_;
  }

  void SetUp() override {
    if (!LoopbackAvailable(addr())) GTEST_SKIP() << addr() << " is not available here";
  }

  const std::string& addr() const { return GetParam(); }

  static TlsOptions Options(const Identity& self, const Identity& peer) {
    TlsOptions o;
    o.identity = &self;
    o.peer_fingerprint = peer.fingerprint();
    o.connect_timeout = kGenerous;
    o.io_timeout = kGenerous;
    return o;
  }

  struct Pair {
    std::unique_ptr<Channel> client;  // alice
    std::unique_ptr<Channel> server;  // bob
  };

  // ConnectPair connects alice (client) to bob (server), each pinning the
  // other.
  Pair ConnectPair() {
    Pair p;
    auto listener = TlsListener::Listen(addr(), 0, Options(*bob_, *alice_));
    EXPECT_TRUE(listener.ok()) << listener.status();
    if (!listener.ok()) return p;
    const uint16_t port = (*listener)->port();
    auto client = std::async(std::launch::async, [&] {
      return TlsConnect(addr(), port, Options(*alice_, *bob_));
    });
    auto server = (*listener)->Accept(kGenerous);
    auto c = client.get();
    EXPECT_TRUE(server.ok()) << server.status();
    EXPECT_TRUE(c.ok()) << c.status();
    if (server.ok() && c.ok()) {
      p.client = *std::move(c);
      p.server = *std::move(server);
    }
    return p;
  }

  static ScopedTempDir* dir_;
  static Identity* alice_;
  static Identity* bob_;
  static Identity* carol_;
};

ScopedTempDir* TlsChannelTest::dir_ = nullptr;
Identity* TlsChannelTest::alice_ = nullptr;
Identity* TlsChannelTest::bob_ = nullptr;
Identity* TlsChannelTest::carol_ = nullptr;

INSTANTIATE_TEST_SUITE_P(Loopback, TlsChannelTest, ::testing::Values("127.0.0.1", "::1"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param == "::1" ? std::string("IPv6")
                                                      : std::string("IPv4");
                         });

TEST_P(TlsChannelTest, RoundTripOfMessagesFromEmptyTo8MiB) {
  Pair p = ConnectPair();
  ASSERT_TRUE(p.client && p.server);
  const std::vector<size_t> sizes = {0,     1,     2,     3,     100,     4096,
                                     16379, 16380, 16383, 16384, 16385,   65535,
                                     65536, 65537, 1 << 20, (8 << 20) - 1, 8 << 20};
  // The server echoes each message as it arrives; the client sends them all
  // before reading any echo.
  auto echo = std::async(std::launch::async, [&] {
    for (size_t i = 0; i < sizes.size(); ++i) {
      auto m = p.server->Recv();
      if (!m.ok()) return m.status();
      if (*m != Pattern(sizes[i], static_cast<uint32_t>(i))) {
        return absl::InternalError("message " + std::to_string(i) + " differs");
      }
      absl::Status s = p.server->Send(*m);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  });
  uint64_t framed = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    ASSERT_TRUE(p.client->Send(Pattern(sizes[i], static_cast<uint32_t>(i))).ok());
    framed += kFrameHeaderLen + sizes[i];
  }
  for (size_t i = 0; i < sizes.size(); ++i) {
    auto m = p.client->Recv();
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(*m, Pattern(sizes[i], static_cast<uint32_t>(i))) << "size " << sizes[i];
  }
  absl::Status server_status = echo.get();
  EXPECT_TRUE(server_status.ok()) << server_status;
  EXPECT_EQ(p.client->bytes_sent(), framed);
  EXPECT_EQ(p.client->bytes_received(), framed);
  EXPECT_EQ(p.server->bytes_received(), framed);
  EXPECT_EQ(p.server->bytes_sent(), framed);
  EXPECT_EQ(p.client->messages_sent(), sizes.size());
  EXPECT_EQ(p.client->rounds(), 1u);
  EXPECT_EQ(p.server->rounds(), sizes.size());
}

TEST_P(TlsChannelTest, ManySmallRoundTrips) {
  Pair p = ConnectPair();
  ASSERT_TRUE(p.client && p.server);
  constexpr int kRounds = 2000;
  auto peer = std::async(std::launch::async, [&] {
    for (int i = 0; i < kRounds; ++i) {
      auto m = p.server->Recv();
      if (!m.ok()) return m.status();
      m->push_back(1);
      absl::Status s = p.server->Send(*m);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  });
  for (int i = 0; i < kRounds; ++i) {
    Bytes m = {static_cast<uint8_t>(i)};
    ASSERT_TRUE(p.client->Send(m).ok());
    auto r = p.client->Recv();
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(*r, (Bytes{static_cast<uint8_t>(i), 1}));
  }
  EXPECT_TRUE(peer.get().ok());
  EXPECT_EQ(p.client->rounds(), static_cast<uint64_t>(kRounds));
}

TEST_P(TlsChannelTest, BothSidesSending64MiBBeforeReceivingDoNotDeadlock) {
  Pair p = ConnectPair();
  ASSERT_TRUE(p.client && p.server);
  constexpr int kMessages = 8;
  constexpr size_t kLen = 8 << 20;  // 8 x 8 MiB = 64 MiB each way.
  // With a blocking Send both sides would fill their socket buffers and wait
  // forever; the timeout turns such a bug into a failure instead of a hang.
  auto party = [&](Channel& ch, uint32_t my_tag, uint32_t peer_tag) -> absl::Status {
    for (int i = 0; i < kMessages; ++i) {
      absl::Status s = ch.Send(Pattern(kLen, my_tag + i));
      if (!s.ok()) return s;
    }
    for (int i = 0; i < kMessages; ++i) {
      auto m = ch.Recv();
      if (!m.ok()) return m.status();
      if (*m != Pattern(kLen, peer_tag + i)) return absl::InternalError("corrupted");
    }
    return absl::OkStatus();
  };
  auto server = std::async(std::launch::async, [&] { return party(*p.server, 1000, 0); });
  absl::Status client = party(*p.client, 0, 1000);
  absl::Status server_status = server.get();
  EXPECT_TRUE(client.ok()) << client;
  EXPECT_TRUE(server_status.ok()) << server_status;
  EXPECT_EQ(p.client->bytes_received(), kMessages * (kLen + kFrameHeaderLen));
}

TEST_P(TlsChannelTest, ClientRefusesAServerWithTheWrongKey) {
  // bob listens (expecting alice), but alice has pinned carol.
  auto listener = TlsListener::Listen(addr(), 0, Options(*bob_, *alice_));
  ASSERT_TRUE(listener.ok()) << listener.status();
  const uint16_t port = (*listener)->port();
  auto client = std::async(std::launch::async, [&] {
    return TlsConnect(addr(), port, Options(*alice_, *carol_));
  });
  auto server = (*listener)->Accept(kGenerous);
  auto c = client.get();
  ASSERT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied) << c.status();
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr("presented key " + bob_->fingerprint() + " but " +
                        carol_->fingerprint() + " was expected"));
  // bob sees alice's refusal: no channel, so no application data either way.
  ASSERT_EQ(server.status().code(), absl::StatusCode::kPermissionDenied)
      << server.status();
  EXPECT_THAT(std::string(server.status().message()), HasSubstr(bob_->fingerprint()));
}

TEST_P(TlsChannelTest, ServerRefusesAClientWithTheWrongKey) {
  // bob listens expecting carol; alice connects (pinning bob correctly).
  auto listener = TlsListener::Listen(addr(), 0, Options(*bob_, *carol_));
  ASSERT_TRUE(listener.ok()) << listener.status();
  const uint16_t port = (*listener)->port();
  auto client = std::async(std::launch::async, [&] {
    return TlsConnect(addr(), port, Options(*alice_, *bob_));
  });
  auto server = (*listener)->Accept(kGenerous);
  auto c = client.get();
  ASSERT_EQ(server.status().code(), absl::StatusCode::kPermissionDenied)
      << server.status();
  EXPECT_THAT(std::string(server.status().message()),
              HasSubstr("presented key " + alice_->fingerprint() + " but " +
                        carol_->fingerprint() + " was expected"));
  // TLS 1.3 lets the client finish first; TlsConnect still fails, because it
  // waits for the server's acceptance.
  ASSERT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied) << c.status();
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr("refused our key " + alice_->fingerprint()));
}

TEST_P(TlsChannelTest, UnknownPeerIsRefusedAndTheListenerKeepsServing) {
  auto listener = TlsListener::Listen(addr(), 0, Options(*bob_, *alice_));
  ASSERT_TRUE(listener.ok()) << listener.status();
  const uint16_t port = (*listener)->port();
  {
    // carol is a stranger to bob.
    auto stranger = std::async(std::launch::async, [&] {
      return TlsConnect(addr(), port, Options(*carol_, *bob_));
    });
    auto refused = (*listener)->Accept(kGenerous);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(stranger.get().status().code(), absl::StatusCode::kPermissionDenied);
  }
  auto client = std::async(std::launch::async, [&] {
    return TlsConnect(addr(), port, Options(*alice_, *bob_));
  });
  auto server = (*listener)->Accept(kGenerous);
  auto c = client.get();
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->Send(Bytes{1, 2, 3}).ok());
  auto m = (*server)->Recv();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, (Bytes{1, 2, 3}));
  // Only alice's message arrived: the server saw nothing from carol.
  EXPECT_EQ((*server)->messages_received(), 1u);
}

TEST_P(TlsChannelTest, ClientWithoutCertificateIsRefused) {
  auto listener = TlsListener::Listen(addr(), 0, Options(*bob_, *alice_));
  ASSERT_TRUE(listener.ok());
  const uint16_t port = (*listener)->port();
  auto server = std::async(std::launch::async, [&] { return (*listener)->Accept(kGenerous); });
  RawTlsClient raw(addr(), port, /*identity=*/nullptr);
  EXPECT_EQ(raw.ReadReady(), "");  // The server never says it is ready.
  EXPECT_EQ(server.get().status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_P(TlsChannelTest, ConnectRetriesUntilALateListenerAnswers) {
  const uint16_t port = FreePort(addr());
  ASSERT_NE(port, 0);
  auto client = std::async(std::launch::async, [&] {
    return TlsConnect(addr(), port, Options(*alice_, *bob_));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto listener = TlsListener::Listen(addr(), port, Options(*bob_, *alice_));
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_EQ((*listener)->port(), port);
  auto server = (*listener)->Accept(kGenerous);
  auto c = client.get();
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*server)->Send(Bytes{42}).ok());
  auto m = (*c)->Recv();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, Bytes{42});
}

TEST_P(TlsChannelTest, ConnectGivesUpWhenNobodyListens) {
  const uint16_t port = FreePort(addr());
  ASSERT_NE(port, 0);
  TlsOptions o = Options(*alice_, *bob_);
  o.connect_timeout = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  auto c = TlsConnect(addr(), port, o);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDeadlineExceeded) << c.status();
  EXPECT_THAT(std::string(c.status().message()), HasSubstr(std::to_string(port)));
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Seconds(10));
}

// The regression of issue 12: a refused connection was reported as
// "Connection timed out" (the last attempt, made at the deadline).
TEST_P(TlsChannelTest, RefusedConnectionIsReportedAsRefusedWithTheAddress) {
  const uint16_t port = FreePort(addr());
  ASSERT_NE(port, 0);
  TlsOptions o = Options(*alice_, *bob_);
  o.connect_timeout = absl::Milliseconds(300);
  auto c = TlsConnect(addr(), port, o);
  ASSERT_EQ(c.status().code(), absl::StatusCode::kDeadlineExceeded) << c.status();
  const std::string shown = addr() == "::1" ? "[::1]" : addr();
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr(shown + ":" + std::to_string(port) + " refused the connection"));
  EXPECT_THAT(std::string(c.status().message()), Not(HasSubstr("timed out")));
}

TEST_P(TlsChannelTest, AcceptTimesOutWithDeadlineExceeded) {
  auto listener = TlsListener::Listen(addr(), 0, Options(*bob_, *alice_));
  ASSERT_TRUE(listener.ok());
  EXPECT_EQ((*listener)->Accept(absl::Milliseconds(100)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_P(TlsChannelTest, PeerCloseAfterItsMessagesIsUnavailable) {
  Pair p = ConnectPair();
  ASSERT_TRUE(p.client && p.server);
  for (uint8_t i = 0; i < 3; ++i) ASSERT_TRUE(p.server->Send(Bytes{i}).ok());
  p.server->Close();
  p.server->Close();  // Idempotent.
  EXPECT_EQ(p.server->Send(Bytes{9}).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(p.server->Recv().status().code(), absl::StatusCode::kUnavailable);
  for (uint8_t i = 0; i < 3; ++i) {
    auto m = p.client->Recv();
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(*m, Bytes{i});
  }
  auto end = p.client->Recv();
  EXPECT_EQ(end.status().code(), absl::StatusCode::kUnavailable) << end.status();
  EXPECT_THAT(std::string(end.status().message()), HasSubstr("closed the connection"));
  EXPECT_EQ(p.client->Recv().status().code(), absl::StatusCode::kUnavailable);
}

TEST_P(TlsChannelTest, PeerGoingAwayWhileWeWaitIsUnavailable) {
  Pair p = ConnectPair();
  ASSERT_TRUE(p.client && p.server);
  auto waiting = std::async(std::launch::async, [&] { return p.client->Recv().status(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  p.server.reset();
  EXPECT_EQ(waiting.get().code(), absl::StatusCode::kUnavailable);
}

TEST_P(TlsChannelTest, SendingToAClosedPeerFailsWithUnavailableNotSigpipe) {
  Pair p = ConnectPair();
  ASSERT_TRUE(p.client && p.server);
  p.server.reset();
  // The first sends may still land in socket buffers; the reset that follows
  // must surface as Unavailable (and must not kill the process with SIGPIPE).
  absl::Status s;
  const Bytes chunk(64 << 10, 1);
  for (int i = 0; i < 2000 && s.ok(); ++i) {
    s = p.client->Send(chunk);
    if (s.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(p.client->Send(chunk).code(), absl::StatusCode::kUnavailable);
}

TEST_P(TlsChannelTest, RecvTimeoutIsDeadlineExceededAndTheChannelStaysUsable) {
  Pair p = ConnectPair();
  ASSERT_TRUE(p.client && p.server);
  p.client->SetTimeout(absl::Milliseconds(200));
  const absl::Time start = absl::Now();
  EXPECT_EQ(p.client->Recv().status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  p.client->SetTimeout(kGenerous);
  ASSERT_TRUE(p.server->Send(Bytes{7}).ok());
  auto m = p.client->Recv();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, Bytes{7});
}

TEST_P(TlsChannelTest, SendTimesOutWhenThePeerStopsReading) {
  Pair p = ConnectPair();
  ASSERT_TRUE(p.client && p.server);
  p.client->SetTimeout(absl::Milliseconds(500));
  const Bytes chunk(4 << 20, 3);
  absl::Status s;
  for (int i = 0; i < 64 && s.ok(); ++i) s = p.client->Send(chunk);
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  // Part of a frame may be on the wire: the channel no longer sends.
  EXPECT_EQ(p.client->Send(Bytes{1}).code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_P(TlsChannelTest, OversizedSendIsInvalidArgument) {
  Pair p = ConnectPair();
  ASSERT_TRUE(p.client && p.server);
  p.client->set_max_message_len(1024);
  EXPECT_EQ(p.client->Send(Bytes(1025)).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(p.client->Send(Bytes(1024)).ok());
  auto m = p.server->Recv();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->size(), 1024u);
}

TEST_P(TlsChannelTest, MessageAboveTheReceiversLimitIsDataLoss) {
  Pair p = ConnectPair();
  ASSERT_TRUE(p.client && p.server);
  p.server->set_max_message_len(1024);
  ASSERT_TRUE(p.client->Send(Bytes(2048)).ok());
  EXPECT_EQ(p.server->Recv().status().code(), absl::StatusCode::kDataLoss);
  // The stream is out of step now; it stays failed.
  EXPECT_EQ(p.server->Recv().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(p.server->messages_received(), 0u);
}

TEST_P(TlsChannelTest, RecvAtMostRefusesALongerMessageAndRestoresTheLimit) {
  Pair p = ConnectPair();
  ASSERT_TRUE(p.client && p.server);
  ASSERT_TRUE(p.client->Send(Bytes(100)).ok());
  auto small = RecvAtMost(*p.server, 1024);
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->size(), 100u);
  EXPECT_EQ(p.server->max_message_len(), kDefaultMaxMessageLen);
  ASSERT_TRUE(p.client->Send(Bytes(2048)).ok());
  EXPECT_EQ(RecvAtMost(*p.server, 1024).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(p.server->max_message_len(), kDefaultMaxMessageLen);
}

TEST_P(TlsChannelTest, PendingConnectionsHandshakeOnTheirOwnThreads) {
  // A client that connects and stalls (its handshake pending on one
  // thread) does not stop the next one from being accepted and served.
  auto listener = TlsListener::Listen(addr(), 0, Options(*bob_, *alice_));
  ASSERT_TRUE(listener.ok()) << listener.status();
  const uint16_t port = (*listener)->port();
  auto stalled_client = std::async(std::launch::async, [&] {
    const int fd = RawTcpConnect(addr(), port);  // connects, sends nothing
    std::this_thread::sleep_for(std::chrono::seconds(2));
    if (fd >= 0) close(fd);
    return 0;
  });
  auto stalled = (*listener)->AcceptConnection(kGenerous);
  ASSERT_TRUE(stalled.ok()) << stalled.status();
  EXPECT_FALSE(stalled->host().empty());
  auto stalled_handshake = std::async(std::launch::async, [&] {
    return stalled->Handshake(absl::Seconds(30));
  });
  auto client = std::async(std::launch::async, [&] {
    return TlsConnect(addr(), port, Options(*alice_, *bob_));
  });
  auto next = (*listener)->AcceptConnection(kGenerous);
  ASSERT_TRUE(next.ok()) << next.status();
  std::string fingerprint;
  auto server = next->Handshake(absl::Seconds(30), &fingerprint);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(fingerprint, alice_->fingerprint());
  auto c = client.get();
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->Send(Bytes(3, 7)).ok());
  auto got = (*server)->Recv();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, Bytes(3, 7));
  // Aborting the stalled one ends its handshake at once.
  stalled->abort_handle()->Now();
  EXPECT_FALSE(stalled_handshake.get().ok());
  stalled_client.get();
}

TEST_P(TlsChannelTest, CloseAndDestroyWithoutUseAreFine) {
  Pair p = ConnectPair();
  ASSERT_TRUE(p.client && p.server);
  p.client->Close();
  p.server->Close();
}

// --- The wire, seen from a raw TLS peer -------------------------------------

class RawPeerTest : public TlsChannelTest {
 protected:
  // AcceptRaw starts bob listening for alice and connects a raw client that
  // presents alice's certificate. `server` receives bob's end.
  std::unique_ptr<RawTlsClient> AcceptRaw(std::unique_ptr<Channel>* server) {
    auto listener = TlsListener::Listen(addr(), 0, Options(*bob_, *alice_));
    EXPECT_TRUE(listener.ok()) << listener.status();
    if (!listener.ok()) return nullptr;
    auto accepted = std::async(std::launch::async,
                               [&] { return (*listener)->Accept(kGenerous); });
    auto raw = std::make_unique<RawTlsClient>(addr(), (*listener)->port(), alice_);
    EXPECT_TRUE(raw->handshake_ok());
    EXPECT_EQ(raw->ReadReady(), std::string(kTlsServerReady));
    auto s = accepted.get();
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return nullptr;
    *server = *std::move(s);
    return raw;
  }
};

INSTANTIATE_TEST_SUITE_P(Loopback, RawPeerTest, ::testing::Values("127.0.0.1", "::1"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param == "::1" ? std::string("IPv6")
                                                      : std::string("IPv4");
                         });

TEST_P(RawPeerTest, FrameIsBigEndianLengthThenPayload) {
  std::unique_ptr<Channel> server;
  auto raw = AcceptRaw(&server);
  ASSERT_TRUE(raw && server);
  ASSERT_TRUE(raw->WriteFrameHeader(5));
  ASSERT_TRUE(raw->Write(AsBytes("hello")));
  ASSERT_TRUE(raw->WriteFrameHeader(0));
  auto m = server->Recv();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(AsStringView(*m), "hello");
  auto empty = server->Recv();
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(server->bytes_received(), 2 * kFrameHeaderLen + 5);
}

TEST_P(RawPeerTest, FrameSplitAcrossManyRecordsIsReassembled) {
  std::unique_ptr<Channel> server;
  auto raw = AcceptRaw(&server);
  ASSERT_TRUE(raw && server);
  const Bytes payload = Pattern(1000, 5);
  ASSERT_TRUE(raw->WriteFrameHeader(1000));
  for (size_t i = 0; i < payload.size(); i += 7) {
    ASSERT_TRUE(raw->Write(ByteSpan(payload).subspan(i, 7)));
  }
  auto m = server->Recv();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, payload);
}

TEST_P(RawPeerTest, CloseInTheMiddleOfAMessageIsDataLoss) {
  std::unique_ptr<Channel> server;
  auto raw = AcceptRaw(&server);
  ASSERT_TRUE(raw && server);
  ASSERT_TRUE(raw->WriteFrameHeader(100));
  ASSERT_TRUE(raw->Write(Bytes(10, 1)));
  raw->CloseNotify();
  auto m = server->Recv();
  EXPECT_EQ(m.status().code(), absl::StatusCode::kDataLoss) << m.status();
  EXPECT_THAT(std::string(m.status().message()), HasSubstr("middle of a message"));
}

TEST_P(RawPeerTest, CloseInTheMiddleOfAHeaderIsDataLoss) {
  std::unique_ptr<Channel> server;
  auto raw = AcceptRaw(&server);
  ASSERT_TRUE(raw && server);
  ASSERT_TRUE(raw->Write(Bytes{0, 0}));
  raw->CloseSocket();
  EXPECT_EQ(server->Recv().status().code(), absl::StatusCode::kDataLoss);
}

TEST_P(RawPeerTest, OversizedHeaderIsDataLossBeforeAnyPayload) {
  std::unique_ptr<Channel> server;
  auto raw = AcceptRaw(&server);
  ASSERT_TRUE(raw && server);
  server->set_max_message_len(1 << 20);
  // The peer announces 4 GiB and sends nothing more: the receiver must not
  // wait for (or allocate) the payload.
  ASSERT_TRUE(raw->WriteFrameHeader(0xfffffff0u));
  const absl::Time start = absl::Now();
  auto m = server->Recv();
  EXPECT_EQ(m.status().code(), absl::StatusCode::kDataLoss) << m.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  EXPECT_EQ(server->Recv().status().code(), absl::StatusCode::kDataLoss);
}

TEST_P(RawPeerTest, CloseNotifyAtAFrameBoundaryIsUnavailable) {
  std::unique_ptr<Channel> server;
  auto raw = AcceptRaw(&server);
  ASSERT_TRUE(raw && server);
  ASSERT_TRUE(raw->WriteFrameHeader(1));
  ASSERT_TRUE(raw->Write(Bytes{9}));
  raw->CloseNotify();
  auto m = server->Recv();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, Bytes{9});
  auto end = server->Recv();
  EXPECT_EQ(end.status().code(), absl::StatusCode::kUnavailable) << end.status();
  EXPECT_THAT(std::string(end.status().message()), HasSubstr("closed the connection"));
}

TEST_P(RawPeerTest, TcpCloseWithoutCloseNotifyIsUnavailable) {
  std::unique_ptr<Channel> server;
  auto raw = AcceptRaw(&server);
  ASSERT_TRUE(raw && server);
  ASSERT_TRUE(raw->WriteFrameHeader(1));
  ASSERT_TRUE(raw->Write(Bytes{9}));
  raw->CloseSocket();
  auto m = server->Recv();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(server->Recv().status().code(), absl::StatusCode::kUnavailable);
}

TEST_P(RawPeerTest, ConnectionResetIsUnavailable) {
  std::unique_ptr<Channel> server;
  auto raw = AcceptRaw(&server);
  ASSERT_TRUE(raw && server);
  raw->Reset();
  auto m = server->Recv();
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnavailable) << m.status();
}

TEST_P(RawPeerTest, ResetInTheMiddleOfAMessageIsUnavailable) {
  std::unique_ptr<Channel> server;
  auto raw = AcceptRaw(&server);
  ASSERT_TRUE(raw && server);
  ASSERT_TRUE(raw->WriteFrameHeader(100));
  ASSERT_TRUE(raw->Write(Bytes(10, 1)));
  raw->Reset();
  auto m = server->Recv();
  // Either the reset arrives first, or the ten bytes and then the reset.
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnavailable) << m.status();
}

// The regression of issue 12: the message ended in "while sending to",
// without the address. (Sending into a reset connection may also first
// notice the reset while reading what the peer sent.)
TEST_P(RawPeerTest, ResetWhileSendingNamesThePeerAddress) {
  std::unique_ptr<Channel> server;
  auto raw = AcceptRaw(&server);
  ASSERT_TRUE(raw && server);
  raw->Reset();
  absl::Status s;
  const Bytes chunk(64 << 10, 1);
  for (int i = 0; i < 2000 && s.ok(); ++i) {
    s = server->Send(chunk);
    if (s.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(std::string(s.message()),
              ::testing::MatchesRegex(".* (while sending to|while receiving from) " +
                                      (addr() == "::1" ? std::string("\\[::1\\]")
                                                       : std::string("127\\.0\\.0\\.1")) +
                                      ":[0-9]+"));
}

// --- Talking to something that is not a liaison node --------------------------

TEST_P(TlsChannelTest, ConnectingToAPlainTcpServerIsUnavailable) {
  // A listener that answers every connection with text and hangs up.
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* res = nullptr;
  ASSERT_EQ(getaddrinfo(addr().c_str(), "0", &hints, &res), 0);
  int lfd = socket(res->ai_family, SOCK_STREAM, 0);
  ASSERT_EQ(bind(lfd, res->ai_addr, res->ai_addrlen), 0);
  freeaddrinfo(res);
  ASSERT_EQ(listen(lfd, 4), 0);
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(lfd, reinterpret_cast<sockaddr*>(&ss), &len);
  const uint16_t port = ss.ss_family == AF_INET6
                            ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                            : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  std::thread plain([lfd] {
    int fd = accept(lfd, nullptr, nullptr);
    if (fd < 0) return;
    char buf[512];
    (void)!read(fd, buf, sizeof(buf));  // The ClientHello.
    static const char kReply[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    (void)!write(fd, kReply, sizeof(kReply) - 1);
    shutdown(fd, SHUT_WR);
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
    close(fd);
  });
  auto c = TlsConnect(addr(), port, Options(*alice_, *bob_));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable) << c.status();
  plain.join();
  close(lfd);
}

// --- Options and addresses ------------------------------------------------------

TEST_P(TlsChannelTest, BadOptionsAreInvalidArgument) {
  TlsOptions no_identity;
  no_identity.peer_fingerprint = bob_->fingerprint();
  EXPECT_EQ(TlsConnect(addr(), 1, no_identity).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TlsListener::Listen(addr(), 0, no_identity).status().code(),
            absl::StatusCode::kInvalidArgument);
  TlsOptions bad_pin = Options(*alice_, *bob_);
  bad_pin.peer_fingerprint = "sha256:1234";
  EXPECT_EQ(TlsConnect(addr(), 1, bad_pin).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TlsListener::Listen(addr(), 0, bad_pin).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(TlsChannelTest, PinMayBeWrittenInAnyAcceptedForm) {
  auto listener = TlsListener::Listen(addr(), 0, Options(*bob_, *alice_));
  ASSERT_TRUE(listener.ok());
  std::string upper = bob_->fingerprint().substr(7);
  for (char& ch : upper) ch = static_cast<char>(toupper(ch));
  TlsOptions o = Options(*alice_, *bob_);
  o.peer_fingerprint = upper;
  const uint16_t port = (*listener)->port();
  auto client = std::async(std::launch::async, [&] { return TlsConnect(addr(), port, o); });
  auto server = (*listener)->Accept(kGenerous);
  EXPECT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(client.get().ok());
}

TEST_P(TlsChannelTest, ListeningOnAPortInUseIsUnavailable) {
  auto first = TlsListener::Listen(addr(), 0, Options(*bob_, *alice_));
  ASSERT_TRUE(first.ok());
  auto second = TlsListener::Listen(addr(), (*first)->port(), Options(*bob_, *alice_));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
}

TEST_P(TlsChannelTest, ChannelOutlivesItsListener) {
  Pair p = ConnectPair();  // The listener is gone once ConnectPair returns.
  ASSERT_TRUE(p.client && p.server);
  ASSERT_TRUE(p.client->Send(Bytes{5}).ok());
  EXPECT_EQ(*p.server->Recv(), Bytes{5});
}

TEST(TlsListenerTest, AllInterfacesAcceptsIPv4AndIPv6) {
  if (!LoopbackAvailable("::1")) GTEST_SKIP() << "no IPv6";
  ScopedTempDir dir;
  ASSERT_TRUE(GenerateIdentity(dir.Sub("a")).ok());
  ASSERT_TRUE(GenerateIdentity(dir.Sub("b")).ok());
  Identity a = *Identity::Load(dir.Sub("a"));
  Identity b = *Identity::Load(dir.Sub("b"));
  TlsOptions server_options{&b, a.fingerprint(), kGenerous, kGenerous, {}};
  TlsOptions client_options{&a, b.fingerprint(), kGenerous, kGenerous, {}};
  auto listener = TlsListener::Listen("", 0, server_options);
  ASSERT_TRUE(listener.ok()) << listener.status();
  for (const std::string host : {"127.0.0.1", "::1", "localhost"}) {
    SCOPED_TRACE(host);
    const uint16_t port = (*listener)->port();
    auto client = std::async(std::launch::async,
                             [&] { return TlsConnect(host, port, client_options); });
    auto server = (*listener)->Accept(kGenerous);
    auto c = client.get();
    ASSERT_TRUE(server.ok()) << server.status();
    ASSERT_TRUE(c.ok()) << c.status();
  }
}

TEST(TlsListenerTest, SeveralPinnedPeersAreAcceptedAndNamedOthersRefused) {
  ScopedTempDir dir;
  for (const char* n : {"a", "b", "c", "d"}) ASSERT_TRUE(GenerateIdentity(dir.Sub(n)).ok());
  Identity a = *Identity::Load(dir.Sub("a"));
  Identity b = *Identity::Load(dir.Sub("b"));
  Identity c = *Identity::Load(dir.Sub("c"));
  Identity d = *Identity::Load(dir.Sub("d"));
  TlsOptions server_options{&b, "", kGenerous, kGenerous, {a.fingerprint(), c.fingerprint()}};
  auto listener = TlsListener::Listen("127.0.0.1", 0, server_options);
  ASSERT_TRUE(listener.ok()) << listener.status();
  const uint16_t port = (*listener)->port();
  for (const Identity* client_id : {&a, &c, &d}) {
    TlsOptions client_options{client_id, b.fingerprint(), kGenerous, kGenerous, {}};
    auto client = std::async(std::launch::async,
                             [&] { return TlsConnect("127.0.0.1", port, client_options); });
    std::string presented;
    auto server = (*listener)->Accept(kGenerous, &presented);
    auto ch = client.get();
    if (client_id == &d) {
      EXPECT_EQ(server.status().code(), absl::StatusCode::kPermissionDenied);
      EXPECT_EQ(ch.status().code(), absl::StatusCode::kPermissionDenied);
    } else {
      ASSERT_TRUE(server.ok()) << server.status();
      ASSERT_TRUE(ch.ok()) << ch.status();
      EXPECT_EQ(presented, client_id->fingerprint());
    }
  }
  TlsOptions many{&a, "", kGenerous, kGenerous, {b.fingerprint()}};
  EXPECT_EQ(TlsConnect("127.0.0.1", port, many).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TlsConnectTest, UnresolvableHostIsUnavailable) {
  ScopedTempDir dir;
  ASSERT_TRUE(GenerateIdentity(dir.path()).ok());
  Identity a = *Identity::Load(dir.path());
  TlsOptions o{&a, a.fingerprint(), absl::Seconds(2), kGenerous, {}};
  auto c = TlsConnect("no-such-host.invalid", 7000, o);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable) << c.status();
}

}  // namespace
}  // namespace liaison::net
