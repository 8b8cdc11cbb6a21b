#include "cli/input_options.h"

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
  std::string raw = r.raw.size() > 80 ? r.raw.substr(0, 77) + "..." : r.raw;
  return StrCat("line ", r.line, ": ", r.reason, ": '", raw, "'");
}

}  // namespace liaison::cli
