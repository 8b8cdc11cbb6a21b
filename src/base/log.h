// Minimal leveled logging to stderr. Log lines never carry items, keys or
// anything derived from secrets.
#ifndef LIAISON_BASE_LOG_H_
#define LIAISON_BASE_LOG_H_

#include <string_view>

namespace liaison {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

// SetLogLevel sets the lowest level that is printed (default kWarning).
// Thread-safe.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// Log prints one line "liaison: <level>: <message>" to stderr when `level` is
// at or above the current level. The message is escaped (base/escape.h,
// keeping backslashes): it may quote what a peer sent, and a line break or
// an escape sequence in it must not forge a log line or reach a terminal.
// Thread-safe; lines are not interleaved.
void Log(LogLevel level, std::string_view message);

}  // namespace liaison

#endif  // LIAISON_BASE_LOG_H_
