#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace liaison::cli {

std::string HumanBytes(uint64_t n) {
  char buf[32];
  if (n < 1024) {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(n));
  } else if (n < (uint64_t{1} << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", n / 1024.0);
  } else if (n < (uint64_t{1} << 30)) {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", n / 1048576.0);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f GiB", n / 1073741824.0);
  }
  return buf;
}

Progress::Progress(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO)) {}

void Progress::Update(std::string_view phase, uint64_t done, uint64_t total) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (done != total && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  int pct = total == 0 ? 100 : static_cast<int>(100 * done / total);
  std::fprintf(stderr, "\r\033[K  %s %llu/%llu (%d%%)", std::string(phase).c_str(),
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), pct);
  shown_ = true;
}

void Progress::Status(std::string_view text) {
  if (!enabled_) return;
  std::fprintf(stderr, "\r\033[K  %s", std::string(text).c_str());
  shown_ = true;
}

void Progress::Clear() {
  if (shown_) std::fputs("\r\033[K", stderr);
  shown_ = false;
}

}  // namespace liaison::cli
