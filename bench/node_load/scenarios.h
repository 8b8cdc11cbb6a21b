// The load scenarios of `liaison_node_load`, each against a running node on
// loopback. Every loop is bounded by time and count, every socket has a
// timeout, and each Run returns once all its threads have stopped.
#ifndef LIAISON_BENCH_NODE_LOAD_SCENARIOS_H_
#define LIAISON_BENCH_NODE_LOAD_SCENARIOS_H_

#include <string>

#include "node_load/report.h"
#include "node_load/tls_client.h"

namespace liaison::load {

// throughput: `clients` threads send GET /v1/health back to back for
// `seconds` or until `max_requests` requests (0: no limit) in all. Each
// thread keeps one keep-alive connection, reconnecting (and counting it)
// when the server closes it, or with `per_request` opens a new connection
// for each request.
struct ThroughputOptions {
  Endpoint rest;
  int clients = 2;
  int seconds = 5;
  long long max_requests = 0;
  bool per_request = false;
  int timeout_ms = 5000;
};
void RunThroughput(const TlsClient& client, const ThroughputOptions& opt, Report& report);

// slowloris: `slow_connections` connections to the REST port complete TLS
// and then send a request header one byte a second, never finishing it;
// `half_open` connections to the peer port connect and send nothing
// (`half_open_mode` "none"), half a ClientHello ("partial"), or alternate
// ("mixed"). Connections the server closes are reopened and counted, with
// how long they were held. After `warmup_seconds`, a prober measures
// GET /v1/health for `seconds`. With a `job_body`, a job is posted to
// `job_rest` one second into the measurement and watched until it starts.
struct SlowlorisOptions {
  Endpoint rest;
  Endpoint peer;  // port 0: no half-open connections
  int slow_connections = 200;
  int half_open = 50;
  std::string half_open_mode = "mixed";
  int seconds = 20;
  int warmup_seconds = 3;
  int probe_interval_ms = 100;
  int timeout_ms = 5000;
  Endpoint job_rest;
  std::string api_key;
  std::string job_body;
  int job_poll_ms = 50;
};
void RunSlowloris(const TlsClient& client, const SlowlorisOptions& opt, Report& report);

// bodies: `clients` clients without an API key POST /v1/jobs with an
// oversized body, `variant` "chunked" (chunks without end, up to
// `max_mb` MiB each), "length" (Content-Length: `max_mb` MiB, then the
// data) or "both" (one after the other). Each reports the bytes it sent
// before the server answered or closed, and the status it got. Each variant
// lasts at most `seconds`.
struct BodiesOptions {
  Endpoint rest;
  int clients = 8;
  int max_mb = 400;
  std::string variant = "both";
  int seconds = 30;
  int timeout_ms = 5000;
  int probe_interval_ms = 100;
};
void RunBodies(const TlsClient& client, const BodiesOptions& opt, Report& report);

}  // namespace liaison::load

#endif  // LIAISON_BENCH_NODE_LOAD_SCENARIOS_H_
