#include "data/internal/hex_digest.h"

#include <string>

#include "data/internal/text.h"
#include "gtest/gtest.h"

namespace liaison::data::internal {
namespace {

TEST(NormalizeHexDigestTest, LowerCasesExactLengthHex) {
  auto got = NormalizeHexDigest("ABCDEFabcdef0123456789ABCDEF0123", "md5", 32);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "abcdefabcdef0123456789abcdef0123");
}

TEST(NormalizeHexDigestTest, WrongLengthNamesTypeAndLengths) {
  for (size_t len : {0u, 1u, 63u, 65u, 128u}) {
    auto got = NormalizeHexDigest(std::string(len, 'a'), "sha256", 64);
    ASSERT_FALSE(got.ok()) << len;
    EXPECT_EQ(MessageOf(got.status()),
              "sha256 must be 64 hex digits, got " + std::to_string(len));
  }
}

TEST(NormalizeHexDigestTest, NonHexNamesTheCharacterAndOffset) {
  auto got = NormalizeHexDigest("abc:", "sha1", 40);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(MessageOf(got.status()),
            "sha1 must be hex digits only, found ':' at offset 3");
}

}  // namespace
}  // namespace liaison::data::internal
