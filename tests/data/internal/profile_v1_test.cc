#include "data/internal/profile_v1.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::data::internal {
namespace {

using ::testing::HasSubstr;

// The definition must state the parameters the code uses; these spot checks
// tie a few of them to the constants in the normalisers.
TEST(ProfileV1DefinitionTest, StatesTheKeyParameters) {
  std::string d(ProfileV1Definition());
  EXPECT_THAT(d, HasSubstr("IDN2_NFC_INPUT|IDN2_NONTRANSITIONAL"));
  EXPECT_THAT(d, HasSubstr("host-bits: an address with any bit set beyond "
                           "the prefix length is rejected"));
  EXPECT_THAT(d, HasSubstr("default-ports: ftp 21, http 80, https 443, ws 80, "
                           "wss 443"));
  EXPECT_THAT(d, HasSubstr("1-63 octets"));
  EXPECT_THAT(d, HasSubstr("at most 253 octets"));
  EXPECT_THAT(d, HasSubstr("exactly 32, 40, 64 or 128 hex digits"));
  EXPECT_THAT(d, HasSubstr("not a recognised indicator type (give --type "
                           "string to match it exactly)"));
}

TEST(ProfileV1DefinitionTest, EveryLineIsAKeyValueOrASectionHeading) {
  std::string d(ProfileV1Definition());
  size_t start = 0;
  int line_no = 0;
  while (start < d.size()) {
    size_t end = d.find('\n', start);
    ASSERT_NE(end, std::string::npos) << "last line must end with LF";
    std::string line = d.substr(start, end - start);
    ++line_no;
    start = end + 1;
    if (line_no == 1 || line.empty()) continue;
    bool heading = line.front() == '[' && line.back() == ']';
    bool key_value = line.find(": ") != std::string::npos;
    EXPECT_TRUE(heading || key_value) << "line " << line_no << ": " << line;
    EXPECT_NE(line.back(), ' ') << "line " << line_no;
  }
}

}  // namespace
}  // namespace liaison::data::internal
