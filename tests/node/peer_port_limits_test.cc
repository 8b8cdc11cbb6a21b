// The peer port against clients that connect and stall (issue 12): strangers
// that open TCP connections and never finish their TLS handshake, and a
// pinned partner that opens connections and never offers. The test plays
// them on loopback against a daemon "bravo" in this process, and plays its
// partner "alpha" by hand (peer_protocol.h), as daemon_peer_test.cc does.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/version.h"
#include "gtest/gtest.h"
#include "net/identity.h"
#include "net/tls_channel.h"
#include "node/daemon.h"
#include "node/home.h"
#include "node/peer_protocol.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace liaison::node {
namespace {

// Socket is a raw TCP connection to 127.0.0.1:port that sends nothing (or
// what Send gives it): a stranger who stalls.
class Socket {
 public:
  explicit Socket(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~Socket() { close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool connected() const { return connected_; }
  void Send(const std::string& bytes) {
    ASSERT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // ClosedByPeerWithin: the server closed (or reset) the connection within
  // `ms` milliseconds.
  bool ClosedByPeerWithin(int ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, ms) != 1) return false;
    char c;
    return recv(fd_, &c, 1, MSG_DONTWAIT) <= 0;
  }

 private:
  int fd_;
  bool connected_ = false;
};

// The first bytes of a TLS ClientHello record, and then nothing.
const std::string kPartialClientHello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);

class PeerPortLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = tmp_.Sub("bravo");
    auto init = InitHome(home_, InitOptions{"bravo"});
    ASSERT_TRUE(init.ok()) << init.status();
    bravo_fp_ = init->fingerprint;
    for (const char* name : {"alpha", "charlie"}) {
      auto fp = net::GenerateIdentity(tmp_.Sub(name));
      ASSERT_TRUE(fp.ok()) << fp.status();
      auto id = net::Identity::Load(tmp_.Sub(name));
      ASSERT_TRUE(id.ok()) << id.status();
      fingerprints_[name] = *fp;
      identities_[name] = std::make_unique<net::Identity>(std::move(*id));
    }
    liaison::testing::WriteFile(HomePath(home_, "ind.txt"), "10.0.0.1\n10.0.0.2\n10.0.0.3\n");
  }

  // Start writes bravo's config, with `node_keys` in its [node] table, and
  // starts it; alpha and charlie are its peers in alliance fin.
  std::unique_ptr<Daemon> Start(const std::string& node_keys) {
    auto port = [] { return std::to_string(liaison::testing::FreePort()); };
    std::string alliance =
        "[alliances.fin]\nmembers = [\"alpha\", \"charlie\"]\nquestions = [\"match\"]\n"
        "protocols = [\"rr22\"]\nmax_set_size = 1000\njobs_per_hour_per_peer = 1000\n"
        "approval = \"auto\"\ntlp_ceiling = \"amber\"\n"
        "[alliances.fin.datasets]\nalpha = [\"ind\"]\ncharlie = [\"ind\"]\n";
    liaison::testing::WriteFile(
        HomePath(home_, kConfigFile),
        "[node]\nname = \"bravo\"\npeer_listen = \"127.0.0.1:" + port() +
            "\"\nrest_listen = \"127.0.0.1:" + port() + "\"\nshutdown_grace_seconds = 2\n" +
            node_keys + "[peers.alpha]\naddress = \"127.0.0.1:1\"\nfingerprint = \"" +
            fingerprints_["alpha"] + "\"\n[peers.charlie]\naddress = \"127.0.0.1:1\"\n" +
            "fingerprint = \"" + fingerprints_["charlie"] + "\"\n" +
            "[datasets.ind]\nfile = \"ind.txt\"\ntlp = \"amber\"\n" + alliance);
    DaemonOptions options;
    options.home = home_;
    options.peer_io_timeout = absl::Seconds(10);
    auto d = Daemon::Start(options);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? std::move(*d) : nullptr;
  }

  // Connect opens a TLS connection to bravo as `who` (alpha or charlie),
  // waiting at most 5 s for the handshake.
  absl::StatusOr<std::unique_ptr<net::Channel>> Connect(Daemon& d, const std::string& who) {
    net::TlsOptions tls;
    tls.identity = identities_[who].get();
    tls.peer_fingerprint = bravo_fp_;
    tls.connect_timeout = absl::Seconds(5);
    tls.io_timeout = absl::Seconds(5);
    return net::TlsConnect("127.0.0.1", d.peer_port(), tls);
  }

  // OfferMatch offers bravo a match job `n` from `who` on `channel` and
  // returns its verdict.
  absl::StatusOr<Verdict> OfferMatch(net::Channel& channel, int n) {
    JobOffer o;
    o.job_id = "job_" + std::string(31, '0') + std::to_string(n % 10);
    o.alliance = "fin";
    o.question = "match";
    o.protocol = "rr22";
    o.result_to = session::ResultTo::kMe;
    o.set_size = 3;
    o.profile_name = std::string(data::Profile::V1().name());
    o.profile_version = static_cast<uint32_t>(data::Profile::V1().version());
    o.profile_digest = data::Profile::V1().digest();
    o.software_version = kVersion;
    o.security = session::Security::kMalicious;
    LIAISON_RETURN_IF_ERROR(SendOffer(channel, o));
    return RecvVerdict(channel);
  }

  // ExpectAccepted: a fresh connection of `who` gets its offer `n` accepted.
  void ExpectAccepted(Daemon& d, const std::string& who, int n) {
    auto ch = Connect(d, who);
    ASSERT_TRUE(ch.ok()) << ch.status();
    auto v = OfferMatch(**ch, n);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->kind, VerdictKind::kAccept) << v->code << ": " << v->reason;
  }

  liaison::testing::ScopedTempDir tmp_;
  std::string home_;
  std::string bravo_fp_;
  std::map<std::string, std::string> fingerprints_;
  std::map<std::string, std::unique_ptr<net::Identity>> identities_;
};

