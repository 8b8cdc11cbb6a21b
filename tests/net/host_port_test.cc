#include "net/host_port.h"

#include "gtest/gtest.h"

namespace liaison::net {
namespace {

TEST(ParseHostPortTest, AcceptsNamesIPv4AndBracketedIPv6) {
  struct Case {
    const char* in;
    const char* host;
    uint16_t port;
  };
  for (const Case& c : {Case{"127.0.0.1:7000", "127.0.0.1", 7000},
                        Case{"[::1]:7000", "::1", 7000},
                        Case{"[2001:db8::1]:443", "2001:db8::1", 443},
                        Case{"node-1.example.org:65535", "node-1.example.org", 65535},
                        Case{"localhost:0", "localhost", 0}}) {
    auto hp = ParseHostPort(c.in);
    ASSERT_TRUE(hp.ok()) << c.in << ": " << hp.status();
    EXPECT_EQ(hp->host, c.host);
    EXPECT_EQ(hp->port, c.port);
  }
}

TEST(ParseHostPortTest, RejectsJunk) {
  for (const char* in :
       {"", ":", "7000", "host", "host:", ":7000", "host:70000", "host:-1", "host:7x",
        "host:123456", "::1:7000", "[::1]", "[::1]7000", "[::1:7000", "[nothost]:7000",
        "ho st:7000", "host/x:7000", "host:7000 ", "[]:7000"}) {
    EXPECT_EQ(ParseHostPort(in).status().code(), absl::StatusCode::kInvalidArgument) << in;
  }
}

}  // namespace
}  // namespace liaison::net
