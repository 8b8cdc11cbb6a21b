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

// kPeerDataLossHint is what ReportError adds to a DataLoss message by
// default: in a session, DataLoss means the peer sent malformed data.
inline constexpr std::string_view kPeerDataLossHint =
    " (the peer sent malformed data; this may be an attack)";

// ReportError prints "liaison <command>: error: <message>" on stderr, with
// `data_loss_hint` appended for DataLoss, and returns ExitCode(status). The
// message is escaped line by line (base/escape.h, keeping backslashes): it
// may quote input.
int ReportError(std::string_view command, const absl::Status& status,
                std::string_view data_loss_hint = kPeerDataLossHint);

}  // namespace liaison::cli

#endif  // LIAISON_CLI_EXIT_CODES_H_
