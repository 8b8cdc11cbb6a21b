// liaison_node_load: a reproducible load measurement of a running liaison
// node (`liaison node run`) on loopback. See docs/node.md, "Load and
// limits", and scripts/node-load.sh, which sets up two nodes and runs every
// scenario. Each scenario prints its figures as "key: value" lines (or JSON
// with --json) and exits by itself.
#include <signal.h>

#include <cstdio>
#include <string>
#include <thread>

#include "node_load/flags.h"
#include "node_load/report.h"
#include "node_load/scenarios.h"
#include "node_load/tls_client.h"

namespace liaison::load {
namespace {

constexpr char kUsage[] = R"(usage: liaison_node_load SCENARIO --port REST_PORT [flags] [--json]

Scenarios (every loop is bounded by time and count):
  throughput  GET /v1/health back to back over keep-alive TLS connections
              --clients C (2) --seconds D (5) --requests N (0: no limit)
              --per-request: a new TLS connection for each request
  slowloris   S REST connections dribbling a header one byte a second and H
              half-open peer-port connections, while GET /v1/health is
              measured on a fresh connection every 100 ms
              --connections S (200) --peer-port P --half-open H (50)
              --half-open-mode none|partial|mixed (mixed) --seconds D (20)
              --warmup W (3) and, to time a partner job from its POST until
              it runs: --job-body JSON --api-key KEY [--job-port REST_PORT]
  bodies      U clients without an API key POST /v1/jobs with an endless
              chunked body, then with Content-Length of B MiB
              --clients U (8) --mb B (400) --variant chunked|length|both
              --seconds D per variant (30)
Common: --host IPV4 (127.0.0.1) --timeout-ms T (5000, every socket operation)
)";

int Fail(const std::string& message) {
  std::fprintf(stderr, "liaison_node_load: %s\n%s", message.c_str(), kUsage);
  return 2;
}

int Main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "--help") {
    std::printf("%s", kUsage);
    return 0;
  }
  if (argc < 2) return Fail("no scenario");
  const std::string scenario = argv[1];
  Flags flags;
  std::string error;
  if (!flags.Parse(argc, argv, 2, {"json", "per-request"}, error)) return Fail(error);
  const bool json = flags.Bool("json");
  Endpoint rest{flags.String("host", "127.0.0.1"),
                static_cast<uint16_t>(flags.Int("port", 0, 1, 65535))};
  if (rest.port == 0) return Fail("--port is required");
  const int timeout_ms = static_cast<int>(flags.Int("timeout-ms", 5000, 100, 600000));

  TlsClient client;
  Report report;
  report.Add("scenario", scenario);
  report.Add("cores", std::thread::hardware_concurrency());
  if (scenario == "throughput") {
    ThroughputOptions opt;
    opt.rest = rest;
    opt.timeout_ms = timeout_ms;
    opt.clients = static_cast<int>(flags.Int("clients", opt.clients, 1, 1024));
    opt.seconds = static_cast<int>(flags.Int("seconds", opt.seconds, 1, 3600));
    opt.max_requests = flags.Int("requests", 0, 0, 1LL << 40);
    opt.per_request = flags.Bool("per-request");
    if (!flags.Unread().empty()) return Fail("unknown flag --" + flags.Unread());
    RunThroughput(client, opt, report);
  } else if (scenario == "slowloris") {
    SlowlorisOptions opt;
    opt.rest = rest;
    opt.timeout_ms = timeout_ms;
    opt.slow_connections =
        static_cast<int>(flags.Int("connections", opt.slow_connections, 0, 4096));
    opt.peer = {rest.host, static_cast<uint16_t>(flags.Int("peer-port", 0, 0, 65535))};
    opt.half_open = static_cast<int>(flags.Int("half-open", opt.half_open, 0, 4096));
    opt.half_open_mode = flags.String("half-open-mode", opt.half_open_mode);
    if (opt.half_open_mode != "none" && opt.half_open_mode != "partial" &&
        opt.half_open_mode != "mixed") {
      return Fail("--half-open-mode is none, partial or mixed");
    }
    opt.seconds = static_cast<int>(flags.Int("seconds", opt.seconds, 1, 3600));
    opt.warmup_seconds = static_cast<int>(flags.Int("warmup", opt.warmup_seconds, 0, 600));
    opt.job_body = flags.String("job-body", "");
    opt.api_key = flags.String("api-key", "");
    opt.job_rest = {rest.host, static_cast<uint16_t>(flags.Int("job-port", rest.port, 1, 65535))};
    if (!opt.job_body.empty() && opt.api_key.empty()) return Fail("--job-body needs --api-key");
    if (!flags.Unread().empty()) return Fail("unknown flag --" + flags.Unread());
    RunSlowloris(client, opt, report);
  } else if (scenario == "bodies") {
    BodiesOptions opt;
    opt.rest = rest;
    opt.timeout_ms = timeout_ms;
    opt.clients = static_cast<int>(flags.Int("clients", opt.clients, 1, 1024));
    opt.max_mb = static_cast<int>(flags.Int("mb", opt.max_mb, 1, 1 << 20));
    opt.variant = flags.String("variant", opt.variant);
    if (opt.variant != "chunked" && opt.variant != "length" && opt.variant != "both") {
      return Fail("--variant is chunked, length or both");
    }
    opt.seconds = static_cast<int>(flags.Int("seconds", opt.seconds, 1, 3600));
    if (!flags.Unread().empty()) return Fail("unknown flag --" + flags.Unread());
    RunBodies(client, opt, report);
  } else {
    return Fail("unknown scenario " + scenario);
  }
  report.Print(json);
  return 0;
}

}  // namespace
}  // namespace liaison::load

int main(int argc, char** argv) {
  // A write to a connection the server has closed is an outcome to report,
  // not a reason to die.
  signal(SIGPIPE, SIG_IGN);
  return liaison::load::Main(argc, argv);
}
