#include "data/internal/url.h"

#include <string>

#include "data/internal/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::data::internal {
namespace {

using ::testing::HasSubstr;

struct Case {
  const char* in;
  const char* want;
};

void ExpectAll(const Case* begin, const Case* end) {
  for (const Case* c = begin; c != end; ++c) {
    auto got = NormalizeUrl(c->in);
    ASSERT_TRUE(got.ok()) << c->in << ": " << got.status();
    EXPECT_EQ(*got, c->want) << c->in;
  }
}

// RFC 3986 section 6.2.2: case, percent-encoding and dot segments.
TEST(NormalizeUrlTest, SyntaxBasedNormalisation) {
  const Case cases[] = {
      {"HTTP://www.Example.com/", "http://www.example.com/"},
      {"eXAMPLE://a/./b/../b/%63/%7bfoo%7d", "example://a/b/c/%7Bfoo%7D"},
      {"http://a/%7euser/%41%2d%2E%5f%7E", "http://a/~user/A-._~"},
      {"http://a/%3a%2F%25", "http://a/%3A%2F%25"},
      {"http://a/?%7e=%7E#%7e", "http://a/?~=~#~"},
      {"http://A%2Eb.EXAMPLE/", "http://a.b.example/"},
  };
  ExpectAll(std::begin(cases), std::end(cases));
}

// RFC 3986 section 6.2.3: scheme-based normalisation.
TEST(NormalizeUrlTest, SchemeBasedNormalisation) {
  const Case cases[] = {
      {"http://example.com", "http://example.com/"},
      {"http://example.com/", "http://example.com/"},
      {"http://example.com:/", "http://example.com/"},
      {"http://example.com:80/", "http://example.com/"},
      {"https://example.com:80/", "https://example.com:80/"},
      {"ws://example.com:80", "ws://example.com/"},
      {"ftp://example.com:21", "ftp://example.com/"},
      {"custom://example.com", "custom://example.com"},
  };
  ExpectAll(std::begin(cases), std::end(cases));
}

// RFC 3986 section 5.2.4 and the normal examples of section 5.4.1 that stay
// within one base ("http://a/b/c/d;p?q").
TEST(NormalizeUrlTest, RemovesDotSegments) {
  const Case cases[] = {
      {"http://a/b/c/./../../g", "http://a/g"},
      {"http://a/b/c/.", "http://a/b/c/"},
      {"http://a/b/c/./", "http://a/b/c/"},
      {"http://a/b/c/..", "http://a/b/"},
      {"http://a/b/c/../", "http://a/b/"},
      {"http://a/b/c/../g", "http://a/b/g"},
      {"http://a/b/c/../..", "http://a/"},
      {"http://a/b/c/../../../g", "http://a/g"},
      {"http://a/b/c/../../../../g", "http://a/g"},
      {"http://a/b/c/g.", "http://a/b/c/g."},
      {"http://a/b/c/.g", "http://a/b/c/.g"},
      {"http://a/b/c/g..", "http://a/b/c/g.."},
      {"http://a/b/c/..g", "http://a/b/c/..g"},
      {"http://a/b/c/./g/.", "http://a/b/c/g/"},
      {"http://a/b/c/g/./h", "http://a/b/c/g/h"},
      {"http://a/b/c/g/../h", "http://a/b/c/h"},
      {"http://a/b/c/g;x=1/./y", "http://a/b/c/g;x=1/y"},
      {"http://a/b/c/g;x=1/../y", "http://a/b/c/y"},
      {"http://a/b/c/./g?y/./x", "http://a/b/c/g?y/./x"},
      {"http://a/b//c/../d", "http://a/b//d"},
  };
  ExpectAll(std::begin(cases), std::end(cases));
}

TEST(NormalizeUrlTest, PercentEncodesWhatMayNotAppear) {
  const Case cases[] = {
      {"http://a/ä ö", "http://a/%C3%A4%20%C3%B6"},
      {"http://a/\"<>\\^`{|}", "http://a/%22%3C%3E%5C%5E%60%7B%7C%7D"},
      {"http://a/[x]?[y]#[z]", "http://a/%5Bx%5D?%5By%5D#%5Bz%5D"},
      {"http://a/%", "http://a/%25"},
      {"http://a/%4", "http://a/%254"},
      {"http://a/#x#y", "http://a/#x%23y"},
  };
  ExpectAll(std::begin(cases), std::end(cases));
}

TEST(NormalizeUrlTest, NormalisesHosts) {
  const Case cases[] = {
      {"http://BÜCHER.example/", "http://xn--bcher-kva.example/"},
      {"http://b%C3%BCcher.example/", "http://xn--bcher-kva.example/"},
      {"http://[2001:DB8:0::1]/", "http://[2001:db8::1]/"},
      {"http://[::FFFF:192.0.2.1]:81/", "http://[::ffff:192.0.2.1]:81/"},
      {"http://192.0.2.1:8080", "http://192.0.2.1:8080/"},
      {"http://u%7e:p%3a@a/", "http://u~:p%3A@a/"},
  };
  ExpectAll(std::begin(cases), std::end(cases));
}

TEST(NormalizeUrlTest, KeepsOpaqueUris) {
  const Case cases[] = {
      {"mailto:Jane@Example.com", "mailto:Jane@Example.com"},
      {"urn:ISBN:0451450523", "urn:ISBN:0451450523"},
      {"foo:a/./b", "foo:a/./b"},
      {"foo:/a/./b", "foo:/a/b"},
  };
  ExpectAll(std::begin(cases), std::end(cases));
}

TEST(NormalizeUrlTest, RejectsWithReasons) {
  struct Bad {
    const char* in;
    const char* reason;
  };
  const Bad cases[] = {
      {"example.com/x", "url has no scheme"},
      {"1http://x", "url has no scheme"},
      {"http://a/\t", "url contains a control character"},
      {"http://a:99999/", "url port out of range"},
      {"http://a:1x/", "url is not valid RFC 3986 syntax"},
      {"http://a b/", "url host: domain label contains a space"},
      {"http://[::1/", "url is not valid RFC 3986 syntax"},
      {"https:///x", "url scheme https needs a host"},
      {"https:x", "url scheme https needs '//' and a host"},
      {"http://1.2.3.04/", "url host: ipv4 octet has a leading zero"},
      {"http://a%00b/", "url host: domain contains a NUL byte"},
  };
  for (const auto& c : cases) {
    auto got = NormalizeUrl(c.in);
    ASSERT_FALSE(got.ok()) << c.in << " gave " << *got;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(MessageOf(got.status())), HasSubstr(c.reason))
        << c.in;
  }
}

TEST(HasUrlSchemeTest, NeedsSchemeAndDoubleSlash) {
  EXPECT_TRUE(HasUrlScheme("http://x"));
  EXPECT_TRUE(HasUrlScheme("svn+ssh://x"));
  EXPECT_FALSE(HasUrlScheme("mailto:x"));
  EXPECT_FALSE(HasUrlScheme("://x"));
  EXPECT_FALSE(HasUrlScheme("1a://x"));
}

}  // namespace
}  // namespace liaison::data::internal
