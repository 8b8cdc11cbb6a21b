#include "base/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "base/strings.h"

namespace liaison {
namespace {

constexpr size_t kBufferLen = 1 << 16;

absl::Status ErrnoStatus(int err, std::string_view what) {
  std::string message(what);
  return absl::ErrnoToStatus(err, absl::string_view(message));
}

// SyncDirectory makes a rename in `dir` durable.
absl::Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, StrCat("cannot open directory ", dir));
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  // Some file systems cannot sync a directory; the rename itself is done.
  if (rc != 0 && err != EINVAL && err != ENOTSUP) {
    return ErrnoStatus(err, StrCat("cannot sync directory ", dir));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<AtomicFile>> AtomicFile::Create(
    const std::string& path, mode_t mode) {
  if (path.empty() || path.back() == '/') {
    return absl::InvalidArgumentError(StrCat("not a file path: '", path, "'"));
  }
  size_t slash = path.rfind('/');
  std::string dir =
      slash == std::string::npos ? "." : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string temp =
      StrCat(slash == std::string::npos ? "" : dir, ".", base, ".tmp-XXXXXX");
  int fd = mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0)
    return ErrnoStatus(errno, StrCat("cannot create a file in ", dir));
  if (fchmod(fd, mode) != 0) {
    int err = errno;
    close(fd);
    unlink(temp.c_str());
    return ErrnoStatus(err, StrCat("cannot set the mode of ", temp));
  }
  return std::unique_ptr<AtomicFile>(new AtomicFile(path, std::move(temp), fd));
}

AtomicFile::AtomicFile(std::string path, std::string temp_path, int fd)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {
  buffer_.reserve(kBufferLen);
}

AtomicFile::~AtomicFile() {
  if (!committed_) Discard();
}

void AtomicFile::Discard() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (!temp_path_.empty()) {
    unlink(temp_path_.c_str());
    temp_path_.clear();
  }
}

absl::Status AtomicFile::Write(std::string_view data) {
  if (committed_) {
    return absl::FailedPreconditionError(
        StrCat("write to ", path_, " after commit"));
  }
  if (!status_.ok()) return status_;
  if (buffer_.size() + data.size() > kBufferLen) {
    status_ = Flush();
    if (!status_.ok()) return status_;
  }
  if (data.size() >= kBufferLen) {
    status_ = WriteFully(data);
    return status_;
  }
  buffer_.append(data);
  return absl::OkStatus();
}

absl::Status AtomicFile::WriteFully(std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, StrCat("cannot write ", path_));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status AtomicFile::Flush() {
  absl::Status s = WriteFully(buffer_);
  buffer_.clear();
  return s;
}

absl::Status AtomicFile::Commit() {
  if (committed_) {
    return absl::FailedPreconditionError(StrCat(path_, " already committed"));
  }
  if (status_.ok() && fd_ < 0) {
    status_ = absl::FailedPreconditionError(
        StrCat(path_, " was abandoned after an error"));
  }
  if (status_.ok()) status_ = Flush();
  if (status_.ok() && fsync(fd_) != 0) {
    status_ = ErrnoStatus(errno, StrCat("cannot sync ", path_));
  }
  if (status_.ok()) {
    int rc = close(fd_);
    fd_ = -1;
    if (rc != 0) status_ = ErrnoStatus(errno, StrCat("cannot close ", path_));
  }
  if (status_.ok() && rename(temp_path_.c_str(), path_.c_str()) != 0) {
    status_ = ErrnoStatus(errno, StrCat("cannot rename into ", path_));
  }
  if (!status_.ok()) {
    Discard();
    return status_;
  }
  temp_path_.clear();
  committed_ = true;
  size_t slash = path_.rfind('/');
  return SyncDirectory(slash == std::string::npos ? "."
                       : slash == 0               ? "/"
                                                  : path_.substr(0, slash));
}

}  // namespace liaison
