// FakeClock: a node::Clock that only moves when a test says so. Threads
// waiting in WaitUntil are woken by Advance/Set, so a background loop can be
// driven through hours of schedule without sleeping.
#ifndef LIAISON_TESTS_NODE_TESTING_FAKE_CLOCK_H_
#define LIAISON_TESTS_NODE_TESTING_FAKE_CLOCK_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>
#include <vector>

#include "node/clock.h"

namespace liaison::node::testing {

class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t unix_seconds) : now_(FromUnixSeconds(unix_seconds)) {}

  TimePoint Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }

  // WaitUntil returns at once if the deadline has passed; otherwise it
  // waits for a notification of `cv` (from its owner or from Advance).
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 TimePoint deadline) override {
    Waiter w{lock.mutex(), &cv};
    {
      std::lock_guard<std::mutex> g(mu_);
      if (now_ >= deadline) return;
      waiters_.push_back(w);
    }
    // The caller's mutex is held from the registration above until wait()
    // releases it, and Advance takes that mutex before notifying, so the
    // notification cannot fall between the two.
    cv.wait(lock);
    std::lock_guard<std::mutex> g(mu_);
    auto it = std::find(waiters_.begin(), waiters_.end(), w);
    if (it != waiters_.end()) waiters_.erase(it);
  }

  // Advance moves the clock forward by `d` and wakes every waiter. Call it
  // from the test's thread; the waiters' owners must outlive the call.
  void Advance(std::chrono::seconds d) {
    std::vector<Waiter> waiters;
    {
      std::lock_guard<std::mutex> g(mu_);
      now_ += d;
      waiters = waiters_;
    }
    for (const Waiter& w : waiters) {
      std::lock_guard<std::mutex> g(*w.mu);
      w.cv->notify_all();
    }
  }

  void AdvanceMillis(int64_t ms) {
    std::lock_guard<std::mutex> g(mu_);
    now_ += std::chrono::milliseconds(ms);
  }

  int64_t NowSeconds() { return UnixSeconds(Now()); }

 private:
  struct Waiter {
    std::mutex* mu;
    std::condition_variable* cv;
    bool operator==(const Waiter&) const = default;
  };

  std::mutex mu_;
  TimePoint now_;
  std::vector<Waiter> waiters_;
};

}  // namespace liaison::node::testing

#endif  // LIAISON_TESTS_NODE_TESTING_FAKE_CLOCK_H_
