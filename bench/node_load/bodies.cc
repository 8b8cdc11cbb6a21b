// The bodies scenario (scenarios.h).
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "node_load/health_prober.h"
#include "node_load/http.h"
#include "node_load/scenarios.h"

namespace liaison::load {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kPieceLen = 64 << 10;

// BodyResult is what one client got to send. `sent_len` counts body bytes
// handed to the kernel, so it is an upper bound on what the server read
// (by up to the socket buffers, a few MiB).
struct BodyResult {
  long long sent_len = 0;
  int status = 0;
  std::string outcome;
  double ms = 0;
};

void AwaitAnswer(TlsConnection& conn, int wait_ms, BodyResult& r) {
  if (conn.Poll(wait_ms) != TlsConnection::Signal::kData) return;
  HttpResponse res;
  if (ReadResponse(conn, res) == ReadResult::kOk) r.status = res.status;
}

void BodyClient(const TlsClient& client, const BodiesOptions& opt, bool chunked,
                Clock::time_point deadline, BodyResult& r) {
  Clock::time_point start = Clock::now();
  std::string error;
  std::unique_ptr<TlsConnection> conn =
      TlsConnection::Open(client, opt.rest, opt.timeout_ms, error);
  if (conn == nullptr) {
    r.outcome = "no connection: " + error;
    return;
  }
  const long long total_len = static_cast<long long>(opt.max_mb) << 20;
  std::string head =
      "POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
  head += chunked ? "Transfer-Encoding: chunked\r\n"
                  : "Content-Length: " + std::to_string(total_len) + "\r\n";
  head += "\r\n";
  const std::string data(kPieceLen, 'a');
  const std::string piece = chunked ? "10000\r\n" + data + "\r\n" : data;  // 0x10000 = 64 KiB
  bool ok = conn->WriteAll(head, error);
  while (ok && r.sent_len < total_len && Clock::now() < deadline) {
    TlsConnection::Signal s = conn->Poll(0);
    if (s == TlsConnection::Signal::kData) {
      r.outcome = "answered";
      break;
    }
    if (s == TlsConnection::Signal::kClosed) {
      r.outcome = "closed";
      break;
    }
    ok = conn->WriteAll(piece, error);
    if (ok) r.sent_len += static_cast<long long>(kPieceLen);
  }
  if (!ok) {
    r.outcome = error == "write timed out" ? "server stopped reading" : "closed while sending";
  } else if (r.outcome.empty()) {
    r.outcome = r.sent_len >= total_len ? "sent all" : "time limit";
  }
  // An answer may be on its way, or already there.
  AwaitAnswer(*conn, r.outcome == "answered" ? opt.timeout_ms : 2000, r);
  if (r.status != 0 && r.outcome != "answered") r.outcome += ", then answered";
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void RunVariant(const TlsClient& client, const BodiesOptions& opt, bool chunked, Report& report) {
  const std::string name = chunked ? "chunked" : "length";
  std::vector<BodyResult> results(opt.clients);
  HealthProber prober(client, opt.rest, opt.probe_interval_ms, opt.timeout_ms);
  prober.Start();
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(opt.seconds);
  std::vector<std::thread> threads;
  for (int i = 0; i < opt.clients; ++i) {
    threads.emplace_back([&, i] { BodyClient(client, opt, chunked, deadline, results[i]); });
  }
  for (std::thread& t : threads) t.join();
  prober.Stop();

  long long max_len = 0, total = 0;
  std::map<std::string, int> statuses;
  for (int i = 0; i < opt.clients; ++i) {
    const BodyResult& r = results[i];
    const std::string key = name + "_" + std::to_string(i);
    report.Add(key + "_sent_bytes", r.sent_len);
    report.Add(key + "_status", r.status);
    report.Add(key + "_outcome", r.outcome);
    report.Add(key + "_ms", static_cast<long long>(r.ms));
    max_len = std::max(max_len, r.sent_len);
    total += r.sent_len;
    ++statuses[r.status == 0 ? "none" : std::to_string(r.status)];
  }
  std::string summary;
  for (const auto& [status, n] : statuses) {
    summary += (summary.empty() ? "" : " ") + status + "x" + std::to_string(n);
  }
  report.Add(name + "_statuses", summary);
  report.Add(name + "_max_sent_mb", std::round(static_cast<double>(max_len) / (1 << 20) * 10) / 10);
  report.Add(name + "_total_sent_mb", std::round(static_cast<double>(total) / (1 << 20) * 10) / 10);
  prober.AddTo(report, name + "_health");
}

}  // namespace

void RunBodies(const TlsClient& client, const BodiesOptions& opt, Report& report) {
  report.Add("clients", opt.clients);
  report.Add("max_mb_per_client", opt.max_mb);
  if (opt.variant == "chunked" || opt.variant == "both") RunVariant(client, opt, true, report);
  if (opt.variant == "length" || opt.variant == "both") RunVariant(client, opt, false, report);
}

}  // namespace liaison::load
