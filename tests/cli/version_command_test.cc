// `liaison version` and `liaison --version`, run as a process.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/version.h"
#include "crypto/hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/subprocess.h"

namespace liaison {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::MatchesRegex;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

class VersionCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/liaison-version-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(VersionCommandTest, PrintsVersionCommitAndTheSha256OfTheBinaryFile) {
  testing::ProcessResult r = testing::RunLiaison({"version"}, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string file = testing::ReadFileOrEmpty(testing::kLiaisonBinary);
  ASSERT_FALSE(file.empty());
  const std::string digest = "sha256:" + ToHex(crypto::Sha256(AsBytes(file)));
  EXPECT_THAT(Lines(r.out), ElementsAre(std::string("liaison ") + kVersion,
                                        std::string("commit ") + kCommit, "build " + digest));
  EXPECT_THAT(std::string(kCommit), MatchesRegex("unknown|[0-9a-f]{40}"));
}

TEST_F(VersionCommandTest, DigestIsWhatSha256sumPrints) {
  const std::string tool = "/usr/bin/sha256sum";
  if (access(tool.c_str(), X_OK) != 0) GTEST_SKIP() << "no " << tool;
  testing::ProcessResult sum = testing::Run({tool, testing::kLiaisonBinary}, dir_);
  ASSERT_EQ(sum.exit_code, 0) << sum.err;
  testing::ProcessResult r = testing::RunLiaison({"version"}, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("\nbuild sha256:" + sum.out.substr(0, 64) + "\n"));
}

TEST_F(VersionCommandTest, VersionFlagStillPrintsTheVersion) {
  testing::ProcessResult r = testing::RunLiaison({"--version"}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("liaison ") + kVersion + "\n");
}

}  // namespace
}  // namespace liaison
