#include "cli/exit_codes.h"

#include <cstdio>
#include <string>

#include "base/escape.h"
#include "base/strings.h"

namespace liaison::cli {

int ExitCode(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return kExitUsage;
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists: return kExitNotFound;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated: return kExitRefused;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted: return kExitMismatch;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded: return kExitTransport;
    case absl::StatusCode::kDataLoss: return kExitDataLoss;
    case absl::StatusCode::kResourceExhausted: return kExitExhausted;
    default: return kExitInternal;
  }
}

int ReportError(std::string_view command, const absl::Status& status,
                std::string_view data_loss_hint) {
  // Messages quote file names, input and what peers sent: escape them, but
  // keep the line breaks of a message that lists several errors.
  const std::string_view message(status.message().data(), status.message().size());
  std::string line = StrCat("liaison ", command, ": error: ");
  for (size_t start = 0;;) {
    const size_t end = message.find('\n', start);
    line += EscapeNonPrintable(message.substr(start, end - start), Backslash::kKeep);
    if (end == std::string_view::npos) break;
    line += '\n';
    start = end + 1;
  }
  if (status.code() == absl::StatusCode::kDataLoss) line += data_loss_hint;
  line += '\n';
  std::fputs(line.c_str(), stderr);
  return ExitCode(status);
}

}  // namespace liaison::cli
