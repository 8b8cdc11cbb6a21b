#include "dp/rational.h"

#include <gmpxx.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::dp {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

mpq_class Q(const char* text) { return mpq_class(text); }

TEST(ParseDecimalTest, ParsesExactly) {
  struct Case {
    const char* text;
    const char* want;  // GMP's "num/den"
  };
  const std::vector<Case> cases = {
      {"0.5", "1/2"},
      {"1", "1"},
      {"1e-6", "1/1000000"},
      {"0.001", "1/1000"},
      {"0.1", "1/10"},
      {"2.5E3", "2500"},
      {"1e+2", "100"},
      {"007", "7"},
      {"0.250", "1/4"},
      {"-0.75", "-3/4"},
      {"3.14159", "314159/100000"},
      {"1.5e-1", "3/20"},
      {"0", "0"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<mpq_class> q = ParseDecimal("epsilon", c.text);
    ASSERT_TRUE(q.ok()) << c.text << ": " << q.status();
    EXPECT_EQ(*q, Q(c.want)) << c.text;
  }
}

TEST(ParseDecimalTest, TenthsAddUpExactly) {
  mpq_class sum = 0;
  for (int i = 0; i < 10; ++i) sum += *ParseDecimal("epsilon", "0.1");
  EXPECT_EQ(sum, 1);
}

TEST(ParseDecimalTest, RejectsGarbageNamingTheParameter) {
  for (const char* bad :
       {"",      "nan", "NaN",   "inf", "-inf", "abc",  "1.",  ".5",
        "1e",    "1e-", "+1",    " 1",  "1 ",   "0x10", "1,5", "1.2.3",
        "1e5e5", "--1", "1e400", "e5",  "1/2",  "١"}) {
    absl::StatusOr<mpq_class> q = ParseDecimal("delta", bad);
    ASSERT_FALSE(q.ok()) << "accepted \"" << bad << "\"";
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(q.status().message()), StartsWith("delta: "))
        << bad;
  }
}

TEST(ParseDecimalTest, RejectsOverlongText) {
  const std::string long_text(kMaxDecimalLen + 1, '1');
  absl::StatusOr<mpq_class> q = ParseDecimal("epsilon", long_text);
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
  // The message quotes only the start of the text.
  EXPECT_LT(q.status().message().size(), 120u);
}

TEST(ParsePositiveTest, RejectsZeroAndNegatives) {
  EXPECT_EQ(*ParsePositive("epsilon", "0.5"), Q("1/2"));
  for (const char* bad : {"0", "0.000", "-0.5", "-1", "0e10"}) {
    absl::StatusOr<mpq_class> q = ParsePositive("epsilon", bad);
    ASSERT_FALSE(q.ok()) << bad;
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(q.status().message()), StartsWith("epsilon: "));
    EXPECT_THAT(std::string(q.status().message()), HasSubstr("positive"));
  }
}

TEST(ParseProbabilityTest, AcceptsOnlyOpenUnitInterval) {
  EXPECT_EQ(*ParseProbability("delta", "1e-6"), Q("1/1000000"));
  EXPECT_EQ(*ParseProbability("delta", "0.999"), Q("999/1000"));
  for (const char* bad : {"0", "1", "1.0", "2", "-1e-6", "x"}) {
    absl::StatusOr<mpq_class> q = ParseProbability("delta", bad);
    ASSERT_FALSE(q.ok()) << bad;
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(q.status().message()), StartsWith("delta: "));
  }
}

TEST(ParseIntegerTest, ParsesWholeNumbersInRange) {
  EXPECT_EQ(*ParseInteger("lo", "-1000"), -1000);
  EXPECT_EQ(*ParseInteger("hi", "1e6"), 1000000);
  EXPECT_EQ(*ParseInteger("hi", "2.50e1"), 25);
  EXPECT_EQ(*ParseInteger("hi", "9223372036854775807"), INT64_MAX);
  EXPECT_EQ(*ParseInteger("lo", "-9223372036854775808"), INT64_MIN);
  for (const char* bad :
       {"2.5", "9223372036854775808", "1e19", "-1e19", "1e-1", "ten"}) {
    absl::StatusOr<int64_t> v = ParseInteger("hi", bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(v.status().message()), StartsWith("hi: "));
  }
}

TEST(FormatRationalTest, WritesExactFractions) {
  EXPECT_EQ(FormatRational(Q("1/10")), "1/10");
  EXPECT_EQ(FormatRational(Q("3")), "3");
  EXPECT_EQ(FormatRational(Q("-5/7")), "-5/7");
}

// Issue 12: the CLI printed "epsilon=1/2" and "delta 1/1000000".
TEST(FormatDecimalTest, FiniteDecimalsAreWrittenExactly) {
  EXPECT_EQ(FormatDecimal(Q("1/2")), "0.5");
  EXPECT_EQ(FormatDecimal(Q("1/1000000")), "0.000001");
  EXPECT_EQ(FormatDecimal(Q("1746890475/100000000000")), "0.01746890475");
  EXPECT_EQ(FormatDecimal(Q("3")), "3");
  EXPECT_EQ(FormatDecimal(Q("0")), "0");
  EXPECT_EQ(FormatDecimal(Q("-5/4")), "-1.25");
  EXPECT_EQ(FormatDecimal(Q("11/10")), "1.1");
  EXPECT_EQ(FormatDecimal(Q("1/8")), "0.125");
  EXPECT_EQ(FormatDecimal(Q("1000000")), "1000000");
}

TEST(FormatDecimalTest, ManyDecimalsGoScientificStillExact) {
  EXPECT_EQ(FormatDecimal(Q("1/1000000000000")), "0.000000000001");
  EXPECT_EQ(FormatDecimal(Q("1/10000000000000")), "1e-13");
  EXPECT_EQ(FormatDecimal(Q("15/10000000000000000")), "1.5e-15");
  EXPECT_EQ(FormatDecimal(Q("-1/100000000000000000000")), "-1e-20");
}

TEST(FormatDecimalTest, InfiniteExpansionsAreRoundedAndMarked) {
  EXPECT_EQ(FormatDecimal(Q("1/3")), "~0.333333");
  EXPECT_EQ(FormatDecimal(Q("-25/3")), "~-8.33333");
}

TEST(ParseRationalTextTest, ReadsFormatRationalsOutputAndNothingElse) {
  EXPECT_EQ(*ParseRationalText("epsilon", "1/2"), Q("1/2"));
  EXPECT_EQ(*ParseRationalText("epsilon", "-3"), Q("-3"));
  EXPECT_EQ(*ParseRationalText("epsilon", "2/4"), Q("1/2"));
  for (const char* bad : {"", "1/0", "0.5", "1e3", "a", "1//2", " 1"}) {
    absl::StatusOr<mpq_class> q = ParseRationalText("epsilon", bad);
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(RationalTextForPeople("1/1000000"), "0.000001");
  EXPECT_EQ(RationalTextForPeople("x\x1b"), "x\\x1B");
}

}  // namespace
}  // namespace liaison::dp
