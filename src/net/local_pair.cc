// In-memory channel ends. Each direction is a queue shared by the two ends;
// either end closing (or being destroyed) closes both directions for the
// other side once the queue is drained.
#include <condition_variable>
#include <deque>
#include <mutex>

#include "net/channel.h"

namespace liaison::net {
namespace {

struct Queue {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Bytes> messages;
  bool closed = false;

  void Close() {
    std::lock_guard<std::mutex> lock(mu);
    closed = true;
    cv.notify_all();
  }
};

class LocalChannel final : public Channel {
 public:
  LocalChannel(std::shared_ptr<Queue> out, std::shared_ptr<Queue> in)
      : out_(std::move(out)), in_(std::move(in)) {}
  ~LocalChannel() override { Close(); }

  void Close() override {
    closed_ = true;
    out_->Close();
    in_->Close();
  }

  void SetTimeout(absl::Duration timeout) override { timeout_ = timeout; }

 protected:
  absl::Status DoSend(ByteSpan message) override {
    if (closed_) return absl::UnavailableError("the channel is closed");
    std::lock_guard<std::mutex> lock(out_->mu);
    if (out_->closed) return absl::UnavailableError("the peer has closed the channel");
    out_->messages.emplace_back(message.begin(), message.end());
    out_->cv.notify_all();
    return absl::OkStatus();
  }

  absl::StatusOr<Bytes> DoRecv(size_t max_len) override {
    // After its own Close an end neither sends nor receives, as a socket.
    if (closed_) return absl::UnavailableError("the channel is closed");
    std::unique_lock<std::mutex> lock(in_->mu);
    auto ready = [&] { return !in_->messages.empty() || in_->closed; };
    if (timeout_ == absl::InfiniteDuration()) {
      in_->cv.wait(lock, ready);
    } else if (!in_->cv.wait_for(lock, absl::ToChronoNanoseconds(timeout_), ready)) {
      return absl::DeadlineExceededError("timed out waiting for the peer's message");
    }
    if (in_->messages.empty()) {
      return absl::UnavailableError("the peer closed the channel");
    }
    Bytes m = std::move(in_->messages.front());
    in_->messages.pop_front();
    if (m.size() > max_len) {
      return absl::DataLossError("peer message exceeds the channel's message limit");
    }
    return m;
  }

 private:
  std::shared_ptr<Queue> out_;
  std::shared_ptr<Queue> in_;
  absl::Duration timeout_ = absl::InfiniteDuration();
  bool closed_ = false;  // This end was closed (used by its one thread only).
};

}  // namespace

std::pair<std::unique_ptr<Channel>, std::unique_ptr<Channel>> LocalPair() {
  auto a_to_b = std::make_shared<Queue>();
  auto b_to_a = std::make_shared<Queue>();
  return {std::make_unique<LocalChannel>(a_to_b, b_to_a),
          std::make_unique<LocalChannel>(b_to_a, a_to_b)};
}

}  // namespace liaison::net
