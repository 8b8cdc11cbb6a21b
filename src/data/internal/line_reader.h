// LineReader: buffered, bounded reading of lines from a file descriptor, so
// inputs of any size are streamed with memory bounded by the longest line.
#ifndef LIAISON_DATA_INTERNAL_LINE_READER_H_
#define LIAISON_DATA_INTERNAL_LINE_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace liaison::data::internal {

class LineReader {
 public:
  enum class Result { kLine, kTooLong, kEnd };

  // LineReader reads from `fd`, which it does not own or close. Lines longer
  // than `max_line_len` bytes are cut (see Next). Not thread-safe.
  LineReader(int fd, size_t max_line_len);

  // Next reads the next line into `line`, without its '\n' (a '\r' before it
  // is kept; callers decide about CRLF). A last line without '\n' counts. A
  // UTF-8 byte order mark at the very start of the input is dropped. It
  // returns kLine, kTooLong when the line was longer than max_line_len (then
  // `line` holds its first max_line_len bytes and the rest is skipped), or
  // kEnd at the end of input. Read errors are returned as statuses.
  absl::StatusOr<Result> Next(std::string& line);

  // line_number returns the 1-based number of the line Next last returned.
  uint64_t line_number() const { return line_number_; }

 private:
  absl::Status Fill();

  int fd_;
  size_t max_line_len_;
  std::vector<char> buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  uint64_t line_number_ = 0;
};

}  // namespace liaison::data::internal

#endif  // LIAISON_DATA_INTERNAL_LINE_READER_H_
