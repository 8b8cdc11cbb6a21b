// Test helpers for the data module's readers and writers: in-memory files
// and scratch directories.
#ifndef LIAISON_TESTS_DATA_TESTING_FILES_H_
#define LIAISON_TESTS_DATA_TESTING_FILES_H_

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>

#include "gtest/gtest.h"

namespace liaison::data::testing {

// MemFd is an in-memory file holding given bytes, positioned at the start.
class MemFd {
 public:
  explicit MemFd(std::string_view content) {
    fd_ = memfd_create("liaison-test", MFD_CLOEXEC);
    EXPECT_GE(fd_, 0);
    size_t done = 0;
    while (done < content.size()) {
      ssize_t n = write(fd_, content.data() + done, content.size() - done);
      EXPECT_GT(n, 0);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    EXPECT_EQ(lseek(fd_, 0, SEEK_SET), 0);
  }
  ~MemFd() { close(fd_); }
  MemFd(const MemFd&) = delete;
  MemFd& operator=(const MemFd&) = delete;

  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// TempDir is a fresh directory removed with its contents at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "liaison-data-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    EXPECT_FALSE(path_.empty()) << "mkdtemp failed";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(std::string_view name) const {
    return path_ + "/" + std::string(name);
  }
  // Write creates the file `name` holding `content` and returns its path.
  std::string Write(std::string_view name, std::string_view content) const {
    std::string p = Sub(name);
    std::ofstream out(p, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    EXPECT_TRUE(out.good()) << p;
    return p;
  }
  // NumEntries counts the directory's entries (temporary files included).
  size_t NumEntries() const {
    size_t n = 0;
    for (auto it = std::filesystem::directory_iterator(path_);
         it != std::filesystem::directory_iterator(); ++it) {
      ++n;
    }
    return n;
  }

 private:
  std::string path_;
};

// ReadFile returns the contents of `path` ("" if it cannot be read).
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace liaison::data::testing

#endif  // LIAISON_TESTS_DATA_TESTING_FILES_H_
