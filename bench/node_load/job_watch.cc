#include "node_load/job_watch.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "node_load/http.h"

namespace liaison::load {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

namespace {

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool IsFinal(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "refused" || state == "cancelled";
}

}  // namespace

JobWatch SubmitAndWatch(const TlsClient& client, const Endpoint& rest, const std::string& api_key,
                        const std::string& job_body, int poll_ms, int give_up_ms, int timeout_ms) {
  JobWatch w;
  const std::string auth = "Authorization: Bearer " + api_key + "\r\n";
  Clock::time_point start = Clock::now();
  HttpResponse res;
  std::string error;
  if (!Exchange(client, rest, Request("POST", "/v1/jobs", false, auth, job_body), timeout_ms, res,
                error)) {
    w.error = "POST /v1/jobs: " + error;
    return w;
  }
  w.post_ms = MsSince(start);
  w.post_status = res.status;
  Json posted = Json::parse(res.body, nullptr, false);
  if (res.status != 202 || !posted.is_object() || !posted["id"].is_string()) {
    w.error = "POST /v1/jobs: " + std::to_string(res.status) + " " + res.body.substr(0, 200);
    return w;
  }
  w.id = posted["id"].get<std::string>();
  w.state = posted.value("state", "");
  const std::string poll = Request("GET", "/v1/jobs/" + w.id, false, auth);
  Clock::time_point give_up = start + std::chrono::milliseconds(give_up_ms);
  while (w.state != "running" && !IsFinal(w.state) && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
    ++w.polls;
    Json job;
    error.clear();
    if (Exchange(client, rest, poll, timeout_ms, res, error) && res.status == 200 &&
        (job = Json::parse(res.body, nullptr, false)).is_object() && job["state"].is_string()) {
      w.state = job["state"].get<std::string>();
      continue;
    }
    if (w.poll_failures++ == 0) {
      w.error = "GET /v1/jobs/{id}: " + (error.empty() ? std::to_string(res.status) : error);
    }
  }
  if (w.state == "running" || w.state == "succeeded") w.start_ms = MsSince(start);
  return w;
}

void JobWatch::AddTo(Report& report, const std::string& prefix) const {
  report.Add(prefix + "_post_status", post_status);
  report.Add(prefix + "_post_ms", static_cast<long long>(post_ms));
  report.Add(prefix + "_state", state.empty() ? "-" : state);
  report.Add(prefix + "_start_ms", static_cast<long long>(start_ms));
  report.Add(prefix + "_polls", polls);
  report.Add(prefix + "_poll_failures", poll_failures);
  if (!error.empty()) report.Add(prefix + "_error", error);
}

}  // namespace liaison::load
