#include "node_load/health_prober.h"

#include <algorithm>
#include <chrono>

#include "node_load/http.h"

namespace liaison::load {

using Clock = std::chrono::steady_clock;

HealthProber::HealthProber(const TlsClient& client, Endpoint rest, int interval_ms, int timeout_ms)
    : client_(client), rest_(std::move(rest)), interval_ms_(interval_ms), timeout_ms_(timeout_ms) {}

HealthProber::~HealthProber() { Stop(); }

void HealthProber::Start() {
  scheduler_ = std::thread([this] { Schedule(); });
}

void HealthProber::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
}

void HealthProber::Schedule() {
  Clock::time_point next = Clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    probes_.emplace_back([this] { Probe(); });
    next += std::chrono::milliseconds(interval_ms_);
    stop_cv_.wait_until(lock, next, [this] { return stop_; });
  }
  lock.unlock();
  for (std::thread& t : probes_) t.join();
}

void HealthProber::Probe() {
  static const std::string kRequest = Request("GET", "/v1/health", /*keep_alive=*/false);
  Clock::time_point start = Clock::now();
  HttpResponse res;
  std::string error;
  bool ok = Exchange(client_, rest_, kRequest, timeout_ms_, res, error);
  if (ok && res.status != 200) {
    ok = false;
    error = "status " + std::to_string(res.status);
  }
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  std::lock_guard<std::mutex> lock(mu_);
  if (ok) {
    latencies_ms_.push_back(ms);
    return;
  }
  latencies_ms_.push_back(std::max(ms, static_cast<double>(timeout_ms_)));
  if (failures_++ == 0) first_error_ = error;
}

void HealthProber::AddTo(Report& report, const std::string& prefix) const {
  std::lock_guard<std::mutex> lock(mu_);
  report.Add(prefix + "_failures", failures_);
  report.AddLatencies(prefix, latencies_ms_);
  if (failures_ > 0) report.Add(prefix + "_first_error", first_error_);
}

}  // namespace liaison::load
