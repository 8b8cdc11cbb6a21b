#include "base/atomic_file.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison {
namespace {

using ::testing::HasSubstr;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "liaison-atomic-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  static std::string Contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  size_t NumEntries() const {
    size_t n = 0;
    for (auto it = std::filesystem::directory_iterator(dir_);
         it != std::filesystem::directory_iterator(); ++it) {
      ++n;
    }
    return n;
  }

  std::string dir_;
};

TEST_F(AtomicFileTest, CommitMakesTheFileAppearWithEverythingWritten) {
  std::string path = Path("out.txt");
  auto f = AtomicFile::Create(path);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ((*f)->path(), path);
  ASSERT_TRUE((*f)->Write("hello ").ok());
  ASSERT_TRUE((*f)->Write("world\n").ok());
  EXPECT_FALSE(std::filesystem::exists(path));
  ASSERT_TRUE((*f)->Commit().ok());
  EXPECT_EQ(Contents(path), "hello world\n");
  EXPECT_EQ(NumEntries(), 1u) << "no temporary file is left";
}

TEST_F(AtomicFileTest, DestroyedWithoutCommitLeavesNothing) {
  std::string path = Path("out.txt");
  {
    auto f = AtomicFile::Create(path);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE((*f)->Write("partial").ok());
    EXPECT_EQ(NumEntries(), 1u);
  }
  EXPECT_EQ(NumEntries(), 0u);
}

TEST_F(AtomicFileTest, OldContentsStayUntilCommit) {
  std::string path = Path("out.txt");
  { std::ofstream(path) << "old"; }
  {
    auto f = AtomicFile::Create(path);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE((*f)->Write("abandoned").ok());
  }
  EXPECT_EQ(Contents(path), "old");
  auto f = AtomicFile::Create(path);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE((*f)->Write("new").ok());
  EXPECT_EQ(Contents(path), "old");
  ASSERT_TRUE((*f)->Commit().ok());
  EXPECT_EQ(Contents(path), "new");
}

TEST_F(AtomicFileTest, LargeWritesArriveIntact) {
  std::string path = Path("big.bin");
  std::string expected;
  auto f = AtomicFile::Create(path);
  ASSERT_TRUE(f.ok()) << f.status();
  for (int i = 0; i < 100; ++i) {
    std::string chunk(static_cast<size_t>(i) * 1777,
                      static_cast<char>('a' + i % 26));
    expected += chunk;
    ASSERT_TRUE((*f)->Write(chunk).ok());
  }
  ASSERT_TRUE((*f)->Commit().ok());
  EXPECT_EQ(Contents(path), expected);
}

TEST_F(AtomicFileTest, ModeIsAppliedExactly) {
  for (mode_t mode : {mode_t{0600}, mode_t{0644}, mode_t{0640}}) {
    std::string path = Path(StrCat("mode-", mode));
    auto f = AtomicFile::Create(path, mode);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE((*f)->Commit().ok());
    struct stat st;
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, mode);
  }
}

TEST_F(AtomicFileTest, WriteAfterCommitIsFailedPrecondition) {
  auto f = AtomicFile::Create(Path("out.txt"));
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE((*f)->Commit().ok());
  EXPECT_EQ((*f)->Write("x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*f)->Commit().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(AtomicFileTest, MissingDirectoryIsNotFound) {
  auto f = AtomicFile::Create(Path("no/such/out.txt"));
  EXPECT_EQ(f.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(f.status().message()), HasSubstr("no/such"));
}

TEST_F(AtomicFileTest, DirectoryPathIsInvalidArgument) {
  EXPECT_EQ(AtomicFile::Create(Path("dir/")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AtomicFile::Create("").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AtomicFileTest, FailedRenameRemovesTheTemporaryFile) {
  std::string path = Path("taken");
  ASSERT_TRUE(std::filesystem::create_directory(path));
  ASSERT_TRUE(std::filesystem::create_directory(path + "/child"));
  auto f = AtomicFile::Create(path);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE((*f)->Write("x").ok());
  EXPECT_FALSE((*f)->Commit().ok());
  EXPECT_EQ(NumEntries(), 1u) << "only the directory that was in the way";
  EXPECT_TRUE(std::filesystem::is_directory(path));
}

TEST_F(AtomicFileTest, RelativePathUsesTheCurrentDirectory) {
  std::string cwd = std::filesystem::current_path();
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  auto f = AtomicFile::Create("relative.txt");
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE((*f)->Write("r").ok());
  ASSERT_TRUE((*f)->Commit().ok());
  ASSERT_EQ(chdir(cwd.c_str()), 0);
  EXPECT_EQ(Contents(Path("relative.txt")), "r");
}

}  // namespace
}  // namespace liaison
