#include "node/clock.h"

#include <time.h>

#include <algorithm>
#include <cstdio>

namespace liaison::node {
namespace {

class RealClock : public Clock {
 public:
  TimePoint Now() override { return std::chrono::system_clock::now(); }

  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 TimePoint deadline) override {
    cv.wait_until(lock, std::min(deadline, Now() + std::chrono::minutes(1)));
  }
};

}  // namespace

Clock& SystemClock() {
  static RealClock* clock = new RealClock();
  return *clock;
}

int64_t UnixSeconds(Clock::TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

Clock::TimePoint FromUnixSeconds(int64_t seconds) {
  return Clock::TimePoint(std::chrono::seconds(seconds));
}

std::string Rfc3339Seconds(int64_t seconds) {
  time_t t = static_cast<time_t>(seconds);
  struct tm tm_utc;
  gmtime_r(&t, &tm_utc);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm_utc.tm_year + 1900,
                tm_utc.tm_mon + 1, tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec);
  return buf;
}

}  // namespace liaison::node
