// Writing results (matched records) to files: CSV, JSON lines or text,
// atomically, so a half-written result never appears under its name.
#ifndef LIAISON_DATA_OUTPUT_H_
#define LIAISON_DATA_OUTPUT_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "base/atomic_file.h"
#include "data/input.h"

namespace liaison::data {

struct ResultWriterOptions {
  // format overrides FormatForPath(path).
  std::optional<Format> format;
  // mode is the new file's permission bits. Results reveal what a partner
  // holds, so by default only the owner may read them.
  mode_t mode = 0600;
  // extra_columns names whole-number columns that follow "line" in CSV and
  // JSON lines (e.g. {"holders"}); every Write passes their values, in
  // this order. Text results have none.
  std::vector<std::string> extra_columns;
};

// ResultWriter writes Records, one per row or line, in input order:
//   CSV (.csv): header "value,type,raw,line" (and the extra columns), then
//     one row per record;
//     fields holding ',', '"', CR or LF are quoted with '"' and inner quotes
//     doubled (RFC 4180); rows end in LF. Fields keep their exact bytes,
//     control characters included: a result is data for the next program,
//     and what is matched must read back unchanged. What is printed for a
//     person is escaped instead (base/escape.h).
//   JSON lines (.jsonl, .ndjson, .json): one object per line with keys
//     "value", "type", "raw" (strings) and "line" (a number), then the
//     extra columns (numbers), in that order.
//     JSON text must be UTF-8: an invalid UTF-8 byte in a value (possible
//     for the string type) is written as U+FFFD.
//   text (anything else): the canonical value, one per line; a value that
//     holds CR or LF cannot be written as text and is InvalidArgument.
// Nothing appears at the path until Commit() succeeds (see AtomicFile).
// Not thread-safe.
class ResultWriter {
 public:
  // Create starts a result file at `path`, in the format its extension
  // names. Errors are AtomicFile::Create's.
  static absl::StatusOr<std::unique_ptr<ResultWriter>> Create(
      const std::string& path);
  static absl::StatusOr<std::unique_ptr<ResultWriter>> Create(
      const std::string& path, const ResultWriterOptions& options);

  ResultWriter(const ResultWriter&) = delete;
  ResultWriter& operator=(const ResultWriter&) = delete;
  // The destructor discards everything unless Commit() succeeded.
  ~ResultWriter();

  // Write appends one record, with the values of the extra columns
  // (InvalidArgument unless there is one per extra column). I/O errors are
  // sticky.
  absl::Status Write(const Record& record, absl::Span<const int64_t> extra = {});

  // Commit makes the file appear at its path with everything written.
  absl::Status Commit();

  Format format() const { return format_; }
  uint64_t num_written() const { return num_written_; }

 private:
  ResultWriter(std::unique_ptr<AtomicFile> file, Format format,
               std::vector<std::string> extra_columns);

  std::unique_ptr<AtomicFile> file_;
  Format format_;
  std::vector<std::string> extra_columns_;
  uint64_t num_written_ = 0;
  std::string row_;
};

}  // namespace liaison::data

#endif  // LIAISON_DATA_OUTPUT_H_