TEST_F(PeerPortLimitsTest, StrangersStallingTheirHandshakesDoNotHoldUpAPartner) {
  // Before, one thread ran every handshake in turn, each waiting up to the
  // I/O timeout (10 s here): two idle connections held a partner for 20 s.
  auto d = Start("");
  ASSERT_NE(d, nullptr);
  std::vector<std::unique_ptr<Socket>> strangers;
  for (int i = 0; i < 40; ++i) {
    strangers.push_back(std::make_unique<Socket>(d->peer_port()));
    ASSERT_TRUE(strangers.back()->connected());
    if (i % 4 == 0) strangers.back()->Send(kPartialClientHello);
  }
  ExpectAccepted(*d, "alpha", 1);
}

TEST_F(PeerPortLimitsTest, AStalledHandshakeIsClosedAfterTheHandshakeTimeout) {
  auto d = Start("handshake_timeout_seconds = 1\n");
  ASSERT_NE(d, nullptr);
  Socket idle(d->peer_port());
  Socket partial(d->peer_port());
  partial.Send(kPartialClientHello);
  // Before, the connection was kept for the 10 s I/O timeout.
  EXPECT_TRUE(idle.ClosedByPeerWithin(5000));
  EXPECT_TRUE(partial.ClosedByPeerWithin(5000));
}

TEST_F(PeerPortLimitsTest, AtTheHandshakeCapANewConnectionDisplacesTheOldest) {
  // With room for 4 handshakes and long timeouts, 10 stalled connections
  // would lock everyone out if the cap refused newcomers; it drops the
  // oldest instead, so the partner, connecting last, gets through.
  auto d = Start("handshake_timeout_seconds = 60\nmax_handshakes = 4\n"
                 "max_handshakes_per_address = 4\n");
  ASSERT_NE(d, nullptr);
  std::vector<std::unique_ptr<Socket>> strangers;
  for (int i = 0; i < 10; ++i) strangers.push_back(std::make_unique<Socket>(d->peer_port()));
  // The oldest ones were displaced (closed) long before their 60 s.
  EXPECT_TRUE(strangers[0]->ClosedByPeerWithin(5000));
  EXPECT_TRUE(strangers[5]->ClosedByPeerWithin(5000));
  ExpectAccepted(*d, "alpha", 1);
}

TEST_F(PeerPortLimitsTest, APeersIdleConnectionsNeitherMakeTheNodeBusyNorStay) {
  // Before, every open connection counted against max_concurrent_jobs (2):
  // three idle ones of charlie's made every partner's offer "busy".
  auto d = Start("handshake_timeout_seconds = 2\n");
  ASSERT_NE(d, nullptr);
  std::vector<std::unique_ptr<net::Channel>> idle;
  for (int i = 0; i < 3; ++i) {
    auto ch = Connect(*d, "charlie");
    ASSERT_TRUE(ch.ok()) << ch.status();
    idle.push_back(*std::move(ch));
  }
  ExpectAccepted(*d, "alpha", 1);
  // An idle partner connection is closed once it has had as long for its
  // offer as a stranger has for its handshake.
  auto v = RecvVerdict(*idle[0]);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable) << v.status();
}

TEST_F(PeerPortLimitsTest, APeerOverItsConnectionQuotaIsBusyAndOthersAreNot) {
  auto d = Start("max_connections_per_peer = 2\nhandshake_timeout_seconds = 30\n");
  ASSERT_NE(d, nullptr);
  std::vector<std::unique_ptr<net::Channel>> idle;
  for (int i = 0; i < 2; ++i) {
    auto ch = Connect(*d, "charlie");
    ASSERT_TRUE(ch.ok()) << ch.status();
    idle.push_back(*std::move(ch));
  }
  auto third = Connect(*d, "charlie");
  ASSERT_TRUE(third.ok()) << third.status();
  auto v = OfferMatch(**third, 2);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kPending);
  EXPECT_EQ(v->code, "busy") << v->reason;
  // Charlie's quota is charlie's: alpha is served.
  ExpectAccepted(*d, "alpha", 1);
}

TEST_F(PeerPortLimitsTest, BusyIsAnsweredBeforeTheDatasetIsRead) {
  // One job slot, held by an accepted job whose initiator never says "go".
  auto d = Start("max_concurrent_jobs = 1\n");
  ASSERT_NE(d, nullptr);
  auto holder = Connect(*d, "alpha");
  ASSERT_TRUE(holder.ok()) << holder.status();
  auto held = OfferMatch(**holder, 1);
  ASSERT_TRUE(held.ok()) << held.status();
  ASSERT_EQ(held->kind, VerdictKind::kAccept) << held->reason;
  // The dataset is now a FIFO nobody writes: an offer that read it would
  // never be answered (before, every offer was read first, then found the
  // node busy). A node at capacity answers "busy" without reading.
  const std::string file = HomePath(home_, "ind.txt");
  ASSERT_EQ(std::remove(file.c_str()), 0);
  ASSERT_EQ(mkfifo(file.c_str(), 0600), 0);
  auto ch = Connect(*d, "charlie");
  ASSERT_TRUE(ch.ok()) << ch.status();
  auto v = OfferMatch(**ch, 2);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kPending) << v->code << ": " << v->reason;
  EXPECT_EQ(v->code, "busy");
  // Let a reader the test may have blocked go (it then reads an empty file).
  const int w = open(file.c_str(), O_WRONLY | O_NONBLOCK);
  if (w >= 0) close(w);
}

}  // namespace
}  // namespace liaison::node
