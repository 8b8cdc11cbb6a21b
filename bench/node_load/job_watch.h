// A partner job submitted through the REST API and watched until it starts:
// the figure behind "a partner's job starts within 2 s".
#ifndef LIAISON_BENCH_NODE_LOAD_JOB_WATCH_H_
#define LIAISON_BENCH_NODE_LOAD_JOB_WATCH_H_

#include <string>

#include "node_load/report.h"
#include "node_load/tls_client.h"

namespace liaison::load {

// JobWatch is what became of one job.
struct JobWatch {
  int post_status = 0;  // 0: no answer to the POST
  double post_ms = 0;   // until the POST was answered
  std::string id;
  std::string state;     // the last state seen
  double start_ms = -1;  // from sending the POST until `running` or
                         // `succeeded` was seen; -1 if never
  int polls = 0;
  int poll_failures = 0;
  std::string error;  // the first failure, if any

  void AddTo(Report& report, const std::string& prefix) const;
};

// SubmitAndWatch posts `job_body` to POST /v1/jobs at `rest` with
// `api_key`, then polls GET /v1/jobs/{id} every `poll_ms` (a fresh
// connection each time) until the job is running or final, or `give_up_ms`
// after the POST was sent.
JobWatch SubmitAndWatch(const TlsClient& client, const Endpoint& rest, const std::string& api_key,
                        const std::string& job_body, int poll_ms, int give_up_ms, int timeout_ms);

}  // namespace liaison::load

#endif  // LIAISON_BENCH_NODE_LOAD_JOB_WATCH_H_
