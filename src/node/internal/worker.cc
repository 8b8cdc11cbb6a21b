#include "node/internal/worker.h"

#include <utility>

#include "base/status.h"
#include "base/strings.h"

namespace liaison::node::internal {

absl::Status Worker::Start(const std::function<absl::Status()>& prepare,
                           std::function<Clock::TimePoint()> step) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_) return absl::FailedPreconditionError(StrCat("the ", name_, " was already started"));
    started_ = true;
  }
  LIAISON_RETURN_IF_ERROR(prepare());
  thread_ = std::thread([this, step = std::move(step)] { Loop(step); });
  return absl::OkStatus();
}

void Worker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Worker::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

bool Worker::stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

void Worker::Loop(const std::function<Clock::TimePoint()>& step) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    woken_ = false;
    lock.unlock();
    Clock::TimePoint next = step();
    lock.lock();
    if (stopping_ || woken_) continue;
    clock_.WaitUntil(cv_, lock, next);
  }
}

}  // namespace liaison::node::internal
