#include "data/internal/detect.h"

#include <string>

#include "gtest/gtest.h"

namespace liaison::data::internal {
namespace {

struct Case {
  std::string in;
  std::optional<ItemType> want;
};

TEST(DetectCandidateTypeTest, FollowsTheRuleOrder) {
  const Case cases[] = {
      {"http://a", ItemType::kUrl},
      {"git+ssh://a", ItemType::kUrl},
      {"mailto:a@b", ItemType::kEmail},  // no "://": not a URL in auto mode
      {"a@b", ItemType::kEmail},
      {"http://a@b", ItemType::kUrl},
      {"10.0.0.0/8", ItemType::kCidr},
      {"::/0", ItemType::kCidr},
      {"a.b/c", ItemType::kCidr},  // shape only; cidr rules reject it later
      {"example.com/x", std::nullopt},
      {"/8", std::nullopt},
      {"::1", ItemType::kIpv6},
      {"fe80::1%eth0", ItemType::kIpv6},
      {"C:\\x", std::nullopt},
      {"1.2.3.4", ItemType::kIpv4},
      {"1.2", ItemType::kIpv4},
      {"1234", std::nullopt},
      {std::string(32, 'a'), ItemType::kMd5},
      {std::string(40, '0'), ItemType::kSha1},
      {std::string(64, 'F'), ItemType::kSha256},
      {std::string(128, 'e'), ItemType::kSha512},
      {std::string(33, 'a'), std::nullopt},
      {"example.com", ItemType::kDomain},
      {"localhost", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(DetectCandidateType(c.in), c.want) << c.in;
  }
}

}  // namespace
}  // namespace liaison::data::internal
