#include "data/output.h"

#include <exception>
#include <utility>

#include "base/status.h"
#include "base/strings.h"
#include "nlohmann/json.hpp"

namespace liaison::data {
namespace {

void AppendCsvField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

absl::StatusOr<std::unique_ptr<ResultWriter>> ResultWriter::Create(
    const std::string& path) {
  return Create(path, ResultWriterOptions());
}

absl::StatusOr<std::unique_ptr<ResultWriter>> ResultWriter::Create(
    const std::string& path, const ResultWriterOptions& options) {
  Format format = options.format.value_or(FormatForPath(path));
  LIAISON_ASSIGN_OR_RETURN(std::unique_ptr<AtomicFile> file,
                           AtomicFile::Create(path, options.mode));
  std::vector<std::string> extra_columns;
  if (format != Format::kText) extra_columns = options.extra_columns;
  if (format == Format::kCsv) {
    std::string header = "value,type,raw,line";
    for (const std::string& c : extra_columns) {
      header.push_back(',');
      AppendCsvField(header, c);
    }
    LIAISON_RETURN_IF_ERROR(file->Write(header + "\n"));
  }
  return std::unique_ptr<ResultWriter>(
      new ResultWriter(std::move(file), format, std::move(extra_columns)));
}

ResultWriter::ResultWriter(std::unique_ptr<AtomicFile> file, Format format,
                           std::vector<std::string> extra_columns)
    : file_(std::move(file)), format_(format), extra_columns_(std::move(extra_columns)) {}

ResultWriter::~ResultWriter() = default;

absl::Status ResultWriter::Write(const Record& record, absl::Span<const int64_t> extra) {
  if (format_ != Format::kText && extra.size() != extra_columns_.size()) {
    return absl::InvalidArgumentError(StrCat(extra.size(), " values for ",
                                             extra_columns_.size(), " extra columns"));
  }
  row_.clear();
  switch (format_) {
    case Format::kCsv:
      AppendCsvField(row_, record.item.value);
      row_.push_back(',');
      AppendCsvField(row_, TypeName(record.item.type));
      row_.push_back(',');
      AppendCsvField(row_, record.raw);
      StrAppend(row_, ',', record.line);
      for (int64_t v : extra) StrAppend(row_, ',', v);
      row_.push_back('\n');
      break;
    case Format::kJsonLines: {
      nlohmann::ordered_json j;
      j["value"] = record.item.value;
      j["type"] = std::string(TypeName(record.item.type));
      j["raw"] = record.raw;
      j["line"] = record.line;
      for (size_t i = 0; i < extra.size(); ++i) j[extra_columns_[i]] = extra[i];
      try {
        row_ = j.dump(-1, ' ', /*ensure_ascii=*/false,
                      nlohmann::ordered_json::error_handler_t::replace);
      } catch (const std::exception& e) {
        return absl::InternalError(
            StrCat("cannot encode a result as JSON: ", e.what()));
      }
      row_.push_back('\n');
      break;
    }
    case Format::kText:
      if (record.item.value.find_first_of("\r\n") != std::string::npos) {
        return absl::InvalidArgumentError(
            StrCat("the value on line ", record.line,
                   " holds a line break; write results as .csv or .jsonl"));
      }
      StrAppend(row_, record.item.value, '\n');
      break;
  }
  LIAISON_RETURN_IF_ERROR(file_->Write(row_));
  ++num_written_;
  return absl::OkStatus();
}

absl::Status ResultWriter::Commit() { return file_->Commit(); }

}  // namespace liaison::data
