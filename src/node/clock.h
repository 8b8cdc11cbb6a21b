// Clock: where the node's background loops (the scheduler, the webhook
// dispatcher) get the time and wait for it. Production code uses
// SystemClock(); tests inject a fake (tests/node/testing/fake_clock.h) so
// that hours of schedule pass in microseconds and no test sleeps for real.
#ifndef LIAISON_NODE_CLOCK_H_
#define LIAISON_NODE_CLOCK_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

namespace liaison::node {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;

  // Now returns the current time (UTC wall-clock time).
  virtual TimePoint Now() = 0;

  // WaitUntil blocks on `cv` until Now() >= `deadline`, a notification of
  // `cv`, or a spurious wake-up, whichever comes first; callers re-check
  // their condition and the time afterwards. `lock` holds the mutex that
  // guards the caller's condition, on entry and on return, as for
  // std::condition_variable::wait_until. Thread-safe.
  virtual void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                         TimePoint deadline) = 0;
};

// SystemClock returns the process-wide real clock. Its WaitUntil wakes at
// least once a minute, so a wall-clock step (NTP, a resumed VM) is noticed
// within a minute.
Clock& SystemClock();

// UnixSeconds returns `t` as whole seconds since the Unix epoch, rounded
// down.
int64_t UnixSeconds(Clock::TimePoint t);

// FromUnixSeconds returns the time point `seconds` after the Unix epoch.
Clock::TimePoint FromUnixSeconds(int64_t seconds);

// Rfc3339Seconds formats Unix `seconds` as "2025-01-31T02:00:00Z".
std::string Rfc3339Seconds(int64_t seconds);

}  // namespace liaison::node

#endif  // LIAISON_NODE_CLOCK_H_
