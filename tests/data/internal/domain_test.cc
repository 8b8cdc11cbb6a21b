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
  EXPECT_EQ(MessageOf(bad.status()), "domain is not valid UTF-8 (byte 2 is \\xFC)");
}

TEST(NormalizeDomainTest, RejectsC1ControlsNamingTheByte) {
  auto bad = NormalizeDomain("a\xC2\x9B" "31m.example");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(MessageOf(bad.status()), "domain contains the control character \\u{009B} (byte 2)");
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

TEST(NormalizeEmailTest, KeepsAUtf8LocalPart) {
  auto got = NormalizeEmail("j\xC3\xBCrgen@example.com");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "j\xC3\xBCrgen@example.com");
}

// Issue 12: control bytes and invalid UTF-8 in the local part were kept.
TEST(NormalizeEmailTest, RejectsInvalidUtf8InTheLocalPart) {
  for (const char* bad : {"j\xFCrgen@example.com", "a\xC0\xAF@example.com", "a\xE2\x82@example.com",
                          "\xED\xA0\x80@example.com"}) {
    auto got = NormalizeEmail(bad);
    ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(MessageOf(got.status())),
                HasSubstr("email local part is not valid UTF-8 (byte "))
        << bad;
  }
  EXPECT_EQ(MessageOf(NormalizeEmail("j\xFCrgen@example.com").status()),
            "email local part is not valid UTF-8 (byte 2 is \\xFC)");
}

TEST(NormalizeEmailTest, RejectsControlCharactersInTheLocalPart) {
  EXPECT_EQ(MessageOf(NormalizeEmail("a\x1b]0;x\x07@example.com").status()),
            "email local part contains the control character \\x1B (byte 2)");
  EXPECT_EQ(MessageOf(NormalizeEmail("a\xC2\x85" "b@example.com").status()),
            "email local part contains the control character \\u{0085} (byte 2)");
  EXPECT_EQ(MessageOf(NormalizeEmail("a\x7f@example.com").status()),
            "email local part contains the control character \\x7F (byte 2)");
  EXPECT_EQ(MessageOf(NormalizeEmail("a b@example.com").status()),
            "email local part contains a space (byte 2)");
  EXPECT_EQ(NormalizeEmail(std::string("a\0b@example.com", 15)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NormalizeEmailTest, RejectsControlCharactersAndInvalidUtf8InTheDomain) {
  EXPECT_EQ(MessageOf(NormalizeEmail("a@ex\xFFmple.com").status()),
            "email domain is not valid UTF-8 (byte 3 is \\xFF)");
  EXPECT_EQ(MessageOf(NormalizeEmail("a@ex\xC2\x9B" "ample.com").status()),
            "email domain contains the control character \\u{009B} (byte 3)");
  EXPECT_EQ(NormalizeEmail("a@ex\x1b" "ample.com").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NormalizeEmailTest, ReportsDomainReasonsWithPrefix) {
  auto got = NormalizeEmail("a@b..c");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(MessageOf(got.status()), "email domain has an empty label");
}

}  // namespace
}  // namespace liaison::data::internal
