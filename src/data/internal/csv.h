// CsvReader: a streaming RFC 4180 record reader.
#ifndef LIAISON_DATA_INTERNAL_CSV_H_
#define LIAISON_DATA_INTERNAL_CSV_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "data/internal/line_reader.h"

namespace liaison::data::internal {

// CsvReader splits the lines of a LineReader into RFC 4180 records:
// comma-separated fields; a field in double quotes may hold commas, line
// breaks (kept as they appear: LF or CRLF) and "" for one quote; CRLF or LF
// ends a record. Leniencies: empty lines between records are skipped, and a
// quote inside an unquoted field is taken literally. Not thread-safe; the
// LineReader must outlive the CsvReader.
class CsvReader {
 public:
  CsvReader(LineReader& lines, size_t max_record_len);

  // Next reads the next record into `fields`, returning false at the end of
  // input. Structural errors are InvalidArgument naming the line: a quoted
  // field not closed before the end of input, a character other than ',' or
  // the line end after a closing quote, a line longer than the LineReader's
  // limit, or a record longer than `max_record_len` bytes. Read errors are
  // passed on. After an error the reader must not be used again.
  absl::StatusOr<bool> Next(std::vector<std::string>& fields);

  // record_line returns the line on which the record last returned starts.
  uint64_t record_line() const { return record_line_; }

 private:
  LineReader& lines_;
  size_t max_record_len_;
  std::string line_;
  uint64_t record_line_ = 0;
};

}  // namespace liaison::data::internal

#endif  // LIAISON_DATA_INTERNAL_CSV_H_
