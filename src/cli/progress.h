// What the long-running commands (psi, quorum) show a person while they
// run: one status line redrawn on a terminal, and byte counts for the
// summary line.
#ifndef LIAISON_CLI_PROGRESS_H_
#define LIAISON_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace liaison::cli {

// HumanBytes renders a byte count for people: "512 B", "1.5 KiB",
// "20.3 MiB", "1.25 GiB".
std::string HumanBytes(uint64_t n);

// Progress redraws one status line on a terminal, at most five times a
// second; it prints nothing when it is not enabled or stderr is not a
// terminal. Not thread-safe.
class Progress {
 public:
  explicit Progress(bool enabled);
  ~Progress() { Clear(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Update shows "phase done/total (pct%)".
  void Update(std::string_view phase, uint64_t done, uint64_t total);
  // Status shows `text`.
  void Status(std::string_view text);
  // Clear erases the line, so that what follows starts on a clean line.
  void Clear();

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace liaison::cli

#endif  // LIAISON_CLI_PROGRESS_H_
