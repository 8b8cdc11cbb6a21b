// How the command line reports an absl::Status to a person and to a script:
// one line on stderr, and an exit code per error class (docs/cli.md).
#ifndef LIAISON_CLI_EXIT_CODES_H_
#define LIAISON_CLI_EXIT_CODES_H_

#include <string_view>

#include "absl/status/status.h"

namespace liaison::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitUsage = 2;           // InvalidArgument, bad flags
inline constexpr int kExitNotFound = 3;        // NotFound, AlreadyExists
inline constexpr int kExitRefused = 4;         // PermissionDenied (policy, unknown peer)
inline constexpr int kExitMismatch = 5;        // FailedPrecondition (handshake mismatch)
inline constexpr int kExitTransport = 6;       // Unavailable, DeadlineExceeded
inline constexpr int kExitDataLoss = 7;        // DataLoss (malformed peer data)
inline constexpr int kExitExhausted = 8;       // ResourceExhausted

// ExitCode maps a status to the process exit code.
int ExitCode(const absl::Status& status);

// ReportError prints "liaison <command>: error: <message>" on stderr and
// returns ExitCode(status).
int ReportError(std::string_view command, const absl::Status& status);

}  // namespace liaison::cli

#endif  // LIAISON_CLI_EXIT_CODES_H_
