// The throughput scenario (scenarios.h).
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "node_load/http.h"
#include "node_load/scenarios.h"

namespace liaison::load {
namespace {

using Clock = std::chrono::steady_clock;

struct ClientCounts {
  long long ok = 0;
  long long failed = 0;       // an answer other than 200, or none
  long long connections = 0;  // opened
  long long connect_failures = 0;
  long long server_closes = 0;  // keep-alive connections the server ended
  std::vector<double> latencies_ms;
  std::string first_error;

  void Fail(const std::string& error) {
    if (failed++ == 0 && connect_failures == 0) first_error = error;
  }
};

void RunClient(const TlsClient& client, const ThroughputOptions& opt, Clock::time_point deadline,
               std::atomic<long long>& budget, ClientCounts& c) {
  const std::string request = Request("GET", "/v1/health", !opt.per_request);
  std::unique_ptr<TlsConnection> conn;
  while (Clock::now() < deadline && budget.fetch_sub(1) > 0) {
    Clock::time_point start = Clock::now();
    std::string error;
    if (conn == nullptr) {
      conn = TlsConnection::Open(client, opt.rest, opt.timeout_ms, error);
      if (conn == nullptr) {
        if (c.connect_failures++ == 0 && c.failed == 0) c.first_error = error;
        ++c.failed;
        // A refused port answers at once: do not spin on it.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      ++c.connections;
    }
    HttpResponse res;
    ReadResult got = conn->WriteAll(request, error) ? ReadResponse(*conn, res) : ReadResult::kError;
    if (got == ReadResult::kClosed && !opt.per_request) {
      // The server ended the keep-alive connection before this request:
      // reconnect and send it again, without counting a failure.
      ++c.server_closes;
      conn.reset();
      budget.fetch_add(1);
      continue;
    }
    if (got != ReadResult::kOk || res.status != 200) {
      c.Fail(got == ReadResult::kOk ? "status " + std::to_string(res.status)
                                    : (error.empty() ? "no complete response" : error));
      conn.reset();
      continue;
    }
    ++c.ok;
    c.latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (opt.per_request) {
      conn.reset();
    } else if (res.server_closes) {
      ++c.server_closes;
      conn.reset();
    }
  }
}

}  // namespace

void RunThroughput(const TlsClient& client, const ThroughputOptions& opt, Report& report) {
  std::atomic<long long> budget(opt.max_requests > 0 ? opt.max_requests : (1LL << 62));
  std::vector<ClientCounts> counts(opt.clients);
  Clock::time_point start = Clock::now();
  Clock::time_point deadline = start + std::chrono::seconds(opt.seconds);
  std::vector<std::thread> threads;
  for (int i = 0; i < opt.clients; ++i) {
    threads.emplace_back([&, i] { RunClient(client, opt, deadline, budget, counts[i]); });
  }
  for (std::thread& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  ClientCounts all;
  for (ClientCounts& c : counts) {
    all.ok += c.ok;
    all.failed += c.failed;
    all.connections += c.connections;
    all.connect_failures += c.connect_failures;
    all.server_closes += c.server_closes;
    all.latencies_ms.insert(all.latencies_ms.end(), c.latencies_ms.begin(), c.latencies_ms.end());
    if (all.first_error.empty()) all.first_error = c.first_error;
  }
  report.Add("mode", opt.per_request ? "connection_per_request" : "keep_alive");
  report.Add("clients", opt.clients);
  report.Add("seconds", std::round(seconds * 100) / 100);
  report.Add("requests_ok", all.ok);
  report.Add("requests_failed", all.failed);
  report.Add("req_per_s", std::round(static_cast<double>(all.ok) / seconds));
  report.Add("connections_opened", all.connections);
  report.Add("connect_failures", all.connect_failures);
  report.Add("server_closes", all.server_closes);
  report.AddLatencies("latency", std::move(all.latencies_ms));
  if (!all.first_error.empty()) report.Add("first_error", all.first_error);
}

}  // namespace liaison::load
