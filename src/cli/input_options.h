// Turning the input flags shared by several commands into a data::InputSpec,
// and reporting the records an input had to reject.
#ifndef LIAISON_CLI_INPUT_OPTIONS_H_
#define LIAISON_CLI_INPUT_OPTIONS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/commands.h"
#include "data/input.h"
#include "session/record_set.h"

namespace liaison::cli {

// ToInputSpec checks the flags (format, type names; --column only for CSV,
// --field only for JSON lines) and returns the spec. InvalidArgument names
// the flag at fault.
absl::StatusOr<data::InputSpec> ToInputSpec(const InputOptions& in);

// FormatReject renders a rejected record for a person:
// "line 12: not a recognised indicator type (…): 'hello world'". The raw
// text is cut after 80 bytes; it and the reason are escaped
// (base/escape.h; the reason keeps its backslashes, as it may show bytes as
// "\xFC" already), so that bytes from the file cannot act on a terminal.
std::string FormatReject(const data::Reject& r);

// kRejectsShown is how many rejected records a command lists on the
// terminal; a binary file can yield thousands. The --rejects file has all.
inline constexpr size_t kRejectsShown = 20;

// RejectListText is the terminal's list of rejects: the first kRejectsShown,
// each as `prefix` + FormatReject + "\n", then, if there are more, one line
// "<prefix>... and N more record(s); " followed by "all are in
// FILE" when `rejects_path` is set or "--rejects FILE lists them all"
// otherwise. Empty for no rejects.
std::string RejectListText(const std::vector<data::Reject>& rejects, std::string_view prefix,
                           std::string_view rejects_path);

// WriteRejects writes every reject to `path` (owner-only, atomically) as
// CSV: header "line,reason,raw", then one row per reject, the reason and
// the raw text escaped as FormatReject does and quoted (RFC 4180). The file is a
// report for people: its line numbers locate the exact bytes in the input.
absl::Status WriteRejects(const std::string& path, const std::vector<data::Reject>& rejects);

// LoadRecords reads and normalises the input of a job with the V1 profile
// (session::LoadRecordSet), lists the rejects on stderr as "liaison
// <command>: rejected ..." (RejectListText) unless `quiet`, and writes them
// all to `rejects_path` when it is set, also when loading fails. Errors are
// LoadRecordSet's, then WriteRejects'.
absl::StatusOr<session::RecordSet> LoadRecords(const data::InputSpec& spec,
                                               std::string_view command, bool quiet,
                                               const std::string& rejects_path);

}  // namespace liaison::cli

#endif  // LIAISON_CLI_INPUT_OPTIONS_H_
