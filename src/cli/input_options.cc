#include "cli/input_options.h"

#include <cstdio>

#include "base/atomic_file.h"
#include "base/escape.h"
#include "base/status.h"
#include "base/strings.h"

namespace liaison::cli {

absl::StatusOr<data::InputSpec> ToInputSpec(const InputOptions& in) {
  data::InputSpec spec;
  spec.path = in.path;
  if (in.format == "text") spec.format = data::Format::kText;
  if (in.format == "csv") spec.format = data::Format::kCsv;
  if (in.format == "jsonl") spec.format = data::Format::kJsonLines;
  spec.column = in.column;
  spec.field = in.field;
  if (!in.type.empty() && in.type != "auto") {
    absl::StatusOr<data::ItemType> t = data::ParseTypeName(in.type);
    if (!t.ok()) return absl::InvalidArgumentError(StrCat("--type: ", std::string(t.status().message())));
    spec.type = *t;
  }
  return spec;
}

std::string FormatReject(const data::Reject& r) {
  return StrCat("line ", r.line, ": ", EscapeNonPrintable(r.reason, Backslash::kKeep), ": '",
                EscapeNonPrintableTruncated(r.raw, 80), "'");
}

std::string RejectListText(const std::vector<data::Reject>& rejects, std::string_view prefix,
                           std::string_view rejects_path) {
  std::string text;
  for (size_t i = 0; i < rejects.size() && i < kRejectsShown; ++i) {
    StrAppend(text, prefix, FormatReject(rejects[i]), "\n");
  }
  if (rejects.size() > kRejectsShown) {
    StrAppend(text, prefix, "... and ", rejects.size() - kRejectsShown,
              " more record(s); ",
              rejects_path.empty() ? std::string("--rejects FILE lists them all")
                                   : StrCat("all are in ", EscapeNonPrintable(rejects_path)),
              "\n");
  }
  return text;
}

absl::Status WriteRejects(const std::string& path, const std::vector<data::Reject>& rejects) {
  // Rejected records are our own data as it appeared: owner-only, like results.
  LIAISON_ASSIGN_OR_RETURN(auto file, AtomicFile::Create(path, 0600));
  std::string text = "line,reason,raw\n";
  auto quote = [](std::string_view s) {
    std::string q = "\"";
    for (char c : s) {
      if (c == '"') q += '"';
      q += c;
    }
    return q + "\"";
  };
  for (const data::Reject& r : rejects) {
    StrAppend(text, r.line, ",", quote(EscapeNonPrintable(r.reason, Backslash::kKeep)), ",",
              quote(EscapeNonPrintable(r.raw)), "\n");
  }
  LIAISON_RETURN_IF_ERROR(file->Write(text));
  return file->Commit();
}

absl::StatusOr<session::RecordSet> LoadRecords(const data::InputSpec& spec,
                                               std::string_view command, bool quiet,
                                               const std::string& rejects_path) {
  std::vector<data::Reject> rejects;
  absl::StatusOr<session::RecordSet> set = session::LoadRecordSet(
      spec, data::Profile::V1(), [&](const data::Reject& r) { rejects.push_back(r); });
  if (!quiet) {
    std::fputs(
        RejectListText(rejects, StrCat("liaison ", command, ": rejected "), rejects_path).c_str(),
        stderr);
  }
  if (!rejects_path.empty()) LIAISON_RETURN_IF_ERROR(WriteRejects(rejects_path, rejects));
  return set;
}

}  // namespace liaison::cli
