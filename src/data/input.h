// Reading indicator lists: plain text, CSV and JSON lines, streamed record
// by record and normalised with a Profile. Every record either becomes a
// Record or a Reject with its line number and a reason; none is dropped
// silently.
#ifndef LIAISON_DATA_INPUT_H_
#define LIAISON_DATA_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "data/profile.h"

namespace liaison::data {

enum class Format { kText, kCsv, kJsonLines };

// FormatName returns "text", "csv" or "jsonl".
std::string_view FormatName(Format format);

// FormatForPath picks a format by the file name's extension, ignoring case:
// ".csv" is CSV; ".jsonl", ".ndjson" and ".json" are JSON lines; anything
// else (and "-", standard input) is text.
Format FormatForPath(std::string_view path);

// kMaxLineLen bounds one line of input (and one CSV record): memory stays
// bounded whatever the file holds.
inline constexpr size_t kMaxLineLen = 1 << 20;

// InputSpec says what to read and how.
struct InputSpec {
  // path is the file to read; "-" reads standard input.
  std::string path;
  // format overrides FormatForPath(path).
  std::optional<Format> format;
  // column selects the CSV column by its header name (exact match). It may
  // be empty when the header has exactly one column.
  std::string column;
  // field selects the top-level key of each JSON object. Required for JSON
  // lines.
  std::string field;
  // type is the item type of every record; empty means auto-detection.
  std::optional<ItemType> type;
  // value_column (CSV) or value_field (JSON lines), when set, is also read
  // for every record into Record::value, as text (e.g. an amount for an
  // intersection-sum). A row without it is a Reject.
  std::string value_column;
  std::string value_field;
};

// Record is one normalised input record.
struct Record {
  // line is the 1-based line on which the record starts.
  uint64_t line;
  // raw is the line, cell or field as it appeared in the input (for text,
  // the line without its line break; for CSV the unquoted cell; for JSON
  // the decoded string).
  std::string raw;
  Item item;
  // value is the value cell or field as written (InputSpec::value_column /
  // value_field), unparsed; absent when none was asked for. JSON numbers
  // are written back in their JSON form, so "2.5" stays "2.5".
  std::optional<std::string> value;
};

// Reject is one input record that could not be normalised.
struct Reject {
  uint64_t line;
  // raw is what Record::raw would have been; for JSON lines that are not
  // valid JSON or lack the field, the whole line. For over-long lines only
  // the first 256 bytes are kept.
  std::string raw;
  // reason says why, for a person ("ipv4 octet out of range").
  std::string reason;
};

// ReadInput streams the input of `spec` (never loading it whole), normalises
// each record with `profile` and calls `on_record` or `on_reject` for it, in
// file order, on the calling thread.
//
// Formats:
//   text:  one item per line; LF or CRLF line ends; lines that are blank or
//          whose first non-blank character is '#' are skipped.
//   CSV:   RFC 4180 (see internal/csv.h); the first record is the header and
//          is required; `column` picks the cell. Rows without that column
//          are rejected; other extra or missing cells do not matter.
//   JSON lines: one JSON object per line (blank lines skipped); `field`
//          picks a top-level key whose value must be a string or an integer
//          (written in decimal). A line that is not valid JSON, a missing or
//          null field, or a field of another type is a Reject.
// A UTF-8 byte order mark at the start of the input is ignored. A line over
// kMaxLineLen bytes is a Reject in text and JSON lines, an error in CSV.
//
// Values (value_column / value_field): read as text alongside the item;
// parsing them is the caller's business. A value column for text input is
// InvalidArgument; a CSV header without it is InvalidArgument like a
// missing item column.
//
// Errors: NotFound or PermissionDenied when the file cannot be opened,
// InvalidArgument when it is a directory, and InvalidArgument naming the line
// for structural errors: no CSV header, a missing CSV column (the message
// lists the columns that exist), an unterminated quoted CSV field, a JSON
// line that is valid JSON but not an object, or no `field` for JSON lines.
// Records before a structural error have already been delivered. Read
// errors are passed on.
absl::Status ReadInput(const InputSpec& spec, const Profile& profile,
                       const std::function<void(Record&&)>& on_record,
                       const std::function<void(Reject&&)>& on_reject);

}  // namespace liaison::data

#endif  // LIAISON_DATA_INPUT_H_
