#include "data/internal/csv.h"

#include "base/strings.h"
#include "data/internal/text.h"

namespace liaison::data::internal {
namespace {

enum class State { kFieldStart, kUnquoted, kQuoted, kAfterQuote };

}  // namespace

CsvReader::CsvReader(LineReader& lines, size_t max_record_len)
    : lines_(lines), max_record_len_(max_record_len) {}

absl::StatusOr<bool> CsvReader::Next(std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  State state = State::kFieldStart;
  size_t record_len = 0;
  bool in_record = false;
  while (true) {
    absl::StatusOr<LineReader::Result> got = lines_.Next(line_);
    if (!got.ok()) return got.status();
    if (*got == LineReader::Result::kEnd) {
      if (in_record) {
        return Invalid(StrCat("line ", record_line_,
                              ": unterminated quoted field (no closing quote "
                              "before the end of the input)"));
      }
      return false;
    }
    if (*got == LineReader::Result::kTooLong) {
      return Invalid(
          StrCat("line ", lines_.line_number(), ": line is too long"));
    }
    if (!in_record) {
      if (line_.empty() || line_ == "\r") continue;
      record_line_ = lines_.line_number();
      in_record = true;
    }
    record_len += line_.size() + 1;
    if (record_len > max_record_len_) {
      return Invalid(StrCat("line ", record_line_, ": record is longer than ",
                            max_record_len_, " bytes"));
    }
    // A '\r' just before the line end belongs to the line end, unless it is
    // inside a quoted field, which keeps its line breaks as they are.
    size_t n = line_.size();
    for (size_t i = 0; i < n; ++i) {
      char c = line_[i];
      bool cr_at_end = c == '\r' && i + 1 == n;
      switch (state) {
        case State::kFieldStart:
          if (c == '"') {
            state = State::kQuoted;
          } else if (c == ',') {
            fields.push_back(std::move(field));
            field.clear();
          } else if (!cr_at_end) {
            field.push_back(c);
            state = State::kUnquoted;
          }
          break;
        case State::kUnquoted:
          if (c == ',') {
            fields.push_back(std::move(field));
            field.clear();
            state = State::kFieldStart;
          } else if (!cr_at_end) {
            field.push_back(c);
          }
          break;
        case State::kQuoted:
          if (c == '"') {
            state = State::kAfterQuote;
          } else {
            field.push_back(c);
          }
          break;
        case State::kAfterQuote:
          if (c == '"') {
            field.push_back('"');
            state = State::kQuoted;
          } else if (c == ',') {
            fields.push_back(std::move(field));
            field.clear();
            state = State::kFieldStart;
          } else if (!cr_at_end) {
            return Invalid(StrCat("line ", lines_.line_number(), ": ",
                                  DescribeChar(c),
                                  " after the closing quote of a field"));
          }
          break;
      }
    }
    if (state == State::kQuoted) {
      field.push_back('\n');
      continue;
    }
    fields.push_back(std::move(field));
    return true;
  }
}

}  // namespace liaison::data::internal
