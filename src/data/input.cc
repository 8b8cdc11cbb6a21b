#include "data/input.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/strings.h"
#include "data/internal/csv.h"
#include "data/internal/line_reader.h"
#include "data/internal/text.h"
#include "nlohmann/json.hpp"

namespace liaison::data {
namespace {

using internal::Invalid;
using internal::LineReader;

constexpr size_t kMaxRawInReject = 256;
// The most header names an error message lists.
constexpr size_t kMaxColumnsShown = 50;

// InputFile owns the descriptor of an opened input (standard input is
// borrowed, not closed).
class InputFile {
 public:
  static absl::StatusOr<std::unique_ptr<InputFile>> Open(
      const std::string& path) {
    if (path == "-") return std::unique_ptr<InputFile>(new InputFile(0, false));
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::string what = StrCat("cannot open ", path);
      return absl::ErrnoToStatus(errno, absl::string_view(what));
    }
    auto file = std::unique_ptr<InputFile>(new InputFile(fd, true));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      return Invalid(StrCat(path, " is a directory, not a file"));
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return file;
  }
  ~InputFile() {
    if (owned_) close(fd_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  int fd() const { return fd_; }

 private:
  InputFile(int fd, bool owned) : fd_(fd), owned_(owned) {}
  int fd_;
  bool owned_;
};

// Sink normalises raw values and hands out Records and Rejects.
class Sink {
 public:
  Sink(const Profile& profile, std::optional<ItemType> type,
       const std::function<void(Record&&)>& on_record,
       const std::function<void(Reject&&)>& on_reject)
      : profile_(profile),
        type_(type),
        on_record_(on_record),
        on_reject_(on_reject) {}

  void Normalize(uint64_t line, std::string raw,
                 std::optional<std::string> value = std::nullopt) {
    absl::StatusOr<Item> item = profile_.Normalize(raw, type_);
    if (item.ok()) {
      on_record_(Record{line, std::move(raw), *std::move(item), std::move(value)});
    } else {
      AddReject(line, std::move(raw), internal::MessageOf(item.status()));
    }
  }

  void AddReject(uint64_t line, std::string raw, std::string_view reason) {
    on_reject_(Reject{line, std::move(raw), std::string(reason)});
  }

 private:
  const Profile& profile_;
  std::optional<ItemType> type_;
  const std::function<void(Record&&)>& on_record_;
  const std::function<void(Reject&&)>& on_reject_;
};

std::string TooLongReason() {
  return StrCat("line longer than ", kMaxLineLen, " bytes");
}

absl::Status ReadText(LineReader& lines, Sink& sink) {
  std::string line;
  while (true) {
    LIAISON_ASSIGN_OR_RETURN(LineReader::Result got, lines.Next(line));
    if (got == LineReader::Result::kEnd) return absl::OkStatus();
    if (got == LineReader::Result::kTooLong) {
      sink.AddReject(lines.line_number(), line.substr(0, kMaxRawInReject),
                     TooLongReason());
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view content = internal::TrimAsciiSpace(line);
    if (content.empty() || content.front() == '#') continue;
    sink.Normalize(lines.line_number(), std::move(line));
  }
}

std::string QuotedList(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < kMaxColumnsShown; ++i) {
    StrAppend(out, i == 0 ? "" : ", ", '"', names[i], '"');
  }
  if (names.size() > kMaxColumnsShown) {
    StrAppend(out, " and ", names.size() - kMaxColumnsShown, " more");
  }
  return out;
}

absl::StatusOr<size_t> FindColumn(const std::vector<std::string>& header,
                                  const std::string& column, uint64_t line) {
  if (column.empty()) {
    if (header.size() == 1) return 0;
    return Invalid(StrCat("line ", line, ": the CSV header has ", header.size(),
                          " columns (", QuotedList(header),
                          "); name the one to read"));
  }
  std::optional<size_t> found;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] != column) continue;
    if (found.has_value()) {
      return Invalid(StrCat("line ", line, ": column \"", column,
                            "\" appears more than once in the CSV header"));
    }
    found = i;
  }
  if (!found.has_value()) {
    return Invalid(
        StrCat("line ", line, ": no column \"", column,
               "\" in the CSV header; the columns are: ", QuotedList(header)));
  }
  return *found;
}

absl::Status ReadCsv(LineReader& lines, const InputSpec& spec, Sink& sink) {
  internal::CsvReader csv(lines, kMaxLineLen);
  std::vector<std::string> fields;
  LIAISON_ASSIGN_OR_RETURN(bool has_header, csv.Next(fields));
  if (!has_header)
    return Invalid("the CSV input is empty; a header row is required");
  LIAISON_ASSIGN_OR_RETURN(size_t column,
                           FindColumn(fields, spec.column, csv.record_line()));
  std::string column_name = fields[column];
  std::optional<size_t> value_column;
  if (!spec.value_column.empty()) {
    LIAISON_ASSIGN_OR_RETURN(value_column,
                             FindColumn(fields, spec.value_column, csv.record_line()));
  }
  const size_t needed = std::max(column, value_column.value_or(0)) + 1;
  while (true) {
    LIAISON_ASSIGN_OR_RETURN(bool more, csv.Next(fields));
    if (!more) return absl::OkStatus();
    if (needed > fields.size()) {
      std::string row;
      for (size_t i = 0; i < fields.size(); ++i) {
        StrAppend(row, i == 0 ? "" : ",", fields[i]);
      }
      sink.AddReject(csv.record_line(), row.substr(0, kMaxRawInReject),
                     StrCat("row has ", fields.size(), " field(s), so no column \"",
                            column >= fields.size() ? column_name : spec.value_column, "\""));
      continue;
    }
    std::optional<std::string> value;
    if (value_column) value = std::move(fields[*value_column]);
    sink.Normalize(csv.record_line(), std::move(fields[column]), std::move(value));
  }
}

