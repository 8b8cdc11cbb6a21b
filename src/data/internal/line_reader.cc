#include "data/internal/line_reader.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace liaison::data::internal {
namespace {

constexpr size_t kReadChunkLen = 1 << 16;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

}  // namespace

LineReader::LineReader(int fd, size_t max_line_len)
    : fd_(fd), max_line_len_(max_line_len), buffer_(kReadChunkLen) {}

absl::Status LineReader::Fill() {
  while (true) {
    ssize_t n = read(fd_, buffer_.data(), buffer_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, "cannot read input");
    }
    pos_ = 0;
    end_ = static_cast<size_t>(n);
    eof_ = n == 0;
    return absl::OkStatus();
  }
}

absl::StatusOr<LineReader::Result> LineReader::Next(std::string& line) {
  line.clear();
  bool too_long = false;
  bool any = false;
  while (true) {
    if (pos_ == end_) {
      if (eof_) break;
      absl::Status s = Fill();
      if (!s.ok()) return s;
      continue;
    }
    any = true;
    const char* start = buffer_.data() + pos_;
    const char* newline =
        static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
    size_t chunk_len =
        newline != nullptr ? static_cast<size_t>(newline - start) : end_ - pos_;
    size_t room = max_line_len_ - std::min(max_line_len_, line.size());
    if (chunk_len > room) too_long = true;
    line.append(start, std::min(chunk_len, room));
    pos_ += chunk_len;
    if (newline != nullptr) {
      ++pos_;
      break;
    }
  }
  if (!any) return Result::kEnd;
  ++line_number_;
  if (line_number_ == 1 && line.compare(0, kUtf8Bom.size(), kUtf8Bom) == 0) {
    line.erase(0, kUtf8Bom.size());
  }
  return too_long ? Result::kTooLong : Result::kLine;
}

}  // namespace liaison::data::internal
