// A client that measures GET /v1/health while a scenario loads the node:
// one probe every interval on a fresh TLS connection, each on a thread of
// its own, so that a slow answer does not delay the next probe (a probe
// schedule that waited for slow answers would hide them).
#ifndef LIAISON_BENCH_NODE_LOAD_HEALTH_PROBER_H_
#define LIAISON_BENCH_NODE_LOAD_HEALTH_PROBER_H_

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "node_load/report.h"
#include "node_load/tls_client.h"

namespace liaison::load {

// HealthProber probes `rest` from Start until Stop. A probe that fails
// (refused, reset, a status other than 200, or no answer within
// `timeout_ms`) counts as a failure and, in the latency figures, as taking
// the timeout. `client` must outlive the prober.
class HealthProber {
 public:
  HealthProber(const TlsClient& client, Endpoint rest, int interval_ms, int timeout_ms);
  ~HealthProber();

  void Start();
  // Stop starts no more probes and waits for those under way.
  void Stop();

  // AddTo adds `prefix`_probes, _failures, the latency figures and the
  // first error.
  void AddTo(Report& report, const std::string& prefix) const;

 private:
  void Schedule();
  void Probe();

  const TlsClient& client_;
  const Endpoint rest_;
  const int interval_ms_;
  const int timeout_ms_;

  std::thread scheduler_;
  std::vector<std::thread> probes_;  // scheduler thread only

  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::vector<double> latencies_ms_;
  int failures_ = 0;
  std::string first_error_;
};

}  // namespace liaison::load

#endif  // LIAISON_BENCH_NODE_LOAD_HEALTH_PROBER_H_
