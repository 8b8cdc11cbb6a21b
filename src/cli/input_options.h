// Turning the input flags shared by several commands into a data::InputSpec.
#ifndef LIAISON_CLI_INPUT_OPTIONS_H_
#define LIAISON_CLI_INPUT_OPTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "cli/commands.h"
#include "data/input.h"

namespace liaison::cli {

// ToInputSpec checks the flags (format, type names; --column only for CSV,
// --field only for JSON lines) and returns the spec. InvalidArgument names
// the flag at fault.
absl::StatusOr<data::InputSpec> ToInputSpec(const InputOptions& in);

// FormatReject renders a rejected record for a person:
// "line 12: not a recognised indicator type (…): 'hello world'".
std::string FormatReject(const data::Reject& r);

}  // namespace liaison::cli

#endif  // LIAISON_CLI_INPUT_OPTIONS_H_
