#include "cli/commands.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::cli {
namespace {

using ::testing::HasSubstr;

PsiOptions WithProtocol(std::string protocol) {
  PsiOptions o;
  o.protocol = std::move(protocol);
  return o;
}

TEST(ProtocolForTest, KnownNamesMapToTheirProtocol) {
  EXPECT_EQ(*ProtocolFor(WithProtocol("")), "rr22-psi");
  EXPECT_EQ(*ProtocolFor(WithProtocol("rr22")), "rr22-psi");
  EXPECT_EQ(*ProtocolFor(WithProtocol("rr22-psi")), "rr22-psi");
  EXPECT_EQ(*ProtocolFor(WithProtocol("ecdh")), "ecdh-psi");
  EXPECT_EQ(*ProtocolFor(WithProtocol("ecdh-psi")), "ecdh-psi");
}

// The regression of issue 12: `--protocol foo` silently ran rr22.
TEST(ProtocolForTest, UnknownProtocolIsInvalidArgumentNamingTheFlag) {
  absl::StatusOr<std::string> p = ProtocolFor(WithProtocol("foo"));
  ASSERT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << p.status();
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("--protocol"));
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("'foo'"));
  EXPECT_EQ(ProtocolFor(WithProtocol("RR22")).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace liaison::cli
