#include "base/build_info.h"

#include <unistd.h>

#include <cstdio>
#include <future>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison {
namespace {

TEST(BuildInfoTest, FileDigestIsSha256OfTheContents) {
  char path[] = "/tmp/liaison-build-info-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "abc", 3), 3);
  close(fd);
  absl::StatusOr<std::string> d = FileBuildDigest(path);
  std::remove(path);
  ASSERT_TRUE(d.ok()) << d.status();
  // FIPS 180-2, appendix B.1.
  EXPECT_EQ(*d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(BuildInfoTest, MissingFileIsNotFound) {
  EXPECT_EQ(FileBuildDigest("/nonexistent/liaison").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(BuildInfoTest, BuildDigestIsThatOfTheRunningExecutableOnEveryThread) {
  absl::StatusOr<std::string> file = FileBuildDigest("/proc/self/exe");
  ASSERT_TRUE(file.ok()) << file.status();
  std::vector<std::future<absl::StatusOr<std::string>>> calls;
  for (int i = 0; i < 8; ++i) calls.push_back(std::async(std::launch::async, BuildDigest));
  for (auto& c : calls) {
    absl::StatusOr<std::string> d = c.get();
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(*d, *file);
  }
  EXPECT_EQ(BuildDigestOrEmpty(), *file);
  EXPECT_TRUE(IsBuildDigest(*file));
}

TEST(BuildInfoTest, ParseBuildDigestCanonicalisesAndRejectsTheRest) {
  const std::string hex(64, 'a');
  absl::StatusOr<std::string> upper = ParseBuildDigest("SHA256:" + std::string(64, 'A'));
  ASSERT_TRUE(upper.ok()) << upper.status();
  EXPECT_EQ(*upper, "sha256:" + hex);
  for (const std::string& bad : {std::string(), hex, "sha256:" + hex.substr(1),
                                "sha256:" + hex + "a", "sha512:" + hex,
                                "sha256:" + std::string(63, 'a') + "g"}) {
    EXPECT_EQ(ParseBuildDigest(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(IsBuildDigest(bad)) << bad;
  }
  EXPECT_FALSE(IsBuildDigest("sha256:" + std::string(64, 'A')));
}

}  // namespace
}  // namespace liaison
