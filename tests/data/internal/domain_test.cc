#include "data/internal/domain.h"

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

TEST(NormalizeDomainTest, ProducesLowerCaseALabels) {
  const Case cases[] = {
      {"WWW.Example.COM", "www.example.com"},
      {"BÜCHER.example.", "xn--bcher-kva.example"},
      // UTS #46 non-transitional: sharp s and final sigma are kept, not
      // mapped to "ss" / sigma as transitional processing would.
      {"faß.de", "xn--fa-hia.de"},
      {"βόλος.com", "xn--nxasmm1c.com"},
      // NFC: "u" + combining diaeresis equals the precomposed "ü".
      {"bu\xcc\x88"
       "cher.example",
       "xn--bcher-kva.example"},
      // Full-width letters and the ideographic full stop are mapped.
      {"ＥＸＡＭＰＬＥ。com", "example.com"},
      {"xn--BCHER-kva.EXAMPLE", "xn--bcher-kva.example"},
  };
  for (const auto& c : cases) {
    auto got = NormalizeDomain(c.in);
    ASSERT_TRUE(got.ok()) << c.in << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.in;
  }
}

TEST(NormalizeDomainTest, EnforcesLengthLimits) {
  std::string label63(63, 'a');
  EXPECT_TRUE(NormalizeDomain(label63 + ".example").ok());
  auto too_long_label = NormalizeDomain(label63 + "a.example");
  ASSERT_FALSE(too_long_label.ok());
  EXPECT_EQ(MessageOf(too_long_label.status()),
            "domain label longer than 63 characters");

  // 4 labels of 63 and the dots: 255 octets; 253 is the most allowed.
  std::string name =
      label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(name.size(), 253u);
  EXPECT_TRUE(NormalizeDomain(name).ok());
  EXPECT_TRUE(NormalizeDomain(name + ".").ok()) << "trailing dot is free";
  auto too_long = NormalizeDomain(name + "b");
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(MessageOf(too_long.status()), "domain longer than 253 characters");
}

TEST(NormalizeDomainTest, AppliesTheLdhRule) {
  for (const char* bad : {"a_b.example", "a b.example", "a*.example",
                          "a!b.example", "-ab.example", "ab-.example"}) {
    auto got = NormalizeDomain(bad);
    EXPECT_FALSE(got.ok()) << bad;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(NormalizeDomainTest, ChecksALabels) {
  auto bad = NormalizeDomain("xn--a.example");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(MessageOf(bad.status())),
              HasSubstr("not a valid IDNA A-label"));
}

TEST(NormalizeDomainTest, RejectsInvalidUtf8) {
  auto bad = NormalizeDomain(
      "b\xfc"
      "cher.example");  // Latin-1, not UTF-8
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(MessageOf(bad.status())),
              HasSubstr("not a valid internationalised name"));
}

TEST(NormalizeDomainTest, RejectsAllDigitTopLevelLabel) {
  auto bad = NormalizeDomain("192.0.2.1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(MessageOf(bad.status()), "domain top-level label is all digits");
  EXPECT_TRUE(NormalizeDomain("192.0.2.example").ok());
}

TEST(NormalizeEmailTest, KeepsLocalPartAndNormalisesDomain) {
  auto got = NormalizeEmail("Jane.Doe+Tag@BÜCHER.Example");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "Jane.Doe+Tag@xn--bcher-kva.example");
}

TEST(NormalizeEmailTest, SplitsAtTheLastAt) {
  auto got = NormalizeEmail("\"odd@local\"@Example.com");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "\"odd@local\"@example.com");
}

TEST(NormalizeEmailTest, ReportsDomainReasonsWithPrefix) {
  auto got = NormalizeEmail("a@b..c");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(MessageOf(got.status()), "email domain has an empty label");
}

}  // namespace
}  // namespace liaison::data::internal