// ParseErrorReason shortens nlohmann's message
// "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
// to "invalid JSON: column 2: ...".
std::string ParseErrorReason(const char* what) {
  std::string_view m(what);
  size_t bracket = m.find("] ");
  if (bracket != std::string_view::npos) m.remove_prefix(bracket + 2);
  constexpr std::string_view kPrefix = "parse error at line 1, ";
  if (m.substr(0, kPrefix.size()) == kPrefix) m.remove_prefix(kPrefix.size());
  return StrCat("invalid JSON: ", m);
}

absl::Status ReadJsonLines(LineReader& lines, const InputSpec& spec,
                           Sink& sink) {
  if (spec.field.empty()) {
    return Invalid(
        "JSON lines input needs a field: the key to read from each object");
  }
  std::string line;
  while (true) {
    LIAISON_ASSIGN_OR_RETURN(LineReader::Result got, lines.Next(line));
    if (got == LineReader::Result::kEnd) return absl::OkStatus();
    uint64_t line_no = lines.line_number();
    if (got == LineReader::Result::kTooLong) {
      sink.AddReject(line_no, line.substr(0, kMaxRawInReject), TooLongReason());
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view text = internal::TrimAsciiSpace(line);
    if (text.empty()) continue;
    if (text.front() == '[') {
      return Invalid(StrCat("line ", line_no,
                            ": expected one JSON object per line (JSON "
                            "lines), found an array"));
    }
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(text.begin(), text.end());
    } catch (const std::exception& e) {
      sink.AddReject(line_no, std::move(line), ParseErrorReason(e.what()));
      continue;
    }
    if (!value.is_object()) {
      return Invalid(StrCat("line ", line_no,
                            ": expected a JSON object, found ",
                            value.type_name()));
    }
    std::optional<std::string> amount;
    if (!spec.value_field.empty()) {
      auto v = value.find(spec.value_field);
      if (v == value.end() || v->is_null()) {
        sink.AddReject(line_no, std::move(line),
                       StrCat("missing value field \"", spec.value_field, "\""));
        continue;
      }
      amount = v->is_string() ? v->get<std::string>() : v->dump();
    }
    auto it = value.find(spec.field);
    if (it == value.end()) {
      sink.AddReject(line_no, std::move(line),
                     StrCat("missing field \"", spec.field, "\""));
    } else if (it->is_string()) {
      sink.Normalize(line_no, it->get_ref<const std::string&>(), std::move(amount));
    } else if (it->is_number_unsigned()) {
      sink.Normalize(line_no, std::to_string(it->get<uint64_t>()), std::move(amount));
    } else if (it->is_number_integer()) {
      sink.Normalize(line_no, std::to_string(it->get<int64_t>()), std::move(amount));
    } else {
      sink.AddReject(line_no, std::move(line),
                     StrCat("field \"", spec.field, "\" is ",
                            it->is_null() ? "null" : it->type_name(),
                            ", expected a string"));
    }
  }
}

}  // namespace

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kText:
      return "text";
    case Format::kCsv:
      return "csv";
    case Format::kJsonLines:
      return "jsonl";
  }
  return "unknown";
}

Format FormatForPath(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name =
      slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return Format::kText;
  std::string ext = internal::AsciiLowerCopy(name.substr(dot));
  if (ext == ".csv") return Format::kCsv;
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") {
    return Format::kJsonLines;
  }
  return Format::kText;
}

absl::Status ReadInput(const InputSpec& spec, const Profile& profile,
                       const std::function<void(Record&&)>& on_record,
                       const std::function<void(Reject&&)>& on_reject) {
  Format format = spec.format.value_or(FormatForPath(spec.path));
  LIAISON_ASSIGN_OR_RETURN(std::unique_ptr<InputFile> file,
                           InputFile::Open(spec.path));
  LineReader lines(file->fd(), kMaxLineLen);
  Sink sink(profile, spec.type, on_record, on_reject);
  if (format == Format::kText && !(spec.value_column.empty() && spec.value_field.empty())) {
    return Invalid("values need CSV (a value column) or JSON lines (a value field) input");
  }
  switch (format) {
    case Format::kText:
      return ReadText(lines, sink);
    case Format::kCsv:
      return ReadCsv(lines, spec, sink);
    case Format::kJsonLines:
      return ReadJsonLines(lines, spec, sink);
  }
  return absl::InternalError("unknown input format");
}

}  // namespace liaison::data
