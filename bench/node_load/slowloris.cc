// The slowloris scenario (scenarios.h).
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "node_load/health_prober.h"
#include "node_load/job_watch.h"
#include "node_load/scenarios.h"

namespace liaison::load {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Holders counts one kind of attacking connection, over all its threads.
struct Holders {
  std::atomic<int> open_now{0};  // held now; after the threads end, held at the end
  std::atomic<int> open_max{0};
  std::mutex mu;
  long long opened = 0;
  long long open_failures = 0;
  long long server_closes = 0;
  std::vector<double> held_ms;  // of each connection the server closed
  std::string first_error;

  void Opened() {
    int now = ++open_now;
    int max = open_max.load();
    while (now > max && !open_max.compare_exchange_weak(max, now)) {
    }
    std::lock_guard<std::mutex> lock(mu);
    ++opened;
  }
  void OpenFailed(const std::string& error) {
    std::lock_guard<std::mutex> lock(mu);
    if (open_failures++ == 0) first_error = error;
  }
  void ClosedByServer(double ms) {
    --open_now;
    std::lock_guard<std::mutex> lock(mu);
    ++server_closes;
    held_ms.push_back(ms);
  }

  void AddTo(Report& report, const std::string& prefix) {
    std::lock_guard<std::mutex> lock(mu);
    report.Add(prefix + "_opened", opened);
    report.Add(prefix + "_held_at_most", open_max.load());
    report.Add(prefix + "_held_at_end", open_now.load());
    report.Add(prefix + "_open_failures", open_failures);
    report.Add(prefix + "_closed_by_server", server_closes);
    report.AddLatencies(prefix + "_held_before_close", held_ms);
    if (!first_error.empty()) report.Add(prefix + "_first_open_error", first_error);
  }
};

// SleepAtMost sleeps for `ms` or until `deadline`, whichever is first.
void SleepAtMost(int ms, Clock::time_point deadline) {
  std::this_thread::sleep_until(std::min(deadline, Clock::now() + std::chrono::milliseconds(ms)));
}

// DribbleClient holds one REST connection at a time: TLS, then a request
// header one byte a second that never ends.
void DribbleClient(const TlsClient& client, const SlowlorisOptions& opt, Clock::time_point deadline,
                   Holders& h) {
  static const std::string kPrefix = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  while (Clock::now() < deadline) {
    std::string error;
    std::unique_ptr<TlsConnection> conn =
        TlsConnection::Open(client, opt.rest, opt.timeout_ms, error);
    if (conn == nullptr) {
      h.OpenFailed(error);
      SleepAtMost(1000, deadline);
      continue;
    }
    // A handshake that ends after the deadline is not held during the run
    // (the server finishes queued handshakes once the others let go).
    if (Clock::now() >= deadline) break;
    h.Opened();
    Clock::time_point opened = Clock::now();
    for (size_t sent = 0; Clock::now() < deadline; ++sent) {
      char byte = sent < kPrefix.size() ? kPrefix[sent] : 'a';
      int wait_ms = static_cast<int>(std::min<long long>(
          1000,
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count()));
      if (!conn->WriteAll(std::string_view(&byte, 1), error) ||
          conn->Poll(std::max(wait_ms, 0)) != TlsConnection::Signal::kNothing) {
        // An answer (408, 400) or a close: either way the server let go.
        h.ClosedByServer(MsSince(opened));
        break;
      }
    }
  }
}

// HalfOpenClient holds one peer-port connection at a time that never
// finishes its handshake.
void HalfOpenClient(const SlowlorisOptions& opt, const std::string& partial_hello,
                    Clock::time_point deadline, Holders& h) {
  while (Clock::now() < deadline) {
    std::string error;
    int fd = ConnectTcp(opt.peer, opt.timeout_ms, error);
    if (fd < 0) {
      h.OpenFailed(error);
      SleepAtMost(1000, deadline);
      continue;
    }
    if (!partial_hello.empty() &&
        send(fd, partial_hello.data(), partial_hello.size(), MSG_NOSIGNAL) < 0) {
      h.OpenFailed("send: part of a ClientHello");
      close(fd);
      continue;
    }
    if (Clock::now() >= deadline) {
      close(fd);
      break;
    }
    h.Opened();
    Clock::time_point opened = Clock::now();
    while (Clock::now() < deadline) {
      if (!SocketReadable(fd, 1000)) continue;
      char buf[4096];
      if (recv(fd, buf, sizeof(buf), 0) <= 0) {
        h.ClosedByServer(MsSince(opened));
        break;
      }
    }
    close(fd);
  }
}

}  // namespace

void RunSlowloris(const TlsClient& client, const SlowlorisOptions& opt, Report& report) {
  Clock::time_point start = Clock::now();
  Clock::time_point measure_from = start + std::chrono::seconds(opt.warmup_seconds);
  Clock::time_point deadline = measure_from + std::chrono::seconds(opt.seconds);
  Holders slow, half;
  const std::string hello = client.ClientHello();
  std::vector<std::thread> threads;
  for (int i = 0; i < opt.slow_connections; ++i) {
    threads.emplace_back([&] { DribbleClient(client, opt, deadline, slow); });
  }
  for (int i = 0; opt.peer.port != 0 && i < opt.half_open; ++i) {
    bool partial = opt.half_open_mode == "partial" || (opt.half_open_mode == "mixed" && i % 2 == 1);
    std::string sent = partial ? hello.substr(0, hello.size() / 2) : std::string();
    threads.emplace_back([&, sent] { HalfOpenClient(opt, sent, deadline, half); });
  }

  std::this_thread::sleep_until(measure_from);
  report.Add("slow_connections", opt.slow_connections);
  report.Add("half_open_connections", opt.peer.port != 0 ? opt.half_open : 0);
  report.Add("half_open_mode", opt.half_open_mode);
  report.Add("seconds", opt.seconds);
  report.Add("slow_held_at_start", slow.open_now.load());
  report.Add("half_open_held_at_start", half.open_now.load());
  HealthProber prober(client, opt.rest, opt.probe_interval_ms, opt.timeout_ms);
  prober.Start();
  std::optional<JobWatch> job;
  std::thread job_thread;
  if (!opt.job_body.empty()) {
    job_thread = std::thread([&] {
      std::this_thread::sleep_until(measure_from + std::chrono::seconds(1));
      int give_up_ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      job = SubmitAndWatch(client, opt.job_rest, opt.api_key, opt.job_body, opt.job_poll_ms,
                           std::max(give_up_ms, 1000), opt.timeout_ms);
    });
  }
  std::this_thread::sleep_until(deadline);
  prober.Stop();
  if (job_thread.joinable()) job_thread.join();
  for (std::thread& t : threads) t.join();

  prober.AddTo(report, "health");
  if (job.has_value()) job->AddTo(report, "job");
  slow.AddTo(report, "slow");
  half.AddTo(report, "half_open");
}

}  // namespace liaison::load
