#include "data/internal/ip.h"

#include "data/internal/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::data::internal {
namespace {

using ::testing::HasSubstr;

TEST(ParseIpv4Test, ParsesOctets) {
  auto a = ParseIpv4("192.0.2.255");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, (Ipv4Bytes{192, 0, 2, 255}));
  EXPECT_EQ(FormatIpv4(*a), "192.0.2.255");
}

TEST(ParseIpv4Test, RejectsLeadingZerosAsAmbiguous) {
  auto a = ParseIpv4("010.0.0.1");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(MessageOf(a.status())),
              HasSubstr("leading zero (010), which could be read as octal"));
  // A single zero is fine.
  EXPECT_TRUE(ParseIpv4("0.0.0.0").ok());
}

TEST(ParseIpv4Test, RejectsOutOfRangeOctet) {
  auto a = ParseIpv4("1.2.3.256");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(MessageOf(a.status()), "ipv4 octet out of range");
}

struct Ipv6Case {
  const char* in;
  const char* want;
};

// RFC 5952 sections 4 and 5.
TEST(FormatIpv6Test, FollowsRfc5952) {
  const Ipv6Case cases[] = {
      {"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},
      {"2001:db8:0000:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
      {"2001:DB8::AAAA", "2001:db8::aaaa"},
      {"0:0:0:0:0:0:0:0", "::"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"0:0:0:0:0:ffff:c000:0280", "::ffff:192.0.2.128"},
      {"0:0:0:0:0:fffe:c000:0280", "::fffe:c000:280"},
      {"1:0:0:0:0:ffff:c000:0280", "1::ffff:c000:280"},
      {"0:0:0:0:1:0:0:0", "::1:0:0:0"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
  };
  for (const auto& c : cases) {
    auto got = NormalizeIpv6(c.in);
    ASSERT_TRUE(got.ok()) << c.in << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.in;
  }
}

TEST(ParseIpv6Test, EmbeddedIpv4FillsTheLastTwoGroups) {
  auto a = ParseIpv6("::1.2.3.4");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)[12], 1);
  EXPECT_EQ((*a)[15], 4);
  auto full = ParseIpv6("1:2:3:4:5:6:1.2.3.4");
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(FormatIpv6(*full), "1:2:3:4:5:6:102:304");
}

TEST(ParseIpv6Test, RejectsZoneIds) {
  auto a = ParseIpv6("fe80::1%eth0");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(MessageOf(a.status())), HasSubstr("zone ids"));
}

TEST(NormalizeCidrTest, KeepsNetworksAndRejectsHostBits) {
  EXPECT_EQ(*NormalizeCidr("192.0.2.0/24"), "192.0.2.0/24");
  EXPECT_EQ(*NormalizeCidr("192.0.2.128/25"), "192.0.2.128/25");
  EXPECT_EQ(*NormalizeCidr("2001:db8:0:0::/64"), "2001:db8::/64");
  auto bad = NormalizeCidr("192.0.2.129/25");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(MessageOf(bad.status()),
            "cidr has host bits set beyond /25 (the network is "
            "192.0.2.128/25)");
}

TEST(NormalizeCidrTest, ChecksPrefixLengthPerFamily) {
  EXPECT_TRUE(NormalizeCidr("::/128").ok());
  EXPECT_FALSE(NormalizeCidr("0.0.0.0/33").ok());
  EXPECT_TRUE(NormalizeCidr("0.0.0.0/32").ok());
  EXPECT_FALSE(NormalizeCidr("::/129").ok());
}

TEST(NormalizeCidrTest, MasksEveryBitBoundary) {
  // Every prefix length of an all-ones IPv6 address names exactly one bit
  // pattern; only /128 has no host bits.
  for (int len = 0; len < 128; ++len) {
    auto r = NormalizeCidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/" +
                           std::to_string(len));
    EXPECT_FALSE(r.ok()) << len;
  }
  EXPECT_TRUE(
      NormalizeCidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128").ok());
}

}  // namespace
}  // namespace liaison::data::internal
