// Worker: the background thread shared by the scheduler and the webhook
// dispatcher. It calls a step function, waits on a Clock until the time the
// step returned (or a Wake, or Stop), and repeats.
#ifndef LIAISON_NODE_INTERNAL_WORKER_H_
#define LIAISON_NODE_INTERNAL_WORKER_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "node/clock.h"

namespace liaison::node::internal {

class Worker {
 public:
  // `clock` must outlive the Worker. `name` appears in errors.
  Worker(Clock& clock, std::string name) : clock_(clock), name_(std::move(name)) {}
  ~Worker() { Stop(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Start runs `prepare` on the caller's thread and, if it succeeds, starts
  // the thread, which calls `step` until Stop; `step` returns when to call
  // it next. FailedPrecondition if Start was called before; `prepare`'s
  // error is returned and no thread is started (Start may not be retried).
  absl::Status Start(const std::function<absl::Status()>& prepare,
                     std::function<Clock::TimePoint()> step);

  // Stop wakes the thread and waits for the step in progress. Idempotent.
  void Stop();

  // Wake makes the thread call its step again without waiting.
  void Wake();

  // stopping reports whether Stop was called; a long step checks it.
  bool stopping();

 private:
  void Loop(const std::function<Clock::TimePoint()>& step);

  Clock& clock_;
  std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace liaison::node::internal

#endif  // LIAISON_NODE_INTERNAL_WORKER_H_
