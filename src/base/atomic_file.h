// AtomicFile writes a file so that readers see either the old contents or
// the complete new contents, never a half-written file: data goes to a
// temporary file in the same directory, and Commit() fsyncs it and renames
// it over the destination.
#ifndef LIAISON_BASE_ATOMIC_FILE_H_
#define LIAISON_BASE_ATOMIC_FILE_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace liaison {

class AtomicFile {
 public:
  // Create starts writing `path`. The temporary file ".<name>.tmp-XXXXXX"
  // is created in the directory of `path` (so the final rename stays on one
  // file system) with permissions `mode` exactly (the umask is not applied;
  // pass 0600 for keys and other secrets). Returns NotFound when the
  // directory does not exist, PermissionDenied when it is not writable, and
  // InvalidArgument for an empty path or one ending in '/'.
  static absl::StatusOr<std::unique_ptr<AtomicFile>> Create(
      const std::string& path, mode_t mode = 0644);

  // The destructor removes the temporary file unless Commit() succeeded, so
  // an abandoned or failed write leaves nothing behind and `path` untouched.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Write appends `data` (buffered). After an error every later call fails
  // with the same status. FailedPrecondition after Commit().
  absl::Status Write(std::string_view data);

  // Commit flushes, fsyncs the file, renames it to `path` (replacing any
  // existing file) and fsyncs the directory. If any step up to the rename
  // fails, the temporary file is removed and `path` keeps its old contents;
  // if only the directory sync fails, the new file is in place but may not
  // survive a crash, and that error is returned. Commit may be called once.
  absl::Status Commit();

  // path returns the destination path.
  const std::string& path() const { return path_; }

 private:
  AtomicFile(std::string path, std::string temp_path, int fd);

  absl::Status WriteFully(std::string_view data);
  absl::Status Flush();
  void Discard();

  std::string path_;
  std::string temp_path_;
  int fd_;
  std::string buffer_;
  absl::Status status_;
  bool committed_ = false;
};

}  // namespace liaison

#endif  // LIAISON_BASE_ATOMIC_FILE_H_
